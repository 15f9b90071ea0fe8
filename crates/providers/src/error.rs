//! Provider errors and their classification for retries, cooldowns and failover.

use std::time::Duration;

/// Why a model call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The provider answered with an error status.
    #[error("{provider} returned HTTP {status}: {message}")]
    Status {
        /// Provider id.
        provider: String,
        /// HTTP status.
        status: u16,
        /// The provider's error message (from its JSON error body when there is one).
        message: String,
        /// The provider's error type or code (`rate_limit_error`, `context_length_exceeded`…).
        code: Option<String>,
        /// `retry-after` (or `retry-after-ms`) when the provider sent one.
        retry_after: Option<Duration>,
    },
    /// The connection failed before a response arrived.
    #[error("could not reach {provider} at {url}: {detail}")]
    Connect {
        /// Provider id.
        provider: String,
        /// The URL without query string.
        url: String,
        /// What the HTTP client reported.
        detail: String,
    },
    /// No byte arrived for too long.
    #[error("{provider} sent nothing for {idle:?}")]
    Idle {
        /// Provider id.
        provider: String,
        /// The idle timeout that expired.
        idle: Duration,
    },
    /// Reading the response body failed mid-way.
    #[error("reading the response from {provider} failed: {detail}")]
    Read {
        /// Provider id.
        provider: String,
        /// What the HTTP client reported.
        detail: String,
    },
    /// The stream ended before the model said it was done.
    #[error("the response stream ended before the model finished")]
    StreamEnded,
    /// The response did not follow the wire format.
    #[error("malformed response from {provider}: {detail}")]
    Malformed {
        /// Provider id.
        provider: String,
        /// What was wrong, with the offending fragment shortened.
        detail: String,
    },
    /// The provider reported an error inside a successful (200) stream.
    #[error("{provider} reported an error mid-stream: {message}")]
    Stream {
        /// Provider id.
        provider: String,
        /// The provider's message.
        message: String,
        /// The provider's error type or code.
        code: Option<String>,
    },
    /// A key is required and none is configured.
    #[error("no API key for provider {provider}; set {hint}")]
    MissingKey {
        /// Provider id.
        provider: String,
        /// Where a key can come from (env var names or config path).
        hint: String,
    },
    /// The request could not be built (bad base URL, header, …).
    #[error("cannot build a request for {provider}: {detail}")]
    InvalidRequest {
        /// Provider id.
        provider: String,
        /// What was wrong.
        detail: String,
    },
    /// The caller cancelled the call.
    #[error("aborted")]
    Aborted,
}

/// What kind of failure an error is, for retry, cooldown and failover decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureClass {
    /// 429 or a rate-limit error code.
    RateLimit,
    /// 529/503 or "overloaded".
    Overloaded,
    /// Other 5xx.
    Server,
    /// Connection failures, idle timeouts, broken streams.
    Network,
    /// 401/403: the credential is wrong.
    Auth,
    /// 402 or a billing/quota code.
    Billing,
    /// The prompt is larger than the context window.
    ContextOverflow,
    /// 400/404/422 and other client mistakes; retrying does not help.
    BadRequest,
    /// The response could not be understood.
    Malformed,
    /// Configuration is missing (no key).
    Config,
    /// The caller aborted.
    Aborted,
}

impl FailureClass {
    /// Whether the same request to the same target may succeed if sent again after a pause.
    pub fn is_retryable(self) -> bool {
        match self {
            FailureClass::RateLimit
            | FailureClass::Overloaded
            | FailureClass::Server
            | FailureClass::Network => true,
            FailureClass::Auth
            | FailureClass::Billing
            | FailureClass::ContextOverflow
            | FailureClass::BadRequest
            | FailureClass::Malformed
            | FailureClass::Config
            | FailureClass::Aborted => false,
        }
    }

    /// Whether another model or credential may succeed where this one failed.
    pub fn allows_failover(self) -> bool {
        match self {
            FailureClass::RateLimit
            | FailureClass::Overloaded
            | FailureClass::Server
            | FailureClass::Network
            | FailureClass::Auth
            | FailureClass::Billing
            | FailureClass::Malformed
            | FailureClass::Config => true,
            FailureClass::ContextOverflow | FailureClass::BadRequest | FailureClass::Aborted => {
                false
            }
        }
    }

