//! The three frame kinds and the error shape (upstream `frames.ts`, `error-codes.ts`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::open_enum::open_string_enum;

/// Any frame on the socket, discriminated by its `type` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Frame {
    /// `{"type":"req"}`: a call from client to server.
    #[serde(rename = "req")]
    Request(RequestFrame),
    /// `{"type":"res"}`: the answer to a request (`agent` sends two with the same id).
    #[serde(rename = "res")]
    Response(ResponseFrame),
    /// `{"type":"event"}`: a server push.
    #[serde(rename = "event")]
    Event(EventFrame),
}

/// A request; serialize it through [`Frame`] so the `type` tag is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestFrame {
    /// Caller-chosen id echoed by the response.
    pub id: String,
    /// Method name, e.g. `chat.send`.
    pub method: String,
    /// Method parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    /// W3C trace context (v4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

/// A response; serialize it through [`Frame`] so the `type` tag is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResponseFrame {
    /// The request's id.
    pub id: String,
    /// Whether the call succeeded.
    pub ok: bool,
    /// The result when `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    /// The failure when not `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorShape>,
}

impl ResponseFrame {
    /// A successful response.
    pub fn ok(id: impl Into<String>, payload: Value) -> Self {
        Self {
            id: id.into(),
            ok: true,
            payload: Some(payload),
            error: None,
        }
    }

    /// A failed response.
    pub fn err(id: impl Into<String>, error: ErrorShape) -> Self {
        Self {
            id: id.into(),
            ok: false,
            payload: None,
            error: Some(error),
        }
    }
}

/// An event; serialize it through [`Frame`] so the `type` tag is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EventFrame {
    /// Event name, e.g. `chat`, `tick`.
    pub event: String,
    /// Event payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    /// Per-connection sequence number (absent on the pre-handshake `connect.challenge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Presence/health versions, on `presence` and `health` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_version: Option<StateVersion>,
    /// The profile the event was addressed to (v4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_profile_id: Option<String>,
}

/// Versions of the presence list and the health snapshot, bumped on every change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateVersion {
    /// Presence list version.
    pub presence: u64,
    /// Health snapshot version.
    pub health: u64,
}

open_string_enum! {
    /// A gateway error code (`error-codes.ts`), open so a newer server's codes survive.
    pub enum ErrorCode {
        /// A channel account is not linked.
        NotLinked = "NOT_LINKED",
        /// The device needs pairing or an identity.
        NotPaired = "NOT_PAIRED",
        /// An agent run timed out.
        AgentTimeout = "AGENT_TIMEOUT",
        /// The request was malformed, unauthorized during the handshake, or unknown.
        InvalidRequest = "INVALID_REQUEST",
        /// No pending approval has this id.
        ApprovalNotFound = "APPROVAL_NOT_FOUND",
        /// The server cannot serve the request now.
        Unavailable = "UNAVAILABLE",
        /// The connection lacks a scope (v4).
        Forbidden = "FORBIDDEN",
    }
}

/// The error of a failed response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ErrorShape {
    /// Machine-readable class.
    pub code: ErrorCode,
    /// Human-readable text (clients show it and some match on it).
    pub message: String,
    /// Structured detail, e.g. `{"code":"AUTH_TOKEN_MISMATCH", …}` on handshake failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    /// Whether retrying the same call may succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
    /// How long to wait before retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl ErrorShape {
    /// An error without details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
            retryable: None,
            retry_after_ms: None,
        }
    }

    /// The same error with `details`.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}
