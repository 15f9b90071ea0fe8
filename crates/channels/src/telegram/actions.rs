//! The account's calls besides receiving and sending: deleting, reacting, typing, downloading
//! an attachment, probing the bot and logging out.
//!
//! `logout` deletes the webhook and nothing else. Telegram's own `logOut` method is never
//! called: it signs the bot out of the cloud Bot API server so it can move to a self-hosted
//! one, and the bot cannot use the cloud API again for 10 minutes, which is not what signing an
//! account out of rustyclaw should do.

use std::path::Path;

use rustyclaw_protocol::origin::MessageId;

use super::account::{TelegramAccount, channel_error};
use super::error::{BadRequestKind, TelegramError};
use super::requests::{
    ChatAction, DeleteMessage, DeleteWebhook, ReactionType, SendChatAction, SetMessageReaction,
};
use super::send::{chat_id, sent_message_id, topic};
use crate::account::{ActionError, ChannelError, OutboundTarget, ProbeReport, ReceivedAttachment};

impl TelegramAccount {
    /// The account's `delete`. A message already gone counts as deleted.
    pub(super) async fn delete_message(
        &self,
        target: &OutboundTarget,
        message_id: &MessageId,
    ) -> Result<(), ActionError> {
        let params = DeleteMessage {
            chat_id: chat_id(&target.chat).map_err(ActionError::Failed)?,
            message_id: sent_message_id(message_id).map_err(ActionError::Failed)?,
        };
        match self.api.delete_message(&params).await {
            Ok(()) => Ok(()),
            Err(error)
                if error.bad_request_kind() == Some(BadRequestKind::MessageToDeleteNotFound) =>
            {
                Ok(())
            }
            Err(error) => Err(failed(&error)),
        }
    }

    /// The account's `react`: one emoji reaction, or none for an empty `emoji`.
    pub(super) async fn set_reaction(
        &self,
        target: &OutboundTarget,
        message_id: &MessageId,
        emoji: &str,
    ) -> Result<(), ActionError> {
        let reaction = if emoji.is_empty() {
            Vec::new()
        } else {
            vec![ReactionType::Emoji {
                emoji: emoji.to_owned(),
            }]
        };
        let params = SetMessageReaction {
            chat_id: chat_id(&target.chat).map_err(ActionError::Failed)?,
            message_id: sent_message_id(message_id).map_err(ActionError::Failed)?,
            reaction,
            is_big: false,
        };
        self.api
            .set_message_reaction(&params)
            .await
            .map_err(|error| failed(&error))
    }

    /// The account's `typing`: "typing…" for about 5 s, in the target's topic (General
    /// included: the indicator shows there only with its thread id).
    pub(super) async fn show_typing(&self, target: &OutboundTarget) -> Result<(), ActionError> {
        let params = SendChatAction {
            chat_id: chat_id(&target.chat).map_err(ActionError::Failed)?,
            message_thread_id: topic(target.thread_id.as_ref()).map_err(ActionError::Failed)?,
            action: ChatAction::Typing,
        };
        self.api
            .send_chat_action(&params)
            .await
            .map_err(|error| failed(&error))
    }

    /// The account's `probe`: the bot's identity (`getMe`) and its webhook (`getWebhookInfo`).
    pub(super) async fn probe_bot(&self) -> Result<ProbeReport, ChannelError> {
        let me = self.api.get_me().await.map_err(channel_error)?;
        let webhook = self.api.get_webhook_info().await.map_err(channel_error)?;
        let configured = self
            .config
            .webhook
            .as_ref()
            .map(|config| config.url.as_str());
        let mut details = vec![match (configured, webhook.url.as_str()) {
            (None, "") => "no webhook set: long polling can run".to_owned(),
            (None, url) => {
                format!("webhook set to {url}: polling deletes it when the account starts")
            }
            (Some(_), "") => {
                "no webhook set yet: the account sets webhookUrl when it starts".to_owned()
            }
            (Some(ours), url) if ours == url => format!("webhook set to {url}"),
            (Some(_), url) => format!(
                "webhook set to {url}, not to webhookUrl: the account replaces it when it starts"
            ),
        }];
        details.push(format!(
            "{} update(s) waiting",
            webhook.pending_update_count
        ));
        if let Some(last_error) = &webhook.last_error_message {
            details.push(format!("last webhook delivery error: {last_error}"));
        }
        Ok(ProbeReport {
            identity: me.username.map(|username| format!("@{username}")),
            details,
        })
    }

    /// The account's `logout`: deletes the webhook (see the module documentation for why not
    /// `logOut`). Updates waiting are kept.
    pub(super) async fn drop_webhook(&self) -> Result<(), ChannelError> {
        self.api
            .delete_webhook(&DeleteWebhook::default())
            .await
            .map_err(channel_error)
    }

    /// The account's `download`: `getFile`, then the file streamed into `dest` within
    /// `max_bytes`. A partial file is removed when the download fails.
    pub(super) async fn download_attachment(
        &self,
        attachment: &ReceivedAttachment,
        dest: &Path,
        max_bytes: u64,
    ) -> Result<u64, ActionError> {
        let file = self
            .api
            .get_file(&attachment.file_id)
            .await
            .map_err(|error| failed(&error))?;
        if let Some(size) = file.file_size.filter(|size| *size > max_bytes) {
            return Err(failed(&TelegramError::TooLarge {
                what: "the file",
                limit: max_bytes,
                size_at_least: size,
            }));
        }
        let Some(file_path) = file.file_path else {
            return Err(ActionError::Failed(
                "Telegram gave no download path for this file".to_owned(),
            ));
        };
        let mut out = tokio::fs::File::create(dest).await.map_err(|error| {
            ActionError::Failed(format!("could not create {}: {error}", dest.display()))
        })?;
        let result = self
            .api
            .download_file_to(&file_path, max_bytes, &mut out)
            .await;
        drop(out);
        match result {
            Ok(written) => Ok(written),
            Err(error) => {
                if let Err(remove) = tokio::fs::remove_file(dest).await {
                    tracing::warn!(
                        "telegram: could not remove the partial download {}: {remove}",
                        dest.display()
                    );
                }
                Err(failed(&error))
            }
        }
    }
}

/// An action's failure: a rate limit with its wait, anything else as Telegram said it.
pub(super) fn failed(error: &TelegramError) -> ActionError {
    match error.retry_after() {
        Some(wait) => ActionError::RetryAfter {
            wait,
            message: error.to_string(),
        },
        None => ActionError::Failed(error.to_string()),
    }
}
