//! One turn of a session: directives, the model ↔ tools loop, persistence, the outcome.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use futures_util::StreamExt;
use rustyclaw_protocol::session_entry::{QueueMode, RunStatus as EntryRunStatus};
use rustyclaw_protocol::transcript::{
    AgentMessage, AssistantMessage, ContentBlock, EntryBody, MessageContent, MessageEntry,
    ModelChangeEntry, ResetEntry, StopReason, ThinkingLevelChangeEntry, ToolResultMessage, Usage,
    UserMessage,
};
use rustyclaw_protocol::{SessionKey, ThinkingLevel};
use rustyclaw_providers::{Collected, ModelRequest, ProviderError, StreamEvent, ToolSpec};
use rustyclaw_tools::{ToolContext, ToolEffect};
use tokio_util::sync::CancellationToken;

use crate::compaction;
use crate::directives::{self, Directive};
use crate::error::AgentError;
use crate::event::{Event, EventKind, RunId, RunOutcome, RunStatus};
use crate::models::{ModelPlan, OpenError};
use crate::op::Inbound;
use crate::prompt;
use crate::runtime::Inner;
use crate::session::SessionState;
use crate::status;
use crate::tool_calls::{self, LoopGuard, PlannedCall};
use crate::transcript::now_ms;

/// Model calls in one turn before the run is stopped as runaway.
pub(crate) const MAX_MODEL_CALLS: usize = 48;

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
    key: SessionKey,
    pub(crate) cancel: CancellationToken,
    steer: Arc<Mutex<Vec<Inbound>>>,
    started: Instant,
    usage: Usage,
    last_model: Option<String>,
}

impl Turn<'_> {
    pub(crate) fn emit(&self, kind: EventKind) {
        let _ = self.inner.events.send(Event {
            run_id: self.run_id.clone(),
            session_key: self.key.clone(),
            kind,
        });
    }

    /// Appends entries and announces them, in that order.
    async fn append(
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

    fn outcome(
        &self,
        state: &SessionState,
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
            session_id: state.entry.session_id.as_str().to_owned(),
            duration_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }
}

fn add_usage(total: &mut Usage, more: &Usage) {
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
    let text: String = message
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("");
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("NO_REPLY") {
        None
    } else {
        Some(trimmed.to_owned())
    }
}

fn user_message(text: String) -> EntryBody {
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
            RunOutcome {
                status: RunStatus::Failed,
                reply: None,
                error: Some(error.to_string()),
                usage: turn.usage.clone(),
                model: turn.last_model.clone(),
                // Refused runs (no model, unknown agent) stop before anything is stored.
                session_id: match &error {
                    AgentError::Model { .. } | AgentError::UnknownAgent { .. } => String::new(),
                    _ => slot
                        .as_ref()
                        .map(|s| s.entry.session_id.as_str().to_owned())
                        .unwrap_or_default(),
                },
                duration_ms: u64::try_from(turn.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            }
        }
    };
    for run_id in &batch.run_ids {
        let _ = inner.events.send(Event {
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
                    state.save(&inner.store).await?;
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
                    state.save(&inner.store).await?;
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
                    let plan = inner.models.plan(&inner.config, agent, &state.entry)?;
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
                    state.save(&inner.store).await?;
                    turn.emit(EventKind::Notice {
                        text: notice.clone(),
                    });
                    return Ok(turn.outcome(state, RunStatus::Done, Some(notice), None));
                }
                other => {
                    let notice = apply_setting(turn, state, agent, other).await?;
                    state.save(&inner.store).await?;
                    turn.emit(EventKind::Notice {
                        text: notice.clone(),
                    });
                    return Ok(turn.outcome(state, RunStatus::Done, Some(notice), None));
                }
            }
            text = parsed.text;
        }
    }

    let plan = inner.models.plan(&inner.config, agent, &state.entry)?;
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
    state.save(&inner.store).await?;

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
    let result = model_loop(turn, state, agent, plan, thinking).await;
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
    state.save(&inner.store).await?;
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

