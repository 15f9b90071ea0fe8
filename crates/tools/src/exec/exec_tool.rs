//! `exec`: run a shell command in the workspace, in the foreground or in the background.
//!
//! A foreground command is waited for up to `yieldMs` (default `tools.exec.backgroundMs`); if it
//! is still running then, it stays alive in the session's process table and the model gets a
//! session id to follow it with `process`. `background: true` skips the wait. Either way the
//! command's wall-clock limit (`timeout`, default `tools.exec.timeoutSec`, 0 for none) kills its
//! whole process group. Options the sandbox cannot honour yet are refused with an explanation
//! rather than ignored. On `host=gateway` a command first passes exec approvals (see
//! [`super::host`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use rustyclaw_config::file::{ExecAsk, ExecHost, ExecSecurity};
use rustyclaw_sandbox::approvals::{Ask, Security};
use rustyclaw_sandbox::{ExecEnv, ExecSpec, ExitInfo, ExitReason, Isolation, StdinMode};
use rustyclaw_support::now_ms_i64;
use serde::Deserialize;
use serde_json::{Value, json};

use super::host::Requested;
use super::output::{
    RETENTION_CAP_NOTE, TAIL_CHARS, TIMEOUT_GUIDANCE, clean, exit_label, signal_name, status_word,
    tail,
};
use super::table::RunInfo;
use crate::args::opt_number;
use crate::context::ToolContext;
use crate::fs::paths::{self, FinalLink};
use crate::provenance::{ExternalSource, Provenance};
use crate::services::ExecSettings;
use crate::tool::{Tool, ToolError, ToolOutput};

/// Bounds of `yieldMs` (upstream's clamp).
const MIN_YIELD: Duration = Duration::from_millis(10);
const MAX_YIELD: Duration = Duration::from_secs(120);

/// The `exec` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecTool;

/// `host` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HostArg {
    /// The configured host.
    Auto,
    /// The sandbox.
    Sandbox,
    /// The gateway host.
    Gateway,
    /// A paired node.
    Node,
}

/// `security` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecurityArg {
    /// Refuse host commands.
    Deny,
    /// Allow allowlisted commands.
    Allowlist,
    /// Allow everything.
    Full,
}

/// `ask` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AskArg {
    /// Never ask.
    Off,
    /// Ask for commands off the allowlist.
    OnMiss,
    /// Always ask.
    Always,
}

/// Arguments of `exec` (upstream's names).
#[derive(Debug, Deserialize)]
pub struct ExecArgs {
    /// Shell command to execute.
    pub command: String,
    /// Working directory inside the workspace.
    #[serde(default)]
    pub workdir: Option<String>,
    /// Extra environment variables.
    #[serde(default)]
    pub env: Option<BTreeMap<String, String>>,
    /// Milliseconds to wait before backgrounding.
    #[serde(default, rename = "yieldMs", deserialize_with = "opt_number")]
    pub yield_ms: Option<f64>,
    /// Run in the background at once.
    #[serde(default)]
    pub background: Option<bool>,
    /// Timeout in seconds (0 disables it).
    #[serde(default, deserialize_with = "opt_number")]
    pub timeout: Option<f64>,
    /// Run in a pseudo-terminal.
    #[serde(default)]
    pub pty: Option<bool>,
    /// Run on the host with elevated permissions.
    #[serde(default)]
    pub elevated: Option<bool>,
    /// Exec host.
    #[serde(default)]
    pub host: Option<HostArg>,
    /// Exec security mode.
    #[serde(default)]
    pub security: Option<SecurityArg>,
    /// Exec ask mode.
    #[serde(default)]
    pub ask: Option<AskArg>,
    /// Node id or name for `host=node`.
    #[serde(default)]
    pub node: Option<String>,
}

impl Tool for ExecTool {
    type Args = ExecArgs;

