//! One Telegram bot account's settings, as the host resolves them from `channels.telegram` (or
//! one of its `accounts`) and the store (the saved polling offset).

use std::time::Duration;

use rustyclaw_protocol::origin::AccountId;

use super::api::DEFAULT_BASE_URL;
use super::token::BotToken;

/// How long a `getUpdates` long poll waits for updates by default (OpenClaw's 30 s).
pub const DEFAULT_POLL_TIMEOUT: Duration = Duration::from_secs(30);

/// A Telegram bot account's settings. `Debug` shows the token redacted, so the whole config can
/// be logged.
#[derive(Debug, Clone)]
pub struct TelegramAccountConfig {
    /// The account (`default` unless configured under `accounts`).
    pub account_id: AccountId,
    /// The bot token from @BotFather (`botToken` or `tokenFile`).
    pub token: BotToken,
    /// `apiRoot`: the Bot API server's root, without `/bot<token>`. Default:
    /// [`DEFAULT_BASE_URL`]; self-hosted Bot API servers and tests set their own.
    pub api_root: String,
    /// How long each `getUpdates` long poll waits when there is nothing to return, in whole
    /// seconds (less than 1 s counts as 1 s). Default: [`DEFAULT_POLL_TIMEOUT`].
    pub poll_timeout: Duration,
    /// `linkPreview`: whether Telegram shows a preview of the first link in a sent message.
    /// Default: `true`.
    pub link_preview: bool,
    /// Where polling resumes: the `next_offset` of the last batch the store took, read back
    /// from the store at start. `None` starts from the oldest update Telegram still holds.
    pub initial_offset: Option<i64>,
    /// The waits after a failed poll or a batch the store could not take.
    pub backoff: RetryBackoff,
}

impl TelegramAccountConfig {
    /// The settings for `token` with every default: the public API, 30 s polls, link previews,
    /// no saved offset.
    pub fn new(account_id: AccountId, token: BotToken) -> Self {
        Self {
            account_id,
            token,
            api_root: DEFAULT_BASE_URL.to_owned(),
            poll_timeout: DEFAULT_POLL_TIMEOUT,
            link_preview: true,
            initial_offset: None,
            backoff: RetryBackoff::default(),
        }
    }
}

/// Exponential backoff: `first`, then doubling up to `max`, reset by the next success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBackoff {
    /// The first wait. Default: 1 s.
    pub first: Duration,
    /// The longest wait. Default: 30 s, so a stalled-looking account is never only waiting.
    pub max: Duration,
}

impl Default for RetryBackoff {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(1),
            max: Duration::from_secs(30),
        }
    }
}

impl RetryBackoff {
    /// The wait after `failures` consecutive failures (1 for the first).
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(16);
        self.first
            .saturating_mul(1u32 << doublings)
            .min(self.max.max(self.first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let backoff = RetryBackoff::default();
        let waits: Vec<u64> = (1..=7).map(|n| backoff.delay(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(backoff.delay(u32::MAX), Duration::from_secs(30));
    }
}