async fn apply_setting(
    turn: &Turn<'_>,
    state: &mut SessionState,
    agent: &rustyclaw_config::AgentConfig,
    directive: Directive,
) -> Result<String, AgentError> {
    let inner = turn.inner;
    Ok(match directive {
        Directive::Think(None) => {
            let level = state
                .entry
                .thinking_level
                .clone()
                .unwrap_or_else(|| config_thinking(&inner.config));
            format!("Thinking level is {}.", level.as_str())
        }
        Directive::Think(Some(level)) => {
            state.entry.thinking_level = Some(level.clone());
            turn.append(
                state,
                vec![EntryBody::ThinkingLevelChange(
                    ThinkingLevelChangeEntry::new(level.clone()),
                )],
            )
            .await?;
            format!("Thinking level set to {}.", level.as_str())
        }
        Directive::Model(None) => {
            let plan = inner.models.plan(&inner.config, agent, &state.entry)?;
            format!("Current model: {}.", plan.primary.reference())
        }
        Directive::Model(Some(choice)) => {
            if choice.eq_ignore_ascii_case("default") {
                state.entry.model_override = None;
                state.entry.provider_override = None;
                let plan = inner.models.plan(&inner.config, agent, &state.entry)?;
                format!("Model reset to the default, {}.", plan.primary.reference())
            } else {
                match inner.models.resolve(&choice) {
                    Ok(spec) => {
                        state.entry.provider_override = Some(spec.provider.clone());
                        state.entry.model_override = Some(spec.id.clone());
                        turn.append(
                            state,
                            vec![EntryBody::ModelChange(ModelChangeEntry::new(
                                spec.provider.clone(),
                                spec.id.clone(),
                            ))],
                        )
                        .await?;
                        format!("Model set to {}.", spec.reference())
                    }
                    Err(e) => format!("Cannot use model {choice:?}: {e}"),
                }
            }
        }
        Directive::Queue(None) => format!(
            "Queue mode is {}.",
            state
                .entry
                .queue_mode
                .as_ref()
                .map_or("collect (default)", |m| m.as_str())
        ),
        Directive::Queue(Some(mode)) => {
            state.entry.queue_mode = Some(mode.clone());
            format!("Queue mode set to {}.", mode.as_str())
        }
        Directive::Verbose(level) => {
            use rustyclaw_protocol::VerboseLevel;
            let toggled = match state.entry.verbose_level {
                Some(VerboseLevel::On) | Some(VerboseLevel::Full) => VerboseLevel::Off,
                _ => VerboseLevel::On,
            };
            let next = level.unwrap_or(toggled);
            state.entry.verbose_level = Some(next.clone());
            format!("Verbose set to {}.", next.as_str())
        }
        Directive::Status => {
            let plan = inner.models.plan(&inner.config, agent, &state.entry).ok();
            status::render(&status::snapshot(
                &inner.config,
                state,
                plan.as_ref().map(|p| &p.primary),
            ))
        }
        Directive::New | Directive::Reset | Directive::Compact(_) => String::new(),
    })
}

fn tool_specs(inner: &Inner) -> (Vec<ToolSpec>, Vec<(String, String)>) {
    let mut specs = Vec::new();
    let mut summaries = Vec::new();
    for (name, description, parameters) in inner.tools.specs() {
        summaries.push((name.to_owned(), prompt::summary_of(&description)));
        specs.push(ToolSpec {
            name: name.to_owned(),
            description,
            parameters,
        });
    }
    (specs, summaries)
}