    fn name(&self) -> &'static str {
        "exec"
    }

    fn description(&self) -> String {
        "Execute shell commands with background continuation for work that starts now. Use yieldMs/background to continue later via process tool; backgrounded commands still use the exec timeout, so set timeout=0 for intentionally long-lived servers or agents. Use process whenever you need logs, status, input, or intervention.".to_owned()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "command": { "type": "string", "description": "Shell command to execute" },
                "workdir": { "type": "string", "description": "Working directory (defaults to cwd)" },
                "env": { "type": "object", "patternProperties": { "^(.*)$": { "type": "string" } } },
                "yieldMs": { "type": "number", "description": "Milliseconds to wait before backgrounding (default 10000)" },
                "background": { "type": "boolean", "description": "Run in background immediately" },
                "timeout": { "type": "number", "description": "Timeout in seconds (default 1800; use 0 to disable local/gateway timeout; use a large positive timeout for host=node)" },
                "pty": { "type": "boolean", "description": "Run in a pseudo-terminal (PTY) when available (TTY-required CLIs, coding agents)" },
                "elevated": { "type": "boolean", "description": "Run on the host with elevated permissions (if allowed)" },
                "host": { "type": "string", "description": "Exec host/target (auto|sandbox|gateway|node)." },
                "security": { "type": "string", "description": "Exec security mode (deny|allowlist|full)." },
                "ask": { "type": "string", "description": "Exec ask mode (off|on-miss|always)." },
                "node": { "type": "string", "description": "Node id/name for host=node." }
            },
            "required": ["command"]
        })
    }

    async fn call(&self, args: ExecArgs, cx: &ToolContext) -> Result<ToolOutput, ToolError> {
        if cx.cancel.is_cancelled() {
            return Err(ToolError::Cancelled);
        }
        let settings = cx.services.exec();
        if args.command.trim().is_empty() {
            return Err(ToolError::failed("Provide a command to execute."));
        }
        let host = check_options(&args, settings)?;
        let cwd = working_dir(&args, cx)?;
        // A host=gateway command runs on the host by definition (approvals guard it); every
        // other command runs in the session's sandbox.
        let isolation = if matches!(host, HostChoice::Gateway(_)) {
            Isolation::off(cx.workspace.clone())
        } else {
            Isolation {
                level: cx.sandbox.level,
                workspace: cx.workspace.clone(),
                workspace_mount: cx.sandbox.workspace_mount(),
                limits: cx.sandbox.limits,
                require: cx.sandbox.require,
                host_network: cx.sandbox.host_network,
                read_only: settings.read_only.clone(),
            }
        };
        let script = match host {
            HostChoice::Sandbox => args.command.clone(),
            HostChoice::Gateway(requested) => {
                super::host::approve(&args.command, &cwd, requested, cx).await?
            }
        };
        let timeout_secs = match args.timeout {
            None => Some(settings.timeout.as_secs_f64()),
            Some(t) if t < 0.0 => {
                return Err(ToolError::failed(
                    "timeout must be a number of seconds, 0 or more (0 disables it)",
                ));
            }
            Some(0.0) => None,
            Some(t) => Some(t),
        };
        let background = args.background.unwrap_or(false);
        let spec = ExecSpec {
            script,
            cwd: cwd.clone(),
            env: ExecEnv {
                shell: settings.shell.clone(),
                path: settings.path.clone(),
                // Inside a sandbox the workspace is the only writable home there is.
                home: settings
                    .home
                    .clone()
                    .filter(|_| !isolation.level.is_sandboxed())
                    .unwrap_or_else(|| cx.workspace.clone()),
                lang: "C.UTF-8".into(),
            },
            // The skills' variables first, so the command's own `env` wins; none that could
            // change which program runs or inject code into it.
            extra_env: cx
                .skills
                .env
                .clone()
                .into_iter()
                .filter(|(k, _)| !rustyclaw_sandbox::approvals::is_dangerous_env(k))
                .chain(args.env.clone().unwrap_or_default())
                .collect(),
            // Only a command meant to keep running gets a writable stdin: programs such as
            // `rg` read a piped stdin instead of the directory and would wait for ever.
            stdin: if background {
                StdinMode::Piped
            } else {
                StdinMode::Null
            },
            timeout: timeout_secs.map(Duration::from_secs_f64),
            output_cap: settings.output_cap,
            isolation,
        };
        let process = settings
            .sandbox
            .spawn(spec)
            .map_err(|e| ToolError::failed(format!("Cannot run the command: {e}")))?;
        let info = RunInfo {
            id: String::new(),
            command: args.command.clone(),
            cwd,
            started_at_ms: now_ms_i64(),
            timeout_secs,
            process: process.clone(),
        };
        if background {
            return Ok(backgrounded(cx, info));
        }
        let wait = args
            .yield_ms
            .map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0))
            .unwrap_or(settings.background_after)
            .clamp(MIN_YIELD, MAX_YIELD);
        tokio::select! {
            exit = process.wait() => finished(&info, exit),
            () = tokio::time::sleep(wait) => Ok(backgrounded(cx, info)),
            () = cx.cancel.cancelled() => {
                process.kill();
                Err(ToolError::Cancelled)
            }
        }
    }
}

