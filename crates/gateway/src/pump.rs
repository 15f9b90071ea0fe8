//! Maps the agent runtime's events to gateway events once, for every connection: `agent`
//! (lifecycle, assistant and — for clients declaring `tool-events` — tool streams) and `chat` (cumulative text deltas, then `final`, `aborted`
//! or `error`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustyclaw_agent::{Event, EventKind, RunId, RunStatus};
use rustyclaw_protocol::gateway::{AgentEvent, ChatEvent, ChatMessage, ChatState};
use serde_json::{Map, Value, json};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

use crate::clock::now_ms;
use crate::event::OutEvent;

/// Least time between two `chat` deltas of a run (upstream throttles to 150 ms): each delta
/// carries the whole text so far, so one per model token would be quadratic in the reply length.
const CHAT_DELTA_INTERVAL: Duration = Duration::from_millis(150);

/// The most of a tool's result sent in its `tool` event (the whole of it is in the transcript).
const TOOL_RESULT_CHARS: usize = 4_000;

/// The text and sequence number of a run so far.
#[derive(Default)]
struct Run {
    text: String,
    seq: u64,
    session_id: Option<String>,
    started_at: u64,
    /// When the last `chat` delta went out.
    last_chat: Option<Instant>,
    /// Text received since the last `chat` delta (sent with the next one).
    unsent: String,
}

pub(crate) async fn run(
    mut events: broadcast::Receiver<Event>,
    out: broadcast::Sender<Arc<OutEvent>>,
    mut shutdown: watch::Receiver<Option<String>>,
) {
    let mut runs: HashMap<RunId, Run> = HashMap::new();
    loop {
        // The runtime outlives a gateway restarted in-process: this gateway's mapper stops
        // with it, so that only the gateway serving now maps the runtime's events.
        let received = tokio::select! {
            received = events.recv() => received,
            _ = shutdown.wait_for(Option::is_some) => return,
        };
        let event = match received {
            Ok(event) => event,
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "gateway fell behind the agent runtime's events");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        for mapped in map(&mut runs, event) {
            // No receivers simply means no client is connected.
            let _ = out.send(Arc::new(mapped));
        }
    }
}

fn map(runs: &mut HashMap<RunId, Run>, event: Event) -> Vec<OutEvent> {
    let key = event.session_key.as_str().to_owned();
    let run_id = event.run_id.0.clone();
    match event.kind {
        EventKind::Started { session_id, .. } => {
            let run = runs.entry(event.run_id).or_default();
            run.session_id = Some(session_id);
            run.started_at = now_ms();
            run.seq += 1;
            let data = json!({"phase": "start", "startedAt": run.started_at});
            vec![agent(&run_id, &key, run, "lifecycle", data)]
        }
        EventKind::AssistantDelta { delta } => {
            let run = runs.entry(event.run_id).or_default();
            run.text.push_str(&delta);
            run.unsent.push_str(&delta);
            run.seq += 1;
            let data = json!({"text": run.text, "delta": delta});
            let mut out = vec![agent(&run_id, &key, run, "assistant", data)];
            if run
                .last_chat
                .is_none_or(|at| at.elapsed() >= CHAT_DELTA_INTERVAL)
            {
                out.push(chat_delta(&run_id, &key, run));
            }
            out
        }
        // Text held back by the throttle goes out before the run does anything else visible;
        // then the tool's start, for clients that asked for tool activity.
        EventKind::ToolStarted {
            call_id,
            name,
            args,
        } => {
            let run = runs.entry(event.run_id).or_default();
            let mut out = Vec::new();
            if !run.unsent.is_empty() {
                out.push(chat_delta(&run_id, &key, run));
            }
            run.seq += 1;
            let data = json!({"phase": "start", "name": name, "toolCallId": call_id, "args": args});
            out.push(agent(&run_id, &key, run, "tool", data));
            out
        }
        EventKind::ToolFinished {
            call_id,
            name,
            is_error,
            output,
        } => {
            let run = runs.entry(event.run_id).or_default();
            run.seq += 1;
            let result: String = output.chars().take(TOOL_RESULT_CHARS).collect();
            // The result in a tool result's shape (`content` blocks), as upstream sends it and
            // the official TUI renders it.
            let data = json!({
                "phase": "result",
                "name": name,
                "toolCallId": call_id,
                "isError": is_error,
                "result": {"content": [{"type": "text", "text": result}]},
            });
            vec![agent(&run_id, &key, run, "tool", data)]
        }
        EventKind::Finished(outcome) => {
            let mut run = runs.remove(&event.run_id).unwrap_or_default();
            let mut out = Vec::new();
            if !run.unsent.is_empty() {
                out.push(chat_delta(&run_id, &key, &mut run));
            }
            run.seq += 1;
            let ended = now_ms();
            let (phase, state) = match outcome.status {
                RunStatus::Done => ("end", ChatState::Final),
                RunStatus::Aborted => ("end", ChatState::Aborted),
                RunStatus::Failed | RunStatus::TimedOut => ("error", ChatState::Error),
            };
            let mut data = json!({
                "phase": phase,
                "startedAt": run.started_at,
                "endedAt": ended,
                "aborted": outcome.status == RunStatus::Aborted,
            });
            if let Some(error) = &outcome.error {
                data["error"] = json!(error);
            }
            let mut chat = chat(&run_id, &key, &run, state.clone());
            let text = outcome.reply_text().unwrap_or_else(|| run.text.clone());
            match state {
                ChatState::Final => {
                    chat.stop_reason = Some("stop".into());
                    chat.message = Some(ChatMessage::assistant_text(text, ended));
                }
                ChatState::Error => {
                    chat.error_message = Some(
                        outcome
                            .error
                            .clone()
                            .unwrap_or_else(|| outcome.status.as_str().into()),
                    );
                }
                _ => {
                    if !text.is_empty() {
                        chat.message = Some(ChatMessage::assistant_text(text, ended));
                    }
                }
            }
            out.push(agent(&run_id, &key, &run, "lifecycle", data));
            out.push(to_event("chat", &chat));
            out
        }
        _ => Vec::new(),
    }
}

