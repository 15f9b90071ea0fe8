//! `send` and `message.action`: messages out through the host's chat channels (upstream
//! `server-methods/send.ts`).
//!
//! `send` is the plain outbound call (`{to, message, mediaUrl(s), channel, accountId, …}`);
//! `message.action` is what `openclaw message send|react|edit|delete` call, with the action's
//! own params as the CLI spelled them. Both pick the channel as upstream does when none is
//! named (the only configured one, else an error naming them), are idempotent for five
//! minutes on their `idempotencyKey` (a replay answers what the first call answered; a failed
//! call may be retried with the same key), and answer with upstream's payloads.

use std::path::PathBuf;

use rustyclaw_protocol::gateway::{ErrorCode, ErrorShape};
use rustyclaw_protocol::origin::{AccountId, ChannelId, ChatId, MessageId};
use rustyclaw_protocol::reply::MediaRef;
use rustyclaw_protocol::session_entry::ThreadId;
use serde_json::{Map, Value, json};

use super::channels::{control, host_status, no_channels, unavailable_with};
use super::config::params::{
    check_keys, optional_bool, optional_strings, optional_text, required_string,
};
use super::{Call, Fail, Reply, WRITE, invalid, unhandled};
use crate::channels::{
    ActionRequest, ChannelControl, ChannelControlError, MessageAction, SendReceipt, SendRequest,
    StatusRequest,
};
use crate::clock::now_ms;
use crate::dedupe::Seen;
use crate::state::GatewayState;

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[("send", WRITE), ("message.action", WRITE)];

/// How long picking the default channel may take (a status without probes).
const CHANNEL_PICK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    match method {
        "send" => send(call.state, params).await,
        "message.action" => action(call.state, params).await,
        _ => unhandled(method),
    }
}

/// `send` params (upstream `SendParamsSchema`).
const SEND_KEYS: &[&str] = &[
    "to",
    "message",
    "mediaUrl",
    "mediaUrls",
    "buffer",
    "filename",
    "contentType",
    "asVoice",
    "gifPlayback",
    "channel",
    "accountId",
    "agentId",
    "replyToId",
    "threadId",
    "forceDocument",
    "silent",
    "parseMode",
    "sessionKey",
    "idempotencyKey",
];

async fn send(state: &GatewayState, params: &Value) -> Reply {
    const METHOD: &str = "send";
    check_keys(METHOD, params, SEND_KEYS)?;
    let to = required_string(METHOD, params, "to")?.trim();
    let idempotency_key = required_string(METHOD, params, "idempotencyKey")?;
    let text = optional_text(METHOD, params, "message")?.unwrap_or_default();
    let text = if text.trim().is_empty() { "" } else { text };
    let media = media_list(
        optional_text(METHOD, params, "mediaUrl")?
            .into_iter()
            .chain(optional_strings(METHOD, params, "mediaUrls")?),
    );
    for key in ["buffer", "filename", "contentType", "parseMode"] {
        optional_text(METHOD, params, key)?;
    }
    if params.get("buffer").is_some() {
        return Err(invalid(
            "invalid send params: buffer is not supported by this gateway; send a mediaUrl",
        ));
    }
    if params.get("parseMode").is_some() {
        return Err(invalid(
            "invalid send params: parseMode is not supported by this gateway (the channel \
             renders markdown itself)",
        ));
    }
    for key in ["asVoice", "gifPlayback", "forceDocument"] {
        if optional_bool(METHOD, params, key)? == Some(true) {
            return Err(invalid(format!(
                "invalid send params: {key} is not supported by this gateway"
            )));
        }
    }
    let silent = optional_bool(METHOD, params, "silent")?.unwrap_or(false);
    // The session a send is mirrored into (upstream copies the sent text into its transcript)
    // is not kept yet: the fields are accepted and checked, not used.
    for key in ["agentId", "sessionKey"] {
        optional_text(METHOD, params, key)?;
    }
    if text.is_empty() && media.is_empty() {
        return Err(invalid("invalid send params: text or media is required"));
    }
    let account = account_param(METHOD, params, "accountId")?;
    let reply_to = optional_text(METHOD, params, "replyToId")?
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(MessageId::new);
    let thread = optional_text(METHOD, params, "threadId")?.and_then(thread_id);
    let requested = optional_text(METHOD, params, "channel")?;
    let (control, channel) = pick_channel(state, requested).await?;
    let request = SendRequest {
        account,
        to: ChatId::new(unprefixed(to, &channel)),
        text: text.to_owned(),
        media,
        reply_to,
        thread,
        silent,
        channel,
    };
    let key = format!("send:{idempotency_key}");
    idempotent(state, &key, async {
        let receipt = control
            .send(&request)
            .await
            .map_err(|error| delivery_error(&request.channel, "send", error))?;
        let mut payload = json!({
            "runId": idempotency_key,
            "channel": request.channel.as_str(),
            "chatId": receipt.chat.as_str(),
        });
        if let Some(id) = receipt.message_ids.last() {
            payload["messageId"] = json!(id.as_str());
        }
        Ok(payload)
    })
    .await
}

