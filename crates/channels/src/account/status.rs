//! An account's state as the supervisor and the account itself report it, for
//! `channels.status`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rustyclaw_support::now_ms_i64;

/// What is known of one account right now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSnapshot {
    /// The supervisor runs it (it is enabled and has not stopped for good).
    pub running: bool,
    /// It is connected to its platform right now.
    pub connected: bool,
    /// Its identity on the platform (a bot's `@username`, an IRC nick), once known.
    pub identity: Option<String>,
    /// When it last received a message, Unix milliseconds.
    pub last_inbound_ms: Option<i64>,
    /// When it last sent a message, Unix milliseconds.
    pub last_outbound_ms: Option<i64>,
    /// When it last showed it is alive (a poll returned, the server answered), Unix ms.
    pub last_alive_ms: Option<i64>,
    /// When it last connected, Unix milliseconds.
    pub connected_since_ms: Option<i64>,
    /// The last error, in words.
    pub last_error: Option<String>,
    /// When the last error happened, Unix milliseconds.
    pub last_error_ms: Option<i64>,
    /// How many times the supervisor restarted it.
    pub restarts: u32,
    /// How it receives (`polling`, `webhook`, `irc`).
    pub mode: Option<String>,
}

/// A shared, updatable [`AccountSnapshot`]. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct StatusHandle {
    inner: Arc<Mutex<AccountSnapshot>>,
}

impl StatusHandle {
    /// A fresh status: not running, not connected.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, AccountSnapshot> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the current state.
    pub fn snapshot(&self) -> AccountSnapshot {
        self.lock().clone()
    }

    /// Changes the state with `change`.
    pub fn update(&self, change: impl FnOnce(&mut AccountSnapshot)) {
        change(&mut self.lock());
    }

    /// The account is connected (as `identity`, when known).
    pub fn connected(&self, identity: Option<String>) {
        let now = now_ms_i64();
        self.update(|status| {
            if !status.connected {
                status.connected_since_ms = Some(now);
            }
            status.connected = true;
            if identity.is_some() {
                status.identity = identity;
            }
            status.last_alive_ms = Some(now);
        });
    }

    /// The account lost its connection because of `error`.
    pub fn disconnected(&self, error: &str) {
        let now = now_ms_i64();
        self.update(|status| {
            status.connected = false;
            status.connected_since_ms = None;
            status.last_error = Some(error.to_owned());
            status.last_error_ms = Some(now);
        });
    }

    /// Records an error that did not cost the connection.
    pub fn error(&self, error: &str) {
        let now = now_ms_i64();
        self.update(|status| {
            status.last_error = Some(error.to_owned());
            status.last_error_ms = Some(now);
        });
    }

    /// The account showed it is alive: the supervisor's stall watchdog is reset.
    pub fn alive(&self) {
        let now = now_ms_i64();
        self.update(|status| status.last_alive_ms = Some(now));
    }

    /// A message was received now.
    pub fn received(&self) {
        let now = now_ms_i64();
        self.update(|status| {
            status.last_inbound_ms = Some(now);
            status.last_alive_ms = Some(now);
        });
    }

    /// A message was sent now.
    pub fn sent(&self) {
        let now = now_ms_i64();
        self.update(|status| status.last_outbound_ms = Some(now));
    }
}
