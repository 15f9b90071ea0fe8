//! Directives that change a session setting (`/think`, `/model`, `/queue`, `/verbose`,
//! `/status`): applied, recorded where the transcript tracks them, confirmed in words.

use rustyclaw_protocol::transcript::{EntryBody, ModelChangeEntry, ThinkingLevelChangeEntry};

use crate::directives::Directive;
use crate::error::AgentError;
use crate::session::SessionState;
use crate::turn::Turn;
use crate::{status, thinking};

/// Applies `directive` and returns the confirmation shown to the user.
pub(crate) async fn apply(
    turn: &Turn<'_>,
    state: &mut SessionState,
    agent: &rustyclaw_config::AgentConfig,
    directive: Directive,
) -> Result<String, AgentError> {
    let services = turn.services;
    Ok(match directive {
        Directive::Think(None) => {
            let level = state
                .entry
                .thinking_level
                .clone()
                .unwrap_or_else(|| thinking::configured(&services.config));
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
            let plan = services.models.plan(agent, &state.entry)?;
            format!("Current model: {}.", plan.primary.reference())
        }
        Directive::Model(Some(choice)) => {
            if choice.eq_ignore_ascii_case("default") {
                state.entry.model_override = None;
                state.entry.provider_override = None;
                let plan = services.models.plan(agent, &state.entry)?;
                format!("Model reset to the default, {}.", plan.primary.reference())
            } else {
                match services.models.resolve(&choice) {
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
            let plan = services.models.plan(agent, &state.entry).ok();
            let snapshot =
                status::snapshot(&services.config, state, plan.as_ref().map(|p| &p.primary));
            rustyclaw_tools::render_status_card(
                &snapshot,
                state.key.as_str(),
                None,
                crate::clock::now_ms(),
            )
        }
        // Normally answered at submission (see `crate::approvals`); kept here so a directive
        // that reaches a turn is still honoured.
        Directive::Approve { id, decision } => crate::approvals::answer(
            &services.tool_services.approvals().broker,
            &id,
            decision,
            &format!("chat:{}", state.key.as_str()),
        ),
        Directive::New | Directive::Reset | Directive::Compact(_) => String::new(),
    })
}
