//! `message`: post into a chat channel, react to, edit and delete messages, through the host's
//! [`Messenger`].
//!
//! OpenClaw's tool of that name, with its parameter names, its description and its results
//! (`{"ok": true, "messageId": …}` as JSON text, the same object as details). Upstream's
//! vocabulary has some sixty actions; rustyclaw's channels (Telegram, IRC) do `send`, `react`,
//! `edit` and `delete`, each only where the channel declares it, and every other upstream action
//! is refused with upstream's "not supported for channel" error rather than pretended. The
//! schema and description follow the channels running when the turn starts, as upstream's
//! follow its configured channels: with only IRC, the model is offered `send` alone.
//!
//! Without `channel` and `target` the call acts in the conversation the turn answers (see
//! [`route`]); a reaction without `messageId` goes on the message being answered.

mod media;
mod route;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use rustyclaw_protocol::origin::{ChannelId, MessageId};
use rustyclaw_protocol::reply::ReplyPayload;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::args::opt_id;
use crate::context::ToolContext;
use crate::messenger::{
    ChannelSupport, DeleteRequest, EditRequest, MessageAction, Messenger, MessengerError,
    ReactRequest, Reaction, SendRequest,
};
use crate::provenance::Provenance;
use crate::tool::{Tool, ToolError, ToolOutput};

use self::route::{Current, Wanted};

/// The tool's name.
const NAME: &str = "message";

/// Upstream's description of `target` (`channelTargetSchema`).
const TARGET_DESCRIPTION: &str = "Recipient/channel: E.164 for WhatsApp/Signal, Telegram chat id/@username, Discord/Slack/Mattermost <channelId|user:ID|channel:ID>, or iMessage handle/chat_id";

/// Upstream's description of `message` (`MESSAGE_TOOL_SEND_TEXT_DESCRIPTION`).
const SEND_TEXT_DESCRIPTION: &str = "Text for action=\"send\". A send needs message or another send payload such as media, attachments, or presentation.";

/// Upstream's description of `action`.
const ACTION_DESCRIPTION: &str = "Select one action. For action=\"send\", provide message or another send payload; fields for other actions do not count as send content.";

/// Upstream's closed vocabulary of message actions (`CHANNEL_MESSAGE_ACTION_NAMES`): a name
/// from it that rustyclaw does not implement is refused as unsupported on the channel, any
/// other name as an invalid argument.
const UPSTREAM_ACTIONS: &[&str] = &[
    "send",
    "broadcast",
    "poll",
    "poll-vote",
    "react",
    "reactions",
    "read",
    "edit",
    "unsend",
    "reply",
    "sendWithEffect",
    "renameGroup",
    "setGroupIcon",
    "addParticipant",
    "removeParticipant",
    "leaveGroup",
    "sendAttachment",
    "delete",
    "pin",
    "unpin",
    "list-pins",
    "permissions",
    "thread-create",
    "thread-list",
    "thread-reply",
    "search",
    "sticker",
    "sticker-search",
    "member-info",
    "role-info",
    "emoji-list",
    "emoji-upload",
    "sticker-upload",
    "role-add",
    "role-remove",
    "channel-info",
    "channel-list",
    "channel-create",
    "conversation-open",
    "channel-edit",
    "channel-delete",
    "channel-move",
    "category-create",
    "category-edit",
    "category-delete",
    "topic-create",
    "topic-edit",
    "voice-status",
    "event-list",
    "event-create",
    "timeout",
    "kick",
    "ban",
    "set-profile",
    "set-presence",
    "download-file",
    "upload-file",
];

/// The `message` tool, acting through the host's messenger.
#[derive(Clone)]
pub struct MessageTool {
    messenger: Arc<dyn Messenger>,
}

impl std::fmt::Debug for MessageTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageTool").finish_non_exhaustive()
    }
}

impl MessageTool {
    /// The tool over `messenger`.
    pub fn new(messenger: Arc<dyn Messenger>) -> Self {
        MessageTool { messenger }
    }

    /// The actions to offer: `send`, and whatever a running channel supports besides.
    fn offered_actions(&self) -> Vec<MessageAction> {
        let channels = self.messenger.channels();
        MessageAction::ALL
            .into_iter()
            .filter(|a| *a == MessageAction::Send || channels.iter().any(|c| c.supports(*a)))
            .collect()
    }
}

