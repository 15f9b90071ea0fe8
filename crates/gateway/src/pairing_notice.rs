//! The message a chat sender gets when their DM pairing request is approved with `notify`
//! (`rustyclaw pairing approve --notify`, `channels.pairing.approve`): queued on the channel's
//! delivery queue, which the running channel sends and retries like any reply.

use rustyclaw_protocol::origin::{AccountId, ChatId};
use rustyclaw_store::{DeliveryRecord, DeliveryTarget, PairingRequest};

/// What an approved sender is told (upstream's text, with this program's name).
pub const APPROVED_MESSAGE: &str =
    "✅ rustyclaw access approved. Send a message to start chatting.";

/// How long the message waits for its channel to deliver it.
const EXPIRES_MS: i64 = 24 * 60 * 60 * 1000;

/// The approval message to the sender of `request`, created at `now_ms`.
pub fn approval_notice(request: &PairingRequest, now_ms: i64) -> DeliveryRecord {
    // A direct chat's address is the sender's id on the channels that pair; IRC pairs by
    // `nick!user@host` mask and is written to at the nick.
    let address = match request.channel.as_str() {
        "irc" => request
            .sender
            .as_str()
            .split('!')
            .next()
            .unwrap_or_default(),
        _ => request.sender.as_str(),
    };
    DeliveryRecord {
        channel: request.channel.clone(),
        account: AccountId::new(request.account.as_str()),
        target: DeliveryTarget {
            chat: ChatId::new(address),
            thread_id: None,
            reply_to_id: None,
        },
        text: APPROVED_MESSAGE.to_owned(),
        fallback_text: None,
        media: Vec::new(),
        answers: None,
        created_ms: now_ms,
        expires_ms: now_ms.saturating_add(EXPIRES_MS),
    }
}
