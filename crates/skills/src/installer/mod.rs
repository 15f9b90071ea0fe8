//! Running a skill's `metadata.openclaw.install` steps (`skills.install {name, installId}`,
//! `rustyclaw skills deps`): the programs a skill needs, installed into `<state>/tools` —
//! never into the system — only through the sandbox, and only when a person asked for that
//! one step (an operator's `skills.install` call, or a confirmed CLI command).
//!
//! Package managers (`node`, `uv`, `go`) run inside the sandbox at `workspace-write` with
//! `<state>/tools` as the only writable directory and the network they need; a `download` is
//! fetched by the gateway (size-capped, digest-checked) and unpacked inside the sandbox too.
//! Homebrew is never run: it installs into its own prefix, outside both. What a step installs
//! is linked into `<state>/tools/.bin`, which is first on the `PATH` of the agent's commands
//! and readable in their sandbox, and which the skills' `requires.bins` checks look in.

pub mod download;
pub mod plan;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustyclaw_config::{Env, SandboxPolicy};
use rustyclaw_sandbox::exec::DEFAULT_PATH;
use rustyclaw_sandbox::{
    ExecEnv, ExecSpec, ExitReason, Isolation, Sandbox, SandboxLevel, StdinMode, WorkspaceMount,
};
use serde::Serialize;

use crate::Skill;
use crate::metadata::InstallSpec;
pub use plan::{Preferences, Step, ToolsLayout, Unavailable};

/// Default time an install step may take, as upstream (5 minutes); requests may ask for 1 s to
/// 15 minutes.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
const MAX_TIMEOUT: Duration = Duration::from_secs(900);

/// Variables of the gateway's environment an installer is given: registry mirrors and proxies
/// the user configured for these package managers. Nothing else of the environment (keys,
/// tokens) reaches them.
const PASSED_THROUGH: &[&str] = &[
    "npm_config_registry",
    "NPM_CONFIG_REGISTRY",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "PIP_INDEX_URL",
    "GOPROXY",
    "GOSUMDB",
    "GONOSUMDB",
    "GOPRIVATE",
    "GOFLAGS",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Output kept of an installer's command.
const OUTPUT_CAP: usize = 256 * 1024;

/// What runs install steps.
#[derive(Debug, Clone)]
pub struct Installer {
    /// The state directory (the prefix is its `tools/`).
    pub state_dir: PathBuf,
    /// The sandbox every step runs in.
    pub sandbox: Arc<Sandbox>,
    /// The gateway's environment (only [`PASSED_THROUGH`] variables are read).
    pub env: Env,
}

/// Why a step was not started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallerError {
    /// No skill of that name.
    #[error("Skill not found: {0}")]
    SkillNotFound(String),
    /// The skill has no step with that id.
    #[error("Installer not found: {install_id} (the skill {skill} offers {offered})")]
    InstallerNotFound {
        /// The skill.
        skill: String,
        /// The id asked for.
        install_id: String,
        /// The ids it has.
        offered: String,
    },
    /// The step is for other operating systems.
    #[error("installer {install_id} is for {os}; this host is {platform}")]
    WrongOs {
        /// The step.
        install_id: String,
        /// Its systems.
        os: String,
        /// This one.
        platform: String,
    },
    /// The step cannot run here.
    #[error("installer {install_id} cannot run here: {reason}")]
    Unavailable {
        /// The step.
        install_id: String,
        /// Why.
        reason: String,
    },
}

/// One step, checked and ready to show for approval and to run.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The skill's name.
    pub skill: String,
    /// The step's id.
    pub install_id: String,
    /// What the user is shown for it.
    pub label: String,
    /// What it does.
    pub step: Step,
    /// The programs it provides.
    pub bins: Vec<String>,
}

impl Prepared {
    /// What running it will do, one line per action, for the person approving it.
    pub fn describe(&self, layout: &ToolsLayout) -> Vec<String> {
        match &self.step {
            Step::Command(command) => vec![format!(
                "run in the sandbox (network on, writes only to {}): {}",
                layout.root.display(),
                command.script()
            )],
            Step::Download(d) => {
                let mut lines = vec![format!(
                    "download {} ({}) into {}",
                    d.url,
                    d.sha256.as_deref().map_or_else(
                        || "no checksum given by the skill".to_owned(),
                        |s| format!("SHA-256 {s} checked")
                    ),
                    d.target_dir.display()
                )];
                if let Some(kind) = &d.archive {
                    lines.push(format!("unpack it ({kind}) in the sandbox"));
                }
                if !d.bins.is_empty() {
                    lines.push(format!(
                        "link {} into {}",
                        d.bins.join(", "),
                        layout.bin().display()
                    ));
                }
                lines
            }
        }
    }
}

