//! `config.set|apply|patch`: checked rewrites of the config file, then a restart request.

use std::path::Path;
use std::time::{Duration, Instant};

use rustyclaw_config::redact::redact_value;
use rustyclaw_config::reload_plan::ReloadPlan;
use rustyclaw_config::snapshot::{
    Rewrite, RewriteError, Snapshot, issue_json, rewrite_patch, rewrite_replace,
};
use rustyclaw_protocol::gateway::{ErrorCode, ErrorShape};
use serde_json::{Value, json};

use super::params::{check_keys, optional_integer, optional_string, required_string};
use crate::clock::now_ms_i64;
use crate::methods::{Call, Fail, Reply, invalid, unavailable};

/// Params every rewrite accepts.
const SET_KEYS: &[&str] = &["raw", "baseHash"];
/// Params of `config.apply` (the restart-routing ones are accepted; a restart here keeps every
/// connection's session, so there is nothing to route).
const APPLY_KEYS: &[&str] = &[
    "raw",
    "baseHash",
    "sessionKey",
    "deliveryContext",
    "note",
    "restartDelayMs",
];
/// Params of `config.patch`.
const PATCH_KEYS: &[&str] = &[
    "raw",
    "baseHash",
    "sessionKey",
    "deliveryContext",
    "note",
    "restartDelayMs",
    "replacePaths",
];

/// Pause between answering a rewrite and stopping for the restart, so the answer reaches the
/// client before the `shutdown` event.
const DEFAULT_RESTART_DELAY: Duration = Duration::from_millis(250);

/// The config file path the gateway was started with.
pub(super) fn config_path<'a>(call: &'a Call<'_>) -> Result<&'a Path, Fail> {
    call.state
        .0
        .options
        .config_path
        .as_deref()
        .map(Path::new)
        .ok_or_else(|| {
            Box::new(ErrorShape::new(
                ErrorCode::Unavailable,
                "config path unknown: this gateway was started without a config file",
            ))
        })
}

/// Reads the file off the async threads (validation parses the whole schema).
pub(super) async fn read_snapshot(path: &Path) -> Result<Snapshot, Fail> {
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || Snapshot::read(&owned))
        .await
        .map_err(|e| unavailable("config read", &e))?
        .map_err(|e| unavailable("config read", &e))
}

/// The write budget key: device and IP as upstream, plus the connection when the device is
/// unknown so that unrelated clients behind one address do not share a budget.
fn budget_key(call: &Call<'_>) -> String {
    let ip = call.granted.peer.ip();
    match &call.granted.device_id {
        Some(device) => format!("{device}|{ip}"),
        None => format!("unknown-device|{ip}|conn={}", call.granted.conn_id),
    }
}

fn rate_limited(method: &str, retry_after: Duration) -> Fail {
    let ms = u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX);
    let mut error = ErrorShape::new(
        ErrorCode::Unavailable,
        format!(
            "rate limit exceeded for {method}; retry after {}s",
            ms.div_ceil(1000)
        ),
    )
    .with_details(json!({"method": method, "limit": "3 per 60s"}));
    error.retryable = Some(true);
    error.retry_after_ms = Some(ms);
    Box::new(error)
}

/// Answers `config.set`, `config.apply` and `config.patch`.
pub(super) async fn rewrite(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    let allowed = match method {
        "config.patch" => PATCH_KEYS,
        "config.apply" => APPLY_KEYS,
        _ => SET_KEYS,
    };
    check_keys(method, params, allowed)?;
    let raw = required_string(method, params, "raw")?;
    let base_hash = optional_string(method, params, "baseHash")?;
    let delay = optional_integer(method, params, "restartDelayMs", 0, 60 * 60 * 1000)?
        .map_or(DEFAULT_RESTART_DELAY, Duration::from_millis);
    let path = config_path(call)?;
    if method != "config.set" {
        call.state
            .0
            .control
            .consume_write(&budget_key(call), Instant::now())
            .map_err(|retry| rate_limited(method, retry))?;
    }
    let _write = call.state.0.control.write_lock.lock().await;
    let snapshot = read_snapshot(path).await?;
    if snapshot.exists() {
        match base_hash {
            None => {
                return Err(invalid(
                    "config base hash required; re-run config.get and retry",
                ));
            }
            Some(hash) if hash != snapshot.hash => {
                return Err(invalid(
                    "config changed since last load; re-run config.get and retry",
                ));
            }
            Some(_) => {}
        }
    }
    let rewritten = match method {
        "config.patch" => rewrite_patch(&snapshot, raw),
        _ => rewrite_replace(&snapshot, raw),
    }
    .map_err(refused)?;
    commit(call, method, &snapshot, rewritten, delay).await
}

