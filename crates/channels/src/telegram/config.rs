//! One Telegram bot account's settings, as the host resolves them from `channels.telegram` (or
//! one of its `accounts`) and the store (the saved polling offset).

use std::time::Duration;

use rustyclaw_protocol::origin::AccountId;
use secrecy::SecretString;

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
    /// `webhookUrl` and its listener: receive by webhook instead of long polling. Default:
    /// `None` (long polling).
    pub webhook: Option<TelegramWebhookConfig>,
}

/// Webhook mode: Telegram posts each update to `url`, a reverse proxy (or Telegram itself)
/// forwards it to the local listener on `host:port` at `path`. The host resolves every field
/// from the config with OpenClaw's defaults (`127.0.0.1`, `8787`, `/telegram-webhook`).
#[derive(Debug, Clone)]
pub struct TelegramWebhookConfig {
    /// `webhookUrl`: the public HTTPS URL registered with `setWebhook`.
    pub url: String,
    /// `webhookSecret`: sent to Telegram with `setWebhook`, and required in the
    /// `X-Telegram-Bot-Api-Secret-Token` header of every delivery (1 to 256 characters of
    /// `A-Z`, `a-z`, `0-9`, `_` and `-`, as Telegram allows).
    pub secret: SecretString,
    /// `webhookHost`: the address the listener binds (an IP address or a host name).
    pub host: String,
    /// `webhookPort`: the port the listener binds; 0 lets the system pick one.
    pub port: u16,
    /// `webhookPath`: the route Telegram's deliveries arrive on; must start with `/` and must
    /// not be `/healthz`, which the listener answers for health checks.
    pub path: String,
}

impl TelegramAccountConfig {
    /// The settings for `token` with every default: the public API, 30 s polls, link previews,
    /// no saved offset, long polling.
    pub fn new(account_id: AccountId, token: BotToken) -> Self {
        Self {
            account_id,
            token,
            api_root: DEFAULT_BASE_URL.to_owned(),
            poll_timeout: DEFAULT_POLL_TIMEOUT,
            link_preview: true,
            initial_offset: None,
            backoff: RetryBackoff::default(),
            webhook: None,
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