/// `message.action` params (upstream `MessageActionParamsSchema`).
const ACTION_KEYS: &[&str] = &[
    "channel",
    "action",
    "params",
    "reply",
    "accountId",
    "requesterAccountId",
    "requesterSenderId",
    "senderIsOwner",
    "sessionKey",
    "sessionId",
    "inboundTurnKind",
    "agentId",
    "toolContext",
    "conversationReadOrigin",
    "idempotencyKey",
];

async fn action(state: &GatewayState, params: &Value) -> Reply {
    const METHOD: &str = "message.action";
    check_keys(METHOD, params, ACTION_KEYS)?;
    let requested = required_string(METHOD, params, "channel")?;
    let action = required_string(METHOD, params, "action")?;
    let idempotency_key = required_string(METHOD, params, "idempotencyKey")?;
    let Some(args) = params.get("params").and_then(Value::as_object) else {
        return Err(invalid(match params.get("params") {
            None => "invalid message.action params: must have required property 'params'",
            Some(_) => "invalid message.action params: at /params: must be object",
        }));
    };
    let reply_to = match params.get("reply") {
        None => None,
        Some(reply) => Some(
            reply
                .get("replyToId")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
                .ok_or_else(|| {
                    invalid(
                        "invalid message.action params: at /reply: must have required property \
                         'replyToId'",
                    )
                })?,
        ),
    };
    let account = account_param(METHOD, params, "accountId")?;
    let arg_account = arg_text(args, &["accountId"]).map(AccountId::new);
    let account = match (account, arg_account) {
        (Some(top), Some(inner)) if top != inner => {
            return Err(invalid(
                "message.action accountId does not match params.accountId",
            ));
        }
        (top, inner) => top.or(inner),
    };
    let (control, channel) = pick_channel(state, Some(requested)).await?;
    let key = format!("message.action:{action}:{idempotency_key}");
    match action {
        "send" => {
            let request = action_send(args, channel, account, reply_to)?;
            idempotent(state, &key, async {
                let receipt = control
                    .send(&request)
                    .await
                    .map_err(|error| delivery_error(&request.channel, "send", error))?;
                Ok(send_result(&request, &receipt))
            })
            .await
        }
        "react" | "edit" | "delete" => {
            let request = message_action(action, args, channel, account)?;
            idempotent(state, &key, async {
                control
                    .act(&request)
                    .await
                    .map_err(|error| delivery_error(&request.channel, action, error))?;
                Ok(action_result(&request))
            })
            .await
        }
        other => Err(invalid(format!(
            "Message action {other} not supported for channel {channel}."
        ))),
    }
}

/// Options of `openclaw message send` this gateway cannot honour, refused rather than
/// dropped: switches that change how the message is delivered, and rich payloads.
const UNSUPPORTED_SWITCHES: &[&str] = &[
    "pin",
    "forceDocument",
    "gifPlayback",
    "asVoice",
    "asVideoNote",
];
const UNSUPPORTED_PAYLOADS: &[&str] = &["presentation", "buttons", "location", "poll"];

