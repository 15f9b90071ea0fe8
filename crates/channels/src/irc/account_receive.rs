//! Receiving: the account's `run` loop, and received IRC messages as the router takes them.
//!
//! The loop reads the client's events and, on a timer, shows the supervisor that the account
//! is alive. An idle IRC connection produces no events, so liveness comes from the client's
//! [`last_heard`](IrcClient::last_heard): while connected, the account is alive as long as the
//! server was heard from within the client's own silence limit (`idle + pong`, past which the
//! client drops the connection itself); while the client waits to reconnect, it is alive until
//! the moment the client announced plus the time connecting and registering may take. So the
//! supervisor restarts the account only when the loop or the client is stuck, never because
//! a channel is quiet or a reconnection backoff is long.
//!
//! IRC cannot send a message again: a message is acknowledged to nobody, and one the journal
//! fails to store is retried a few times here and then lost (with an error in the log). Only a
//! journal that is down for longer than the retries loses messages.

use std::sync::Arc;
use std::time::Duration;

use rustyclaw_protocol::origin::{Chat, ChatId, PeerId, Sender};
use rustyclaw_protocol::session_entry::ChatType;
use rustyclaw_support::now_ms_i64;
use tokio::time::{Instant, MissedTickBehavior};

use super::account::{IrcAccount, Live, error_text};
use super::client::IrcClient;
use super::error::ConnectionError;
use super::event::{IncomingMessage, IrcEvent, MessageTarget, irc_eq, irc_fold};
use crate::account::{
    ChannelAccount as _, ChannelError, InboundBatch, InboundSink, ReceivedMessage, SinkClosed,
    StatusHandle, StoreOutcome,
};

/// How often `run` checks that the connection is alive, as a fraction of the stall timeout.
const TICKS_PER_STALL_TIMEOUT: u32 = 4;

/// Waits before storing a message again after the journal failed to.
const STORE_RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(250),
    Duration::from_secs(1),
    Duration::from_secs(4),
];

/// The `QUIT` message when `run` ends.
const QUIT_MESSAGE: &str = "shutdown";

impl IrcAccount {
    /// The account's `run`: see the module documentation.
    pub(super) async fn receive(
        &self,
        sink: InboundSink,
        status: StatusHandle,
    ) -> Result<(), ChannelError> {
        let (client, mut events) = IrcClient::start(self.config().client.clone())
            .map_err(|error| ChannelError::Connection(error_text(&error)))?;
        let live = Arc::new(Live::new(client, status.clone()));
        // Dropped when `run` returns or is dropped: the account forgets the client, and the
        // client, dropped with its last reference, quits.
        let _slot = self.install(&live);
        status.update(|s| s.mode = Some("irc".to_owned()));

        let timeouts = self.config().client.timeouts;
        let mut liveness = Liveness {
            silence_limit: timeouts.idle + timeouts.pong,
            connect_limit: timeouts.connect + timeouts.registration,
            expected_by: Instant::now() + timeouts.connect + timeouts.registration,
        };
        let mut ticker = tokio::time::interval(self.stall_timeout_tick());
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);