/// How a step ended, in upstream's shape (`ok`, `message`, `stdout`, `stderr`, `code`), with
/// the programs linked and anything worth a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallOutcome {
    /// Whether it succeeded.
    pub ok: bool,
    /// One line for the user.
    pub message: String,
    /// The command's output (standard output and error, merged).
    pub stdout: String,
    /// Unused: the sandbox merges the two streams (kept for upstream's shape).
    pub stderr: String,
    /// The command's exit code.
    pub code: Option<i32>,
    /// Programs now in `<state>/tools/.bin`.
    pub bins: Vec<String>,
    /// Things the user should know.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl InstallOutcome {
    fn failed(message: String) -> Self {
        Self {
            ok: false,
            message,
            stdout: String::new(),
            stderr: String::new(),
            code: None,
            bins: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// The id of the `index`-th step: its own, else `<kind>-<index>`.
pub fn step_id(spec: &InstallSpec, index: usize) -> String {
    spec.id
        .clone()
        .unwrap_or_else(|| format!("{}-{index}", spec.kind.as_str()))
        .trim()
        .to_owned()
}

/// The clamp of a requested timeout.
pub fn timeout(requested_ms: Option<u64>) -> Duration {
    requested_ms.map_or(DEFAULT_TIMEOUT, |ms| {
        Duration::from_millis(ms).clamp(Duration::from_secs(1), MAX_TIMEOUT)
    })
}

impl Installer {
    /// An installer writing under `state_dir`, running steps in `sandbox`; `env` is the
    /// gateway's environment. Nothing is set up until a step runs (an idle gateway pays
    /// nothing for it).
    pub fn new(state_dir: &Path, sandbox: Arc<Sandbox>, env: Env) -> Self {
        Self {
            state_dir: state_dir.to_path_buf(),
            sandbox,
            env,
        }
    }

    /// The HTTP client of one download, built when a download runs (they are rare, and its
    /// root certificates would otherwise stay in memory for nothing).
    fn download_client() -> Result<reqwest::Client, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .user_agent(concat!("rustyclaw/", env!("CARGO_PKG_VERSION")))
            // Release downloads redirect to their storage (GitHub's do).
            .redirect(reqwest::redirect::Policy::limited(10))
            .build()
            .map_err(|e| format!("cannot build the installers' HTTP client: {e}"))
    }

    /// The prefix's layout.
    pub fn layout(&self) -> ToolsLayout {
        ToolsLayout::new(&self.state_dir)
    }

    /// The `PATH` of installers: `.bin`, then the system directories.
    fn path(&self) -> OsString {
        let mut path = self.layout().bin().into_os_string();
        path.push(":");
        path.push(DEFAULT_PATH);
        path
    }

    /// Checks the step `install_id` of `skill` and works out what it would do on `platform`.
    pub fn prepare(
        &self,
        skill: &Skill,
        install_id: &str,
        prefs: Preferences<'_>,
        platform: &str,
    ) -> Result<Prepared, InstallerError> {
        let specs = skill
            .metadata
            .as_ref()
            .map(|m| m.install.as_slice())
            .unwrap_or_default();
        let found = specs
            .iter()
            .enumerate()
            .find(|(i, s)| step_id(s, *i) == install_id.trim());
        let Some((index, spec)) = found else {
            let offered: Vec<String> = specs
                .iter()
                .enumerate()
                .map(|(i, s)| step_id(s, i))
                .collect();
            return Err(InstallerError::InstallerNotFound {
                skill: skill.name.clone(),
                install_id: install_id.to_owned(),
                offered: if offered.is_empty() {
                    "none".to_owned()
                } else {
                    offered.join(", ")
                },
            });
        };
        let id = step_id(spec, index);
        let os_matches = |os: &String| {
            let os = os.trim().to_ascii_lowercase();
            os == platform || (os == "macos" && platform == "darwin")
        };
        if !spec.os.is_empty() && !spec.os.iter().any(os_matches) {
            return Err(InstallerError::WrongOs {
                install_id: id,
                os: spec.os.join(", "),
                platform: platform.to_owned(),
            });
        }
        let step =
            plan::plan(spec, skill.key(), prefs, &self.layout(), &self.path()).map_err(|e| {
                InstallerError::Unavailable {
                    install_id: id.clone(),
                    reason: e.0,
                }
            })?;
        Ok(Prepared {
            skill: skill.name.clone(),
            install_id: id,
            label: spec.label.clone().unwrap_or_default(),
            step,
            bins: spec.bins.clone(),
        })
    }

    /// Runs a prepared step under `policy`'s sandbox limits (at `workspace-write`, whatever the
    /// agents' level: installers need the network), within `timeout`.
    pub async fn run(
        &self,
        prepared: &Prepared,
        policy: &SandboxPolicy,
        timeout: Duration,
    ) -> InstallOutcome {
        let layout = self.layout();
        for dir in [layout.root.clone(), layout.bin(), layout.home()] {
            if let Err(e) = std::fs::create_dir_all(&dir) {
                return InstallOutcome::failed(format!("cannot create {}: {e}", dir.display()));
            }
        }
        match &prepared.step {
            Step::Command(command) => self.run_command(prepared, command, policy, timeout).await,
            Step::Download(step) => self.run_download(step, policy, timeout).await,
        }
    }

    async fn run_command(
        &self,
        prepared: &Prepared,
        command: &plan::CommandStep,
        policy: &SandboxPolicy,
        timeout: Duration,
    ) -> InstallOutcome {
        let layout = self.layout();
        let mut env = command.env.clone();
        for name in PASSED_THROUGH {
            if let Some(value) = self.env.non_empty(name) {
                env.push(((*name).to_owned(), value.to_owned()));
            }
        }
        let ran = self
            .sandboxed(
                command.script(),
                &layout.root,
                env,
                SandboxLevel::WorkspaceWrite,
                policy,
                timeout,
            )
            .await;
        let mut outcome = match ran {
            Ok(outcome) => outcome,
            Err(message) => return InstallOutcome::failed(message),
        };
        if !outcome.ok {
            return outcome;
        }
        if let Some(bin_dir) = &command.bin_dir {
            link_all(bin_dir, &layout.bin(), &mut outcome);
        }
        for bin in &prepared.bins {
            let present = std::fs::metadata(layout.bin().join(bin)).is_ok();
            if present && !outcome.bins.contains(bin) {
                outcome.bins.push(bin.clone());
            } else if !present {
                outcome.warnings.push(format!(
                    "the installer finished but {bin} is not in {}",
                    layout.bin().display()
                ));
            }
        }
        outcome.bins.sort();
        outcome.message = "Installed".to_owned();
        outcome
    }

    async fn run_download(
        &self,
        step: &plan::DownloadStep,
        policy: &SandboxPolicy,
        timeout: Duration,
    ) -> InstallOutcome {
        let layout = self.layout();
        let client = match Self::download_client() {
            Ok(client) => client,
            Err(message) => return InstallOutcome::failed(message),
        };
        let fetched = tokio::time::timeout(timeout, download::fetch(&client, step)).await;
        let (file, size) = match fetched {
            Ok(Ok(saved)) => saved,
            Ok(Err(e)) => return InstallOutcome::failed(e.to_string()),
            Err(_) => {
                return InstallOutcome::failed(format!(
                    "download of {} did not finish within {} s",
                    step.url,
                    timeout.as_secs()
                ));
            }
        };
        let mut outcome = InstallOutcome {
            ok: true,
            message: format!("Downloaded to {}", file.display()),
            stdout: format!("downloaded={size}"),
            stderr: String::new(),
            code: Some(0),
            bins: Vec::new(),
            warnings: Vec::new(),
        };
        match step.archive.as_deref() {
            None => {}
            Some("zip") => {
                if let Err(e) = download::unzip(&file, &step.target_dir, step.strip_components) {
                    return InstallOutcome::failed(e.to_string());
                }
                let _ = std::fs::remove_file(&file);
                outcome.message =
                    format!("Downloaded and extracted to {}", step.target_dir.display());
            }
            Some(_) => {
                let mut argv = vec![
                    "tar".to_owned(),
                    "-x".to_owned(),
                    "--no-same-owner".to_owned(),
                    "-f".to_owned(),
                    file.display().to_string(),
                    "-C".to_owned(),
                    step.target_dir.display().to_string(),
                ];
                if step.strip_components > 0 {
                    argv.push(format!("--strip-components={}", step.strip_components));
                }
                let script = argv
                    .iter()
                    .map(|w| plan::shell_quote(w))
                    .collect::<Vec<_>>()
                    .join(" ");
                let unpacked = self
                    .sandboxed(
                        script,
                        &step.skill_dir,
                        Vec::new(),
                        SandboxLevel::Strict,
                        policy,
                        timeout,
                    )
                    .await;
                let _ = std::fs::remove_file(&file);
                match unpacked {
                    Ok(result) if result.ok => {}
                    Ok(result) => return result,
                    Err(message) => return InstallOutcome::failed(message),
                }
                outcome.message =
                    format!("Downloaded and extracted to {}", step.target_dir.display());
                for link in download::remove_escaping_links(&step.skill_dir) {
                    outcome.warnings.push(format!(
                        "removed the link {link}: it pointed outside the skill's tools folder"
                    ));
                }
            }
        }
        for bin in &step.bins {
            let found = if step.archive.is_none() && step.file_name == *bin {
                Some(file.clone()).filter(|f| make_executable(f))
            } else {
                download::find_program(&step.target_dir, bin)
            };
            match found.map(|program| download::link_program(&layout.bin(), bin, &program)) {
                Some(Ok(_)) => outcome.bins.push(bin.clone()),
                Some(Err(e)) => outcome.warnings.push(e.to_string()),
                None => outcome.warnings.push(format!(
                    "no program named {bin} was found in {}",
                    step.target_dir.display()
                )),
            }
        }
        outcome
    }

    /// Runs `script` in the sandbox with `workspace` writable and waits for it.
    async fn sandboxed(
        &self,
        script: String,
        workspace: &Path,
        extra_env: Vec<(String, String)>,
        level: SandboxLevel,
        policy: &SandboxPolicy,
        timeout: Duration,
    ) -> Result<InstallOutcome, String> {
        let layout = self.layout();
        let home = if layout.home().starts_with(workspace) {
            layout.home()
        } else {
            workspace.to_path_buf()
        };
        let standard = ExecEnv::standard(home.clone());
        let spec = ExecSpec {
            script,
            cwd: workspace.to_path_buf(),
            env: ExecEnv {
                path: self.path(),
                home,
                ..standard
            },
            extra_env,
            stdin: StdinMode::Null,
            timeout: Some(timeout),
            output_cap: OUTPUT_CAP,
            isolation: Isolation {
                level,
                workspace: workspace.to_path_buf(),
                workspace_mount: WorkspaceMount::ReadWrite,
                limits: policy.limits,
                require: policy.require,
                host_network: policy.host_network,
                read_only: Vec::new(),
            },
        };
        let process = self
            .sandbox
            .spawn(spec)
            .map_err(|e| format!("the installer could not start in the sandbox: {e}"))?;
        let exit = process.wait().await;
        let output = String::from_utf8_lossy(&process.output().bytes)
            .trim()
            .to_owned();
        let ok = exit.code == Some(0) && exit.reason == ExitReason::Exited;
        let message = if ok {
            "Installed".to_owned()
        } else if exit.reason == ExitReason::TimedOut {
            format!("Install timed out after {} s", timeout.as_secs())
        } else {
            failure_message(exit.code, &output)
        };
        Ok(InstallOutcome {
            ok,
            message,
            stdout: output,
            stderr: String::new(),
            code: exit.code,
            bins: Vec::new(),
            warnings: Vec::new(),
        })
    }
}

/// Links every program in `from` into `bin`, recording them in `outcome`.
fn link_all(from: &Path, bin: &Path, outcome: &mut InstallOutcome) {
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        match download::link_program(bin, &name, &entry.path()) {
            Ok(_) => outcome.bins.push(name),
            Err(e) => outcome.warnings.push(e.to_string()),
        }
    }
}