/// The `send` of `openclaw message send`: `to` (as `<channel>:<target>`) or `target`,
/// `message`, `mediaUrls` (or `media`, `mediaUrl`), `replyTo`, `threadId`, `silent`.
fn action_send(
    args: &Map<String, Value>,
    channel: ChannelId,
    account: Option<AccountId>,
    reply_to: Option<&str>,
) -> Result<SendRequest, Fail> {
    if let Some(key) = UNSUPPORTED_SWITCHES
        .iter()
        .find(|key| args.get(**key).and_then(Value::as_bool) == Some(true))
        .or_else(|| {
            UNSUPPORTED_PAYLOADS
                .iter()
                .find(|key| args.contains_key(**key))
        })
    {
        return Err(invalid(format!(
            "send option {key} is not supported by this gateway"
        )));
    }
    let Some(to) = target(args, &channel) else {
        return Err(invalid("Action send requires a target."));
    };
    let text = arg_text(args, &["message", "content", "text", "caption"]).unwrap_or_default();
    let sources: Vec<&str> = ["mediaUrls", "media", "mediaUrl", "path", "filePath"]
        .iter()
        .filter_map(|key| args.get(*key))
        .flat_map(|value| match value {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            Value::String(one) => vec![one.as_str()],
            _ => Vec::new(),
        })
        .collect();
    let media = media_list(sources);
    if text.trim().is_empty() && media.is_empty() {
        return Err(invalid("send requires text or media"));
    }
    let reply_to = reply_to
        .map(str::to_owned)
        .or_else(|| arg_text(args, &["replyTo", "replyToId"]))
        .map(MessageId::new);
    Ok(SendRequest {
        channel,
        account,
        to: ChatId::new(to),
        text,
        media,
        reply_to,
        thread: arg_text(args, &["threadId"]).as_deref().and_then(thread_id),
        silent: args.get("silent").and_then(Value::as_bool) == Some(true),
    })
}

/// `react` (`messageId`, `emoji`, `remove`), `edit` (`messageId`, `message`) and `delete`
/// (`messageId`), each on the chat named by `target` (or `to`, `chatId`).
fn message_action(
    action: &str,
    args: &Map<String, Value>,
    channel: ChannelId,
    account: Option<AccountId>,
) -> Result<ActionRequest, Fail> {
    let Some(chat) = target(args, &channel) else {
        return Err(invalid(format!("Action {action} requires a target.")));
    };
    let Some(message) = arg_text(args, &["messageId"]) else {
        return Err(invalid("messageId required"));
    };
    let action = match action {
        "react" => {
            let emoji = arg_text(args, &["emoji"]);
            let remove = args.get("remove").and_then(Value::as_bool) == Some(true);
            match (emoji, remove) {
                (Some(emoji), false) => MessageAction::React { emoji },
                (Some(emoji), true) => MessageAction::RemoveReaction { emoji },
                (None, false) => MessageAction::ClearReactions,
                (None, true) => return Err(invalid("Emoji is required to remove a reaction.")),
            }
        }
        "edit" => {
            let Some(text) = arg_text(args, &["message", "content", "text"]) else {
                return Err(invalid("content required."));
            };
            MessageAction::Edit { text }
        }
        _ => MessageAction::Delete,
    };
    Ok(ActionRequest {
        channel,
        account,
        chat: ChatId::new(chat),
        message: MessageId::new(message),
        action,
    })
}