/// Where a command runs, once its options are accepted.
enum HostChoice {
    /// In the sandbox: no approvals.
    Sandbox,
    /// On the gateway host, under exec approvals with this requested policy.
    Gateway(Requested),
}

/// Refuses the options this build cannot honour, with the reason, and picks the host.
fn check_options(args: &ExecArgs, settings: &ExecSettings) -> Result<HostChoice, ToolError> {
    if args.pty == Some(true) {
        return Err(ToolError::failed(
            "pty=true is not supported yet: commands run without a terminal. Run the command without pty; for a program that needs input, start it with background=true and send input with process write.",
        ));
    }
    if args.elevated == Some(true) {
        return Err(ToolError::failed(
            "elevated=true is not available: this gateway has no elevated host execution. Run the command without elevated.",
        ));
    }
    let configured = match settings.host {
        ExecHost::Sandbox => HostArg::Sandbox,
        ExecHost::Gateway => HostArg::Gateway,
        ExecHost::Node => HostArg::Node,
    };
    let host = match args.host {
        None | Some(HostArg::Auto) => configured,
        Some(requested) if requested == configured => requested,
        Some(requested) => {
            let name = host_name(requested);
            return Err(ToolError::failed(format!(
                "exec host not allowed (requested {name}; configure tools.exec.host={name} to allow)"
            )));
        }
    };
    match host {
        HostArg::Sandbox | HostArg::Auto => Ok(HostChoice::Sandbox),
        HostArg::Node => Err(ToolError::failed(
            "exec host=node is not supported yet: this gateway cannot run commands on paired nodes.",
        )),
        HostArg::Gateway => {
            super::host::check_env(args.env.as_ref())?;
            let configured_security = match settings.security {
                ExecSecurity::Deny => Security::Deny,
                ExecSecurity::Allowlist => Security::Allowlist,
                ExecSecurity::Full => Security::Full,
            };
            let configured_ask = match settings.ask {
                ExecAsk::Off => Ask::Off,
                ExecAsk::OnMiss => Ask::OnMiss,
                ExecAsk::Always => Ask::Always,
            };
            // A call may tighten the policy, never loosen it.
            let requested_security = args.security.map(|s| match s {
                SecurityArg::Deny => Security::Deny,
                SecurityArg::Allowlist => Security::Allowlist,
                SecurityArg::Full => Security::Full,
            });
            let requested_ask = args.ask.map(|a| match a {
                AskArg::Off => Ask::Off,
                AskArg::OnMiss => Ask::OnMiss,
                AskArg::Always => Ask::Always,
            });
            Ok(HostChoice::Gateway(Requested {
                security: requested_security
                    .map_or(configured_security, |s| s.stricter(configured_security)),
                ask: requested_ask.map_or(configured_ask, |a| a.stricter(configured_ask)),
            }))
        }
    }
}

fn host_name(host: HostArg) -> &'static str {
    match host {
        HostArg::Auto => "auto",
        HostArg::Sandbox => "sandbox",
        HostArg::Gateway => "gateway",
        HostArg::Node => "node",
    }
}

