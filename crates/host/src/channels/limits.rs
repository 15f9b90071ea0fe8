//! The channel layer's limits in one table: what one message may carry into the journal, how
//! much may wait, and how long sending and restarting may take. Numbers only; the modules that
//! enforce them read them from here.

use std::time::Duration;

// What a received message may carry.

/// The most text of one received message kept, in bytes (Telegram caps a message at 4,096
/// characters and IRC at a 512-byte line; a webhook body is capped at 1 MiB): a longer text is
/// cut at a character boundary and the cut is said at its end.
pub(crate) const MAX_INBOUND_TEXT_BYTES: usize = 64 * 1024;

/// The most attachments of one received message kept (Telegram sends one per message; albums
/// arrive as several messages): further ones are left out and logged.
pub(crate) const MAX_INBOUND_ATTACHMENTS: usize = 10;

/// `mediaMaxMb` when the account does not set one: the largest attachment downloaded.
pub(crate) const DEFAULT_MEDIA_MAX_MB: u32 = 20;

// What may wait.

/// Batches an account may hand over before it waits for the journal (back-pressure on the
/// platform: Telegram is not polled again until the journal catches up).
pub(crate) const SINK_CAPACITY: usize = 8;

/// How long a burst of rapid texts may keep growing, whatever its quiet window.
pub(crate) const MAX_BURST_HOLD: Duration = Duration::from_secs(10);

// Sending and restarting.

/// How long a reply is worth delivering: a day.
pub(crate) const DELIVERY_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// Backoff of a failed send: 2 s doubling to 10 min (a platform's `retry_after` wins).
pub(crate) const FIRST_RETRY_MS: i64 = 2_000;
/// The longest wait between two attempts of one delivery.
pub(crate) const MAX_RETRY_MS: i64 = 10 * 60 * 1000;

/// Backoff of a failed or stalled account: 1 s doubling to 5 min.
pub(crate) const FIRST_RESTART_DELAY: Duration = Duration::from_secs(1);
/// The longest wait before restarting an account (and the wait after a refused credential).
pub(crate) const MAX_RESTART_DELAY: Duration = Duration::from_secs(300);
/// A run that lasted this long resets the restart backoff.
pub(crate) const STABLE_AFTER: Duration = Duration::from_secs(60);
