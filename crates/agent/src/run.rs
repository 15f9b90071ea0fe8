//! One turn of a session: directives, the model ↔ tools loop, persistence, the outcome.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use rustyclaw_protocol::session_entry::{QueueMode, RunStatus as EntryRunStatus};
use rustyclaw_protocol::transcript::{
    AgentMessage, AssistantMessage, EntryBody, MessageContent, MessageEntry, ModelChangeEntry,
    ResetEntry, ThinkingLevelChangeEntry, Usage, UserMessage,
};
use rustyclaw_protocol::{SessionKey, ThinkingLevel};
use tokio_util::sync::CancellationToken;

use crate::compaction;
use crate::directives::{self, Directive};
use crate::error::AgentError;
use crate::event::{Event, EventKind, RunId, RunOutcome, RunStatus};
use crate::op::Inbound;
use crate::runtime::Inner;
use crate::session::SessionState;
use crate::transcript::now_ms;
use crate::{settings, turn_loop};

/// Messages handled as one turn (several when `collect` coalesced a burst).
pub(crate) struct Batch {
    pub run_id: RunId,
    /// Every run id answered by this turn (the first is `run_id`).
    pub run_ids: Vec<RunId>,
    pub messages: Vec<Inbound>,
}

impl Batch {
    pub fn single(inbound: Inbound) -> Self {
        Self {
            run_id: inbound.run_id.clone(),
            run_ids: vec![inbound.run_id.clone()],
            messages: vec![inbound],
        }
    }

    pub fn collect(messages: Vec<Inbound>) -> Option<Self> {
        let first = messages.first()?;
        Some(Self {
            run_id: first.run_id.clone(),
            run_ids: messages.iter().map(|m| m.run_id.clone()).collect(),
            messages,
        })
    }

    /// Adds messages that arrived during the debounce.
    pub fn absorb(&mut self, more: Vec<Inbound>) {
        for m in more {
            self.run_ids.push(m.run_id.clone());
            self.messages.push(m);
        }
    }

    fn first(&self) -> Option<&Inbound> {
        self.messages.first()
    }

    /// The text of the turn: one message as is; several as a numbered list, as OpenClaw's
    /// `collect` mode presents them.
    fn text(&self) -> String {
        match self.messages.as_slice() {
            [one] => one.text.clone(),
            many => {
                let mut out = String::from("[Messages that arrived while you were busy]\n");
                for (i, m) in many.iter().enumerate() {
                    out.push_str(&format!("\n---\nQueued #{}\n{}\n", i + 1, m.text));
                }
                out
            }
        }
    }
}

/// Everything a turn needs, bundled so helpers take one argument.
pub(crate) struct Turn<'a> {
    pub(crate) inner: &'a Inner,
    run_id: RunId,
    pub(crate) key: SessionKey,
    pub(crate) cancel: CancellationToken,
    pub(crate) steer: Arc<Mutex<Vec<Inbound>>>,
    /// Runs of messages steered into this turn: they end when it ends, with its outcome.
    pub(crate) steered: Vec<RunId>,
    started: Instant,
    pub(crate) usage: Usage,
    pub(crate) last_model: Option<String>,
}

