//! A message's origin recorded on its session entry, in OpenClaw's delivery fields: `origin`,
//! `deliveryContext`, `channel`, `chatType` and `lastChannel`/`lastTo`/`lastAccountId`/
//! `lastThreadId`. Cron and heartbeat delivery ("deliver to last") and the `message` tool read
//! them to find the chat a session lives in.
//!
//! The rules are upstream's (`initSessionState` in `auto-reply/reply/get-reply`,
//! `deriveSessionMetaPatch` and `mergeSessionOrigin` in `config/sessions/metadata.ts`,
//! `projectSessionDeliveryFields` in `utils/delivery-context.shared.ts`), applied to every
//! inbound message:
//!
//! - Only a message from a deliverable channel with a chat address sets a route. `webchat` and
//!   the internal channels (`heartbeat`, `cron`, `webhook`, `voice`, `sessions_send`) never do
//!   ("WebChat … never inherits `lastChannel`"), nor do surfaces without a chat (`cli`); such a
//!   message leaves an established route as it is, so a chat from the Control UI does not take
//!   a Telegram session's replies away from Telegram.
//! - The route is the new message's channel and chat. Its account is the message's, else the
//!   route's previous one while the channel and account stay the same; its thread is the
//!   message's, else (only in a thread session, `…:thread:<id>`) the previous one.
//! - `origin` is merged, not replaced: the message's facts overwrite, and when the channel or
//!   the account changes the old account, thread and native ids are dropped first.
//! - `lastChannel`, `lastTo`, `lastAccountId`, `lastThreadId` and `channel` are projections of
//!   the route, so they always agree with `deliveryContext`.

use rustyclaw_protocol::SessionKey;
use rustyclaw_protocol::session_entry::{ChatType, DeliveryContext, SessionEntry, SessionOrigin};

use rustyclaw_protocol::origin::MessageOrigin;

/// `origin` fields upstream drops when a session's channel or account changes, besides the
/// account and thread (kept in [`SessionOrigin::other`] here).
const NATIVE_ORIGIN_FIELDS: [&str; 3] = ["nativeChannelId", "nativeDirectUserId", "avatar"];

/// Records `message` on the entry of session `key` (see the [module documentation](self)).
pub(crate) fn record(entry: &mut SessionEntry, key: &SessionKey, message: &MessageOrigin) {
    let Some((channel, chat)) = message.delivery_target() else {
        return;
    };
    let channel = channel.as_str();
    let previous_origin = entry.origin.as_ref();
    let previous_route = entry.delivery_context.clone().unwrap_or_default();
    let account = message.account_id.as_ref().map(|a| a.as_str().to_owned());
    // Upstream's `deliveryIdentityChanged`: a new channel or account starts the route afresh.
    let identity_changed = previous_origin.is_none_or(|o| {
        o.provider.as_deref().is_some_and(|p| p != channel)
            || o.account_id
                .as_deref()
                .zip(account.as_deref())
                .is_some_and(|(old, new)| old != new)
    });
    let account_id = account.clone().or_else(|| {
        (!identity_changed)
            .then(|| previous_route.account_id.clone())
            .flatten()
    });
    let thread_id = message.thread_id.clone().or_else(|| {
        (!identity_changed && key.thread_id().is_some())
            .then(|| previous_route.thread_id.clone())
            .flatten()
    });

    let mut origin = entry.origin.take().unwrap_or_default();
    let origin_changed = origin.provider.as_deref().is_some_and(|p| p != channel)
        || origin
            .account_id
            .as_deref()
            .zip(account.as_deref())
            .is_some_and(|(old, new)| old != new);
    if origin_changed {
        origin.account_id = None;
        origin.thread_id = None;
        for field in NATIVE_ORIGIN_FIELDS {
            origin.other.remove(field);
        }
    }
    merge_origin(
        &mut origin,
        message,
        channel,
        chat.kind.clone(),
        chat.id.as_str(),
    );
    entry.origin = Some(origin);

    let route = DeliveryContext {
        channel: Some(channel.to_owned()),
        to: Some(chat.id.as_str().to_owned()),
        account_id,
        thread_id,
        other: previous_route.other,
    };
    entry.channel = route.channel.clone();
    entry.chat_type = Some(chat.kind.clone());
    entry.last_channel = route.channel.clone();
    entry.last_to = route.to.clone();
    entry.last_account_id = route.account_id.clone();
    entry.last_thread_id = route.thread_id.clone();
    entry.delivery_context = Some(route);
}