        let ended = loop {
            tokio::select! {
                event = events.recv() => {
                    let Some(event) = event else {
                        // The client stops without a final event only when shut down.
                        break if live.stop_requested() {
                            Ok(())
                        } else {
                            Err(ChannelError::Connection(format!(
                                "the IRC client for {} stopped",
                                self.server()
                            )))
                        };
                    };
                    status.alive();
                    if let Some(ended) = self.on_event(event, &live, &sink, &mut liveness).await {
                        break ended;
                    }
                }
                _ = ticker.tick() => on_tick(&live, &liveness),
            }
        };
        live.client.shutdown(QUIT_MESSAGE).await;
        ended
    }

    fn stall_timeout_tick(&self) -> Duration {
        (self.stall_timeout() / TICKS_PER_STALL_TIMEOUT).max(Duration::from_millis(10))
    }

    /// Handles one event; `Some` when `run` ends with it.
    async fn on_event(
        &self,
        event: IrcEvent,
        live: &Live,
        sink: &InboundSink,
        liveness: &mut Liveness,
    ) -> Option<Result<(), ChannelError>> {
        let status = &live.status;
        match event {
            IrcEvent::Registered { nick } => {
                live.clear_joined();
                status.connected(Some(nick));
            }
            IrcEvent::Message(incoming) => {
                if let Err(closed) = self.on_message(&incoming, live, sink).await {
                    return Some(Err(closed.into()));
                }
            }
            IrcEvent::Joined { channel } => live.add_joined(&channel),
            IrcEvent::Parted { channel } => live.remove_joined(&channel),
            IrcEvent::Kicked {
                channel,
                by,
                reason,
            } => {
                live.remove_joined(&channel);
                let text = format!("kicked from {channel} by {by}: {reason}");
                tracing::warn!(account = %self.config().account_id, "{text}");
                status.error(&text);
            }
            IrcEvent::Disconnected { reason, retry_in } => {
                live.clear_joined();
                let text = error_text(&reason);
                let Some(retry_in) = retry_in else {
                    return Some(stopped(&reason, &text, status));
                };
                status.disconnected(&text);
                liveness.expected_by = Instant::now() + retry_in + liveness.connect_limit;
            }
        }
        None
    }

    /// Hands a received message to the sink, unless it is not one for the assistant.
    async fn on_message(
        &self,
        incoming: &IncomingMessage,
        live: &Live,
        sink: &InboundSink,
    ) -> Result<(), SinkClosed> {
        let nick = live
            .client
            .nick()
            .unwrap_or_else(|| self.config().client.nick.clone());
        let received = received_message(incoming, &nick, now_ms_i64(), || self.next_message_id());
        let Some(message) = received else {
            return Ok(());
        };
        live.status.received();
        store(sink, message).await
    }
}

/// What `run` returns when the client stopped for good because of `reason`.
fn stopped(
    reason: &ConnectionError,
    text: &str,
    status: &StatusHandle,
) -> Result<(), ChannelError> {
    if matches!(reason, ConnectionError::ShutDown) {
        status.update(|s| {
            s.connected = false;
            s.connected_since_ms = None;
        });
        return Ok(());
    }
    status.disconnected(text);
    Err(channel_error(reason))
}

/// A connection failure as the supervisor classifies it: a refused password, a SASL failure, a
/// ban or a rejected nick is `Unauthorized` (only new settings help), the rest `Connection`.
pub(super) fn channel_error(reason: &ConnectionError) -> ChannelError {
    let text = error_text(reason);
    if reason.is_retryable() {
        ChannelError::Connection(text)
    } else {
        ChannelError::Unauthorized(text)
    }
}

/// When the client is expected to show signs of life.
#[derive(Debug)]
struct Liveness {
    /// Longest silence of a healthy connection: the client's `idle + pong`.
    silence_limit: Duration,
    /// Longest time to connect and register: the client's `connect + registration`.
    connect_limit: Duration,
    /// While not connected, when the client's next event is due at the latest.
    expected_by: Instant,
}

fn on_tick(live: &Live, liveness: &Liveness) {
    let now = Instant::now();
    let alive = match live.client.last_heard() {
        Some(heard) => now.saturating_duration_since(heard) <= liveness.silence_limit,
        None => now <= liveness.expected_by,
    };
    if alive {
        live.status.alive();
    }
    // A nick changed after registration (services renaming us) shows in the status too.
    if let Some(nick) = live.client.nick() {
        live.status.update(|s| {
            if s.connected && s.identity.as_deref() != Some(nick.as_str()) {
                s.identity = Some(nick);
            }
        });
    }
}