impl Turn<'_> {
    /// The run this turn answers.
    pub(crate) fn run_id(&self) -> &RunId {
        &self.run_id
    }

    pub(crate) fn emit(&self, kind: EventKind) {
        self.inner.publish(Event {
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
            .append(&self.inner.store, bodies.clone())
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

    fn outcome_in(
        &self,
        session_id: &str,
        status: RunStatus,
        reply: Option<String>,
        error: Option<String>,
    ) -> RunOutcome {
        RunOutcome {
            status,
            reply,
            error,
            usage: self.usage.clone(),
            model: self.last_model.clone(),
            session_id: session_id.to_owned(),
            duration_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }
}

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

pub(crate) fn user_message(text: String) -> EntryBody {
    EntryBody::Message(MessageEntry::new(AgentMessage::User(UserMessage::new(
        MessageContent::Text(text),
        now_ms(),
    ))))
}

/// Runs one batch on a locked lane; returns the session's queue mode afterwards so the lane
/// can schedule what waits.
pub(crate) async fn run_batch(
    inner: &Inner,
    slot: &mut Option<SessionState>,
    batch: Batch,
    cancel: CancellationToken,
    steer: Arc<Mutex<Vec<Inbound>>>,
) -> Option<QueueMode> {
    let first = batch.first().cloned()?;
    let mut turn = Turn {
        inner,
        run_id: batch.run_id.clone(),
        key: first.session_key.clone(),
        cancel,
        steer,
        steered: Vec::new(),
        started: Instant::now(),
        usage: Usage::default(),
        last_model: None,
    };
    let outcome = match drive(&mut turn, slot, &batch, &first).await {
        Ok(outcome) => outcome,
        Err(error) => {
            match &error {
                // The user's to fix, and reported to them; not an operational fault.
                AgentError::Model { .. } | AgentError::UnknownAgent { .. } => {
                    tracing::info!(session = %turn.key.as_str(), error = %error, "run refused")
                }
                _ => {
                    tracing::error!(session = %turn.key.as_str(), error = %error_chain(&error), "run failed")
                }
            }
            // Refused runs (no model, unknown agent) stop before anything is stored.
            let session_id = match &error {
                AgentError::Model { .. } | AgentError::UnknownAgent { .. } => "",
                _ => slot.as_ref().map_or("", |s| s.entry.session_id.as_str()),
            };
            turn.outcome_in(session_id, RunStatus::Failed, None, Some(error.to_string()))
        }
    };
    // Settled before the outcome goes out: a client that answers the reply at once must find
    // a turn that is over, not one still collecting a burst.
    inner.settle(&turn.key, &batch.run_id);
    for run_id in batch.run_ids.iter().chain(&turn.steered) {
        inner.publish(Event {
            run_id: run_id.clone(),
            session_key: turn.key.clone(),
            kind: EventKind::Finished(Box::new(outcome.clone())),
        });
    }
    slot.as_ref().and_then(|s| s.entry.queue_mode.clone())
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

async fn drive(
    turn: &mut Turn<'_>,
    slot: &mut Option<SessionState>,
    batch: &Batch,
    first: &Inbound,
) -> Result<RunOutcome, AgentError> {
    let inner = turn.inner;
    let agent = inner
        .config
        .agents
        .get(first.agent_id.as_str())
        .ok_or_else(|| AgentError::UnknownAgent {
            agent: first.agent_id.as_str().to_owned(),
            known: String::new(),
        })?;
    let cwd = agent.workspace.display().to_string();
    if slot.is_none() {
        *slot = Some(
            SessionState::load_or_create(
                &inner.store,
                &first.session_key,
                &first.agent_id,
                first.session_id.as_deref(),
                first.channel.as_deref(),
                &cwd,
            )
            .await?,
        );
    }
    let Some(state) = slot.as_mut() else {
        return Err(AgentError::Internal {
            detail: "session state missing after load".into(),
        });
    };

    // Directives (only for a single message; a coalesced burst is plain text).
    let mut text = batch.text();
    let mut thinking_once = first.thinking.clone();
    if batch.messages.len() == 1 {
        let parsed = match directives::parse(&text) {
            Ok(parsed) => parsed,
            Err(e) => {
                let notice = e.to_string();
                turn.emit(EventKind::Notice {
                    text: notice.clone(),
                });
                return Ok(turn.outcome(state, RunStatus::Done, Some(notice), None));
            }
        };
        if let Some(directive) = parsed.directive {
            match directive {
                Directive::New => {
                    state.start_over(&cwd)?;
                    state.save(&inner.store, &inner.patches).await?;
                    if parsed.text.trim().is_empty() {
                        let notice = "Started a new session.".to_owned();
                        turn.emit(EventKind::Notice {
                            text: notice.clone(),
                        });
                        return Ok(turn.outcome(state, RunStatus::Done, Some(notice), None));
                    }
                }
                Directive::Reset => {
                    turn.append(state, vec![EntryBody::Reset(ResetEntry::new(None))])
                        .await?;
                    state.entry.total_tokens = Some(0);
                    state.save(&inner.store, &inner.patches).await?;
                    if parsed.text.trim().is_empty() {
                        let notice = "Session reset; the conversation starts fresh.".to_owned();
                        turn.emit(EventKind::Notice {
                            text: notice.clone(),
                        });
                        return Ok(turn.outcome(state, RunStatus::Done, Some(notice), None));
                    }
                }
                Directive::Think(Some(level)) if !parsed.text.trim().is_empty() => {
                    thinking_once = Some(level);
                }
                Directive::Compact(instructions) => {
                    let plan = inner.models.plan(agent, &state.entry)?;
                    let notice = match compaction::compact(
                        turn,
                        state,
                        &plan,
                        instructions.as_deref(),
                    )
                    .await
                    {
                        Ok(Some(before)) => {
                            format!("Compacted the conversation ({before} tokens before).")
                        }
                        Ok(None) => "Nothing to compact yet.".to_owned(),
                        Err(e) => format!("Compaction failed: {e}"),
                    };
                    state.save(&inner.store, &inner.patches).await?;
                    turn.emit(EventKind::Notice {
                        text: notice.clone(),
                    });
                    return Ok(turn.outcome(state, RunStatus::Done, Some(notice), None));
                }
                other => {
                    let notice = settings::apply(turn, state, agent, other).await?;
                    state.save(&inner.store, &inner.patches).await?;
                    turn.emit(EventKind::Notice {
                        text: notice.clone(),
                    });
                    return Ok(turn.outcome(state, RunStatus::Done, Some(notice), None));
                }
            }
            text = parsed.text;
        }
    }

    let plan = inner.models.plan(agent, &state.entry)?;
    let thinking = thinking_once
        .or_else(|| state.entry.thinking_level.clone())
        .unwrap_or_else(|| config_thinking(&inner.config));
    turn.emit(EventKind::Started {
        session_id: state.entry.session_id.as_str().to_owned(),
        model: plan.primary.reference(),
    });

    // Record model and thinking changes, then the user's message.
    let mut bodies = Vec::new();
    let model_pair = (plan.primary.provider.clone(), plan.primary.id.clone());
    if state.context.last_model.as_ref() != Some(&model_pair) {
        bodies.push(EntryBody::ModelChange(ModelChangeEntry::new(
            model_pair.0,
            model_pair.1,
        )));
    }
    if state.context.last_thinking.as_ref() != Some(&thinking) {
        bodies.push(EntryBody::ThinkingLevelChange(
            ThinkingLevelChangeEntry::new(thinking.clone()),
        ));
    }
    bodies.push(user_message(text));
    state.entry.last_interaction_at = Some(now_ms());
    state.entry.status = Some(EntryRunStatus::Running);
    state.entry.started_at = Some(now_ms());
    turn.append(state, bodies).await?;
    state.save(&inner.store, &inner.patches).await?;

    let timeout = inner.config.agents.defaults.timeout;
    let deadline = tokio::time::Instant::now() + timeout;
    let timer_cancel = turn.cancel.clone();
    let timed_out = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let timer_flag = Arc::clone(&timed_out);
    let timer = tokio::spawn(async move {
        tokio::time::sleep_until(deadline).await;
        timer_flag.store(true, std::sync::atomic::Ordering::SeqCst);
        timer_cancel.cancel();
    });
    let result = turn_loop::model_loop(turn, state, agent, plan, thinking).await;
    timer.abort();
    let mut outcome = result?;
    if outcome.status == RunStatus::Aborted && timed_out.load(std::sync::atomic::Ordering::SeqCst) {
        outcome.status = RunStatus::TimedOut;
        outcome.error = Some(format!(
            "the run hit its time limit of {} s",
            timeout.as_secs()
        ));
    }
    finish_entry(state, &outcome);
    state.save(&inner.store, &inner.patches).await?;
    Ok(outcome)
}

pub(crate) fn config_thinking(config: &rustyclaw_config::Config) -> ThinkingLevel {
    // Both enums serialise to OpenClaw's level names.
    serde_json::to_value(config.agents.defaults.thinking_default)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or(ThinkingLevel::Off)
}

fn finish_entry(state: &mut SessionState, outcome: &RunOutcome) {
    let entry = &mut state.entry;
    entry.status = Some(match outcome.status {
        RunStatus::Done => EntryRunStatus::Done,
        RunStatus::Failed => EntryRunStatus::Failed,
        RunStatus::Aborted => EntryRunStatus::Killed,
        RunStatus::TimedOut => EntryRunStatus::Timeout,
    });
    entry.ended_at = Some(now_ms());
    entry.runtime_ms = Some(outcome.duration_ms);
    entry.aborted_last_run = Some(outcome.status == RunStatus::Aborted);
    entry.output_tokens = Some(outcome.usage.output);
    let cost = entry.estimated_cost_usd.unwrap_or(0.0) + outcome.usage.cost.total;
    entry.estimated_cost_usd = Some(cost);
    entry.compaction_count = Some(state.context.compactions);
}
