//! `rustyclaw sessions list|show|import|export`: sessions in the store and OpenClaw JSONL transcripts.

use std::process::ExitCode;

use anyhow::Context as _;
use rustyclaw_protocol::{SessionId, SessionKey};
use rustyclaw_store::Store;

use crate::UserError;
use crate::args::SessionsCommand;
use crate::context::Context;
use crate::output;

/// Runs a `sessions` subcommand.
pub fn run(ctx: &Context, cmd: SessionsCommand) -> anyhow::Result<ExitCode> {
    super::runtime()?.block_on(async {
        let store = ctx.open_store().await?;
        match cmd {
            SessionsCommand::List { limit, json } => list(&store, limit, json).await,
            SessionsCommand::Show { session, json } => show(&store, &session, json).await,
            SessionsCommand::Import { file, key } => import(&store, &file, key.as_deref()).await,
            SessionsCommand::Export { session, output } => {
                export(&store, &session, output.as_deref()).await
            }
        }
    })
}

async fn list(store: &Store, limit: u32, json: bool) -> anyhow::Result<ExitCode> {
    let sessions = store
        .list_sessions(None, usize::try_from(limit).unwrap_or(usize::MAX))
        .await?;
    if json {
        let rows: Vec<serde_json::Value> = sessions
            .iter()
            .map(|s| serde_json::json!({"key": s.key.as_str(), "entry": s.entry}))
            .collect();
        output::json(&serde_json::json!({"count": rows.len(), "sessions": rows}));
        return Ok(ExitCode::SUCCESS);
    }
    if sessions.is_empty() {
        output::out("no sessions stored yet");
        return Ok(ExitCode::SUCCESS);
    }
    let mut lines = Vec::new();
    for s in &sessions {
        let len = store.transcript_len(&s.entry.session_id).await.unwrap_or(0);
        lines.push(format!(
            "{}  {}  {} line(s)  updated {}",
            s.key.as_str(),
            s.entry.session_id,
            len,
            format_ms(s.entry.updated_at)
        ));
    }
    output::out(&lines.join("\n"));
    Ok(ExitCode::SUCCESS)
}

fn format_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

async fn import(
    store: &Store,
    file: &std::path::Path,
    key: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let bytes = tokio::fs::read(file)
        .await
        .with_context(|| format!("cannot read {}", file.display()))?;
    let key = match key {
        Some(k) => SessionKey::parse(k).map_err(|e| UserError::new(format!("--key {k:?}: {e}")))?,
        None => {
            let id = header_id(&bytes).ok_or_else(|| {
                UserError::new(format!(
                    "{}: the first line is not a transcript header with an id",
                    file.display()
                ))
                .hint(
                    "OpenClaw transcripts start with {\"type\":\"session\",\"version\":4,\"id\":…}",
                )
            })?;
            SessionKey::parse(&format!("agent:main:explicit:{id}")).map_err(|e| {
                UserError::new(format!("cannot derive a session key from id {id:?}: {e}"))
                    .hint("pass --key")
            })?
        }
    };
    let report = store
        .import_jsonl(&key, bytes.as_slice())
        .await
        .map_err(|e| UserError::new(format!("{}: {e}", file.display())).code(1))?;
    output::out(&format!(
        "imported {} line(s) (transcript version {:?}) as session {} under {}",
        report.lines,
        report.version,
        report.session_id,
        key.as_str()
    ));
    Ok(ExitCode::SUCCESS)
}

fn header_id(bytes: &[u8]) -> Option<String> {
    let first = bytes
        .split(|b| *b == b'\n')
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))?;
    let header: serde_json::Value = serde_json::from_slice(first).ok()?;
    (header.get("type")?.as_str()? == "session").then_some(())?;
    header.get("id")?.as_str().map(str::to_owned)
}

/// A session key (looked up) or a session id.
async fn session_id_of(store: &Store, session: &str) -> anyhow::Result<SessionId> {
    let from_key = match SessionKey::parse(session) {
        Ok(key) => store.get_session(&key).await?.map(|e| e.session_id),
        Err(_) => None,
    };
    Ok(match from_key {
        Some(id) => id,
        None => SessionId::new(session).map_err(|e| {
            UserError::new(format!(
                "{session:?} is neither a stored session key nor a session id: {e}"
            ))
        })?,
    })
}

async fn show(store: &Store, session: &str, json: bool) -> anyhow::Result<ExitCode> {
    let id = session_id_of(store, session).await?;
    let mut lines = Vec::new();
    let mut after = 0;
    loop {
        let page = store.transcript(&id, after, 1_000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        let full = page.len() == 1_000;
        lines.extend(page.into_iter().map(|l| l.line));
        if !full {
            break;
        }
    }
    if lines.is_empty() {
        return Err(
            UserError::new(format!("no transcript stored for session {id}"))
                .hint("`rustyclaw sessions list` shows the stored sessions")
                .code(1)
                .into(),
        );
    }
    if json {
        let values: Vec<serde_json::Value> = lines
            .iter()
            .filter_map(|l| l.to_json().ok())
            .filter_map(|text| serde_json::from_str(&text).ok())
            .collect();
        output::json(&serde_json::Value::Array(values));
        return Ok(ExitCode::SUCCESS);
    }
    let rendered: Vec<String> = lines
        .iter()
        .filter_map(super::transcript_view::render_line)
        .collect();
    output::out(&rendered.join("\n"));
    Ok(ExitCode::SUCCESS)
}

async fn export(
    store: &Store,
    session: &str,
    out: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let id = session_id_of(store, session).await?;
    let not_found = |e: rustyclaw_store::StoreError| -> anyhow::Error {
        UserError::new(format!("{e}"))
            .hint("`rustyclaw sessions list` shows the stored sessions")
            .code(1)
            .into()
    };
    match out {
        Some(path) => {
            let mut buffer = Vec::new();
            let lines = store
                .export_jsonl(&id, &mut buffer)
                .await
                .map_err(not_found)?;
            tokio::fs::write(path, &buffer)
                .await
                .with_context(|| format!("cannot write {}", path.display()))?;
            output::err(&format!("exported {lines} line(s) to {}", path.display()));
        }
        None => {
            let mut stdout = tokio::io::stdout();
            store
                .export_jsonl(&id, &mut stdout)
                .await
                .map_err(not_found)?;
            tokio::io::AsyncWriteExt::flush(&mut stdout).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