fn working_dir(args: &ExecArgs, cx: &ToolContext) -> Result<PathBuf, ToolError> {
    let Some(workdir) = args.workdir.as_deref().filter(|w| !w.trim().is_empty()) else {
        return paths::workspace_root(&cx.workspace).map_err(|e| ToolError::failed(e.to_string()));
    };
    let dir = paths::resolve(&cx.workspace, workdir, FinalLink::Follow)
        .map_err(|e| ToolError::failed(format!("workdir: {e}")))?;
    if !dir.is_dir() {
        return Err(ToolError::failed(format!(
            "workdir '{workdir}' does not exist or is not a directory"
        )));
    }
    Ok(dir)
}

/// Registers `info` as a background run and tells the model how to follow it.
fn backgrounded(cx: &ToolContext, info: RunInfo) -> ToolOutput {
    let pid = info.process.pid();
    let output = clean(&info.process.output().bytes);
    let started_at = info.started_at_ms;
    let cwd = info.cwd.display().to_string();
    let sandbox = sandbox_details(&info.process);
    let id = cx.services.processes().insert(&cx.session_key, info);
    let details = json!({
        "status": "running",
        "sessionId": id,
        "pid": pid,
        "sandbox": sandbox,
        "startedAt": started_at,
        "cwd": cwd,
        "tail": tail(&output, TAIL_CHARS),
    });
    ToolOutput::text(format!(
        "Command still running (session {id}, pid {pid}). Use process (list/poll/log/write/kill/clear/remove) for follow-up."
    ))
    .with_details(details)
    .untrusted(ExternalSource::CommandOutput)
}

/// The level a command ran under and the isolation layers that implemented it.
fn sandbox_details(process: &rustyclaw_sandbox::SandboxedProcess) -> Value {
    json!({
        "level": process.level().label(),
        "layers": process.layers().iter().map(|l| l.label()).collect::<Vec<_>>(),
    })
}

/// The result of a command that ended in the foreground.
fn finished(info: &RunInfo, exit: ExitInfo) -> Result<ToolOutput, ToolError> {
    let snapshot = info.process.output();
    let note = if snapshot.discarded > 0 {
        RETENTION_CAP_NOTE
    } else {
        ""
    };
    let aggregated = clean(&snapshot.bytes).trim().to_owned();
    let mut details = json!({
        "status": status_word(&exit),
        "exitCode": exit.code,
        "durationMs": u64::try_from(exit.duration.as_millis()).unwrap_or(u64::MAX),
        "aggregated": aggregated,
        "cwd": info.cwd.display().to_string(),
        "truncated": snapshot.discarded > 0,
        "sandbox": sandbox_details(&info.process),
    });
    if let Some(signal) = exit.signal {
        details["exitSignal"] = Value::from(signal_name(signal));
    }
    match (exit.reason, exit.signal) {
        (ExitReason::Exited, None) => {
            let code = exit.code.unwrap_or(0);
            let body = if aggregated.is_empty() {
                "(no output)"
            } else {
                aggregated.as_str()
            };
            let suffix = if code == 0 {
                String::new()
            } else {
                format!("\n\n(Command exited with code {code})")
            };
            Ok(ToolOutput::text(format!("{note}{body}{suffix}"))
                .with_details(details)
                .untrusted(ExternalSource::CommandOutput))
        }
        (reason, _) => {
            let why = match reason {
                ExitReason::TimedOut => {
                    details["timedOut"] = Value::Bool(true);
                    let secs = info.timeout_secs.unwrap_or_default();
                    format!("Command timed out after {secs} seconds\n\n{TIMEOUT_GUIDANCE}")
                }
                ExitReason::Killed | ExitReason::Exited => {
                    format!("Command aborted by {}", exit_label(&exit))
                }
            };
            let message = if aggregated.is_empty() {
                format!("{note}{why}")
            } else {
                format!("{note}{aggregated}\n\n{why}")
            };
            Err(ToolError::Failed {
                message,
                details: Some(details),
                provenance: Box::new(Provenance::Untrusted(ExternalSource::CommandOutput)),
            })
        }
    }
}
