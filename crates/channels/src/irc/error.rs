//! Why a connection ended or a send failed.

use std::time::Duration;

/// Why a connection ended (or never came up).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The TCP connection or TLS handshake failed.
    #[error("could not connect to the IRC server {address}")]
    Connect {
        /// `host:port`.
        address: String,
        /// The OS or TLS error.
        #[source]
        source: std::io::Error,
    },
    /// Connecting took longer than the connect timeout.
    #[error("connecting to the IRC server {address} took longer than {after:?}")]
    ConnectTimeout {
        /// `host:port`.
        address: String,
        /// The timeout.
        after: Duration,
    },
    /// Reading or writing the socket failed.
    #[error("the IRC connection failed")]
    Io(#[from] std::io::Error),
    /// A write blocked longer than the write timeout.
    #[error("writing to the IRC server blocked for more than {after:?}")]
    WriteTimeout {
        /// The timeout.
        after: Duration,
    },
    /// The server closed the connection.
    #[error("the IRC server closed the connection")]
    Closed,
    /// The server sent `ERROR` (usually right before closing).
    #[error("the IRC server closed the link: {message}")]
    ServerError {
        /// The server's text.
        message: String,
    },
    /// The server stayed silent after a `PING`.
    #[error("the IRC server did not answer a PING within {after:?}")]
    PingTimeout {
        /// The time waited for an answer.
        after: Duration,
    },
    /// No welcome arrived in time.
    #[error("the IRC server did not complete registration within {after:?}")]
    RegistrationTimeout {
        /// The timeout.
        after: Duration,
    },
    /// Every nick tried was in use.
    #[error("nick {nick:?} and its {tried} alternatives are all in use")]
    NickUnavailable {
        /// The configured nick.
        nick: String,
        /// How many alternatives were tried.
        tried: usize,
    },
    /// The server refused the nick as invalid (`432`).
    #[error("the IRC server refused the nick {nick:?} as invalid")]
    NickRejected {
        /// The nick.
        nick: String,
    },
    /// The server password was refused (`464`).
    #[error("the IRC server refused the server password")]
    PasswordIncorrect,
    /// The server banned this client (`465`).
    #[error("the IRC server banned this client: {message}")]
    Banned {
        /// The server's text.
        message: String,
    },
    /// SASL was configured and the server does not offer it (or refused the capability).
    #[error("SASL is configured but the IRC server does not offer it")]
    SaslUnavailable,
    /// SASL authentication failed (`902`, `904`, `905`, `906`).
    #[error("SASL authentication failed with reply {code}")]
    SaslFailed {
        /// The numeric reply.
        code: String,
    },
    /// [`IrcClient::shutdown`](super::IrcClient::shutdown) was called.
    #[error("the IRC client was shut down")]
    ShutDown,
}

impl ConnectionError {
    /// Whether connecting again may help; failures of configuration or of credentials only
    /// repeat, so the client stops after them.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect { .. }
            | Self::ConnectTimeout { .. }
            | Self::Io(_)
            | Self::WriteTimeout { .. }
            | Self::Closed
            | Self::ServerError { .. }
            | Self::PingTimeout { .. }
            | Self::RegistrationTimeout { .. }
            | Self::NickUnavailable { .. } => true,
            Self::NickRejected { .. }
            | Self::PasswordIncorrect
            | Self::Banned { .. }
            | Self::SaslUnavailable
            | Self::SaslFailed { .. }
            | Self::ShutDown => false,
        }
    }
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The client is not registered with a server right now (connecting, backing off, stopped).
    #[error("the IRC client is not connected")]
    NotConnected,
    /// The connection ended before the line was written.
    #[error("the IRC connection ended before the message was sent")]
    Disconnected,
    /// The target is empty or holds a space, comma-free garbage or a control character.
    #[error("{target:?} is not a valid IRC target")]
    InvalidTarget {
        /// The target.
        target: String,
    },
    /// The text holds CR, LF or NUL; split it into lines first (`text::irc_lines`).
    #[error("the IRC message text contains CR, LF or NUL")]
    ForbiddenCharacter,
    /// The text does not fit one line as the server relays it; split it first
    /// (`text::irc_lines` with `text::irc_payload_budget`).
    #[error("the IRC message text is {bytes} bytes, more than the {budget} that fit one line")]
    TooLong {
        /// The text's length in bytes.
        bytes: usize,
        /// The bytes that fit.
        budget: usize,
    },
}
