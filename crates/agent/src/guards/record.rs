//! Writing guard decisions down: the payload to the quarantine, the decision to the audit log.

use rustyclaw_guard::{Assessment, Decision, Verdict};
use rustyclaw_protocol::{AgentId, SessionKey};
use rustyclaw_store::{AuditRecord, QuarantineKind, QuarantineRecord, Store};
use serde_json::{Value, json};

use crate::clock::now_ms;

/// Who acted, where, in which call.
pub(super) struct Context<'a> {
    pub store: &'a Store,
    pub agent_id: &'a AgentId,
    pub session_key: &'a SessionKey,
    pub run_id: &'a str,
    pub call_id: &'a str,
    pub tool: &'a str,
}

/// What was decided about one payload.
pub(super) struct Decided<'a> {
    pub kind: QuarantineKind,
    pub verdict: Verdict,
    pub assessment: &'a Assessment,
    pub payload: &'a str,
    pub source: Option<&'a str>,
}

/// Quarantines the payload when it is (or would be) blocked, then appends the audit record;
/// returns the quarantine id. Failures are logged, never raised: a guard that cannot write
/// still blocks, and says the payload was not kept.
pub(super) async fn record(cx: &Context<'_>, decided: &Decided<'_>) -> Option<u64> {
    let findings = serde_json::to_value(&decided.assessment.findings).unwrap_or(Value::Null);
    let quarantine_id = if decided.verdict.decision == Decision::Block {
        let record = QuarantineRecord {
            ts_ms: now_ms(),
            agent_id: cx.agent_id.clone(),
            session_key: cx.session_key.clone(),
            run_id: Some(cx.run_id.to_owned()),
            kind: decided.kind,
            tool: cx.tool.to_owned(),
            source: decided.source.map(str::to_owned),
            payload: decided.payload.to_owned(),
            score: decided.assessment.score,
            decision: decided.verdict.label().to_owned(),
            findings,
        };
        match cx.store.quarantine(&record).await {
            Ok(id) => Some(id),
            Err(error) => {
                tracing::warn!(tool = cx.tool, %error, "cannot quarantine a blocked payload");
                None
            }
        }
    } else {
        None
    };
    // The audit detail names the decision and the rules, never the payload: that stays in the
    // quarantine, where reading it is a deliberate act.
    let audit = AuditRecord {
        ts_ms: now_ms(),
        actor: format!("agent:{}", cx.agent_id.as_str()),
        action: match decided.kind {
            QuarantineKind::Command => "guard.command",
            QuarantineKind::Content => "guard.content",
        }
        .to_owned(),
        target: Some(cx.tool.to_owned()),
        detail: json!({
            "decision": decided.verdict.label(),
            "score": decided.assessment.score,
            "rules": decided.assessment.rules(),
            "quarantineId": quarantine_id,
            "mode": decided.verdict.mode.as_str(),
            "sessionKey": cx.session_key.as_str(),
            "runId": cx.run_id,
            "callId": cx.call_id,
            "source": decided.source,
        }),
    };
    if let Err(error) = cx.store.append_audit(&audit).await {
        tracing::warn!(tool = cx.tool, %error, "cannot append a guard decision to the audit log");
    }
    tracing::info!(
        tool = cx.tool,
        decision = decided.verdict.label(),
        score = decided.assessment.score,
        quarantine_id,
        "risk guard decision"
    );
    quarantine_id
}