/// Arguments of `message` (upstream's names; ids may be strings or numbers, and the snake_case
/// spellings upstream also reads are accepted).
#[derive(Debug, Deserialize)]
pub struct MessageArgs {
    /// `send`, `react`, `edit` or `delete`.
    pub action: String,
    /// The channel (`telegram`, `irc`); defaults to the turn's.
    #[serde(default)]
    pub channel: Option<String>,
    /// The chat; defaults to the turn's.
    #[serde(default, deserialize_with = "opt_id")]
    pub target: Option<String>,
    /// Upstream's older name of `target`.
    #[serde(default, deserialize_with = "opt_id")]
    pub to: Option<String>,
    /// Upstream's older name of `target`.
    #[serde(default, rename = "channelId", deserialize_with = "opt_id")]
    pub channel_id: Option<String>,
    /// The channel account to act as.
    #[serde(default, rename = "accountId", alias = "account_id")]
    pub account_id: Option<String>,
    /// Text to send, or the new text of an edit.
    #[serde(default)]
    pub message: Option<String>,
    /// An http(s) URL or a workspace file to attach to a send.
    #[serde(default)]
    pub media: Option<String>,
    /// The platform message a send replies to.
    #[serde(
        default,
        rename = "replyTo",
        alias = "reply_to",
        deserialize_with = "opt_id"
    )]
    pub reply_to: Option<String>,
    /// The thread or topic a send posts in.
    #[serde(
        default,
        rename = "threadId",
        alias = "thread_id",
        deserialize_with = "opt_id"
    )]
    pub thread_id: Option<String>,
    /// The message to react to, edit or delete.
    #[serde(
        default,
        rename = "messageId",
        alias = "message_id",
        deserialize_with = "opt_id"
    )]
    pub message_id: Option<String>,
    /// The reaction; `""` removes the bot's reactions.
    #[serde(default)]
    pub emoji: Option<String>,
    /// Remove `emoji` instead of adding it.
    #[serde(default)]
    pub remove: Option<bool>,
    /// Anything else: refused by name, since none of it would be honoured.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl Tool for MessageTool {
    type Args = MessageArgs;

    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> String {
        let actions: Vec<&str> = self.offered_actions().iter().map(|a| a.as_str()).collect();
        format!(
            "Send/manage channel messages. Supports actions: {}.",
            actions.join(", ")
        )
    }

    fn parameters(&self) -> Value {
        let actions = self.offered_actions();
        let mut properties = Map::new();
        let mut add = |name: &str, schema: Value| {
            properties.insert(name.to_owned(), schema);
        };
        add(
            "action",
            json!({
                "type": "string",
                "enum": actions.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                "description": ACTION_DESCRIPTION,
            }),
        );
        add("channel", json!({ "type": "string" }));
        add(
            "target",
            json!({ "type": "string", "description": TARGET_DESCRIPTION }),
        );
        add("accountId", json!({ "type": "string" }));
        add(
            "message",
            json!({ "type": "string", "description": SEND_TEXT_DESCRIPTION }),
        );
        add(
            "media",
            json!({ "type": "string", "description": "Media URL/path." }),
        );
        add("replyTo", json!({ "type": "string" }));
        add("threadId", json!({ "type": "string" }));
        // Upstream adds its reaction group when an action beyond sending is offered.
        if actions.iter().any(|a| *a != MessageAction::Send) {
            add(
                "messageId",
                json!({ "type": "string", "description": "Target read/react/edit/delete/pin/unpin id; reactions default current inbound." }),
            );
            add(
                "emoji",
                json!({ "type": "string", "description": "Unicode emoji; channels may also support custom emoji." }),
            );
            add("remove", json!({ "type": "boolean" }));
        }
        json!({
            "type": "object",
            "properties": properties,
            "required": ["action"],
        })
    }

    async fn call(&self, args: MessageArgs, cx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let channels = self.messenger.channels();
        let current = route::current(&cx.origin, &cx.session_key);
        let action = action(&args, current.as_ref(), &channels)?;
        if let Some(name) = args.other.keys().next() {
            return Err(invalid(format!(
                "{name} is not a parameter of this tool (it takes action, channel, target, accountId, message, media, replyTo, threadId, messageId, emoji, remove)"
            )));
        }
        let scope = Scope {
            wanted: Wanted {
                channel: present(args.channel.as_deref()),
                target: target(&args)?,
                account: present(args.account_id.as_deref()),
                thread: present(args.thread_id.as_deref()),
            },
            current: current.as_ref(),
            channels: &channels,
        };
        let details = match action {
            MessageAction::Send => self.send(&args, &scope, cx).await?,
            MessageAction::React => self.react(&args, &scope).await?,
            MessageAction::Edit => self.edit(&args, &scope).await?,
            MessageAction::Delete => self.delete(&args, &scope).await?,
        };
        // What the channel confirmed, in rustyclaw's words: trusted. Upstream's `jsonResult`: the
        // object as indented JSON text, and as details.
        let text = serde_json::to_string_pretty(&details).unwrap_or_default();
        Ok(ToolOutput::text(text).with_details(details))
    }
}

