//! An event on its way to the clients: the payload built once, serialized once, and framed
//! per connection with that connection's own `seq` when it is written.
//!
//! A slow client's queue may replace a queued text delta by the run's next one (see
//! [`crate::outbox`]); [`OutEvent::live_text`] says which events qualify and
//! [`OutEvent::frame_text_after`] writes the merged frame.

use rustyclaw_protocol::gateway::StateVersion;
use serde_json::Value;

/// An event ready to be numbered and sent to each client.
#[derive(Debug, Clone)]
pub(crate) struct OutEvent {
    /// Event name.
    pub event: &'static str,
    /// Payload.
    pub payload: Value,
    /// The scope a client needs to receive it (`None`: every client).
    pub scope: Option<&'static str>,
    /// Versions of presence and health, on `presence` and `health` events.
    pub state_version: Option<StateVersion>,
    /// The payload as JSON, serialized by the first connection that sends the event and
    /// shared by all the others (a chat event to 1,000 clients is serialized once, not 1,000
    /// times).
    pub encoded: std::sync::OnceLock<String>,
}

impl OutEvent {
    /// Whether this is an `agent` event of the `tool` stream.
    pub(crate) fn is_tool_activity(&self) -> bool {
        self.event == "agent" && self.payload.get("stream").and_then(Value::as_str) == Some("tool")
    }

    /// An event for every client (no scope), e.g. a connection's own `tick`.
    pub(crate) fn unscoped(event: &'static str, payload: &impl serde::Serialize) -> Self {
        Self {
            event,
            payload: serde_json::to_value(payload).unwrap_or(Value::Null),
            scope: None,
            state_version: None,
            encoded: Default::default(),
        }
    }

    /// The payload as JSON, serialized once and shared by every connection.
    fn payload_json(&self) -> &str {
        self.encoded
            .get_or_init(|| serde_json::to_string(&self.payload).unwrap_or_else(|_| "null".into()))
    }

    /// About how many bytes [`Self::frame_text`] writes (the envelope is estimated), without
    /// building the frame: what a queued event counts against a client's buffer budget.
    pub(crate) fn frame_len(&self) -> usize {
        self.payload_json().len() + self.event.len() + FRAME_ENVELOPE_BYTES
    }

    /// The event frame for one connection: the shared payload JSON in a per-connection
    /// envelope (its own `seq`), the same text `serde_json` writes for an `EventFrame`.
    pub(crate) fn frame_text(&self, seq: u64) -> String {
        self.envelope(self.payload_json(), seq)
    }

    /// [`Self::frame_text`] of a live-text event that replaced older queued ones of its run:
    /// their delta text (`earlier`) goes before this event's own, so a client appending deltas
    /// still gets every character.
    pub(crate) fn frame_text_after(&self, earlier: &str, seq: u64) -> String {
        let Some(pointer) = self.live_text().map(|live| live.delta_pointer()) else {
            return self.frame_text(seq);
        };
        if earlier.is_empty() {
            return self.frame_text(seq);
        }
        // Only a slow client's queue merges events, and only the frame actually written is
        // rebuilt, so the copy of the payload is paid once per write, not per queued delta.
        let mut payload = self.payload.clone();
        if let Some(Value::String(delta)) = payload.pointer_mut(pointer) {
            delta.insert_str(0, earlier);
        }
        let json = serde_json::to_string(&payload).unwrap_or_else(|_| "null".into());
        self.envelope(&json, seq)
    }

    fn envelope(&self, payload: &str, seq: u64) -> String {
        let name = serde_json::to_string(self.event).unwrap_or_default();
        let mut text = String::with_capacity(payload.len() + name.len() + FRAME_ENVELOPE_BYTES);
        text.push_str(r#"{"type":"event","event":"#);
        text.push_str(&name);
        text.push_str(r#","payload":"#);
        text.push_str(payload);
        text.push_str(r#","seq":"#);
        text.push_str(&seq.to_string());
        if let Some(version) = &self.state_version {
            text.push_str(r#","stateVersion":"#);
            text.push_str(&serde_json::to_string(version).unwrap_or_else(|_| "null".into()));
        }
        text.push('}');
        text
    }

    /// The run text stream this event belongs to, when it is a text delta a newer one of the
    /// same stream may replace in a slow client's queue: a `chat` delta, or an `agent` event
    /// of the `assistant` stream (upstream coalesces the same two).
    pub(crate) fn live_text(&self) -> Option<LiveText<'_>> {
        let run_id = self.payload.get("runId")?.as_str()?;
        let (kind, delta) = match self.event {
            "chat" if self.payload.get("state")? == "delta" => {
                (LiveKind::Chat, self.payload.get("deltaText"))
            }
            "agent" if self.payload.get("stream")? == "assistant" => {
                (LiveKind::Agent, self.payload.pointer("/data/delta"))
            }
            _ => return None,
        };
        delta?.is_string().then_some(LiveText { kind, run_id })
    }

    /// The delta text of a live-text event (see [`Self::live_text`]).
    pub(crate) fn live_delta(&self) -> &str {
        self.live_text()
            .and_then(|live| self.payload.pointer(live.delta_pointer()))
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// Room for the envelope around a payload: type, event name quotes, `seq`, `stateVersion`.
const FRAME_ENVELOPE_BYTES: usize = 96;

/// Which text stream of which run a live-text event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LiveText<'a> {
    kind: LiveKind,
    run_id: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LiveKind {
    /// `chat` deltas: `deltaText` is new, `message` the whole text so far.
    Chat,
    /// `agent` assistant events: `data.delta` is new, `data.text` the whole text so far.
    Agent,
}

impl LiveText<'_> {
    /// Where the event's new text is.
    fn delta_pointer(self) -> &'static str {
        match self.kind {
            LiveKind::Chat => "/deltaText",
            LiveKind::Agent => "/data/delta",
        }
    }
}
