//! Receiving: the account's `run`, long polling `getUpdates`.
//!
//! On start the bot's identity comes from `getMe` (it goes into the status, and mentions and
//! replies are matched against it), and any webhook, which makes Telegram refuse `getUpdates`,
//! is deleted (`deleteWebhook` keeps pending updates). Then each poll's updates go to the sink as one batch whose `next_offset` is the
//! last `update_id` + 1, and that offset is used for the next poll only once the sink says the
//! batch is stored: Telegram forgets updates before the offset, so a batch the journal could
//! not take is polled again, after a wait, from the old offset. Button presses are answered
//! (`answerCallbackQuery`, so the button stops spinning) once their batch is stored.
//!
//! Failures: a 409 (another poller or a webhook uses the token) ends `run` with
//! [`ChannelError::Conflict`] and a refused token with [`ChannelError::Unauthorized`]; a rate
//! limit is waited out as Telegram asks, and network errors, timeouts and server errors are
//! retried with backoff; anything else ends `run` for the supervisor to restart it.
//! Every answer of Telegram, empty polls included, is a sign of life for the stall watchdog.
//! An empty answer that came back at once (a server that does not long-poll) is followed by a
//! short pause, never a busy loop.

use std::time::Duration;

use rustyclaw_support::now_ms_i64;

use super::account::{TelegramAccount, channel_error};
use super::buttons::answer_button_presses;
use super::error::TelegramError;
use super::receive::{ALLOWED_UPDATES, BotIdentity, batch};
use super::requests::{DeleteWebhook, GetUpdates};
use crate::account::{ChannelError, InboundSink, StatusHandle, StoreOutcome};

/// The shortest long poll: a shorter `poll_timeout` counts as this.
const MIN_POLL_TIMEOUT: Duration = Duration::from_secs(1);

/// An empty poll answered sooner than this did not wait as asked (a proxy or an API emulator
/// without long polling): the next one waits out the rest, so such a server is polled a few
/// times a second rather than in a busy loop.
const EARLY_EMPTY_POLL: Duration = Duration::from_millis(250);

/// While waiting out a long rate limit, the account shows it is alive this often, so the
/// supervisor does not take the wait for a stall.
const ALIVE_EVERY: Duration = Duration::from_secs(10);

impl TelegramAccount {
    /// The account's `run`: see the module documentation.
    pub(super) async fn poll(
        &self,
        sink: InboundSink,
        status: StatusHandle,
    ) -> Result<(), ChannelError> {
        self.keep_status(&status);
        status.update(|snapshot| snapshot.mode = Some("polling".to_owned()));
        let result = self.poll_until_error(&sink, &status).await;
        if let Err(error) = &result {
            status.disconnected(&error.to_string());
        }
        result
    }

    async fn poll_until_error(
        &self,
        sink: &InboundSink,
        status: &StatusHandle,
    ) -> Result<(), ChannelError> {
        let bot = self.start(status).await?;
        let mut offset = self.resume_offset();
        let mut poll_failures = 0u32;
        let mut store_failures = 0u32;
        loop {
            let request = GetUpdates {
                offset,
                limit: None,
                // Telegram counts whole seconds, and zero would poll in a busy loop.
                timeout: self.config.poll_timeout.max(MIN_POLL_TIMEOUT),
                allowed_updates: Some(ALLOWED_UPDATES.to_vec()),
            };
            let asked = tokio::time::Instant::now();
            let updates = match self.api.get_updates(&request).await {
                Ok(updates) => {
                    poll_failures = 0;
                    status.alive();
                    updates
                }
                Err(error) => {
                    poll_failures = poll_failures.saturating_add(1);
                    self.after_poll_error(error, poll_failures, status).await?;
                    continue;
                }
            };
            let Some(last_update_id) = updates.iter().map(|update| update.update_id).max() else {
                tokio::time::sleep_until(asked + EARLY_EMPTY_POLL).await;
                continue;
            };
            let next_offset = last_update_id + 1;
            let batch = batch(
                &self.config.account_id,
                &updates,
                &bot,
                now_ms_i64(),
                Some(next_offset),
            );
            let received = !batch.messages.is_empty();
            match sink.store(batch).await? {
                StoreOutcome::Stored => {
                    offset = Some(next_offset);
                    self.acknowledge(next_offset);
                    store_failures = 0;
                    if received {
                        status.received();
                    }
                    answer_button_presses(&self.api, &self.config.account_id, &updates).await;
                }
                StoreOutcome::Failed => {
                    store_failures = store_failures.saturating_add(1);
                    let wait = self.config.backoff.delay(store_failures);
                    tracing::warn!(
                        account = %self.config.account_id,
                        "telegram: the journal could not store {} update(s); polling them again \
                         in {wait:?}",
                        updates.len()
                    );
                    status.error("received Telegram messages could not be stored; retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// `getMe`, and `deleteWebhook` (a webhook makes Telegram refuse `getUpdates`; pending
    /// updates are kept), as grammY's polling start does; the bot's identity.
    async fn start(&self, status: &StatusHandle) -> Result<BotIdentity, ChannelError> {
        let me = self.api.get_me().await.map_err(channel_error)?;
        self.api
            .delete_webhook(&DeleteWebhook::default())
            .await
            .map_err(channel_error)?;
        let username = me.username.unwrap_or_default();
        status.connected(Some(format!("@{username}")));
        tracing::info!(
            account = %self.config.account_id,
            "telegram: polling as @{username}"
        );
        Ok(BotIdentity {
            id: me.id,
            username,
        })
    }

    /// Waits as a failed poll asks, or ends `run` when waiting cannot help.
    async fn after_poll_error(
        &self,
        error: TelegramError,
        failures: u32,
        status: &StatusHandle,
    ) -> Result<(), ChannelError> {
        if let Some(wait) = error.retry_after() {
            tracing::warn!(account = %self.config.account_id, "telegram: {error}");
            status.error(&error.to_string());
            // Telegram answered, so the account is alive while it waits.
            wait_alive(wait, status).await;
            return Ok(());
        }
        if error.is_transient() {
            let wait = self.config.backoff.delay(failures);
            tracing::warn!(
                account = %self.config.account_id,
                "telegram: {error}; polling again in {wait:?}"
            );
            status.error(&error.to_string());
            tokio::time::sleep(wait).await;
            return Ok(());
        }
        Err(channel_error(error))
    }
}

/// Sleeps `wait`, marking `status` alive every [`ALIVE_EVERY`].
async fn wait_alive(wait: Duration, status: &StatusHandle) {
    let mut left = wait;
    while !left.is_zero() {
        let step = left.min(ALIVE_EVERY);
        tokio::time::sleep(step).await;
        status.alive();
        left = left.saturating_sub(step);
    }
}
