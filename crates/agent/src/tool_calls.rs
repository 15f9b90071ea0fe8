//! Executing a batch of tool calls: in parallel, each with its own timeout, with
//! repeated-call detection and a cap on what goes back to the model.

use std::time::Duration;

use futures_util::future::join_all;
use rustyclaw_protocol::transcript::{ContentBlock, ToolCall, ToolResultMessage};
use rustyclaw_tools::{Provenance, ToolContext, ToolEffect, ToolError, ToolRegistry};
use serde_json::{Value, json};

use crate::clock::now_ms;
use crate::guards::GuardScope;

/// Largest tool result text sent to the model, in characters. Larger output is cut in the
/// middle so both the start and the end (usually the error) survive.
pub(crate) const MAX_RESULT_CHARS: usize = 100_000;

/// A call the model made, with what the runtime already knows about it.
#[derive(Debug, Clone)]
pub(crate) struct PlannedCall {
    pub call: ToolCall,
    /// Why it must not run (invalid JSON arguments, repeated loop); becomes an error result.
    pub refusal: Option<String>,
}

/// The result of one call.
#[derive(Debug)]
pub(crate) struct CallResult {
    pub message: ToolResultMessage,
    pub effects: Vec<ToolEffect>,
    /// Where the message's text comes from, as the tool said: what the guards score. Not
    /// sent to the model, and not stored (the guard's decision is, in the details).
    pub provenance: Provenance,
    /// A fatal error that must end the run.
    pub fatal: Option<String>,
}

/// Remembers recent calls to spot a model repeating itself.
#[derive(Debug, Default)]
pub(crate) struct LoopGuard {
    history: Vec<String>,
}

impl LoopGuard {
    /// How many times this exact call (name + arguments) was already made in this run.
    pub fn repeats(&self, call: &ToolCall) -> usize {
        let key = Self::key(call);
        self.history.iter().filter(|k| **k == key).count()
    }

    /// Records a call.
    pub fn record(&mut self, call: &ToolCall) {
        self.history.push(Self::key(call));
    }

    fn key(call: &ToolCall) -> String {
        format!("{}\u{0}{}", call.name, call.arguments)
    }
}

/// Cuts `text` to `max` characters around a marker, keeping half from each end.
pub(crate) fn cap_text(text: &str, max: usize) -> String {
    crate::text::cut_middle(text, max, max / 2, |omitted| {
        format!("[… {omitted} characters of tool output omitted …]")
    })
}

fn cap_content(content: Vec<ContentBlock>) -> Vec<ContentBlock> {
    content
        .into_iter()
        .map(|block| match block {
            ContentBlock::Text(mut t) if t.text.chars().count() > MAX_RESULT_CHARS => {
                t.text = cap_text(&t.text, MAX_RESULT_CHARS);
                ContentBlock::Text(t)
            }
            other => other,
        })
        .collect()
}

/// A result that is an error the model reads (`text`), from no outside source.
fn error_result(call: &ToolCall, text: String, details: Option<Value>) -> CallResult {
    let mut message = ToolResultMessage::new(
        call.id.clone(),
        call.name.clone(),
        vec![ContentBlock::text(text)],
        true,
        now_ms(),
    );
    message.details = details;
    CallResult {
        message,
        effects: Vec::new(),
        provenance: Provenance::Trusted,
        fatal: None,
    }
}

/// Runs one call between the risk guards: a blocked command is answered without running, and
/// what the tool returns is scored before the model reads it.
async fn run_one(
    registry: &ToolRegistry,
    planned: PlannedCall,
    cx: &ToolContext,
    timeout: Duration,
    guards: &GuardScope<'_, '_>,
) -> CallResult {
    let runs = planned.refusal.is_none() && registry.contains(&planned.call.name);
    if runs && let Some(blocked) = guards.before(&planned.call).await {
        return error_result(&planned.call, blocked.text, Some(blocked.details));
    }
    let call = planned.call.clone();
    let mut result = invoke(registry, planned, cx, timeout).await;
    if runs {
        guards
            .after(&call, &mut result.message, &result.provenance)
            .await;
    }
    result
}

async fn invoke(
    registry: &ToolRegistry,
    planned: PlannedCall,
    cx: &ToolContext,
    timeout: Duration,
) -> CallResult {
    let call = planned.call;
    if let Some(refusal) = planned.refusal {
        return error_result(&call, refusal, None);
    }
    if !registry.contains(&call.name) {
        let known = registry.names().join(", ");
        return error_result(
            &call,
            format!(
                "Tool {:?} does not exist. Available tools: {known}.",
                call.name
            ),
            None,
        );
    }
    let invoke = registry.call(&call.name, call.arguments.clone(), cx);
    let outcome = tokio::select! {
        biased;
        () = cx.cancel.cancelled() => Some(Err(ToolError::Cancelled)),
        result = tokio::time::timeout(timeout, invoke) => match result {
            Ok(result) => result,
            Err(_) => {
                return error_result(
                    &call,
                    format!("{} did not finish within {} s and was stopped.", call.name, timeout.as_secs()),
                    Some(json!({"status": "timeout"})),
                );
            }
        },
    };
    match outcome {
        None => error_result(&call, format!("Tool {:?} does not exist.", call.name), None),
        Some(Ok(output)) => {
            let mut message = ToolResultMessage::new(
                call.id.clone(),
                call.name.clone(),
                cap_content(output.content),
                false,
                now_ms(),
            );
            message.details = output.details;
            CallResult {
                message,
                effects: output.effects,
                provenance: output.provenance,
                fatal: None,
            }
        }
        Some(Err(error)) => {
            let fatal = error.is_fatal().then(|| error.to_string());
            let details = match &error {
                ToolError::Failed { details, .. } => details.clone(),
                _ => None,
            };
            let mut result = error_result(
                &call,
                cap_text(&error.to_string(), MAX_RESULT_CHARS),
                details,
            );
            result.fatal = fatal;
            result.provenance = error.provenance();
            result
        }
    }
}

/// Runs every call concurrently; results come back in call order.
pub(crate) async fn run_all(
    registry: &ToolRegistry,
    calls: Vec<PlannedCall>,
    cx: &ToolContext,
    timeout: Duration,
    guards: &GuardScope<'_, '_>,
) -> Vec<CallResult> {
    join_all(
        calls
            .into_iter()
            .map(|planned| run_one(registry, planned, cx, timeout, guards)),
    )
    .await
}

/// The text of a result, for events and logs.
pub(crate) fn result_text(message: &ToolResultMessage) -> String {
    crate::text::text_blocks(&message.content, "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn call(name: &str, args: Value) -> ToolCall {
        ToolCall {
            id: "c1".into(),
            name: name.into(),
            arguments: args,
            thought_signature: None,
            other: Map::new(),
        }
    }

    #[test]
    fn identical_calls_are_counted() {
        let mut guard = LoopGuard::default();
        let a = call("exec", json!({"command": "ls"}));
        let b = call("exec", json!({"command": "ls -l"}));
        assert_eq!(guard.repeats(&a), 0);
        guard.record(&a);
        guard.record(&b);
        guard.record(&a);
        assert_eq!(guard.repeats(&a), 2);
        assert_eq!(guard.repeats(&b), 1);
    }

    #[test]
    fn long_output_keeps_both_ends() {
        let text = format!("START{}END", "y".repeat(1_000));
        let capped = cap_text(&text, 100);
        assert!(capped.starts_with("START"));
        assert!(capped.ends_with("END"));
        assert!(capped.contains("characters of tool output omitted"));
        assert_eq!(cap_text("short", 100), "short");
    }
}
