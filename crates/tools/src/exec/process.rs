//! `process`: follow and control the calling session's background `exec` runs.
//!
//! `poll` returns the output produced since the previous poll (waiting up to `timeout` ms for
//! some), `log` pages through everything retained, `write` feeds standard input, `kill` and
//! `remove` stop a run, `clear` forgets a finished one. Runs are pty-less, so the terminal
//! actions (`send-keys`, `submit`, `paste`) are refused with a pointer to `write`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::output::{
    RETENTION_CAP_NOTE, TIMEOUT_GUIDANCE, clean, exit_label, signal_name, status_word,
};
use super::table::RunInfo;
use crate::args::{count, opt_number};
use crate::context::ToolContext;
use crate::provenance::ExternalSource;
use crate::text::{format_duration, truncate_middle, utf8_complete_len};
use crate::tool::{Tool, ToolError, ToolOutput};

/// Longest `poll` wait (upstream's).
const MAX_POLL_WAIT: Duration = Duration::from_secs(30);
/// Lines `log` shows when neither offset nor limit is given.
const DEFAULT_LOG_TAIL_LINES: usize = 200;
/// Longest wait for a blocked standard-input write.
const STDIN_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The `process` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessTool;

/// `action` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessAction {
    /// List the session's runs.
    List,
    /// New output since the last poll.
    Poll,
    /// Retained output by lines.
    Log,
    /// Write to standard input.
    Write,
    /// Send key tokens (terminal only).
    SendKeys,
    /// Send Enter (terminal only).
    Submit,
    /// Paste text (terminal only).
    Paste,
    /// Kill a running run.
    Kill,
    /// Forget a finished run.
    Clear,
    /// Kill if running, then forget.
    Remove,
}

/// Arguments of `process` (upstream's names).
#[derive(Debug, Deserialize)]
pub struct ProcessArgs {
    /// What to do.
    pub action: ProcessAction,
    /// The run (`sessionId` from `exec`); required for every action but `list`.
    #[serde(default, rename = "sessionId")]
    pub session_id: Option<String>,
    /// Data for `write`.
    #[serde(default)]
    pub data: Option<String>,
    /// Key tokens for `send-keys`.
    #[serde(default)]
    pub keys: Option<Vec<String>>,
    /// Hex bytes for `send-keys`.
    #[serde(default)]
    pub hex: Option<Vec<String>>,
    /// Literal string for `send-keys`.
    #[serde(default)]
    pub literal: Option<String>,
    /// Text for `paste`.
    #[serde(default)]
    pub text: Option<String>,
    /// Bracketed paste.
    #[serde(default)]
    pub bracketed: Option<bool>,
    /// Close standard input after `write`.
    #[serde(default)]
    pub eof: Option<bool>,
    /// First line for `log` (0-based).
    #[serde(default, deserialize_with = "opt_number")]
    pub offset: Option<f64>,
    /// Lines for `log`.
    #[serde(default, deserialize_with = "opt_number")]
    pub limit: Option<f64>,
    /// For `poll`: wait up to this many milliseconds for output.
    #[serde(default, deserialize_with = "opt_number")]
    pub timeout: Option<f64>,
}

impl Tool for ProcessTool {
    type Args = ProcessArgs;

    fn name(&self) -> &'static str {
        "process"
    }

    fn description(&self) -> String {
        "Manage running exec sessions for commands already started: list, poll, log, write, send-keys, submit, paste, kill. Use poll/log when you need status, logs, quiet-success confirmation, or completion confirmation when automatic completion wake is unavailable. Use write/send-keys/submit/paste/kill for input or intervention.".to_owned()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "action": { "type": "string", "description": "Process action" },
                "sessionId": { "type": "string", "description": "Session id for actions other than list" },
                "data": { "type": "string", "description": "Data to write for write" },
                "keys": { "type": "array", "items": { "type": "string" }, "description": "Key tokens to send for send-keys" },
                "hex": { "type": "array", "items": { "type": "string" }, "description": "Hex bytes to send for send-keys" },
                "literal": { "type": "string", "description": "Literal string for send-keys" },
                "text": { "type": "string", "description": "Text to paste for paste" },
                "bracketed": { "type": "boolean", "description": "Wrap paste in bracketed mode" },
                "eof": { "type": "boolean", "description": "Close stdin after write" },
                "offset": { "type": "number", "description": "Log offset" },
                "limit": { "type": "number", "description": "Log length" },
                "timeout": { "type": "number", "description": "For poll: wait up to this many milliseconds before returning", "minimum": 0 }
            },
            "required": ["action"]
        })
    }

    async fn call(&self, args: ProcessArgs, cx: &ToolContext) -> Result<ToolOutput, ToolError> {
        // What the sessions printed (and the commands they run) is outside text; the errors
        // are ours.
        act(args, cx)
            .await
            .map(|output| output.untrusted(ExternalSource::CommandOutput))
    }
}

