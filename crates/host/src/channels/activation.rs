//! `/activation mention|always`: whether a group's session runs on every admitted message or
//! only when the bot is mentioned (OpenClaw's group activation), set by a sender allowed to use
//! commands and kept on the session entry (`groupActivation`), where admission reads it.

use std::sync::Arc;

use rustyclaw_protocol::session_entry::{ChatType, GroupActivation};
use rustyclaw_protocol::{SessionEntry, SessionId, SessionKey};
use rustyclaw_store::StoredInbound;
use rustyclaw_support::now_ms_i64;

use super::answer;
use super::hub::{AccountKey, Hub};

/// Whether `text` is an `/activation` command (Telegram's `/activation@bot` included).
pub(crate) fn is_activation(text: &str) -> bool {
    text.trim_start()
        .strip_prefix('/')
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|word| word.split('@').next())
        .is_some_and(|name| name.eq_ignore_ascii_case("activation"))
}

/// Handles an `/activation` command from a sender allowed to use commands.
pub(crate) async fn handle(
    hub: &Arc<Hub>,
    key: &AccountKey,
    message: &StoredInbound,
    session: &SessionKey,
) {
    let reply = if message.record.chat.kind == ChatType::Direct {
        "/activation applies to groups; a direct chat always answers.".to_owned()
    } else {
        let argument = message
            .record
            .text
            .split_whitespace()
            .nth(1)
            .map(str::to_lowercase);
        match argument.as_deref() {
            Some(mode @ ("mention" | "always")) => match set(hub, session, mode).await {
                Ok(()) => format!(
                    "Group activation: {mode} ({}).",
                    if mode == "always" {
                        "every message here runs the agent"
                    } else {
                        "only messages that mention the agent run it"
                    }
                ),
                Err(error) => format!("⚠️ The activation could not be saved: {error}"),
            },
            _ => "Usage: /activation mention|always".to_owned(),
        }
    };
    answer::reply_without_run(hub, key, message, reply).await;
}

async fn set(hub: &Hub, session: &SessionKey, mode: &str) -> Result<(), String> {
    let activation = GroupActivation::from(mode.to_owned());
    let patch: rustyclaw_agent::SessionPatch = Arc::new(move |entry: &mut SessionEntry| {
        entry.group_activation = Some(activation.clone());
    });
    let id = SessionId::new(uuid::Uuid::new_v4().to_string()).map_err(|e| e.to_string())?;
    let now = now_ms_i64();
    hub.runtime
        .patch_session(session, patch, move || {
            let mut entry = SessionEntry::new(id, now);
            entry.created_at = Some(now);
            entry.session_started_at = Some(now);
            entry
        })
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activation_commands_are_recognised() {
        assert!(is_activation("/activation always"));
        assert!(is_activation("  /Activation@claw_bot mention"));
        assert!(!is_activation("/activate"));
        assert!(!is_activation("activation always"));
    }
}