/// A `chat` delta with the whole text so far.
fn chat_delta(run_id: &str, key: &str, run: &mut Run) -> OutEvent {
    let mut chat = chat(run_id, key, run, ChatState::Delta);
    chat.delta_text = Some(std::mem::take(&mut run.unsent));
    chat.message = Some(ChatMessage::assistant_text(run.text.clone(), now_ms()));
    run.last_chat = Some(Instant::now());
    to_event("chat", &chat)
}

/// The `chat` `error` event of a run that never started (the runtime refused its turn).
pub(crate) fn chat_error(run_id: &str, key: &str, message: &str) -> OutEvent {
    let mut event = chat(run_id, key, &Run::default(), ChatState::Error);
    event.error_message = Some(message.to_owned());
    to_event("chat", &event)
}

fn chat(run_id: &str, key: &str, run: &Run, state: ChatState) -> ChatEvent {
    ChatEvent {
        run_id: run_id.to_owned(),
        session_key: key.to_owned(),
        seq: run.seq,
        state,
        agent_id: agent_of(key),
        delta_text: None,
        message: None,
        stop_reason: None,
        error_message: None,
        phase: None,
        other: Map::new(),
    }
}

fn agent(run_id: &str, key: &str, run: &Run, stream: &str, data: Value) -> OutEvent {
    let mut other = Map::new();
    if let Some(agent_id) = agent_of(key) {
        other.insert("agentId".into(), Value::String(agent_id));
    }
    if let Some(session_id) = &run.session_id {
        other.insert("sessionId".into(), Value::String(session_id.clone()));
    }
    let payload = AgentEvent {
        run_id: run_id.to_owned(),
        seq: run.seq,
        stream: stream.to_owned(),
        ts: now_ms(),
        data: match data {
            Value::Object(map) => map,
            _ => Map::new(),
        },
        session_key: Some(key.to_owned()),
        other,
    };
    to_event("agent", &payload)
}

fn agent_of(key: &str) -> Option<String> {
    let mut parts = key.split(':');
    (parts.next() == Some("agent"))
        .then(|| parts.next().map(str::to_owned))
        .flatten()
}

fn to_event(event: &'static str, payload: &impl serde::Serialize) -> OutEvent {
    OutEvent {
        event,
        payload: serde_json::to_value(payload).unwrap_or(Value::Null),
        // Run output is conversation content: readers only (upstream broadcast gating).
        scope: Some(crate::scope::READ),
        state_version: None,
        encoded: Default::default(),
    }
}