    /// What a person reads for this class in logs and error lines: the cooldown name, except
    /// that network failures are `network` (a refused connection is not a timeout).
    pub fn label(self) -> &'static str {
        match self {
            FailureClass::Network => "network",
            other => other.as_str(),
        }
    }

    /// The name in cooldown records, OpenClaw's failover reason (`rate_limit`, `overloaded`,
    /// …; network failures are `timeout` there, so records stay readable by both).
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::RateLimit => "rate_limit",
            FailureClass::Overloaded => "overloaded",
            FailureClass::Server => "server_error",
            FailureClass::Network => "timeout",
            FailureClass::Auth => "auth",
            FailureClass::Billing => "billing",
            FailureClass::ContextOverflow => "context_overflow",
            FailureClass::BadRequest => "bad_request",
            FailureClass::Malformed => "malformed",
            FailureClass::Config => "config",
            FailureClass::Aborted => "aborted",
        }
    }
}

/// Phrases providers use for "the prompt does not fit".
const OVERFLOW_MARKERS: &[&str] = &[
    "context_length_exceeded",
    "context length",
    "context window",
    "maximum context",
    "prompt is too long",
    "request_too_large",
    "too many tokens",
    "input is too long",
    "exceeds the maximum number of tokens",
];

fn mentions_overflow(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    OVERFLOW_MARKERS.iter().any(|m| lower.contains(m))
}

impl ProviderError {
    /// Classifies the error.
    pub fn class(&self) -> FailureClass {
        match self {
            ProviderError::Status {
                status,
                message,
                code,
                ..
            } => {
                let code = code.as_deref().unwrap_or("");
                if mentions_overflow(code) || mentions_overflow(message) || *status == 413 {
                    return FailureClass::ContextOverflow;
                }
                match status {
                    429 if code.contains("quota") || code.contains("billing") => {
                        FailureClass::Billing
                    }
                    429 => FailureClass::RateLimit,
                    401 | 403 => FailureClass::Auth,
                    402 => FailureClass::Billing,
                    503 | 529 => FailureClass::Overloaded,
                    500..=599 => FailureClass::Server,
                    408 => FailureClass::Network,
                    _ => FailureClass::BadRequest,
                }
            }
            ProviderError::Stream { message, code, .. } => {
                let code = code.as_deref().unwrap_or("");
                if mentions_overflow(code) || mentions_overflow(message) {
                    FailureClass::ContextOverflow
                } else if code.contains("overloaded") || message.contains("verloaded") {
                    FailureClass::Overloaded
                } else if code.contains("rate_limit") {
                    FailureClass::RateLimit
                } else {
                    FailureClass::Server
                }
            }
            ProviderError::Connect { .. }
            | ProviderError::Idle { .. }
            | ProviderError::Read { .. }
            | ProviderError::StreamEnded => FailureClass::Network,
            ProviderError::Malformed { .. } => FailureClass::Malformed,
            ProviderError::MissingKey { .. } | ProviderError::InvalidRequest { .. } => {
                FailureClass::Config
            }
            ProviderError::Aborted => FailureClass::Aborted,
        }
    }

    /// The server's requested pause, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, message: &str, code: Option<&str>) -> ProviderError {
        ProviderError::Status {
            provider: "p".into(),
            status,
            message: message.into(),
            code: code.map(Into::into),
            retry_after: None,
        }
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(
            status(429, "slow down", None).class(),
            FailureClass::RateLimit
        );
        assert_eq!(
            status(429, "x", Some("insufficient_quota")).class(),
            FailureClass::Billing
        );
        assert_eq!(status(500, "boom", None).class(), FailureClass::Server);
        assert_eq!(
            status(529, "overloaded", None).class(),
            FailureClass::Overloaded
        );
        assert_eq!(status(401, "bad key", None).class(), FailureClass::Auth);
        assert_eq!(
            status(404, "no such model", None).class(),
            FailureClass::BadRequest
        );
        assert_eq!(
            status(
                400,
                "This model's maximum context length is 8192 tokens",
                None
            )
            .class(),
            FailureClass::ContextOverflow
        );
        assert_eq!(
            status(400, "x", Some("context_length_exceeded")).class(),
            FailureClass::ContextOverflow
        );
    }

    #[test]
    fn retry_and_failover_rules() {
        assert!(FailureClass::RateLimit.is_retryable());
        assert!(!FailureClass::Auth.is_retryable());
        assert!(FailureClass::Auth.allows_failover());
        assert!(!FailureClass::ContextOverflow.allows_failover());
        assert!(!FailureClass::Aborted.allows_failover());
    }
}
