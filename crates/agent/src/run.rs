//! One turn of a session: directives, the model ↔ tools loop, persistence, the outcome.
//!
//! A session's lane (in the runtime) calls [`run_batch`] and announces the outcome it
//! returns; nothing here reaches back into the runtime.

use std::sync::{Arc, Mutex};

use rustyclaw_protocol::session_entry::{QueueMode, RunStatus as EntryRunStatus};
use rustyclaw_protocol::transcript::{
    ContentBlock, EntryBody, ModelChangeEntry, ResetEntry, ThinkingLevelChangeEntry,
};
use tokio_util::sync::CancellationToken;

use crate::attachments::{self, Attached};
use crate::clock::now_ms;
use crate::compaction;
use crate::directives::{self, Directive};
use crate::error::AgentError;
use crate::event::{EventKind, RunId, RunOutcome, RunStatus};
use crate::invoke::{self, ToolInvocation};
use crate::op::Inbound;
use crate::route;
use crate::services::Services;
use crate::session::SessionState;
use crate::skills::{Invocation, TurnSkills};
use crate::turn::{Turn, user_message};
use crate::{settings, thinking, turn_loop};
use rustyclaw_protocol::origin::MessageOrigin;

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

    /// Where the reply goes: the last message's origin, as it is the one the turn answers last.
    fn reply_origin(&self) -> MessageOrigin {
        self.messages
            .last()
            .map(|m| m.origin.clone())
            .unwrap_or_default()
    }

    /// The text of a turn answering several messages: a numbered list, as OpenClaw's `collect`
    /// mode presents them, each message with the note of its attachments (`attached`, in the
    /// same order).
    fn queued_text(&self, attached: &[Attached]) -> String {
        let mut out = String::from("[Messages that arrived while you were busy]\n");
        for (i, m) in self.messages.iter().enumerate() {
            let text = attached
                .get(i)
                .map_or_else(|| m.text.clone(), |a| a.text(&m.text));
            out.push_str(&format!("\n---\nQueued #{}\n{}\n", i + 1, text));
        }
        out
    }
}

/// How a batch ended: the outcome every run it answered gets, for the lane to announce once it
/// has marked its turn settled, and the session's queue mode afterwards so the lane can
/// schedule what waits.
pub(crate) struct Ended {
    pub outcome: RunOutcome,
    /// Every run the turn answered: the batch's, then those steered into it.
    pub run_ids: Vec<RunId>,
    pub queue_mode: Option<QueueMode>,
}

