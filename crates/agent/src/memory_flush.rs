//! The pre-compaction memory flush: before a long conversation is summarised, a silent turn
//! lets the agent write down what it should not forget (OpenClaw's `memoryFlush`, on by
//! default; `agents.defaults.compaction.memoryFlush.enabled: false` turns it off).
//!
//! The flush works on a private copy of the conversation: its prompt, the model's answers and
//! the tool results never enter the transcript, so later turns do not see the housekeeping,
//! even if it is interrupted. Its writes to memory files are real. It may only read, write and
//! edit files (within the session's tool policy); it runs only for sessions that get the
//! owner's memory and can write their workspace, and a failure never fails the turn.

use rustyclaw_protocol::transcript::{
    AgentMessage, AssistantMessage, ContentBlock, MessageContent, ToolCall, UserMessage,
};
use rustyclaw_providers::ModelRequest;
use rustyclaw_tools::{ToolContext, ToolRegistry};

use crate::clock::now_ms;
use crate::guards::GuardScope;
use crate::models::{ModelPlan, Opened};
use crate::prompt;
use crate::session::SessionState;
use crate::tool_calls::{self, PlannedCall};
use crate::turn::{Turn, read_stream};

/// Model calls a flush may make.
const MAX_CALLS: usize = 4;

/// The tools a flush may use.
const FLUSH_TOOLS: [&str; 3] = ["read", "write", "edit"];

fn instruction(today: &str) -> String {
    format!(
        "Pre-compaction memory flush. This conversation is about to be summarised and its older messages dropped. \
         Store what should outlive it now: durable facts, decisions, preferences and open tasks go to memory/{today}.md \
         (append; create memory/ if needed), lasting facts about the user to MEMORY.md. Use write or edit; do not rewrite \
         what is already there. If there is nothing worth keeping, reply exactly NO_REPLY."
    )
}

/// Runs the flush for `state` before its compaction.
pub(crate) async fn run(
    turn: &Turn<'_>,
    state: &SessionState,
    plan: &ModelPlan,
    system: &str,
    tools: &ToolRegistry,
    cx: &ToolContext,
    timeout: std::time::Duration,
) {
    let services = turn.services;
    if !services.config.agents.defaults.memory_flush || !prompt::gets_root_memory(&state.key) {
        return;
    }
    let allowed = tools.filtered(|t| FLUSH_TOOLS.contains(&t.name));
    if !allowed.contains("write") {
        // A read-only or unwritable workspace: nothing could be stored.
        return;
    }
    let specs: Vec<rustyclaw_providers::ToolSpec> = allowed
        .specs()
        .into_iter()
        .map(
            |(name, description, parameters)| rustyclaw_providers::ToolSpec {
                name: name.to_owned(),
                description,
                parameters,
            },
        )
        .collect();
    let today = crate::status::recent_days_utc(1).pop().unwrap_or_default();
    let mut messages = state.context.messages();
    messages.push(AgentMessage::User(UserMessage::new(
        MessageContent::Text(instruction(&today)),
        now_ms(),
    )));
    let guards = GuardScope::new(turn, state);
    for _ in 0..MAX_CALLS {
        if turn.cancel.is_cancelled() {
            return;
        }
        let mut request = ModelRequest::new(system.to_owned(), messages.clone());
        request.tools = specs.clone();
        let opened = match services
            .models
            .open(plan, &request, &turn.cancel, &|_| {})
            .await
        {
            Ok(opened) => opened,
            Err(error) => {
                tracing::warn!(session = %state.key.as_str(), %error, "memory flush skipped: the model could not be reached");
                return;
            }
        };
        let Opened { stream, spec } = opened;
        let (collected, error) = read_stream(turn, stream, false).await;
        let (message, _malformed) = collected.finish(&spec, now_ms(), error.as_ref());
        if let Some(error) = error {
            tracing::warn!(session = %state.key.as_str(), %error, "memory flush stopped");
            return;
        }
        let calls: Vec<ToolCall> = tool_calls_of(&message);
        messages.push(AgentMessage::Assistant(message));
        if calls.is_empty() {
            return;
        }
        let planned = calls
            .into_iter()
            .map(|call| PlannedCall {
                refusal: (!allowed.contains(&call.name)).then(|| {
                    format!(
                        "{} is not available during the memory flush; use write or edit",
                        call.name
                    )
                }),
                call,
            })
            .collect();
        let results = tool_calls::run_all(&allowed, planned, cx, timeout, &guards).await;
        messages.extend(
            results
                .into_iter()
                .map(|r| AgentMessage::ToolResult(r.message)),
        );
    }
}

fn tool_calls_of(message: &AssistantMessage) -> Vec<ToolCall> {
    message
        .content
        .iter()
        .filter_map(|block| match block {
            ContentBlock::ToolCall(call) => Some(call.clone()),
            _ => None,
        })
        .collect()
}
