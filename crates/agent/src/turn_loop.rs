//! The model ↔ tools loop of a turn: build the request, stream the reply, persist it, run the
//! tool calls, feed the results back, until the model stops.

use std::path::Path;
use std::sync::{Arc, PoisonError};

use rustyclaw_protocol::ThinkingLevel;
use rustyclaw_protocol::transcript::{
    AgentMessage, AssistantMessage, ContentBlock, EntryBody, MessageEntry, StopReason, ToolCall,
    ToolResultMessage, Usage,
};
use rustyclaw_providers::{MalformedCall, ModelRequest, ModelSpec, ProviderError, ToolSpec};
use rustyclaw_tools::{SessionSandbox, ToolContext, ToolEffect, ToolRegistry};

use crate::attachments;
use crate::clock::now_ms;
use crate::compaction;
use crate::error::AgentError;
use crate::event::{EventKind, RunOutcome, RunStatus};
use crate::guards::GuardScope;
use crate::memory_flush;
use crate::models::{ModelPlan, Models, OpenError, Opened};
use crate::op::Inbound;
use crate::prompt;
use crate::route;
use crate::services::Services;
use crate::session::SessionState;
use crate::skills::TurnSkills;
use crate::status;
use crate::tool_calls::{self, LoopGuard, PlannedCall};
use crate::tool_policy;
use crate::turn::{Turn, add_usage, read_stream, reply_text, user_message};

/// Model calls in one turn before the run is stopped as runaway.
pub(crate) const MAX_MODEL_CALLS: usize = 48;

fn tool_specs(tools: &ToolRegistry) -> (Vec<ToolSpec>, Vec<(String, String)>) {
    let mut specs = Vec::new();
    let mut summaries = Vec::new();
    for (name, description, parameters) in tools.specs() {
        summaries.push((name.to_owned(), prompt::summary_of(&description)));
        specs.push(ToolSpec {
            name: name.to_owned(),
            description,
            parameters,
        });
    }
    (specs, summaries)
}

/// What a turn's prompt adds to the session's: its tools, its skills, whether it starts the
/// session.
struct TurnPrompt<'a> {
    tool_summaries: &'a [(String, String)],
    skills: &'a str,
    session_start: bool,
}

async fn system_prompt(
    services: &Services,
    state: &SessionState,
    agent: &rustyclaw_config::AgentConfig,
    model: &str,
    thinking: &ThinkingLevel,
    turn: TurnPrompt<'_>,
) -> String {
    let TurnPrompt {
        tool_summaries,
        skills,
        session_start,
    } = turn;
    let defaults = &services.config.agents.defaults;
    let root_memory = prompt::gets_root_memory(&state.key);
    let mut files = if defaults.skip_bootstrap {
        Vec::new()
    } else {
        prompt::read_workspace_files(&agent.workspace, root_memory).await
    };
    // Today's and yesterday's notes come with the first turn of a session, as upstream loads
    // them on a bare /new or /reset.
    if session_start && root_memory && !defaults.skip_bootstrap {
        files.extend(prompt::read_daily_notes(&agent.workspace, &status::recent_days_utc(2)).await);
    }
    let memory_tools = tool_summaries
        .iter()
        .any(|(n, _)| n == "memory_search" || n == "memory_get");
    let memory_citations = memory_tools.then(|| match services.config.memory.citations {
        Some(rustyclaw_config::file::MemoryCitations::Off) => prompt::MemoryCitationStyle::Quiet,
        _ => prompt::MemoryCitationStyle::Cite,
    });
    let workspace = agent.workspace.display().to_string();
    let date = status::today_utc();
    let timezone = defaults
        .user_timezone
        .clone()
        .unwrap_or_else(|| "UTC".to_owned());
    let host = services.host_name.clone();
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
        sandboxed: tool_policy::session_sandboxed(agent, &state.key),
        skills,
        memory_citations,
    })
}

