//! A turn in progress: what it answers, where its events go, what it has used so far, and the
//! steps every part of a turn takes the same way (append to the transcript then announce,
//! read a model's stream, make the outcome).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::StreamExt;
use rustyclaw_protocol::SessionKey;
use rustyclaw_protocol::transcript::{
    AgentMessage, AssistantMessage, EntryBody, MessageContent, MessageEntry, Usage, UserMessage,
};
use rustyclaw_providers::{Collected, ProviderError, StreamEvent};
use tokio_util::sync::CancellationToken;

use crate::clock::now_ms;
use crate::error::AgentError;
use crate::event::{Event, EventKind, ModelCalls, RunId, RunOutcome, RunStatus};
use crate::op::Inbound;
use crate::services::Services;
use crate::session::SessionState;
use rustyclaw_protocol::origin::MessageOrigin;
use rustyclaw_protocol::reply::ReplyPayload;

/// A turn in progress, with the services it borrows: one argument for every helper of a turn.
pub(crate) struct Turn<'a> {
    /// The runtime's services, lent for the turn.
    pub(crate) services: &'a Services,
    run_id: RunId,
    pub(crate) key: SessionKey,
    pub(crate) cancel: CancellationToken,
    pub(crate) steer: Arc<Mutex<Vec<Inbound>>>,
    /// Runs of messages steered into this turn: they end when it ends, with its outcome.
    pub(crate) steered: Vec<RunId>,
    /// Where the reply goes: the origin of the latest message the turn answers (the batch's
    /// last, then each message steered into it).
    pub(crate) origin: MessageOrigin,
    started: Instant,
    pub(crate) usage: Usage,
    /// The model's replies so far.
    pub(crate) calls: ModelCalls,
    pub(crate) last_model: Option<String>,
}

impl<'a> Turn<'a> {
    /// A turn answering `run_id` in `key`'s session, replying to `origin`, starting now.
    pub(crate) fn new(
        services: &'a Services,
        run_id: RunId,
        key: SessionKey,
        origin: MessageOrigin,
        cancel: CancellationToken,
        steer: Arc<Mutex<Vec<Inbound>>>,
    ) -> Self {
        Self {
            services,
            run_id,
            key,
            cancel,
            steer,
            steered: Vec::new(),
            origin,
            started: Instant::now(),
            usage: Usage::default(),
            calls: ModelCalls::default(),
            last_model: None,
        }
    }

    /// The run this turn answers.
    pub(crate) fn run_id(&self) -> &RunId {
        &self.run_id
    }

    /// Publishes `kind` as an event of this turn's run.
    pub(crate) fn emit(&self, kind: EventKind) {
        self.services.events.publish(Event {
            run_id: self.run_id.clone(),
            session_key: self.key.clone(),
            kind,
        });
    }

    /// Appends entries and announces them, in that order.
    pub(crate) async fn append(
        &self,
        state: &mut SessionState,
        bodies: Vec<EntryBody>,
    ) -> Result<(), AgentError> {
        let described: Vec<(&'static str, Option<String>)> = bodies
            .iter()
            .map(|b| {
                let role = match b {
                    EntryBody::Message(m) => Some(m.message.role().to_owned()),
                    _ => None,
                };
                (b.type_name(), role)
            })
            .collect();
        let ids = state
            .writer
            .append(&self.services.store, bodies.clone())
            .await?;
        for ((id, body), (entry_type, role)) in ids.iter().zip(bodies.iter()).zip(described) {
            state.context.apply(id, body);
            self.emit(EventKind::EntryAppended {
                entry_id: id.as_str().to_owned(),
                entry_type,
                role,
            });
        }
        Ok(())
    }

    pub(crate) fn outcome(
        &self,
        state: &SessionState,
        status: RunStatus,
        reply: Option<String>,
        error: Option<String>,
    ) -> RunOutcome {
        self.outcome_in(state.entry.session_id.as_str(), status, reply, error)
    }

    /// The outcome of a turn stopped by an abort (or its time limit, decided by the caller).
    pub(crate) fn aborted(&self, state: &SessionState, reply: Option<String>) -> RunOutcome {
        self.outcome(state, RunStatus::Aborted, reply, Some("aborted".into()))
    }

    /// The outcome of this turn in session `session_id` (empty when the turn stopped before
    /// it had a session), with `reply` as its one payload, threaded under the message answered.
    pub(crate) fn outcome_in(
        &self,
        session_id: &str,
        status: RunStatus,
        reply: Option<String>,
        error: Option<String>,
    ) -> RunOutcome {
        let reply_to = self.origin.message_id.clone();
        RunOutcome {
            status,
            payloads: reply
                .map(|text| ReplyPayload::text(text, reply_to))
                .into_iter()
                .collect(),
            origin: self.origin.clone(),
            error,
            usage: self.usage.clone(),
            calls: self.calls.clone(),
            model: self.last_model.clone(),
            session_id: session_id.to_owned(),
            duration_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            answered: Vec::new(),
        }
    }
}

/// Adds `more` to the running total of a turn.
pub(crate) fn add_usage(total: &mut Usage, more: &Usage) {
    total.input += more.input;
    total.output += more.output;
    total.cache_read += more.cache_read;
    total.cache_write += more.cache_write;
    total.total_tokens += more.total_tokens;
    total.cost.input += more.cost.input;
    total.cost.output += more.cost.output;
    total.cost.cache_read += more.cost.cache_read;
    total.cost.cache_write += more.cost.cache_write;
    total.cost.total += more.cost.total;
}

/// The reply text of an assistant message; `None` for `NO_REPLY` or no text.
pub(crate) fn reply_text(message: &AssistantMessage) -> Option<String> {
    let text = crate::text::text_blocks(&message.content, "");
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("NO_REPLY") {
        None
    } else {
        Some(trimmed.to_owned())
    }
}

/// A user message entry with `content`, timestamped now.
pub(crate) fn user_message(content: MessageContent) -> EntryBody {
    EntryBody::Message(MessageEntry::new(AgentMessage::User(UserMessage::new(
        content,
        now_ms(),
    ))))
}

/// Reads a response to its end (or the turn's cancellation), forwarding text and thinking
/// deltas as events when `announce` is set. A stream that ends without the model saying it is
/// done counts as cut.
pub(crate) async fn read_stream(
    turn: &Turn<'_>,
    mut stream: rustyclaw_providers::EventStream,
    announce: bool,
) -> (Collected, Option<ProviderError>) {
    let mut collected = Collected::new();
    let mut error = None;
    loop {
        tokio::select! {
            biased;
            () = turn.cancel.cancelled() => {
                error = Some(ProviderError::Aborted);
                break;
            }
            item = stream.next() => match item {
                Some(Ok(event)) => {
                    if announce {
                        match &event {
                            StreamEvent::TextDelta(delta) => turn.emit(EventKind::AssistantDelta { delta: delta.clone() }),
                            StreamEvent::ThinkingDelta(delta) => turn.emit(EventKind::ThinkingDelta { delta: delta.clone() }),
                            _ => {}
                        }
                    }
                    collected.push(&event);
                }
                Some(Err(e)) => {
                    error = Some(e);
                    break;
                }
                None => break,
            }
        }
    }
    if error.is_none() && !collected.is_complete() {
        error = Some(ProviderError::StreamEnded);
    }
    (collected, error)
}