/// What `message.action` `send` answers (upstream's Telegram action result: the last message's
/// id, the chat, and the receipt of every message sent).
fn send_result(request: &SendRequest, receipt: &SendReceipt) -> Value {
    let ids: Vec<&str> = receipt.message_ids.iter().map(MessageId::as_str).collect();
    let parts: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(index, id)| json!({"platformMessageId": id, "kind": "unknown", "index": index}))
        .collect();
    let mut receipt_json = json!({
        "platformMessageIds": ids,
        "parts": parts,
        "sentAt": now_ms(),
    });
    if let Some(first) = ids.first() {
        receipt_json["primaryPlatformMessageId"] = json!(first);
    }
    if let Some(thread) = &request.thread {
        receipt_json["threadId"] = json!(thread_text(thread));
    }
    if let Some(reply_to) = &request.reply_to {
        receipt_json["replyToId"] = json!(reply_to.as_str());
    }
    let mut out = json!({
        "ok": true,
        "channel": request.channel.as_str(),
        "accountId": receipt.account.as_str(),
        "chatId": receipt.chat.as_str(),
        "receipt": receipt_json,
    });
    if let Some(last) = ids.last() {
        out["messageId"] = json!(last);
    }
    out
}

/// What `react`, `edit` and `delete` answer (upstream's Telegram action results).
fn action_result(request: &ActionRequest) -> Value {
    match &request.action {
        MessageAction::React { emoji } => json!({"ok": true, "added": emoji}),
        MessageAction::RemoveReaction { .. } | MessageAction::ClearReactions => {
            json!({"ok": true, "removed": true})
        }
        MessageAction::Edit { .. } => json!({
            "ok": true,
            "messageId": request.message.as_str(),
            "chatId": request.chat.as_str(),
        }),
        MessageAction::Delete => json!({"ok": true, "deleted": true}),
    }
}