/// Runs one batch on a locked lane.
pub(crate) async fn run_batch(
    services: &Services,
    slot: &mut Option<SessionState>,
    batch: Batch,
    cancel: CancellationToken,
    steer: Arc<Mutex<Vec<Inbound>>>,
) -> Option<Ended> {
    let first = batch.first().cloned()?;
    let mut turn = Turn::new(
        services,
        batch.run_id.clone(),
        first.session_key.clone(),
        batch.reply_origin(),
        cancel,
        steer,
    );
    tracing::info!(
        run = %batch.run_id,
        session = %first.session_key.as_str(),
        agent = %first.agent_id.as_str(),
        channel = first.origin.channel.as_ref().map_or("-", |c| c.as_str()),
        "run started"
    );
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
    // Ids, status, model and duration: never the text of the turn.
    tracing::info!(
        run = %batch.run_id,
        session = %turn.key.as_str(),
        session_id = %outcome.session_id,
        status = outcome.status.as_str(),
        model = outcome.model.as_deref().unwrap_or("-"),
        duration_ms = outcome.duration_ms,
        tokens_in = outcome.usage.input,
        tokens_out = outcome.usage.output,
        "run finished"
    );
    let mut run_ids = batch.run_ids;
    run_ids.append(&mut turn.steered);
    Some(Ended {
        outcome,
        run_ids,
        queue_mode: slot.as_ref().and_then(|s| s.entry.queue_mode.clone()),
    })
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
    let services = turn.services;
    let agent = services
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
                &services.store,
                &first.session_key,
                &first.agent_id,
                first.session_id.as_deref(),
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
    // Every message of the batch is an inbound message of the session, in order: the last
    // deliverable one sets the route.
    for message in &batch.messages {
        route::record(&mut state.entry, &state.key, &message.origin);
    }

    // Directives (only for a single message; a coalesced burst is plain text).
    let mut text = first.text.clone();
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
                    state.save(&services.store, &services.patches).await?;
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
                    state.save(&services.store, &services.patches).await?;
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
                    let plan = services.models.plan(agent, &state.entry)?;
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
                    state.save(&services.store, &services.patches).await?;
                    turn.emit(EventKind::Notice {
                        text: notice.clone(),
                    });
                    return Ok(turn.outcome(state, RunStatus::Done, Some(notice), None));
                }
                other => {
                    let notice = settings::apply(turn, state, agent, other).await?;
                    state.save(&services.store, &services.patches).await?;
                    turn.emit(EventKind::Notice {
                        text: notice.clone(),
                    });
                    return Ok(turn.outcome(state, RunStatus::Done, Some(notice), None));
                }
            }
            text = parsed.text;
        }
    }

    // The skills of this turn, read from disk now; a message may invoke one by its command.
    let skills =
        TurnSkills::load(services.skills.clone(), Arc::clone(&services.config), agent).await;
    if batch.messages.len() == 1
        && let Some(invocation) = skills.invocation(&text)
    {
        match invocation {
            Invocation::Prompt(message) => text = message,
            Invocation::Unknown(notice) => {
                turn.emit(EventKind::Notice {
                    text: notice.clone(),
                });
                return Ok(turn.outcome(state, RunStatus::Done, Some(notice), None));
            }
            Invocation::Tool { tool, args } => {
                let reply = dispatch_to_tool(services, first, tool, args).await?;
                turn.emit(EventKind::Notice {
                    text: reply.clone(),
                });
                return Ok(turn.outcome(state, RunStatus::Done, Some(reply), None));
            }
        }
    }

    let plan = services.models.plan(agent, &state.entry)?;
    let thinking = thinking_once
        .or_else(|| state.entry.thinking_level.clone())
        .unwrap_or_else(|| thinking::configured(&services.config));
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
    // Attachments are read only now, once no directive has answered the message instead.
    let mut attached = Vec::with_capacity(batch.messages.len());
    for message in &batch.messages {
        attached.push(attachments::attach(&message.attachments).await);
    }
    let text = match attached.as_slice() {
        [one] => one.text(&text),
        _ => batch.queued_text(&attached),
    };
    let images = attached.into_iter().flat_map(|a| a.images).collect();
    bodies.push(user_message(attachments::user_content(text, images)));
    state.entry.last_interaction_at = Some(now_ms());
    state.entry.status = Some(EntryRunStatus::Running);
    state.entry.started_at = Some(now_ms());
    turn.append(state, bodies).await?;
    state.save(&services.store, &services.patches).await?;

    let timeout = services.config.agents.defaults.timeout;
    let deadline = tokio::time::Instant::now() + timeout;
    let timer_cancel = turn.cancel.clone();
    let timed_out = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let timer_flag = Arc::clone(&timed_out);
    let timer = tokio::spawn(async move {
        tokio::time::sleep_until(deadline).await;
        timer_flag.store(true, std::sync::atomic::Ordering::SeqCst);
        timer_cancel.cancel();
    });
    let result = turn_loop::model_loop(turn, state, agent, plan, thinking, &skills).await;
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
    state.save(&services.store, &services.patches).await?;
    Ok(outcome)
}

/// A skill command with `command-dispatch: tool`: its tool is called directly, under the
/// session's tool policy, and what it returns is the answer.
async fn dispatch_to_tool(
    services: &Services,
    message: &Inbound,
    tool: String,
    args: serde_json::Value,
) -> Result<String, AgentError> {
    let call = ToolInvocation {
        agent_id: message.agent_id.clone(),
        session_key: message.session_key.clone(),
        name: tool.clone(),
        args,
        action: None,
        dry_run: false,
    };
    Ok(match invoke::invoke(services, call).await? {
        None => format!("The skill's tool {tool} is not available in this session."),
        Some(Ok(output)) => {
            let text: Vec<&str> = output
                .content
                .iter()
                .filter_map(|block| match block {
                    ContentBlock::Text(t) => Some(t.text.as_str()),
                    _ => None,
                })
                .collect();
            text.join("\n")
        }
        Some(Err(error)) => format!("{tool} failed: {error}"),
    })
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
