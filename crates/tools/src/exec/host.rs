//! `exec` on the gateway host: the approvals gate in front of the spawn.
//!
//! A host command is judged against the stricter of the requested policy (`tools.exec.*`,
//! tightened by the call's `security`/`ask`) and the host's `exec-approvals.json`. An allowed
//! command runs with its programs pinned to the checked paths; a command that needs a human
//! waits for one through the broker (the run's abort withdraws the request), and the answer —
//! or `askFallback` when nobody answers — decides. `allow-always` adds the command's programs
//! to the agent's allowlist, and every allowlist entry that lets a command through records
//! when and for what it was last used.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustyclaw_sandbox::approvals::{
    self, ApprovalPayload, ApprovalsStore, Ask, Evaluation, ExecTarget, Policy, SafeBins, Security,
    Settlement, Verdict,
};
use rustyclaw_support::now_ms_i64;

use crate::context::ToolContext;
use crate::tool::ToolError;

/// The requested policy for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Requested {
    /// `tools.exec.security`, possibly tightened by the call.
    pub security: Security,
    /// `tools.exec.ask`, possibly tightened by the call.
    pub ask: Ask,
}

/// Refuses environment overrides that could swap or subvert the checked programs.
pub(crate) fn check_env(env: Option<&BTreeMap<String, String>>) -> Result<(), ToolError> {
    let refused: Vec<&str> = env
        .into_iter()
        .flat_map(|e| e.keys())
        .map(String::as_str)
        .filter(|k| approvals::is_dangerous_env(k))
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    Err(ToolError::failed(format!(
        "exec denied: env overrides of {} are not allowed on host=gateway (they could change which program runs or inject code into it); run the command without them.",
        refused.join(", ")
    )))
}

/// Decides whether `command` may run on the host; returns the command line to run.
pub(crate) async fn approve(
    command: &str,
    cwd: &Path,
    requested: Requested,
    cx: &ToolContext,
) -> Result<String, ToolError> {
    let approvals = cx.services.approvals();
    let store = approvals.store.clone();
    let evaluation = {
        let command = command.to_owned();
        let agent = cx.agent_id.as_str().to_owned();
        let search_path = cx.services.exec().path.clone();
        let home = approvals.home.clone();
        let safe_bins = approvals.safe_bins.clone();
        let store = store.clone();
        // The file read and the `PATH` lookups touch the file system: off the async threads.
        tokio::task::spawn_blocking(move || {
            judge(
                &command,
                &agent,
                requested,
                store.as_deref(),
                Host {
                    search_path,
                    home,
                    safe_bins,
                },
            )
        })
        .await
        .map_err(|e| ToolError::failed(format!("exec approval check failed: {e}")))??
    };
    match &evaluation.verdict {
        Verdict::Deny { reason } => Err(denied(reason, &evaluation, store.as_deref())),
        Verdict::Allow { .. } => {
            record_use(store.clone(), &evaluation, cx).await;
            Ok(evaluation.command_to_run().to_owned())
        }
        Verdict::Ask { .. } => {
            let payload = ApprovalPayload {
                command: command.to_owned(),
                cwd: Some(cwd.display().to_string()),
                host: "gateway".into(),
                security: evaluation.policy.security,
                ask: evaluation.policy.ask,
                agent_id: Some(cx.agent_id.as_str().to_owned()),
                resolved_path: evaluation.resolved_path().map(|p| p.display().to_string()),
                session_key: Some(cx.session_key.as_str().to_owned()),
            };
            let answer = tokio::select! {
                answer = approvals.broker.request(payload) => answer,
                () = cx.cancel.cancelled() => return Err(ToolError::Cancelled),
            };
            match evaluation.settle(answer) {
                Settlement::Deny { reason } => Err(ToolError::failed(format!(
                    "exec denied: {reason}. The command did not run; do not retry it unchanged."
                ))),
                Settlement::Run { command, persist } => {
                    persist_patterns(store.clone(), &persist, cx).await;
                    record_use(store, &evaluation, cx).await;
                    Ok(command)
                }
            }
        }
    }
}

/// What the analysis needs from the host, owned for the blocking task.
struct Host {
    search_path: OsString,
    home: Option<PathBuf>,
    safe_bins: SafeBins,
}

fn judge(
    command: &str,
    agent: &str,
    requested: Requested,
    store: Option<&ApprovalsStore>,
    host: Host,
) -> Result<Evaluation, ToolError> {
    let file = match store {
        Some(store) => store.load().map_err(|e| {
            ToolError::failed(format!(
                "exec denied: {e}. Host commands stay refused until the file is fixed (or removed)."
            ))
        })?,
        None => approvals::ApprovalsFile::default(),
    };
    let host_policy = file.host_policy(agent);
    let policy = Policy::effective(requested.security, requested.ask, &host_policy.policy);
    let target = ExecTarget {
        search_path: &host.search_path,
        home: host.home.as_deref(),
        safe_bins: &host.safe_bins,
    };
    Ok(approvals::evaluate(
        command,
        policy,
        &host_policy.allowlist,
        &target,
    ))
}

fn denied(reason: &str, evaluation: &Evaluation, store: Option<&ApprovalsStore>) -> ToolError {
    let file = store.map_or_else(
        || "the host approvals file".to_owned(),
        |s| s.path().display().to_string(),
    );
    let hint = match evaluation.policy.security {
        Security::Deny => format!(
            "set tools.exec.security=allowlist or full (and check security in {file}) to run commands on the gateway host"
        ),
        _ => format!(
            "allowlist the program (rustyclaw approvals allowlist add <absolute path>), or set tools.exec.ask=on-miss so a human can approve it; policy is security={} ask={} from tools.exec and {file}",
            evaluation.policy.security, evaluation.policy.ask
        ),
    };
    let reason = match reason {
        "security=deny" => "host=gateway with security=deny",
        other => other,
    };
    ToolError::failed(format!("exec denied: {reason} ({hint})."))
}

async fn record_use(store: Option<Arc<ApprovalsStore>>, evaluation: &Evaluation, cx: &ToolContext) {
    let Some(store) = store else {
        return;
    };
    let used: Vec<(approvals::ScopedEntry, String)> = evaluation
        .matched_entries()
        .into_iter()
        .map(|(entry, path)| (entry.clone(), path.display().to_string()))
        .collect();
    if used.is_empty() {
        return;
    }
    let command = evaluation.command.clone();
    let session = cx.session_key.as_str().to_owned();
    let result = tokio::task::spawn_blocking(move || {
        store.update(|file| {
            let now = now_ms_i64();
            for (entry, path) in &used {
                file.record_use(entry, &command, Some(path), now);
            }
        })
    })
    .await;
    if let Ok(Err(e)) = result {
        tracing::warn!(session = %session, error = %e, "could not record allowlist use");
    }
}

async fn persist_patterns(
    store: Option<Arc<ApprovalsStore>>,
    patterns: &[String],
    cx: &ToolContext,
) {
    if patterns.is_empty() {
        return;
    }
    let Some(store) = store else {
        tracing::warn!(
            "allow-always: no approvals file is configured, so the approval is not remembered"
        );
        return;
    };
    let agent = cx.agent_id.as_str().to_owned();
    let patterns = patterns.to_vec();
    let result = tokio::task::spawn_blocking(move || {
        store.update(|file| {
            let now = now_ms_i64();
            for p in &patterns {
                file.add_pattern(&agent, p, now);
            }
        })
    })
    .await;
    if let Ok(Err(e)) = result {
        tracing::warn!(error = %e, "allow-always: could not add the allowlist entry");
    }
}
