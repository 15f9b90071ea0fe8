//! The Bot API client's errors, typed from Telegram's error answers.
//!
//! Telegram answers a failed call with `{"ok": false, "error_code": …, "description": …,
//! "parameters": {"retry_after": …, "migrate_to_chat_id": …}}`. The error code and the few
//! descriptions a caller acts on (resend as plain text, the message is gone, the chat moved)
//! are classified once, here, so no caller sniffs strings. No variant holds a URL: every URL
//! carries the bot token.

use std::path::PathBuf;
use std::time::Duration;

/// A failed Bot API call or file transfer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelegramError {
    /// 429: too many requests; Telegram says how long to wait.
    #[error("Telegram rate-limited {method}{}", retry_hint(*.retry_after))]
    RateLimited {
        /// The Bot API method called.
        method: &'static str,
        /// How long Telegram asked to wait (`parameters.retry_after`), when it said.
        retry_after: Option<Duration>,
    },
    /// 409: another process is polling `getUpdates` with this token, or a webhook is set.
    #[error("Telegram refused {method}: {}", .reason.explanation())]
    Conflict {
        /// The Bot API method called.
        method: &'static str,
        /// Which of the two conflicts it is.
        reason: ConflictReason,
        /// Telegram's own words.
        description: String,
    },
    /// 401: Telegram does not know this bot token.
    #[error(
        "Telegram rejected the bot token ({method}: 401 Unauthorized); copy the token from \
         @BotFather again, or regenerate it there"
    )]
    Unauthorized {
        /// The Bot API method called.
        method: &'static str,
    },
    /// 403: the bot may not do this, typically because the user blocked it or it was
    /// removed from the group.
    #[error("Telegram forbade {method}: {description}")]
    Forbidden {
        /// The Bot API method called.
        method: &'static str,
        /// Telegram's description, e.g. "Forbidden: bot was blocked by the user".
        description: String,
    },
    /// 400 because the group became a supergroup: resend to `migrate_to_chat_id`.
    #[error("the chat became a supergroup with id {migrate_to_chat_id} ({method})")]
    ChatMigrated {
        /// The Bot API method called.
        method: &'static str,
        /// The supergroup's chat id.
        migrate_to_chat_id: i64,
    },
    /// 400: Telegram refused the request's content.
    #[error("Telegram rejected {method}: {description}")]
    BadRequest {
        /// The Bot API method called.
        method: &'static str,
        /// The cases a caller handles, recognised from the description.
        kind: BadRequestKind,
        /// Telegram's description, e.g. "Bad Request: can't parse entities: …".
        description: String,
    },
    /// Any other error answer (404 for an unknown method, 5xx, a proxy's error page).
    #[error("Telegram answered {method} with error {error_code}: {description}")]
    Api {
        /// The Bot API method called.
        method: &'static str,
        /// Telegram's `error_code`, or the HTTP status when the body was not Telegram's.
        error_code: u16,
        /// Telegram's description, or the start of the body.
        description: String,
    },
    /// A successful HTTP answer whose body is not what the Bot API promises.
    #[error("Telegram's answer to {method} (HTTP {status}) is malformed: {detail}")]
    Malformed {
        /// The Bot API method called.
        method: &'static str,
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        detail: String,
    },
    /// No complete answer within the call's time limit (for `getUpdates`, the poll's timeout
    /// plus a grace period).
    #[error("Telegram did not answer {method} within {after:?}")]
    Timeout {
        /// The Bot API method called.
        method: &'static str,
        /// The limit that expired.
        after: Duration,
    },
    /// The connection failed (DNS, TCP, TLS, a reset mid-answer).
    #[error("could not reach Telegram for {method}: {detail}")]
    Transport {
        /// The Bot API method called.
        method: &'static str,
        /// The HTTP client's error chain, without the URL.
        detail: String,
    },
    /// A download or answer larger than the caller's cap; the transfer was stopped.
    #[error("{what} is larger than the {limit}-byte limit (at least {size_at_least} bytes)")]
    TooLarge {
        /// What was being read ("the file", "the answer to getUpdates").
        what: &'static str,
        /// The cap.
        limit: u64,
        /// How much was announced or read when the transfer stopped.
        size_at_least: u64,
    },
    /// A `file_path` that could leave the file area of the API (`..`, `?`, a leading `/`).
    #[error("refusing to download the unsafe file path {file_path:?}")]
    UnsafeFilePath {
        /// The path as given.
        file_path: String,
    },
    /// A local file to upload could not be opened.
    #[error("could not open {} to upload it", .path.display())]
    ReadUpload {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing a downloaded file failed.
    #[error("could not write the downloaded file")]
    WriteDownload {
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The token is not in @BotFather's `<bot id>:<secret>` form (it is not quoted here).
    #[error("the bot token is not in Telegram's `<bot id>:<secret>` form")]
    InvalidToken,
    /// The HTTP client could not be built.
    #[error("could not set up the HTTP client for Telegram: {detail}")]
    Setup {
        /// The HTTP client's error.
        detail: String,
    },
}

impl TelegramError {
    /// How long to wait before retrying, when Telegram said (429 with `retry_after`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether the same call may succeed later without anyone changing anything: rate
    /// limits, timeouts, connection failures and server-side errors.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Timeout { .. } | Self::Transport { .. } => true,
            Self::Api { error_code, .. } => *error_code >= 500,
            Self::Malformed { status, .. } => *status >= 500,
            Self::Conflict { .. }
            | Self::Unauthorized { .. }
            | Self::Forbidden { .. }
            | Self::ChatMigrated { .. }
            | Self::BadRequest { .. }
            | Self::TooLarge { .. }
            | Self::UnsafeFilePath { .. }
            | Self::ReadUpload { .. }
            | Self::WriteDownload { .. }
            | Self::InvalidToken
            | Self::Setup { .. } => false,
        }
    }

    /// The 400 kind, when this is a bad request.
    pub fn bad_request_kind(&self) -> Option<BadRequestKind> {
        match self {
            Self::BadRequest { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// Telegram could not parse the HTML or MarkdownV2 markup: resend the text without
    /// `parse_mode`.
    pub fn is_cant_parse_entities(&self) -> bool {
        self.bad_request_kind() == Some(BadRequestKind::CantParseEntities)
    }

    /// The message to edit no longer exists (deleted, or too old): send a new one instead.
    pub fn is_message_to_edit_not_found(&self) -> bool {
        self.bad_request_kind() == Some(BadRequestKind::MessageToEditNotFound)
    }

    /// The edit would not change the message: nothing to do.
    pub fn is_message_not_modified(&self) -> bool {
        self.bad_request_kind() == Some(BadRequestKind::MessageNotModified)
    }
}

/// The 400 descriptions a caller acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BadRequestKind {
    /// "can't parse entities": the markup is invalid.
    CantParseEntities,
    /// "message to edit not found".
    MessageToEditNotFound,
    /// "message is not modified": the edit changes nothing.
    MessageNotModified,
    /// "message to delete not found".
    MessageToDeleteNotFound,
    /// "message to be replied not found" / "message to reply not found".
    ReplyMessageNotFound,
    /// "message thread not found": the forum topic is gone.
    MessageThreadNotFound,
    /// "chat not found".
    ChatNotFound,
    /// "file is too big" (`getFile` serves up to 20 MB).
    FileTooBig,
    /// Anything else.
    Other,
}

impl BadRequestKind {
    /// Classifies a 400 description (case-insensitively, on the stable phrases).
    pub fn from_description(description: &str) -> Self {
        let lower = description.to_ascii_lowercase();
        let table = [
            ("can't parse entities", Self::CantParseEntities),
            ("message to edit not found", Self::MessageToEditNotFound),
            ("message is not modified", Self::MessageNotModified),
            ("message to delete not found", Self::MessageToDeleteNotFound),
            (
                "message to be replied not found",
                Self::ReplyMessageNotFound,
            ),
            ("message to reply not found", Self::ReplyMessageNotFound),
            ("message thread not found", Self::MessageThreadNotFound),
            ("chat not found", Self::ChatNotFound),
            ("file is too big", Self::FileTooBig),
        ];
        table
            .into_iter()
            .find(|(phrase, _)| lower.contains(phrase))
            .map_or(Self::Other, |(_, kind)| kind)
    }
}

/// Why Telegram answered 409.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConflictReason {
    /// "terminated by other getUpdates request": a second process polls with this token.
    OtherPoller,
    /// "can't use getUpdates method while webhook is active".
    WebhookActive,
    /// A 409 with another description.
    Other,
}

impl ConflictReason {
    /// Classifies a 409 description.
    pub fn from_description(description: &str) -> Self {
        let lower = description.to_ascii_lowercase();
        if lower.contains("other getupdates") {
            Self::OtherPoller
        } else if lower.contains("webhook is active") {
            Self::WebhookActive
        } else {
            Self::Other
        }
    }

    /// The conflict in words a bot's owner can act on.
    pub fn explanation(self) -> &'static str {
        match self {
            Self::OtherPoller => {
                "another program is receiving this bot's messages (a second getUpdates poller \
                 with the same token); stop the other instance, or give each its own bot token"
            }
            Self::WebhookActive => {
                "a webhook is set for this bot, so messages cannot be fetched by polling; \
                 delete the webhook (deleteWebhook) or switch this account to webhook mode"
            }
            Self::Other => {
                "the bot token is in use elsewhere (409 Conflict): another getUpdates poller or \
                 a webhook; make sure only one instance uses this token"
            }
        }
    }
}

fn retry_hint(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!("; retry after {} s", wait.as_secs()),
        None => String::new(),
    }
}