/// Runs one `process` action.
async fn act(args: ProcessArgs, cx: &ToolContext) -> Result<ToolOutput, ToolError> {
    if args.action == ProcessAction::List {
        return Ok(list(cx));
    }
    let Some(id) = args
        .session_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return Err(ToolError::failed("sessionId is required for this action."));
    };
    let table = cx.services.processes();
    let found = table.get(&cx.session_key, id);
    match args.action {
        ProcessAction::List => Ok(list(cx)),
        ProcessAction::Poll => {
            let (run, cursor) = found.ok_or_else(|| no_session(id))?;
            poll(cx, &run, cursor, args.timeout).await
        }
        ProcessAction::Log => {
            let (run, _) = found.ok_or_else(|| no_session(id))?;
            Ok(log(&run, args.offset, args.limit))
        }
        ProcessAction::Write => {
            let run = running(found, id)?;
            write(
                &run,
                args.data.as_deref().unwrap_or(""),
                args.eof == Some(true),
            )
            .await
        }
        ProcessAction::SendKeys | ProcessAction::Submit | ProcessAction::Paste => {
            Err(ToolError::failed(format!(
                "process {} is not supported: exec sessions run without a terminal (no pty). Use process write (with eof=true to close stdin) instead.",
                action_name(args.action)
            )))
        }
        ProcessAction::Kill => {
            let run = running(found, id)?;
            run.process.kill();
            Ok(
                ToolOutput::text(format!("Termination requested for session {id}."))
                    .with_details(json!({ "status": "completed", "sessionId": id })),
            )
        }
        ProcessAction::Clear => match found {
            Some((run, _)) if run.process.exit().is_some() => {
                table.remove(&cx.session_key, id);
                Ok(ToolOutput::text(format!("Cleared session {id}."))
                    .with_details(json!({ "status": "completed" })))
            }
            _ => Err(ToolError::failed(format!(
                "No finished session found for {id}"
            ))),
        },
        ProcessAction::Remove => {
            let (run, _) = found.ok_or_else(|| no_session(id))?;
            let killed = run.process.exit().is_none() && run.process.kill();
            table.remove(&cx.session_key, id);
            let text = if killed {
                format!("Removed session {id} (termination requested).")
            } else {
                format!("Removed session {id}.")
            };
            Ok(ToolOutput::text(text).with_details(json!({ "status": "completed" })))
        }
    }
}

fn action_name(action: ProcessAction) -> &'static str {
    match action {
        ProcessAction::List => "list",
        ProcessAction::Poll => "poll",
        ProcessAction::Log => "log",
        ProcessAction::Write => "write",
        ProcessAction::SendKeys => "send-keys",
        ProcessAction::Submit => "submit",
        ProcessAction::Paste => "paste",
        ProcessAction::Kill => "kill",
        ProcessAction::Clear => "clear",
        ProcessAction::Remove => "remove",
    }
}

fn no_session(id: &str) -> ToolError {
    ToolError::failed(format!("No session found for {id}"))
}

fn running(found: Option<(RunInfo, u64)>, id: &str) -> Result<RunInfo, ToolError> {
    match found {
        Some((run, _)) if run.process.exit().is_none() => Ok(run),
        _ => Err(ToolError::failed(format!(
            "No active session found for {id}"
        ))),
    }
}

/// The first word of a command, as a short name for lists.
fn session_name(command: &str) -> String {
    let first = command.split_whitespace().next().unwrap_or("");
    let base = first.rsplit('/').next().unwrap_or(first);
    base.chars().take(20).collect()
}

fn list(cx: &ToolContext) -> ToolOutput {
    let runs = cx.services.processes().list(&cx.session_key);
    let mut lines = Vec::new();
    let mut sessions = Vec::new();
    for run in &runs {
        let exit = run.process.exit();
        let status = exit.as_ref().map_or("running", status_word);
        let runtime = exit
            .map(|e| e.duration)
            .unwrap_or_else(|| run.process.started_at().elapsed());
        let timed_out = exit.is_some_and(|e| e.reason == rustyclaw_sandbox::ExitReason::TimedOut);
        lines.push(format!(
            "{} {:<9} {}{} :: {}",
            run.id,
            status,
            format_duration(runtime),
            if timed_out { " [overall-timeout]" } else { "" },
            truncate_middle(&run.command, 120)
        ));
        sessions.push(json!({
            "sessionId": run.id,
            "status": status,
            "pid": run.process.pid(),
            "startedAt": run.started_at_ms,
            "runtimeMs": u64::try_from(runtime.as_millis()).unwrap_or(u64::MAX),
            "cwd": run.cwd.display().to_string(),
            "command": run.command,
            "name": session_name(&run.command),
            "exitCode": exit.and_then(|e| e.code),
        }));
    }
    let text = if lines.is_empty() {
        "No running or recent sessions.".to_owned()
    } else {
        lines.join("\n")
    };
    ToolOutput::text(text).with_details(json!({ "status": "completed", "sessions": sessions }))
}