/// Upstream's `mergeSessionOrigin`: every fact the message carries overwrites the stored one.
fn merge_origin(
    origin: &mut SessionOrigin,
    message: &MessageOrigin,
    channel: &str,
    kind: ChatType,
    to: &str,
) {
    // `resolveConversationLabel`: a direct chat is labelled by its sender. Group labels come
    // from the group's subject, which origins do not carry yet.
    if kind == ChatType::Direct
        && let Some(sender) = &message.sender
    {
        origin.label = Some(
            sender
                .name
                .clone()
                .unwrap_or_else(|| sender.id.as_str().to_owned()),
        );
    }
    origin.provider = Some(channel.to_owned());
    origin.chat_type = Some(kind);
    if let Some(sender) = &message.sender {
        origin.from = Some(sender.id.as_str().to_owned());
    }
    origin.to = Some(to.to_owned());
    if let Some(account) = &message.account_id {
        origin.account_id = Some(account.as_str().to_owned());
    }
    if let Some(thread) = &message.thread_id {
        origin.thread_id = Some(thread.clone());
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use rustyclaw_protocol::SessionId;
    use rustyclaw_protocol::session_entry::ThreadId;
    use serde_json::{Value, json};

    use super::*;
    use rustyclaw_protocol::origin::{
        AccountId, ChannelId, Chat, ChatId, MessageId, PeerId, Sender,
    };

    fn key() -> SessionKey {
        SessionKey::parse("agent:main:main").unwrap()
    }

    fn entry() -> SessionEntry {
        SessionEntry::new(SessionId::new("s1").unwrap(), 1)
    }

    fn telegram(chat: &str) -> MessageOrigin {
        MessageOrigin {
            account_id: Some(AccountId::new("default")),
            chat: Some(Chat {
                kind: ChatType::Direct,
                id: ChatId::new(chat),
            }),
            sender: Some(Sender {
                id: PeerId::new("42"),
                name: Some("Ada".into()),
            }),
            message_id: Some(MessageId::new("7")),
            ..MessageOrigin::from_channel(ChannelId::new("telegram"))
        }
    }

    /// The delivery fields of `entry` as OpenClaw's JSON shows them.
    fn delivery_fields(entry: &SessionEntry) -> Value {
        let json = serde_json::to_value(entry).unwrap();
        let keep = [
            "channel",
            "chatType",
            "origin",
            "deliveryContext",
            "lastChannel",
            "lastTo",
            "lastAccountId",
            "lastThreadId",
        ];
        Value::Object(
            json.as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn a_first_message_from_a_chat_sets_origin_and_route() {
        let mut entry = entry();
        record(&mut entry, &key(), &telegram("telegram:42"));
        assert_eq!(
            delivery_fields(&entry),
            json!({
                "channel": "telegram",
                "chatType": "direct",
                "origin": {
                    "label": "Ada", "provider": "telegram", "chatType": "direct",
                    "from": "42", "to": "telegram:42", "accountId": "default"
                },
                "deliveryContext": {"channel": "telegram", "to": "telegram:42", "accountId": "default"},
                "lastChannel": "telegram",
                "lastTo": "telegram:42",
                "lastAccountId": "default"
            })
        );
    }

    #[test]
    fn internal_surfaces_never_set_or_take_over_a_route() {
        let mut entry = entry();
        for surface in ["webchat", "cli", "cron"] {
            record(
                &mut entry,
                &key(),
                &MessageOrigin::from_channel(ChannelId::new(surface)),
            );
        }
        record(&mut entry, &key(), &MessageOrigin::default());
        assert_eq!(delivery_fields(&entry), json!({}));

        record(&mut entry, &key(), &telegram("telegram:42"));
        let established = delivery_fields(&entry);
        record(
            &mut entry,
            &key(),
            &MessageOrigin::from_channel(ChannelId::new("webchat")),
        );
        assert_eq!(delivery_fields(&entry), established);
    }

    #[test]
    fn later_messages_move_the_route_and_keep_the_account_of_the_same_channel() {
        let mut entry = entry();
        record(&mut entry, &key(), &telegram("telegram:42"));
        let mut next = telegram("telegram:-100");
        next.account_id = None;
        next.sender = None;
        next.chat = Some(Chat {
            kind: ChatType::Group,
            id: ChatId::new("telegram:-100"),
        });
        record(&mut entry, &key(), &next);
        assert_eq!(entry.last_to.as_deref(), Some("telegram:-100"));
        assert_eq!(entry.last_account_id.as_deref(), Some("default"));
        assert_eq!(entry.chat_type, Some(ChatType::Group));
        let origin = entry.origin.as_ref().unwrap();
        assert_eq!(origin.to.as_deref(), Some("telegram:-100"));
        // Facts the message did not carry are kept.
        assert_eq!(origin.label.as_deref(), Some("Ada"));
        assert_eq!(origin.from.as_deref(), Some("42"));
    }

    #[test]
    fn another_channel_drops_the_old_account_thread_and_native_ids() {
        let mut entry = entry();
        let mut first = telegram("telegram:42");
        first.thread_id = Some(ThreadId::Number(9));
        record(&mut entry, &key(), &first);
        entry
            .origin
            .as_mut()
            .unwrap()
            .other
            .insert("nativeChannelId".into(), json!("C1"));
        let discord = MessageOrigin {
            chat: Some(Chat {
                kind: ChatType::Channel,
                id: ChatId::new("channel:55"),
            }),
            ..MessageOrigin::from_channel(ChannelId::new("discord"))
        };
        record(&mut entry, &key(), &discord);
        assert_eq!(
            entry.delivery_context,
            Some(DeliveryContext {
                channel: Some("discord".into()),
                to: Some("channel:55".into()),
                ..DeliveryContext::default()
            })
        );
        assert_eq!(entry.last_account_id, None);
        assert_eq!(entry.last_thread_id, None);
        let origin = entry.origin.as_ref().unwrap();
        assert_eq!(origin.provider.as_deref(), Some("discord"));
        assert_eq!(origin.account_id, None);
        assert_eq!(origin.thread_id, None);
        assert!(origin.other.is_empty());
    }

    #[test]
    fn a_thread_is_kept_only_in_a_thread_session() {
        let mut first = telegram("telegram:-100");
        first.thread_id = Some(ThreadId::Number(9));
        let mut next = telegram("telegram:-100");
        next.thread_id = None;

        let mut plain = entry();
        record(&mut plain, &key(), &first);
        assert_eq!(plain.last_thread_id, Some(ThreadId::Number(9)));
        record(&mut plain, &key(), &next);
        assert_eq!(plain.last_thread_id, None);

        let thread_key = SessionKey::parse("agent:main:telegram:group:-100:topic:9").unwrap();
        let mut threaded = entry();
        record(&mut threaded, &thread_key, &first);
        record(&mut threaded, &thread_key, &next);
        assert_eq!(threaded.last_thread_id, Some(ThreadId::Number(9)));
        assert_eq!(
            threaded.delivery_context.unwrap().thread_id,
            Some(ThreadId::Number(9))
        );
    }
}