async fn system_prompt(
    inner: &Inner,
    state: &SessionState,
    agent: &rustyclaw_config::AgentConfig,
    model: &str,
    thinking: &ThinkingLevel,
    tool_summaries: &[(String, String)],
) -> String {
    let defaults = &inner.config.agents.defaults;
    let main_session = state.key.as_str().ends_with(":main");
    let files = if defaults.skip_bootstrap {
        Vec::new()
    } else {
        prompt::read_workspace_files(&agent.workspace, main_session).await
    };
    let workspace = agent.workspace.display().to_string();
    let date = status::today_utc();
    let timezone = defaults
        .user_timezone
        .clone()
        .unwrap_or_else(|| "UTC".to_owned());
    let host = inner.host_name.clone();
    let os = format!("{} ({})", std::env::consts::OS, std::env::consts::ARCH);
    prompt::build(&prompt::PromptInputs {
        agent_id: &agent.id,
        workspace: &workspace,
        tools: tool_summaries,
        files: &files,
        file_max_chars: defaults.bootstrap_max_chars,
        total_max_chars: defaults.bootstrap_total_max_chars,
        date: &date,
        timezone: &timezone,
        host: &host,
        os: &os,
        model,
        thinking: thinking.as_str(),
        sandboxed: !matches!(agent.sandbox.mode, rustyclaw_config::file::SandboxMode::Off),
    })
}