impl MessageTool {
    async fn send(
        &self,
        args: &MessageArgs,
        scope: &Scope<'_>,
        cx: &ToolContext,
    ) -> Result<Value, ToolError> {
        if present(args.message_id.as_deref()).is_some() {
            return Err(invalid(
                "messageId is for react, edit and delete; to answer a message with send, use replyTo"
                    .into(),
            ));
        }
        let text = args
            .message
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_default();
        let media = match present(args.media.as_deref()) {
            Some(media) => Some(media::resolve(&cx.workspace, media).await?),
            None => None,
        };
        if text.is_empty() && media.is_none() {
            return Err(invalid("send requires message or media".into()));
        }
        let route = scope.route(MessageAction::Send)?;
        let channel = route.conversation.channel.clone();
        let payload = ReplyPayload {
            text: text.to_owned(),
            media: media.into_iter().collect(),
            reply_to_id: present(args.reply_to.as_deref()).map(MessageId::new),
        };
        let receipt = self
            .messenger
            .send(SendRequest {
                to: route.conversation,
                payload,
            })
            .await
            .map_err(messenger_error)?;
        let mut details = json!({
            "ok": true,
            "channel": channel.as_str(),
            "chatId": receipt.chat.as_str(),
        });
        if let Some(last) = receipt.message_ids.last() {
            details["messageId"] = json!(last.as_str());
        }
        if receipt.message_ids.len() > 1 {
            details["messageIds"] = json!(
                receipt
                    .message_ids
                    .iter()
                    .map(MessageId::as_str)
                    .collect::<Vec<_>>()
            );
        }
        Ok(details)
    }

    async fn react(&self, args: &MessageArgs, scope: &Scope<'_>) -> Result<Value, ToolError> {
        let Some(emoji) = args.emoji.as_deref().map(str::trim) else {
            return Err(invalid(
                "emoji required for action react (\"\" removes the bot's reactions)".into(),
            ));
        };
        let reaction = match (emoji.is_empty(), args.remove.unwrap_or(false)) {
            (true, true) => return Err(invalid("emoji required to remove a reaction".into())),
            (true, false) => Reaction::ClearOwn,
            (false, false) => Reaction::Add(emoji.to_owned()),
            (false, true) => Reaction::Remove(emoji.to_owned()),
        };
        let route = scope.route(MessageAction::React)?;
        // Upstream reacts to the message being answered when none is named.
        let message_id = match present(args.message_id.as_deref()) {
            Some(id) => MessageId::new(id),
            None => route
                .in_current_chat
                .then(|| scope.current.and_then(|c| c.message_id.clone()))
                .flatten()
                .ok_or_else(|| {
                    invalid("messageId required for action react (there is no current message in that chat to default to)".into())
                })?,
        };
        self.messenger
            .react(ReactRequest {
                conversation: route.conversation,
                message_id,
                reaction: reaction.clone(),
            })
            .await
            .map_err(messenger_error)?;
        Ok(match reaction {
            Reaction::Add(emoji) => json!({ "ok": true, "added": emoji }),
            Reaction::Remove(_) | Reaction::ClearOwn => json!({ "ok": true, "removed": true }),
        })
    }

    async fn edit(&self, args: &MessageArgs, scope: &Scope<'_>) -> Result<Value, ToolError> {
        if present(args.media.as_deref()).is_some() {
            return Err(invalid(
                "media cannot be edited; edit changes a message's text (send a new message for media)"
                    .into(),
            ));
        }
        let message_id = required_message_id(args, MessageAction::Edit)?;
        let Some(text) = args.message.as_deref().filter(|t| !t.trim().is_empty()) else {
            return Err(invalid(
                "message required for action edit (the new text)".into(),
            ));
        };
        let route = scope.route(MessageAction::Edit)?;
        let chat = route.conversation.chat.clone();
        self.messenger
            .edit(EditRequest {
                conversation: route.conversation,
                message_id: message_id.clone(),
                text: text.to_owned(),
            })
            .await
            .map_err(messenger_error)?;
        Ok(json!({ "ok": true, "messageId": message_id.as_str(), "chatId": chat.as_str() }))
    }

