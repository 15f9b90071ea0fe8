//! `agents.files.list`, `agents.files.get`, `agents.files.set`: the workspace files an agent's
//! system prompt is built from (AGENTS.md, SOUL.md, TOOLS.md, IDENTITY.md, USER.md, and when
//! present HEARTBEAT.md, BOOTSTRAP.md, MEMORY.md), read and edited by the Control UI.
//!
//! Only those names are accepted, so no request reaches any other path. A file read or written
//! carries the SHA-256 of its bytes (`hash`, as upstream 2026.9.6); `set` with `expectedHash` refuses to
//! overwrite a file that changed since it was read (`details.type: "agent_file_conflict"` with
//! the `currentHash`), so two editors never silently undo each other. Writes replace the file
//! atomically and keep its mode.

use std::path::{Path, PathBuf};

use rustyclaw_agent::BOOTSTRAP_FILES;
use rustyclaw_config::regular_file::{ReadFileError, ReadLimits, read_text};
use rustyclaw_protocol::gateway::{ErrorCode, ErrorShape};
use rustyclaw_support::{FileMode, ParentDir, WritePolicy, write_atomic};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::config::params::check_keys;
use super::{ADMIN, Fail, READ, Reply, invalid, string_param, unavailable, unhandled};
use crate::state::GatewayState;

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("agents.files.list", READ),
    ("agents.files.get", READ),
    ("agents.files.set", ADMIN),
];

/// Largest file read or written here (the prompt keeps only a head and tail of longer ones).
const MAX_BYTES: u64 = 1024 * 1024;

const LIMITS: ReadLimits = ReadLimits {
    max_bytes: MAX_BYTES,
    follow_symlinks: false,
};

/// New files: readable by their owner and group, as a text editor would create them.
const POLICY: WritePolicy = WritePolicy {
    mode: FileMode::KeepExisting { new: 0o644 },
    parent: ParentDir::Create { mode: 0o755 },
};

pub(super) async fn call(state: &GatewayState, method: &str, params: &Value) -> Reply {
    match method {
        "agents.files.list" => {
            check_keys(method, params, &["agentId"])?;
            let (agent_id, workspace) = workspace(state, params)?;
            let files = blocking(move || {
                BOOTSTRAP_FILES
                    .iter()
                    .map(|(name, expected)| describe(&workspace, name, *expected, false))
                    .collect::<Result<Vec<_>, Fail>>()
                    .map(|files| (workspace, files))
            })
            .await?;
            Ok(
                json!({"agentId": agent_id, "workspace": files.0.display().to_string(), "files": files.1}),
            )
        }
        "agents.files.get" => {
            check_keys(method, params, &["agentId", "name"])?;
            let (agent_id, workspace) = workspace(state, params)?;
            let (name, expected) = file_name(params)?;
            let (workspace, file) = blocking(move || {
                describe(&workspace, name, expected, true).map(|file| (workspace, file))
            })
            .await?;
            Ok(
                json!({"agentId": agent_id, "workspace": workspace.display().to_string(), "file": file}),
            )
        }
        "agents.files.set" => set(state, params).await,
        _ => unhandled(method),
    }
}

/// `agents.files.set {agentId, name, content, expectedHash?}`.
async fn set(state: &GatewayState, params: &Value) -> Reply {
    const METHOD: &str = "agents.files.set";
    check_keys(
        METHOD,
        params,
        &["agentId", "name", "content", "expectedHash"],
    )?;
    let (agent_id, workspace) = workspace(state, params)?;
    let (name, expected) = file_name(params)?;
    let content = params
        .get("content")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("invalid agents.files.set params: content must be a string"))?
        .to_owned();
    if content.len() as u64 > MAX_BYTES {
        return Err(invalid(format!(
            "invalid agents.files.set params: content is {} bytes, more than the {MAX_BYTES} allowed",
            content.len()
        )));
    }
    let expected_hash = params
        .get("expectedHash")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let (workspace, file) = blocking(move || {
        let path = workspace.join(name);
        let current = read(&path)?;
        if let Some(expected_hash) = &expected_hash {
            let current_hash = current.as_deref().map(hash).unwrap_or_default();
            if *expected_hash != current_hash {
                return Err(conflict(name, &current_hash));
            }
        }
        write_atomic(&path, content.as_bytes(), POLICY)
            .map_err(|e| unavailable(&format!("writing {name}"), &e))?;
        describe(&workspace, name, expected, true).map(|file| (workspace, file))
    })
    .await?;
    tracing::info!(agent = %agent_id, file = name, "workspace file written from a gateway client");
    Ok(
        json!({"ok": true, "agentId": agent_id, "workspace": workspace.display().to_string(), "file": file}),
    )
}

/// The agent named by `agentId` and its workspace directory.
fn workspace(state: &GatewayState, params: &Value) -> Result<(String, PathBuf), Fail> {
    let agent_id = string_param(params, "agentId")?;
    let config = state.config();
    let agent = config
        .agents
        .get(agent_id)
        .ok_or_else(|| invalid(format!("unknown agent id \"{agent_id}\"")))?;
    Ok((agent.id.clone(), agent.workspace.clone()))
}

/// The `name` parameter, when it is one of the bootstrap files.
fn file_name(params: &Value) -> Result<(&'static str, bool), Fail> {
    let name = string_param(params, "name")?;
    BOOTSTRAP_FILES
        .iter()
        .find(|(known, _)| *known == name)
        .copied()
        .ok_or_else(|| {
            let names: Vec<&str> = BOOTSTRAP_FILES.iter().map(|(n, _)| *n).collect();
            invalid(format!(
                "unsupported file \"{name}\": agent files are {}",
                names.join(", ")
            ))
        })
}

/// One file's entry; with its content when `with_content`.
fn describe(
    workspace: &Path,
    name: &str,
    expected: bool,
    with_content: bool,
) -> Result<Value, Fail> {
    let path = workspace.join(name);
    let text = read(&path)?;
    let mut file =
        json!({"name": name, "path": path.display().to_string(), "missing": text.is_none()});
    match &text {
        None => {
            if !expected {
                file["expectedAbsent"] = json!(true);
            }
        }
        Some(text) => {
            file["size"] = json!(text.len());
            if let Some(modified) = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            {
                file["updatedAtMs"] =
                    json!(u64::try_from(modified.as_millis()).unwrap_or(u64::MAX));
            }
            if with_content {
                file["content"] = json!(text);
                file["hash"] = json!(hash(text));
            }
        }
    }
    Ok(file)
}

/// The file's text; `None` when it does not exist.
fn read(path: &Path) -> Result<Option<String>, Fail> {
    match read_text(path, LIMITS) {
        Ok(text) => Ok(Some(text)),
        Err(ReadFileError::Io(error)) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(invalid(format!("{}: {error}", path.display()))),
    }
}

/// SHA-256 of the text, hex.
fn hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The refusal of a write whose `expectedHash` is stale.
fn conflict(name: &str, current_hash: &str) -> Fail {
    Box::new(
        ErrorShape::new(
            ErrorCode::InvalidRequest,
            format!("{name} changed since it was read; reload it and apply your edit again"),
        )
        .with_details(json!({"type": "agent_file_conflict", "currentHash": current_hash})),
    )
}

/// Runs file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Fail> + Send + 'static,
) -> Result<T, Fail> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| unavailable("reading agent files", &e))?
}