pub(crate) async fn model_loop(
    turn: &mut Turn<'_>,
    state: &mut SessionState,
    agent: &rustyclaw_config::AgentConfig,
    mut plan: ModelPlan,
    thinking: ThinkingLevel,
    skills: &TurnSkills,
) -> Result<RunOutcome, AgentError> {
    let services = turn.services;
    let chain = tool_policy::chain(&services.config, agent, &state.key, &plan.primary);
    let tools = tool_policy::turn_tools(&services.tools, &chain);
    let (specs, summaries) = tool_specs(&tools);
    let mut guard = LoopGuard::default();
    let max_repeats =
        usize::try_from(services.config.tools.loop_detection_max_repeats.max(1)).unwrap_or(3);
    let mut compacted_for_overflow = false;
    let mut last_reply: Option<String> = None;
    let tool_timeout = services.config.agents.defaults.timeout;
    // How this session's commands are isolated, and the workspace its tools use (a scratch
    // one when the sandbox may not see the agent's). Decided before any model call, so a
    // failure cannot leave tool calls unanswered.
    let (session_sandbox, tool_workspace) = SessionSandbox::for_session(
        &agent.sandbox,
        &agent.id,
        state.key.as_str(),
        &agent.workspace,
        services.tool_services.sandbox(),
    )
    .map_err(|e| AgentError::Internal {
        detail: format!("cannot create the sandbox's scratch workspace: {e}"),
    })?;

    // The first turn of a session (one user message so far) gets the recent daily notes.
    let session_start = state
        .context
        .messages()
        .iter()
        .filter(|m| matches!(m, AgentMessage::User(_)))
        .count()
        <= 1;

    // The previous turn may have left the context near the window: the agent first gets a
    // silent chance to save what it should remember, then the older turns are summarised.
    if compaction::should_compact(state, &plan.primary) {
        let system = system_prompt(
            services,
            state,
            agent,
            &plan.primary.reference(),
            &thinking,
            TurnPrompt {
                tool_summaries: &summaries,
                skills: &skills.catalog,
                session_start: false,
            },
        )
        .await;
        let cx = tool_context(
            turn,
            state,
            &plan.primary,
            session_sandbox,
            &tool_workspace,
            skills,
        );
        memory_flush::run(turn, state, &plan, &system, &tools, &cx, tool_timeout).await;
        compaction::compact(turn, state, &plan, None).await?;
    }

    for _call in 0..MAX_MODEL_CALLS {
        if turn.cancel.is_cancelled() {
            return Ok(turn.aborted(state, last_reply));
        }
        // Steered messages join the conversation at this boundary.
        let steered: Vec<Inbound> =
            std::mem::take(&mut *turn.steer.lock().unwrap_or_else(PoisonError::into_inner));
        if !steered.is_empty() {
            turn.steered
                .extend(steered.iter().map(|m| m.run_id.clone()));
            for message in &steered {
                route::record(&mut state.entry, &state.key, &message.origin);
            }
            if let Some(last) = steered.last() {
                turn.origin = last.origin.clone();
            }
            let mut bodies = Vec::with_capacity(steered.len());
            for message in steered {
                let attached = attachments::attach(&message.attachments).await;
                let text = attached.text(&message.text);
                bodies.push(user_message(attachments::user_content(
                    text,
                    attached.images,
                )));
            }
            turn.append(state, bodies).await?;
        }

        let system = system_prompt(
            services,
            state,
            agent,
            &plan.primary.reference(),
            &thinking,
            TurnPrompt {
                tool_summaries: &summaries,
                skills: &skills.catalog,
                session_start,
            },
        )
        .await;
        let mut request = ModelRequest::new(system, state.context.messages());
        request.tools = specs.clone();
        request.thinking = thinking.clone();
        request.cache_key = Some(state.entry.session_id.as_str().to_owned());

        let opened = match services
            .models
            .open(&plan, &request, &turn.cancel, &|kind| turn.emit(kind))
            .await
        {
            Ok(opened) => opened,
            Err(OpenError::Aborted) => {
                return Ok(turn.aborted(state, last_reply));
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
        let Opened { stream, spec } = opened;
        turn.last_model = Some(spec.reference());

        let (collected, error) = read_stream(turn, stream, true).await;
        let (message, malformed) = collected.finish(&spec, now_ms(), error.as_ref());
        add_usage(&mut turn.usage, &message.usage);
        turn.calls.record(&message);
        record_call(state, &message, &spec);
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
                ProviderError::Aborted => Ok(turn.aborted(state, last_reply)),
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
        let planned = plan_calls(&mut guard, calls, &malformed, max_repeats);
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
        let cx = tool_context(
            turn,
            state,
            &plan.primary,
            session_sandbox,
            &tool_workspace,
            skills,
        );
        let guards = GuardScope::new(turn, state);
        let results = tool_calls::run_all(&tools, planned, &cx, tool_timeout, &guards).await;
        let mut fatal = None;
        let mut messages = Vec::with_capacity(results.len());
        for result in results {
            apply_effects(&services.models, state, &result.effects);
            if fatal.is_none() {
                fatal = result.fatal;
            }
            messages.push(result.message);
        }
        persist_results(turn, state, messages).await?;
        if turn.cancel.is_cancelled() {
            return Ok(turn.aborted(state, last_reply));
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
        plan = services.models.plan(agent, &state.entry)?;
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

/// The context a batch of tool calls (or the silent memory flush before compaction) runs in.
fn tool_context(
    turn: &Turn<'_>,
    state: &SessionState,
    model: &ModelSpec,
    sandbox: SessionSandbox,
    workspace: &Path,
    skills: &TurnSkills,
) -> ToolContext {
    let services = turn.services;
    ToolContext {
        workspace: workspace.to_path_buf(),
        session_key: state.key.clone(),
        sandbox,
        agent_id: state.agent_id.clone(),
        cancel: turn.cancel.child_token(),
        services: Arc::clone(&services.tool_services),
        status: status::tool_status(&services.config, state, model),
        origin: turn.origin.clone(),
        skills: Arc::clone(&skills.grants),
    }
}

fn interrupted_result(call: &ToolCall, why: &str) -> ToolResultMessage {
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

/// Records a call's usage and model on the session entry.
fn record_call(state: &mut SessionState, message: &AssistantMessage, spec: &ModelSpec) {
    let usage = &message.usage;
    let context_tokens = usage.input + usage.cache_read + usage.cache_write;
    if context_tokens > 0 {
        state.entry.input_tokens = Some(usage.input);
        state.entry.cache_read = Some(usage.cache_read);
        state.entry.cache_write = Some(usage.cache_write);
        state.entry.total_tokens = Some(context_tokens + usage.output);
        state.entry.total_tokens_fresh = Some(true);
    }
    state.entry.model_provider = Some(spec.provider.clone());
    state.entry.model = Some(spec.id.clone());
    state.entry.context_tokens = Some(spec.context_window);
}

/// Decides for each call whether it runs or is answered with a refusal: arguments that were
/// not a JSON object, or an identical call made `max_repeats` times already in this turn.
fn plan_calls(
    guard: &mut LoopGuard,
    calls: Vec<ToolCall>,
    malformed: &[MalformedCall],
    max_repeats: usize,
) -> Vec<PlannedCall> {
    calls
        .into_iter()
        .map(|call| {
            let repeats = guard.repeats(&call);
            let refusal = if let Some(bad) = malformed.iter().find(|m| m.id == call.id) {
                Some(format!(
                    "The arguments of this {} call were not a valid JSON object: {}. Send the call again with valid JSON arguments.",
                    bad.name,
                    tool_calls::cap_text(&bad.raw_arguments, 500)
                ))
            } else if repeats >= max_repeats {
                Some(format!(
                    "This exact {} call (same arguments) was already made {repeats} times in this turn. Do not repeat it; change approach or finish.",
                    call.name,
                ))
            } else {
                None
            };
            guard.record(&call);
            PlannedCall { call, refusal }
        })
        .collect()
}

/// Applies what tools asked of the runtime (a model override from `session_status`).
fn apply_effects(models: &Models, state: &mut SessionState, effects: &[ToolEffect]) {
    for effect in effects {
        match effect {
            ToolEffect::SetModelOverride(None) => {
                state.entry.model_override = None;
                state.entry.provider_override = None;
            }
            ToolEffect::SetModelOverride(Some(choice)) => match models.resolve(choice) {
                Ok(spec) => {
                    state.entry.provider_override = Some(spec.provider.clone());
                    state.entry.model_override = Some(spec.id.clone());
                }
                Err(e) => {
                    tracing::warn!(model = %choice, error = %e, "model override from session_status ignored")
                }
            },
        }
    }
}
