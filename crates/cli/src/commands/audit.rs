//! `rustyclaw audit`: the append-only audit log (pairings, config changes, risk-guard
//! decisions), newest first.

use std::process::ExitCode;

use rustyclaw_store::StoredAuditRecord;
use serde_json::{Value, json};

use crate::args::AuditArgs;
use crate::context::Context;
use crate::output;

/// Runs `audit`.
pub fn run(ctx: &Context, args: &AuditArgs) -> anyhow::Result<ExitCode> {
    super::runtime()?.block_on(async {
        let store = ctx.open_store().await?;
        let records = store
            .list_audit(usize::try_from(args.limit).unwrap_or(usize::MAX))
            .await?;
        if args.json {
            let rows: Vec<Value> = records.iter().map(record_json).collect();
            output::json(&json!({"count": rows.len(), "records": rows}));
        } else if records.is_empty() {
            output::out("the audit log is empty");
        } else {
            let lines: Vec<String> = records.iter().map(record_line).collect();
            output::out(&lines.join("\n"));
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn record_json(stored: &StoredAuditRecord) -> Value {
    let r = &stored.record;
    json!({
        "id": stored.id,
        "tsMs": r.ts_ms,
        "time": format_ms(r.ts_ms),
        "actor": r.actor,
        "action": r.action,
        "target": r.target,
        "detail": r.detail,
    })
}

fn record_line(stored: &StoredAuditRecord) -> String {
    let r = &stored.record;
    let target = r
        .target
        .as_deref()
        .map(|t| format!(" {t}"))
        .unwrap_or_default();
    let detail = match &r.detail {
        Value::Null => String::new(),
        detail => format!("  {detail}"),
    };
    format!(
        "#{}  {}  {}  {}{target}{detail}",
        stored.id,
        format_ms(r.ts_ms),
        r.actor,
        r.action
    )
}

/// Unix milliseconds as RFC 3339 (UTC), or the number when out of range.
pub(super) fn format_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}