async fn poll(
    cx: &ToolContext,
    run: &RunInfo,
    cursor: u64,
    timeout_ms: Option<f64>,
) -> Result<ToolOutput, ToolError> {
    let wait =
        Duration::from_secs_f64(timeout_ms.unwrap_or(0.0).max(0.0) / 1000.0).min(MAX_POLL_WAIT);
    if !wait.is_zero() && run.process.exit().is_none() {
        tokio::select! {
            () = run.process.wait_for_output(cursor, wait) => {}
            () = cx.cancel.cancelled() => return Err(ToolError::Cancelled),
        }
    }
    let exit = run.process.exit();
    let read = run.process.output_since(cursor);
    // While the command runs, a character split across two reads waits for the next poll.
    let complete = if exit.is_some() {
        read.bytes.len()
    } else {
        utf8_complete_len(&read.bytes)
    };
    let delivered_to = read.start + complete as u64;
    cx.services
        .processes()
        .advance(&cx.session_key, &run.id, delivered_to);
    let fresh = clean(&read.bytes[..complete]);
    let fresh = fresh.trim();
    let note = if read.dropped { RETENTION_CAP_NOTE } else { "" };
    let body = if fresh.is_empty() {
        "(no new output)"
    } else {
        fresh
    };
    let mut details = json!({
        "sessionId": run.id,
        "name": session_name(&run.command),
    });
    let text = match exit {
        None => {
            details["status"] = Value::from("running");
            format!("{note}{body}\n\nProcess still running.")
        }
        Some(exit) => {
            details["status"] = Value::from(status_word(&exit));
            details["exitCode"] = json!(exit.code);
            if let Some(signal) = exit.signal {
                details["exitSignal"] = Value::from(signal_name(signal));
            }
            let guidance = if exit.reason == rustyclaw_sandbox::ExitReason::TimedOut {
                details["timedOut"] = Value::Bool(true);
                format!("\n\n{TIMEOUT_GUIDANCE}")
            } else {
                String::new()
            };
            format!(
                "{note}{body}\n\nProcess exited with {}.{guidance}",
                exit_label(&exit)
            )
        }
    };
    Ok(ToolOutput::text(text).with_details(details))
}

fn log(run: &RunInfo, offset: Option<f64>, limit: Option<f64>) -> ToolOutput {
    let snapshot = run.process.output();
    let text = clean(&snapshot.bytes);
    let mut lines: Vec<&str> = text.split('\n').collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    let total = lines.len();
    let offset = count(offset).map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let limit = count(limit).map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let default_tail = offset.is_none() && limit.is_none();
    let (start, end) = match (offset, limit) {
        (Some(o), Some(l)) => (o.min(total), o.saturating_add(l).min(total)),
        (Some(o), None) => (o.min(total), total),
        (None, Some(l)) => (total.saturating_sub(l), total),
        (None, None) => (total.saturating_sub(DEFAULT_LOG_TAIL_LINES), total),
    };
    let slice = lines[start..end].join("\n");
    let running = run.process.exit().is_none();
    let mut out = String::new();
    if snapshot.discarded > 0 {
        out.push_str(RETENTION_CAP_NOTE);
    }
    if slice.is_empty() {
        out.push_str(if running {
            "(no output yet)"
        } else {
            "(no output recorded)"
        });
    } else {
        out.push_str(&slice);
    }
    if default_tail && total > DEFAULT_LOG_TAIL_LINES {
        out.push_str(&format!(
            "\n\n[showing last {DEFAULT_LOG_TAIL_LINES} of {total} lines; pass offset/limit to page]"
        ));
    }
    let status = run.process.exit().as_ref().map_or("running", status_word);
    ToolOutput::text(out).with_details(json!({
        "status": status,
        "sessionId": run.id,
        "name": session_name(&run.command),
        "total": total,
        "totalLines": total,
        "totalChars": text.chars().count(),
        "truncated": snapshot.discarded > 0,
    }))
}

async fn write(run: &RunInfo, data: &str, eof: bool) -> Result<ToolOutput, ToolError> {
    let id = &run.id;
    if !run.process.stdin_writable().await {
        return Err(ToolError::failed(format!(
            "Session {id} stdin is not writable. Only commands started with background=true accept input."
        )));
    }
    let written = tokio::time::timeout(STDIN_WRITE_TIMEOUT, async {
        run.process.write_stdin(data.as_bytes()).await?;
        if eof {
            run.process.close_stdin().await?;
        }
        Ok::<(), rustyclaw_sandbox::StdinError>(())
    })
    .await;
    match written {
        Ok(Ok(())) => Ok(ToolOutput::text(format!(
            "Wrote {} bytes to session {id}{}.",
            data.len(),
            if eof { " (stdin closed)" } else { "" }
        ))
        .with_details(json!({ "status": "running", "sessionId": id }))),
        Ok(Err(e)) => Err(ToolError::failed(format!(
            "Writing to session {id} failed: {e}"
        ))),
        Err(_) => Err(ToolError::failed(format!(
            "Writing to session {id} timed out: the command is not reading its input."
        ))),
    }
}
