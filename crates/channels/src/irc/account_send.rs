//! Sending: replies cut into IRC lines, one `PRIVMSG` per prepared message, and the probe.
//!
//! Each line of a reply is its own prepared message, so the delivery queue stores one row per
//! line and a reply cut off by a crash or a disconnection resumes at the line that was not
//! sent. IRC has no attachments: a reply's URL goes out as a line of its own, and a file on
//! this host as a line saying it could not be sent (by file name only, never its path).

use std::path::Path;

use rustyclaw_protocol::reply::{MediaRef, ReplyPayload};

use super::account::{IrcAccount, error_text};
use super::account_receive::channel_error;
use super::client::IrcClient;
use super::error::SendError;
use super::event::IrcEvent;
use crate::account::{
    ChannelError, OutboundMessage, OutboundTarget, ProbeReport, SendFailure, Sent, TextSettings,
};
use crate::text::{IrcFormatting, IrcOptions, irc_lines, irc_payload_budget};

/// The target length assumed by `prepare`, which does not know the target yet: 50 bytes is
/// the usual channel name limit (`CHANNELLEN` of ngircd, Solanum and InspIRCd), and nicks are
/// shorter. A line that still does not fit when sent is cut again by `send`.
const PREPARE_TARGET_BYTES: usize = 50;

impl IrcAccount {
    /// The account's `prepare`, with the nick the client has now (`None` when not connected).
    pub(super) fn prepare_lines(
        &self,
        reply: &ReplyPayload,
        settings: &TextSettings,
        current_nick: Option<&str>,
    ) -> Vec<OutboundMessage> {
        let config = self.config();
        prepare_lines(
            reply,
            settings,
            &Budget {
                configured_nick: &config.client.nick,
                current_nick,
            },
            config.formatting,
        )
    }

    /// The account's `send`.
    pub(super) async fn send_line(
        &self,
        target: &OutboundTarget,
        message: &OutboundMessage,
    ) -> Result<Sent, SendFailure> {
        // Thread ids and reply references are ignored: IRC has neither.
        if !message.media.is_empty() {
            return Err(SendFailure::Permanent(
                "IRC cannot send attachments (prepare turns them into lines)".to_owned(),
            ));
        }
        if message.text.is_empty() {
            return Err(SendFailure::Permanent(
                "an IRC message cannot be empty".to_owned(),
            ));
        }
        let not_connected =
            || SendFailure::Transient(format!("not connected to {}", self.server()));
        let live = self.live().ok_or_else(not_connected)?;
        let nick = live.client.nick().ok_or_else(not_connected)?;
        let chat = target.chat.as_str();
        // `prepare` left room for a longer nick and target than most; should the nick or the
        // target still be longer, the line goes out in pieces rather than not at all (a piece
        // sent before a failure is sent again when the delivery is retried).
        for piece in fit(&message.text, irc_payload_budget(&nick, chat)) {
            live.client
                .privmsg(chat, piece)
                .await
                .map_err(|error| self.send_failure(&error))?;
        }
        live.status.sent();
        Ok(Sent { message_id: None })
    }

    fn send_failure(&self, error: &SendError) -> SendFailure {
        match error {
            SendError::NotConnected => {
                SendFailure::Transient(format!("not connected to {}", self.server()))
            }
            SendError::Disconnected => SendFailure::Transient(format!(
                "the connection to {} ended before the message was sent",
                self.server()
            )),
            SendError::InvalidTarget { .. }
            | SendError::ForbiddenCharacter
            | SendError::TooLong { .. } => SendFailure::Permanent(error.to_string()),
        }
    }

    /// The account's `probe`: the running connection's nick and channels; when `run` is not
    /// active, a connection of its own that registers (joining nothing) and quits.
    pub(super) async fn probe_connection(&self) -> Result<ProbeReport, ChannelError> {
        let Some(live) = self.live() else {
            return self.probe_by_connecting().await;
        };
        let nick = live.client.nick().ok_or_else(|| {
            ChannelError::Connection(format!("not connected to {}", self.server()))
        })?;
        let mut details = vec![format!("connected to {}", self.server())];
        details.extend(
            live.joined()
                .into_iter()
                .map(|channel| format!("joined {channel}")),
        );
        Ok(ProbeReport {
            identity: Some(nick),
            details,
        })
    }