    async fn delete(&self, args: &MessageArgs, scope: &Scope<'_>) -> Result<Value, ToolError> {
        let message_id = required_message_id(args, MessageAction::Delete)?;
        let route = scope.route(MessageAction::Delete)?;
        self.messenger
            .delete(DeleteRequest {
                conversation: route.conversation,
                message_id,
            })
            .await
            .map_err(messenger_error)?;
        Ok(json!({ "ok": true, "deleted": true }))
    }
}

/// What a call's routing depends on: its arguments, the turn's conversation, the channels.
struct Scope<'a> {
    wanted: Wanted<'a>,
    current: Option<&'a Current>,
    channels: &'a [ChannelSupport],
}

impl Scope<'_> {
    fn route(&self, action: MessageAction) -> Result<route::Route, ToolError> {
        route::resolve(action, self.wanted, self.current, self.channels)
    }
}

/// The call's action: one rustyclaw implements, or the reason it will not run.
fn action(
    args: &MessageArgs,
    current: Option<&Current>,
    channels: &[ChannelSupport],
) -> Result<MessageAction, ToolError> {
    let name = args.action.trim();
    if let Some(action) = MessageAction::parse(name) {
        return Ok(action);
    }
    if UPSTREAM_ACTIONS.contains(&name) {
        // An OpenClaw action none of rustyclaw's channels has: say so for the channel the call
        // would have used, or in general when there is none.
        return Err(
            match route::channel(present(args.channel.as_deref()), current, channels) {
                Ok(support) => route::unsupported(name, support),
                Err(_) => ToolError::failed(format!(
                    "Message action {name} is not supported here; this tool does {}.",
                    supported_list()
                )),
            },
        );
    }
    Err(invalid(format!(
        "action: unknown action {name:?}; use one of {}",
        supported_list()
    )))
}

fn supported_list() -> String {
    MessageAction::ALL
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `target`, or upstream's older `to` / `channelId`; two that disagree are refused.
fn target(args: &MessageArgs) -> Result<Option<&str>, ToolError> {
    let given: Vec<(&str, &str)> = [
        ("target", &args.target),
        ("to", &args.to),
        ("channelId", &args.channel_id),
    ]
    .into_iter()
    .filter_map(|(name, value)| present(value.as_deref()).map(|v| (name, v)))
    .collect();
    match given.as_slice() {
        [] => Ok(None),
        [(_, first), rest @ ..] => match rest.iter().find(|(_, v)| v != first) {
            Some((other, value)) => Err(invalid(format!(
                "target {first:?} and {other} {value:?} name different chats; give target only"
            ))),
            None => Ok(Some(first)),
        },
    }
}

fn required_message_id(args: &MessageArgs, action: MessageAction) -> Result<MessageId, ToolError> {
    present(args.message_id.as_deref())
        .map(MessageId::new)
        .ok_or_else(|| invalid(format!("messageId required for action {action}")))
}

/// A trimmed, non-empty argument.
fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn invalid(detail: String) -> ToolError {
    ToolError::InvalidArguments {
        tool: NAME.to_owned(),
        detail,
    }
}

/// A channel's refusal as the model reads it; what was delivered before a failure is in the
/// details, so the model does not post it twice.
fn messenger_error(error: MessengerError) -> ToolError {
    let channel: &ChannelId = match &error {
        MessengerError::ChannelUnavailable { channel }
        | MessengerError::UnknownAccount { channel, .. }
        | MessengerError::InvalidTarget { channel, .. }
        | MessengerError::Unsupported { channel, .. }
        | MessengerError::Rejected { channel, .. }
        | MessengerError::Unreachable { channel, .. }
        | MessengerError::PartiallySent { channel, .. } => channel,
    };
    let mut details = json!({ "ok": false, "channel": channel.as_str() });
    if let MessengerError::PartiallySent { sent, .. } = &error {
        details["messageIds"] = json!(sent.iter().map(MessageId::as_str).collect::<Vec<_>>());
    }
    ToolError::Failed {
        message: error.to_string(),
        details: Some(details),
        provenance: Box::new(Provenance::Trusted),
    }
}