/// Stores one message in its own batch, trying again a few times when the journal fails (IRC
/// has no redelivery: a message not stored after the retries is lost, and logged as such).
async fn store(sink: &InboundSink, message: ReceivedMessage) -> Result<(), SinkClosed> {
    let batch = InboundBatch {
        messages: vec![message],
        next_offset: None,
    };
    for delay in STORE_RETRY_DELAYS {
        match sink.store(batch.clone()).await? {
            StoreOutcome::Stored => return Ok(()),
            StoreOutcome::Failed => {
                tracing::warn!(retry_in = ?delay, "the journal could not store an IRC message");
                tokio::time::sleep(delay).await;
            }
        }
    }
    if sink.store(batch.clone()).await? == StoreOutcome::Failed {
        let lost = batch.messages.first();
        tracing::error!(
            chat = lost.map(|m| m.chat.id.as_str()),
            message_id = lost.map(|m| m.message_id.as_str()),
            "an IRC message was lost: the journal could not store it and IRC cannot send it again"
        );
    }
    Ok(())
}

/// A received IRC message as the router takes it; `None` for what is not a message for the
/// assistant: notices (bots never answer them), our own messages, and blank text (OpenClaw
/// drops those too).
///
/// A message to our nick is a direct chat with the sender (its id is the sender's nick); a
/// channel message is a group chat with the channel's name as the server spelled it. The
/// sender is the nick, with the full `nick!user@host` as an alias, so allowlists may name
/// either. The text is kept as sent, with a leading `nick:` address too (as OpenClaw keeps
/// it); an action (`/me waves`) reads `* nick waves`.
pub(super) fn received_message(
    incoming: &IncomingMessage,
    our_nick: &str,
    received_ms: i64,
    message_id: impl FnOnce() -> rustyclaw_protocol::origin::MessageId,
) -> Option<ReceivedMessage> {
    let nick = &incoming.from.nick;
    if incoming.is_notice || irc_eq(nick, our_nick) || incoming.text.trim().is_empty() {
        return None;
    }
    let text = if incoming.is_action {
        format!("* {nick} {}", incoming.text.trim())
    } else {
        incoming.text.trim().to_owned()
    };
    let chat = match &incoming.target {
        MessageTarget::Direct => Chat {
            kind: ChatType::Direct,
            id: ChatId::new(nick.clone()),
        },
        MessageTarget::Channel(channel) => Chat {
            kind: ChatType::Group,
            id: ChatId::new(channel.clone()),
        },
    };
    Some(ReceivedMessage {
        message_id: message_id(),
        chat,
        thread_id: None,
        sender: Some(Sender {
            id: PeerId::new(nick.clone()),
            name: Some(nick.clone()),
        }),
        sender_aliases: vec![incoming.from.to_string()],
        reply_to_id: None,
        mentions_bot: mentions_nick(&text, our_nick),
        text,
        attachments: Vec::new(),
        replies_to_bot: false,
        received_ms,
    })
}

/// Whether `text` names `nick` as a whole word, anywhere (`claw: hi`, `hi claw`, `thanks,
/// Claw!`), under IRC case mapping. Whole word means no nick character (letters, digits,
/// `-_[]\`^{}|`) touches it on either side, so `clawbot` or `claw_` does not mention `claw`;
/// OpenClaw's `\bnick\b` would count `claw-bot`, a different nick, as a mention.
pub(super) fn mentions_nick(text: &str, nick: &str) -> bool {
    let nick: Vec<char> = nick.chars().map(irc_fold).collect();
    let text: Vec<char> = text.chars().collect();
    if nick.is_empty() || nick.len() > text.len() {
        return false;
    }
    (0..=text.len() - nick.len()).any(|start| {
        let end = start + nick.len();
        let before_ok = start == 0 || !is_nick_char(text[start - 1]);
        let after_ok = end == text.len() || !is_nick_char(text[end]);
        before_ok
            && after_ok
            && text[start..end]
                .iter()
                .map(|c| irc_fold(*c))
                .eq(nick.iter().copied())
    })
}

/// Letters, digits and the special characters RFC 2812 allows in nicks.
fn is_nick_char(c: char) -> bool {
    c.is_alphanumeric() || "-_[]\\`^{}|".contains(c)
}

#[cfg(test)]
#[path = "account_receive_tests.rs"]
mod tests;
