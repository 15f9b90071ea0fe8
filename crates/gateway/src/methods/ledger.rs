//! Answers about runs from the store's run ledger, for ids the gateway's memory no longer
//! holds: the gateway restarted (or was killed) since the run was accepted, or the
//! idempotency cache forgot the key.
//!
//! A client that lost its connection asks `agent.wait {runId}` and learns how the run ended —
//! `interrupted` runs as an error saying no reply was sent — instead of waiting for a run that
//! no process runs. A client that retries with the same idempotency key gets the recorded
//! outcome of a run that ended within the cache's time, not a second answer; an interrupted
//! run, which never answered, is started again.

use rustyclaw_store::{RunRecord, RunState};
use serde_json::{Value, json};

use super::{Fail, unavailable};
use crate::clock::now_ms_i64;
use crate::dedupe::DEDUPE_TTL;
use crate::state::GatewayState;

/// What to do with an idempotency key the cache does not know.
pub(super) enum Replay {
    /// Nothing recorded that stops a new run: start it.
    Start,
    /// Answer this instead of starting a run.
    Answer(Value),
}

/// For `chat.send`: the recorded state of the run `key` names.
pub(super) async fn for_send(state: &GatewayState, key: &str) -> Result<Replay, Fail> {
    Ok(match replayable(state, key, "chat.send").await? {
        None => Replay::Start,
        Some(record) if record.state == RunState::Accepted => {
            Replay::Answer(json!({"runId": key, "status": "in_flight"}))
        }
        Some(record) => Replay::Answer(json!({"runId": key, "status": wait_word(record.state)})),
    })
}

/// For `agent`: the recorded outcome of the run `key` names, shaped as `agent`'s final answer.
pub(super) async fn for_agent(state: &GatewayState, key: &str) -> Result<Replay, Fail> {
    Ok(match replayable(state, key, "agent").await? {
        None => Replay::Start,
        Some(record) if record.state == RunState::Accepted => {
            Replay::Answer(json!({"runId": key, "status": "in_flight"}))
        }
        Some(record) => Replay::Answer(agent_answer(&record)),
    })
}

/// For `agent.wait`: the outcome of `run_id` if the ledger has it ended.
pub(super) async fn ended(state: &GatewayState, run_id: &str) -> Result<Option<Value>, Fail> {
    let record = state
        .0
        .store
        .run_record(run_id)
        .await
        .map_err(|e| unavailable("agent.wait", &e))?;
    Ok(record.filter(|r| r.state.is_final()).map(|record| {
        let mut answer = json!({"runId": record.run_id, "status": wait_word(record.state)});
        if let Some(ended) = record.ended_ms {
            answer["endedAt"] = json!(ended);
        }
        if let Some(error) = &record.error {
            answer["error"] = json!(error);
        }
        answer
    }))
}

/// The record of `key` if it should answer instead of a new run: in flight, or ended within
/// the idempotency window and not interrupted.
async fn replayable(
    state: &GatewayState,
    key: &str,
    method: &str,
) -> Result<Option<RunRecord>, Fail> {
    let record = state
        .0
        .store
        .run_record(key)
        .await
        .map_err(|e| unavailable(method, &e))?;
    let window = i64::try_from(DEDUPE_TTL.as_millis()).unwrap_or(i64::MAX);
    let now = now_ms_i64();
    Ok(record.filter(|record| match record.state {
        RunState::Accepted => true,
        RunState::Interrupted => false,
        _ => record
            .ended_ms
            .is_some_and(|ended| now.saturating_sub(ended) < window),
    }))
}

/// `agent.wait`'s word for a state.
fn wait_word(state: RunState) -> &'static str {
    match state {
        RunState::Accepted => "in_flight",
        RunState::Done => "ok",
        RunState::Aborted => "aborted",
        RunState::TimedOut => "timeout",
        RunState::Failed | RunState::Interrupted => "error",
    }
}

/// `agent`'s final answer rebuilt from a record: what the run replied, not how it got there
/// (usage and model are in the transcript).
fn agent_answer(record: &RunRecord) -> Value {
    let ok = record.state == RunState::Done;
    let mut answer = json!({
        "runId": record.run_id,
        "status": if ok { "ok" } else { "error" },
        "summary": if ok { "completed" } else {
            record.error.as_deref().unwrap_or(record.state.as_str())
        },
        "result": {
            "payloads": record.reply.iter().map(|text| json!({"text": text, "mediaUrl": null})).collect::<Vec<_>>(),
            "meta": {
                "durationMs": record.ended_ms.map(|ended| ended.saturating_sub(record.accepted_ms)),
                "agentMeta": {"sessionFile": record.session_key},
            },
        },
    });
    if let Some(error) = &record.error {
        answer["error"] = json!(error);
    }
    answer
}