    async fn probe_by_connecting(&self) -> Result<ProbeReport, ChannelError> {
        let mut config = self.config().client.clone();
        config.channels.clear();
        let limit = config.timeouts.connect + config.timeouts.registration;
        let (client, mut events) = IrcClient::start(config)
            .map_err(|error| ChannelError::Connection(error_text(&error)))?;
        let registered = tokio::time::timeout(limit, async {
            while let Some(event) = events.recv().await {
                match event {
                    IrcEvent::Registered { nick } => return Ok(nick),
                    IrcEvent::Disconnected { reason, .. } => return Err(channel_error(&reason)),
                    _ => {}
                }
            }
            Err(ChannelError::Connection(format!(
                "the IRC client for {} stopped",
                self.server()
            )))
        })
        .await;
        client.shutdown("probe").await;
        match registered {
            Ok(Ok(nick)) => Ok(ProbeReport {
                identity: Some(nick),
                details: vec![format!(
                    "registered with {} (the account is not running)",
                    self.server()
                )],
            }),
            Ok(Err(error)) => Err(error),
            Err(_elapsed) => Err(ChannelError::Connection(format!(
                "{} did not complete registration within {limit:?}",
                self.server()
            ))),
        }
    }
}

/// The nicks a line's budget is computed for.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget<'a> {
    /// The nick asked for.
    pub(super) configured_nick: &'a str,
    /// The nick the client has now, when connected.
    pub(super) current_nick: Option<&'a str>,
}

impl Budget<'_> {
    /// The payload bytes a prepared line may have. Lines wait in the delivery queue and may be
    /// sent on a later connection, where the client may have fallen back to `nick_` or
    /// `nick2`: the budget leaves room for the longer of the current nick and the configured
    /// nick plus one character, and for a [`PREPARE_TARGET_BYTES`] target.
    fn payload_bytes(&self) -> usize {
        let nick_bytes = self
            .current_nick
            .map_or(0, str::len)
            .max(self.configured_nick.len() + 1);
        // The budget shrinks byte for byte with the nick and the target.
        irc_payload_budget("", "").saturating_sub(nick_bytes + PREPARE_TARGET_BYTES)
    }
}

/// A reply as IRC lines, one prepared message each: the text (with the response prefix, as
/// OpenClaw puts it: `"<prefix> <text>"` unless the text starts with it) cut by
/// [`irc_lines`], then one line per attachment. `settings.chunk_mode` does not apply: every
/// line of the reply is its own payload already.
pub(super) fn prepare_lines(
    reply: &ReplyPayload,
    settings: &TextSettings,
    budget: &Budget<'_>,
    formatting: IrcFormatting,
) -> Vec<OutboundMessage> {
    let options = IrcOptions {
        max_payload_bytes: budget.payload_bytes(),
        max_payload_chars: settings.chunk_limit,
        formatting,
    };
    let mut lines = Vec::new();
    if !reply.text.trim().is_empty() {
        let text = match settings.response_prefix.as_deref() {
            Some(prefix) if !prefix.is_empty() && !reply.text.starts_with(prefix) => {
                format!("{prefix} {}", reply.text)
            }
            _ => reply.text.clone(),
        };
        lines.extend(irc_lines(&text, &options));
    }
    let literal = IrcOptions {
        formatting: IrcFormatting::Plain,
        ..options
    };
    for media in &reply.media {
        lines.extend(irc_lines(&escape_markdown(&media_line(media)), &literal));
    }
    lines.into_iter().map(OutboundMessage::plain).collect()
}

/// What an attachment becomes on IRC.
fn media_line(media: &MediaRef) -> String {
    match media {
        MediaRef::Url(url) => url.clone(),
        MediaRef::Path(path) => format!("[{}: files cannot be sent over IRC]", file_name(path)),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// `text` with every ASCII punctuation character backslash-escaped, so markdown parsing gives
/// it back literally (a URL's `_` or `*` stays as it is).
fn escape_markdown(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// `text` in pieces of at most `budget` bytes, cut at a space in the second half of a piece
/// when there is one (the space dropped), else between characters. A budget smaller than a
/// character still makes progress, one character a piece (the client then refuses it).
pub(super) fn fit(text: &str, budget: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > budget {
        let mut end = budget;
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        if end == 0 {
            end = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let (piece, next) = match rest[..end].rfind(' ').filter(|&at| at >= end / 2 && at > 0) {
            Some(space) => (&rest[..space], &rest[space + 1..]),
            None => rest.split_at(end),
        };
        pieces.push(piece);
        rest = next;
    }
    if !rest.is_empty() || pieces.is_empty() {
        pieces.push(rest);
    }
    pieces
}

#[cfg(test)]
#[path = "account_send_tests.rs"]
mod tests;