/// Applies a merge patch written by the gateway itself on behalf of a method
/// (`skills.update`): no `baseHash` (the patch names only the keys it sets), the same
/// validation, write, audit record and application as `config.patch`. Returns the answer of a
/// rewrite (`config` is the new document, redacted).
pub(crate) async fn patch_for(call: &Call<'_>, method: &str, patch: &Value) -> Reply {
    let path = config_path(call)?;
    let _write = call.state.0.control.write_lock.lock().await;
    let snapshot = read_snapshot(path).await?;
    let rewritten = rewrite_patch(&snapshot, &patch.to_string()).map_err(refused)?;
    commit(call, method, &snapshot, rewritten, DEFAULT_RESTART_DELAY).await
}

/// Writes a checked rewrite, records it and asks for it to be applied.
async fn commit(
    call: &Call<'_>,
    method: &str,
    snapshot: &Snapshot,
    rewritten: Rewrite,
    delay: Duration,
) -> Reply {
    let mut shown = rewritten.document.clone();
    redact_value(&mut shown);
    let mut result = json!({
        "ok": true,
        "path": snapshot.path.display().to_string(),
        "config": shown,
        "changed": rewritten.changed,
    });
    if !rewritten.changed {
        // Nothing to write and nothing to apply: the running gateway already has this config.
        result["restart"] = Value::Null;
        return Ok(result);
    }
    let target = snapshot.path.clone();
    let text = rewritten.text;
    let outcome =
        tokio::task::spawn_blocking(move || rustyclaw_config::edit::replace_file(&target, &text))
            .await
            .map_err(|e| unavailable("config write", &e))?
            .map_err(|e| match e {
                rustyclaw_config::ConfigError::Invalid { issues, .. } => {
                    refused(RewriteError::Invalid(issues))
                }
                other => unavailable("config write", &other),
            })?;
    let changed_paths = changed_paths(&snapshot.parsed, &rewritten.document);
    // Whoever runs the gateway applies the new file: a change to the listener (or to
    // something else read once at start) restarts the gateway; any other applies to the next
    // turn and request with every client still connected. With `gateway.reload.mode` "off"
    // a write still applies, by restarting (as upstream schedules a restart then).
    let plan = ReloadPlan::between(&snapshot.parsed, &rewritten.document);
    let reload_off = rewritten.document.pointer("/gateway/reload/mode") == Some(&json!("off"));
    let restarts = plan.needs_restart() || reload_off;
    tracing::info!(
        method,
        client = %call.granted.client.id,
        changed = %changed_paths.join(","),
        restart = restarts,
        "config rewritten over the protocol; applying"
    );
    let actor = actor(call);
    audit(call, &actor, method, &snapshot.path, &changed_paths).await;
    let coalesced = call.state.request_restart(method, &actor, delay);
    result["backup"] = json!(outcome.backup.map(|b| b.display().to_string()));
    result["restart"] = if restarts {
        json!({
            "ok": true,
            "mode": "in-process",
            "reason": method,
            "delayMs": u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "coalesced": coalesced,
        })
    } else {
        // Upstream leaves `restart` out when the change applies without one.
        Value::Null
    };
    Ok(result)
}

/// A refused rewrite as `INVALID_REQUEST`, with the validation issues in the details.
fn refused(error: RewriteError) -> Fail {
    let details = match &error {
        RewriteError::Invalid(issues) => {
            Some(json!({"issues": issues.iter().map(issue_json).collect::<Vec<_>>()}))
        }
        _ => None,
    };
    let shape = ErrorShape::new(ErrorCode::InvalidRequest, error.to_string());
    Box::new(match details {
        Some(details) => shape.with_details(details),
        None => shape,
    })
}

/// Dot paths that differ between two documents (for the log and the audit record; never values).
fn changed_paths(old: &Value, new: &Value) -> Vec<String> {
    rustyclaw_config::merge_patch::diff_edits(old, new)
        .into_iter()
        .map(|(path, _)| path.to_string())
        .collect()
}

/// The writer as the audit log names it.
fn actor(call: &Call<'_>) -> String {
    match &call.granted.device_id {
        Some(device) => format!("device:{device}"),
        None => format!("gateway:{}", call.granted.client.id),
    }
}

async fn audit(call: &Call<'_>, actor: &str, method: &str, path: &Path, changed: &[String]) {
    let record = rustyclaw_store::AuditRecord {
        ts_ms: now_ms_i64(),
        actor: actor.to_owned(),
        action: method.to_owned(),
        target: Some(path.display().to_string()),
        detail: json!({"changedPaths": changed}),
    };
    if let Err(error) = call.state.0.store.append_audit(&record).await {
        tracing::warn!(%error, "could not record the config rewrite in the audit log");
    }
}
