//! `rustyclaw quarantine list|show`: what the risk guards blocked.
//!
//! A payload is shown as data: control characters (terminal escapes a hostile page may carry)
//! and invisible characters (zero-width, bidi controls) are printed as `<U+XXXX>`, so what the
//! reviewer sees is what was there.

use std::process::ExitCode;

use rustyclaw_store::{QuarantineSummary, Store, StoredQuarantine};
use serde_json::{Value, json};

use super::audit::format_ms;
use crate::UserError;
use crate::args::QuarantineCommand;
use crate::context::Context;
use crate::output;

/// Runs a `quarantine` subcommand.
pub fn run(ctx: &Context, cmd: QuarantineCommand) -> anyhow::Result<ExitCode> {
    super::runtime()?.block_on(async {
        let store = ctx.open_store().await?;
        match cmd {
            QuarantineCommand::List {
                limit,
                before,
                json,
            } => list(&store, limit, before, json).await,
            QuarantineCommand::Show { id, json } => show(&store, &id, json).await,
        }
    })
}

async fn list(
    store: &Store,
    limit: u32,
    before: Option<u64>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let entries = store
        .list_quarantine(usize::try_from(limit).unwrap_or(usize::MAX), before)
        .await?;
    if json {
        let rows: Vec<Value> = entries.iter().map(summary_json).collect();
        output::json(&json!({"count": rows.len(), "entries": rows}));
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        output::out("nothing is quarantined");
        return Ok(ExitCode::SUCCESS);
    }
    let lines: Vec<String> = entries
        .iter()
        .map(|e| {
            let source = e
                .source
                .as_deref()
                .map(|s| format!("  {}", visible(s)))
                .unwrap_or_default();
            let preview: String = visible(&e.preview.replace(['\n', '\r', '\t'], " "))
                .chars()
                .take(60)
                .collect();
            format!(
                "#{}  {}  {} {}  score {}  {}  {}{source}  {preview}",
                e.id,
                format_ms(e.ts_ms),
                e.kind,
                e.tool,
                e.score,
                e.decision,
                e.session_key.as_str()
            )
        })
        .collect();
    output::out(&lines.join("\n"));
    Ok(ExitCode::SUCCESS)
}

fn summary_json(e: &QuarantineSummary) -> Value {
    json!({
        "id": e.id,
        "tsMs": e.ts_ms,
        "time": format_ms(e.ts_ms),
        "agentId": e.agent_id.as_str(),
        "sessionKey": e.session_key.as_str(),
        "kind": e.kind.as_str(),
        "tool": e.tool,
        "source": e.source,
        "score": e.score,
        "decision": e.decision,
        "preview": e.preview,
        "payloadBytes": e.payload_bytes,
    })
}

async fn show(store: &Store, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let number: u64 = id.trim_start_matches('#').parse().map_err(|_| {
        UserError::new(format!("{id:?} is not a quarantine id"))
            .hint("ids are the numbers `rustyclaw quarantine list` shows, e.g. 12 or #12")
    })?;
    let Some(entry) = store.quarantined(number).await? else {
        return Err(
            UserError::new(format!("nothing is quarantined as #{number}"))
                .hint("`rustyclaw quarantine list` shows what is")
                .code(1)
                .into(),
        );
    };
    if json {
        output::json(&stored_json(&entry));
        return Ok(ExitCode::SUCCESS);
    }
    let r = &entry.record;
    let mut lines = vec![
        format!(
            "#{}  {} {}  {}",
            entry.id,
            r.kind,
            r.tool,
            format_ms(r.ts_ms)
        ),
        format!("decision  {} (score {})", r.decision, r.score),
        format!("agent     {}", r.agent_id.as_str()),
        format!("session   {}", r.session_key.as_str()),
    ];
    if let Some(run) = &r.run_id {
        lines.push(format!("run       {run}"));
    }
    if let Some(source) = &r.source {
        lines.push(format!("source    {}", visible(source)));
    }
    lines.push("findings:".to_owned());
    for finding in r.findings.as_array().into_iter().flatten() {
        lines.push(format!(
            "  {} ({}, +{}): {}",
            finding["rule"].as_str().unwrap_or("?"),
            finding["category"].as_str().unwrap_or("?"),
            finding["weight"],
            visible(finding["excerpt"].as_str().unwrap_or(""))
        ));
    }
    let size = if entry.truncated {
        format!(
            "{} bytes, first {} kept",
            entry.payload_bytes,
            r.payload.len()
        )
    } else {
        format!("{} bytes", entry.payload_bytes)
    };
    lines.push(format!("payload ({size}):"));
    lines.push(visible(&r.payload));
    output::out(&lines.join("\n"));
    Ok(ExitCode::SUCCESS)
}

fn stored_json(entry: &StoredQuarantine) -> Value {
    let r = &entry.record;
    json!({
        "id": entry.id,
        "tsMs": r.ts_ms,
        "time": format_ms(r.ts_ms),
        "agentId": r.agent_id.as_str(),
        "sessionKey": r.session_key.as_str(),
        "runId": r.run_id,
        "kind": r.kind.as_str(),
        "tool": r.tool,
        "source": r.source,
        "score": r.score,
        "decision": r.decision,
        "findings": r.findings,
        "payload": r.payload,
        "payloadBytes": entry.payload_bytes,
        "truncated": entry.truncated,
    })
}

/// `text` safe to print: control, zero-width and bidi characters as `<U+XXXX>` (line breaks
/// and tabs kept).
fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let hidden = (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{E0000}'..='\u{E007F}');
        if hidden {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_print_escapes_and_invisibles_as_code_points() {
        assert_eq!(visible("a\u{1b}[2Jb"), "a<U+001B>[2Jb");
        assert_eq!(
            visible("x\u{202E}y\u{200B}z\nnext"),
            "x<U+202E>y<U+200B>z\nnext"
        );
    }
}
