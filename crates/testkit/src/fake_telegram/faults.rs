//! Scripted failures: which call fails, how, and how often.

use std::time::Duration;

/// How the fake answers a call a [`FaultRule`] matches, instead of doing what it asks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// 429 `Too Many Requests: retry after N` with `parameters.retry_after`.
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// 409 `Conflict: terminated by other getUpdates request; …`.
    Conflict,
    /// 400 `Bad Request: can't parse entities: …`.
    CantParseEntities,
    /// 401 `Unauthorized`.
    Unauthorized,
    /// 403 `Forbidden: bot was blocked by the user`.
    BlockedByUser,
    /// 400 with this description (e.g. `"Bad Request: message to edit not found"`).
    BadRequest(String),
    /// A Bot API error answer (`{"ok":false,"error_code":status,…}`), e.g. 500 or 502.
    ServerError {
        /// The status and `error_code`.
        status: u16,
    },
    /// Any status and body, e.g. a proxy's HTML page or truncated JSON.
    Raw {
        /// The HTTP status.
        status: u16,
        /// The body, sent as `text/html`-agnostic bytes with no content type.
        body: String,
    },
    /// Never answer: the request is held until the server shuts down (a stalled long poll).
    Hang,
    /// Answer normally, after this delay.
    Delay(Duration),
    /// For a file download (method `"file"`): send the file in small chunks without a
    /// `Content-Length`, so a client's size cap must work on the stream itself.
    Unsized,
}

/// A scripted failure: `fault` answers the next `times` calls of `method` whose parameters
/// match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    pub(crate) method: Option<String>,
    pub(crate) param: Option<(String, String)>,
    pub(crate) remaining: Option<usize>,
    pub(crate) fault: Fault,
}

impl FaultRule {
    /// `fault` for the next call of `method` (case-insensitive, as Telegram matches methods;
    /// file downloads are the method `"file"`).
    pub fn next(method: &str, fault: Fault) -> Self {
        Self {
            method: Some(method.to_ascii_lowercase()),
            param: None,
            remaining: Some(1),
            fault,
        }
    }

    /// `fault` for the next call of any method.
    pub fn next_call(fault: Fault) -> Self {
        Self {
            method: None,
            param: None,
            remaining: Some(1),
            fault,
        }
    }

    /// For the next `times` matching calls instead of one.
    pub fn times(self, times: usize) -> Self {
        Self {
            remaining: Some(times),
            ..self
        }
    }

    /// For every matching call until [`FakeTelegram::clear_faults`](super::FakeTelegram::clear_faults).
    pub fn always(self) -> Self {
        Self {
            remaining: None,
            ..self
        }
    }

    /// Only for calls whose parameter `name` is the string (or number) `value`, e.g.
    /// `("parse_mode", "HTML")`.
    pub fn when_param(self, name: &str, value: &str) -> Self {
        Self {
            param: Some((name.to_owned(), value.to_owned())),
            ..self
        }
    }
}