/// The channel a request goes to, with the host that runs it: the one named, else the only
/// channel with an enabled, configured account (upstream `resolveMessageChannelSelection`).
async fn pick_channel<'a>(
    state: &'a GatewayState,
    requested: Option<&str>,
) -> Result<(&'a dyn ChannelControl, ChannelId), Fail> {
    let requested = requested
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(ChannelId::new);
    if let Some(channel) = &requested
        && channel.as_str() == "webchat"
    {
        return Err(invalid(
            "unsupported channel: webchat (internal-only). Use `chat.send` for WebChat UI \
             messages or choose a deliverable channel.",
        ));
    }
    let Some(control) = control(state) else {
        return Err(match &requested {
            Some(channel) => no_channels(channel),
            None => no_configured_channel(),
        });
    };
    let control = control.as_ref();
    if let Some(channel) = requested {
        return Ok((control, channel));
    }
    let request = StatusRequest {
        channel: None,
        probe: None,
    };
    let channels = host_status(control, &request, CHANNEL_PICK_TIMEOUT).await?;
    let configured: Vec<&ChannelId> = channels
        .iter()
        .filter(|c| c.accounts.iter().any(|a| a.enabled && a.configured))
        .map(|c| &c.channel)
        .collect();
    match configured.as_slice() {
        [] => Err(no_configured_channel()),
        [only] => Ok((control, (*only).clone())),
        several => Err(invalid(format!(
            "Channel is required when multiple channels are configured: {}. Pass --channel \
             <channel> to choose one.",
            several
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Upstream's answer when no channel is named and none is configured.
fn no_configured_channel() -> Fail {
    invalid(
        "Channel is required (no configured channels detected). Run `rustyclaw channels add` \
         to configure one, or pass --channel <channel> after enabling a channel.",
    )
}

/// Runs `work` once per `key` within the idempotency window: a key seen before answers what
/// its first call answered, a call still in flight is refused as retryable, and a failure
/// forgets the key so the caller may try again.
async fn idempotent(state: &GatewayState, key: &str, work: impl Future<Output = Reply>) -> Reply {
    match state.0.dedupe.begin(key) {
        Some(Seen::Done(payload)) => return Ok(payload),
        Some(Seen::InFlight) => {
            return Err(unavailable_with(
                "a request with this idempotencyKey is still in progress".to_owned(),
                true,
            ));
        }
        None => {}
    }
    match work.await {
        Ok(payload) => {
            state.0.dedupe.finish(key, payload.clone());
            Ok(payload)
        }
        Err(error) => {
            state.0.dedupe.forget(key);
            Err(error)
        }
    }
}

/// The answer to a failed send or action: the request's own mistakes are `INVALID_REQUEST`,
/// the platform's refusals and failures `UNAVAILABLE`, retryable when trying again may work.
fn delivery_error(channel: &ChannelId, operation: &str, error: ChannelControlError) -> Fail {
    match error {
        ChannelControlError::UnknownChannel { channel } => {
            invalid(format!("unsupported channel: {channel}"))
        }
        ChannelControlError::Unsupported { .. } if operation == "send" => {
            invalid(format!("unsupported channel: {channel}"))
        }
        ChannelControlError::Unsupported { .. } => invalid(format!(
            "Message action {operation} not supported for channel {channel}."
        )),
        error @ (ChannelControlError::UnknownAccount { .. }
        | ChannelControlError::Invalid { .. }) => invalid(error.to_string()),
        error @ (ChannelControlError::NotReady { .. } | ChannelControlError::Permanent { .. }) => {
            unavailable_with(error.to_string(), false)
        }
        ChannelControlError::RetryAfter { wait, message } => {
            let mut shape = ErrorShape::new(ErrorCode::Unavailable, message);
            shape.retryable = Some(true);
            shape.retry_after_ms = Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
            Box::new(shape)
        }
        error @ ChannelControlError::Transient { .. } => unavailable_with(error.to_string(), true),
    }
}

/// An account named by `name`, blank counting as none (upstream `normalizeOptionalString`).
fn account_param(method: &str, params: &Value, name: &str) -> Result<Option<AccountId>, Fail> {
    Ok(optional_text(method, params, name)?
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(AccountId::new))
}

/// The first non-blank string (or number: ids come as either) among `keys` of an action's
/// params.
fn arg_text(args: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| match args.get(*key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// The chat an action targets: `to`, which the official CLI sends as `<channel>:<target>`
/// (the prefix names the channel, not the chat), else `target`, `chatId` or `channelId`.
fn target(args: &Map<String, Value>, channel: &ChannelId) -> Option<String> {
    let raw = arg_text(args, &["to", "target", "chatId", "channelId"])?;
    Some(unprefixed(&raw, channel).to_owned())
}

/// `raw` without a leading `<channel>:` (any case), which names the channel, not the chat.
fn unprefixed<'a>(raw: &'a str, channel: &ChannelId) -> &'a str {
    let prefix = channel.as_str().len() + 1;
    match (raw.get(..prefix), raw.get(prefix..)) {
        (Some(head), Some(rest))
            if !rest.is_empty()
                && head.ends_with(':')
                && head[..prefix - 1].eq_ignore_ascii_case(channel.as_str()) =>
        {
            rest
        }
        _ => raw,
    }
}

/// Media sources in order, each once (clients repeat the first as `media` and `mediaUrl`).
fn media_list<'a>(sources: impl IntoIterator<Item = &'a str>) -> Vec<MediaRef> {
    let mut media: Vec<MediaRef> = Vec::new();
    for item in sources.into_iter().filter_map(media_ref) {
        if !media.contains(&item) {
            media.push(item);
        }
    }
    media
}

/// A media source: a URL, else a path on the gateway's host (`file://` stripped).
fn media_ref(source: &str) -> Option<MediaRef> {
    let source = source.trim();
    if source.is_empty() {
        return None;
    }
    if let Some(path) = source.strip_prefix("file://") {
        return Some(MediaRef::Path(PathBuf::from(path)));
    }
    if source.starts_with("http://") || source.starts_with("https://") {
        return Some(MediaRef::Url(source.to_owned()));
    }
    Some(MediaRef::Path(PathBuf::from(source)))
}

/// A thread id: numeric when it is a number (Telegram topics), else as given.
fn thread_id(raw: &str) -> Option<ThreadId> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    Some(match raw.parse::<i64>() {
        Ok(n) => ThreadId::Number(n),
        Err(_) => ThreadId::Text(raw.to_owned()),
    })
}

fn thread_text(thread: &ThreadId) -> String {
    match thread {
        ThreadId::Number(n) => n.to_string(),
        ThreadId::Text(t) => t.clone(),
    }
}