fn make_executable(file: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o755)).is_ok()
}

/// `Install failed (exit N): <the line that says what went wrong>`, as upstream words it: the
/// first line starting with "error", else one naming an error or failure, else the last.
fn failure_message(code: Option<i32>, output: &str) -> String {
    let code = code.map_or_else(|| "killed".to_owned(), |c| format!("exit {c}"));
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let lower = |l: &&str| l.to_ascii_lowercase();
    let chosen = lines
        .iter()
        .find(|l| lower(l).starts_with("error"))
        .or_else(|| {
            lines.iter().find(|l| {
                let l = lower(l);
                l.contains("err!") || l.contains("error:") || l.contains("failed")
            })
        })
        .or(lines.last());
    match chosen {
        None => format!("Install failed ({code})"),
        Some(line) => {
            let line: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
            let short: String = line.chars().take(199).collect();
            let short = if short.len() < line.len() {
                format!("{short}…")
            } else {
                short
            };
            format!("Install failed ({code}): {short}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_names_the_line_that_says_what_went_wrong() {
        let npm = "npm http fetch GET 404\nnpm ERR! code E404\nnpm ERR! 404 Not Found - nope\n";
        assert_eq!(
            failure_message(Some(1), npm),
            "Install failed (exit 1): npm ERR! code E404"
        );
        assert_eq!(
            failure_message(Some(2), "first\nlast line\n"),
            "Install failed (exit 2): last line"
        );
        assert_eq!(failure_message(None, ""), "Install failed (killed)");
        assert_eq!(
            failure_message(Some(1), "warning\nError: no such module\n"),
            "Install failed (exit 1): Error: no such module"
        );
    }

    #[test]
    fn timeouts_are_clamped() {
        assert_eq!(timeout(None), DEFAULT_TIMEOUT);
        assert_eq!(timeout(Some(10)), Duration::from_secs(1));
        assert_eq!(timeout(Some(10_000_000)), MAX_TIMEOUT);
    }
}