async fn model_loop(
    turn: &mut Turn<'_>,
    state: &mut SessionState,
    agent: &rustyclaw_config::AgentConfig,
    mut plan: ModelPlan,
    thinking: ThinkingLevel,
) -> Result<RunOutcome, AgentError> {
    let inner = turn.inner;
    let (specs, summaries) = tool_specs(inner);
    let mut guard = LoopGuard::default();
    let max_repeats =
        usize::try_from(inner.config.tools.loop_detection_max_repeats.max(1)).unwrap_or(3);
    let mut compacted_for_overflow = false;
    let mut last_reply: Option<String> = None;
    let tool_timeout = inner.config.agents.defaults.timeout;

    // The previous turn may have left the context near the window.
    if compaction::should_compact(state, &plan.primary) {
        compaction::compact(turn, state, &plan, None).await?;
    }

    for _call in 0..MAX_MODEL_CALLS {
        if turn.cancel.is_cancelled() {
            return Ok(turn.outcome(
                state,
                RunStatus::Aborted,
                last_reply,
                Some("aborted".into()),
            ));
        }
        // Steered messages join the conversation at this boundary.
        let steered: Vec<Inbound> =
            std::mem::take(&mut *turn.steer.lock().unwrap_or_else(PoisonError::into_inner));
        if !steered.is_empty() {
            let bodies = steered.into_iter().map(|m| user_message(m.text)).collect();
            turn.append(state, bodies).await?;
        }

        let system = system_prompt(
            inner,
            state,
            agent,
            &plan.primary.reference(),
            &thinking,
            &summaries,
        )
        .await;
        let mut request = ModelRequest::new(system, state.context.messages());
        request.tools = specs.clone();
        request.thinking = thinking.clone();
        request.cache_key = Some(state.entry.session_id.as_str().to_owned());

        let opened = match inner
            .models
            .open(&plan, &request, &turn.cancel, &|kind| turn.emit(kind))
            .await
        {
            Ok(opened) => opened,
            Err(OpenError::Aborted) => {
                return Ok(turn.outcome(
                    state,
                    RunStatus::Aborted,
                    last_reply,
                    Some("aborted".into()),
                ));
            }
            Err(OpenError::Overflow { .. }) if !compacted_for_overflow => {
                compacted_for_overflow = true;
                if compaction::compact(turn, state, &plan, None)
                    .await?
                    .is_some()
                {
                    continue;
                }
                let message = "the conversation no longer fits the model's context window and there is nothing left to compact".to_owned();
                return fail_with_message(turn, state, &plan, message).await;
            }
            Err(error) => {
                let message = error.to_string();
                return fail_with_message(turn, state, &plan, message).await;
            }
        };
        let spec = opened.spec.clone();
        turn.last_model = Some(spec.reference());

        // Stream.
        let mut stream = opened.stream;
        let mut collected = Collected::new();
        let mut error: Option<ProviderError> = None;
        loop {
            tokio::select! {
                biased;
                () = turn.cancel.cancelled() => {
                    error = Some(ProviderError::Aborted);
                    break;
                }
                item = stream.next() => match item {
                    Some(Ok(event)) => {
                        match &event {
                            StreamEvent::TextDelta(delta) => turn.emit(EventKind::AssistantDelta { delta: delta.clone() }),
                            StreamEvent::ThinkingDelta(delta) => turn.emit(EventKind::ThinkingDelta { delta: delta.clone() }),
                            _ => {}
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
        drop(stream);
        if error.is_none() && !collected.is_complete() {
            error = Some(ProviderError::StreamEnded);
        }
        let (message, malformed) = collected.finish(&spec, now_ms(), error.as_ref());
        add_usage(&mut turn.usage, &message.usage);
        let context_tokens =
            message.usage.input + message.usage.cache_read + message.usage.cache_write;
        if context_tokens > 0 {
            state.entry.input_tokens = Some(message.usage.input);
            state.entry.cache_read = Some(message.usage.cache_read);
            state.entry.cache_write = Some(message.usage.cache_write);
            state.entry.total_tokens = Some(context_tokens + message.usage.output);
            state.entry.total_tokens_fresh = Some(true);
        }
        state.entry.model_provider = Some(spec.provider.clone());
        state.entry.model = Some(spec.id.clone());
        state.entry.context_tokens = Some(spec.context_window);
        let reply = reply_text(&message);
        if reply.is_some() {
            last_reply = reply.clone();
        }
        let calls: Vec<_> = message
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::ToolCall(call) => Some(call.clone()),
                _ => None,
            })
            .collect();
        turn.append(
            state,
            vec![EntryBody::Message(MessageEntry::new(
                AgentMessage::Assistant(message),
            ))],
        )
        .await?;

        if let Some(error) = error {
            return match error {
                ProviderError::Aborted => Ok(turn.outcome(
                    state,
                    RunStatus::Aborted,
                    last_reply,
                    Some("aborted".into()),
                )),
                other => {
                    let overflow =
                        other.class() == rustyclaw_providers::FailureClass::ContextOverflow;
                    if overflow && !compacted_for_overflow && calls.is_empty() {
                        compacted_for_overflow = true;
                        if compaction::compact(turn, state, &plan, None)
                            .await?
                            .is_some()
                        {
                            continue;
                        }
                    }
                    // Tool calls of a broken response are answered so the transcript stays valid.
                    if !calls.is_empty() {
                        let results = calls
                            .iter()
                            .map(|c| interrupted_result(c, "the model's response broke off before this call was complete; it was not run"))
                            .collect();
                        persist_results(turn, state, results).await?;
                    }
                    Ok(turn.outcome(
                        state,
                        RunStatus::Failed,
                        last_reply,
                        Some(other.to_string()),
                    ))
                }
            };
        }
        if calls.is_empty() {
            return Ok(turn.outcome(state, RunStatus::Done, reply, None));
        }

        // Tools.
        let planned: Vec<PlannedCall> = calls
            .into_iter()
            .map(|call| {
                let refusal = if let Some(bad) = malformed.iter().find(|m| m.id == call.id) {
                    Some(format!(
                        "The arguments of this {} call were not a valid JSON object: {}. Send the call again with valid JSON arguments.",
                        bad.name,
                        tool_calls::cap_text(&bad.raw_arguments, 500)
                    ))
                } else if guard.repeats(&call) >= max_repeats {
                    Some(format!(
                        "This exact {} call (same arguments) was already made {} times in this turn. Do not repeat it; change approach or finish.",
                        call.name,
                        guard.repeats(&call)
                    ))
                } else {
                    None
                };
                guard.record(&call);
                PlannedCall { call, refusal }
            })
            .collect();
        let runaway = planned
            .iter()
            .any(|p| guard.repeats(&p.call) > max_repeats * 2);
        for p in &planned {
            turn.emit(EventKind::ToolStarted {
                call_id: p.call.id.clone(),
                name: p.call.name.clone(),
                args: p.call.arguments.clone(),
            });
        }
        let cx = ToolContext {
            workspace: agent.workspace.clone(),
            session_key: state.key.clone(),
            agent_id: state.agent_id.clone(),
            cancel: turn.cancel.child_token(),
            services: Arc::clone(&inner.tool_services),
            status: status::tool_status(&inner.config, state, &plan.primary),
        };
        let results = tool_calls::run_all(&inner.tools, planned, &cx, tool_timeout).await;
        let mut fatal = None;
        let mut messages = Vec::with_capacity(results.len());
        for result in results {
            for effect in &result.effects {
                match effect {
                    ToolEffect::SetModelOverride(None) => {
                        state.entry.model_override = None;
                        state.entry.provider_override = None;
                    }
                    ToolEffect::SetModelOverride(Some(choice)) => {
                        if let Ok(spec) = inner.models.resolve(choice) {
                            state.entry.provider_override = Some(spec.provider.clone());
                            state.entry.model_override = Some(spec.id.clone());
                        }
                    }
                }
            }
            if fatal.is_none() {
                fatal = result.fatal;
            }
            messages.push(result.message);
        }
        persist_results(turn, state, messages).await?;
        if turn.cancel.is_cancelled() {
            return Ok(turn.outcome(
                state,
                RunStatus::Aborted,
                last_reply,
                Some("aborted".into()),
            ));
        }
        if let Some(reason) = fatal {
            return Ok(turn.outcome(state, RunStatus::Failed, last_reply, Some(reason)));
        }
        if runaway {
            return Ok(turn.outcome(
                state,
                RunStatus::Failed,
                last_reply,
                Some("stopped: the model kept repeating the same tool call".into()),
            ));
        }
        // A model override set by a tool applies from the next call.
        plan = inner.models.plan(&inner.config, agent, &state.entry)?;
        // Compact between calls when the context nears the window.
        if compaction::should_compact(state, &plan.primary) {
            compaction::compact(turn, state, &plan, None).await?;
        }
    }
    Ok(turn.outcome(
        state,
        RunStatus::Failed,
        last_reply,
        Some(format!(
            "stopped after {MAX_MODEL_CALLS} model calls without finishing"
        )),
    ))
}

fn interrupted_result(
    call: &rustyclaw_protocol::transcript::ToolCall,
    why: &str,
) -> ToolResultMessage {
    ToolResultMessage::new(
        call.id.clone(),
        call.name.clone(),
        vec![ContentBlock::text(why)],
        true,
        now_ms(),
    )
}

async fn persist_results(
    turn: &Turn<'_>,
    state: &mut SessionState,
    results: Vec<ToolResultMessage>,
) -> Result<(), AgentError> {
    let finished: Vec<EventKind> = results
        .iter()
        .map(|m| EventKind::ToolFinished {
            call_id: m.tool_call_id.clone(),
            name: m.tool_name.clone(),
            is_error: m.is_error,
            output: tool_calls::cap_text(&tool_calls::result_text(m), 4_000),
        })
        .collect();
    let bodies = results
        .into_iter()
        .map(|m| EntryBody::Message(MessageEntry::new(AgentMessage::ToolResult(m))))
        .collect();
    turn.append(state, bodies).await?;
    for kind in finished {
        turn.emit(kind);
    }
    Ok(())
}

/// Records a failed call as an assistant message with `stopReason: error`, as upstream does,
/// and ends the run.
async fn fail_with_message(
    turn: &Turn<'_>,
    state: &mut SessionState,
    plan: &ModelPlan,
    message: String,
) -> Result<RunOutcome, AgentError> {
    let mut assistant = AssistantMessage::new(
        Vec::new(),
        plan.primary.api.as_str().to_owned(),
        plan.primary.provider.clone(),
        plan.primary.id.clone(),
        Usage::default(),
        StopReason::Error,
        now_ms(),
    );
    assistant.error_message = Some(message.clone());
    turn.append(
        state,
        vec![EntryBody::Message(MessageEntry::new(
            AgentMessage::Assistant(assistant),
        ))],
    )
    .await?;
    Ok(turn.outcome(state, RunStatus::Failed, None, Some(message)))
}
