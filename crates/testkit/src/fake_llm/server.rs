//! State shared by the fake server's handlers, whatever wire format they speak: the script,
//! the request log and the violations found.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::Notify;

use super::invariants::{Violation, ViolationKind};
use super::record::RecordedRequest;
use super::script::{ErrorTurn, Script, Turn};
use super::{FakeLlmOptions, OnViolation, openai_chat};

/// The largest request body the server reads; real agent requests are well under 1 MiB.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Locks `mutex`, recovering the data if a handler panicked while holding it: the log stays
/// readable for the test that wants to know what happened.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything the handlers share. Locks are never held across an `.await`.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) options: FakeLlmOptions,
    script: Mutex<Script>,
    requests: Mutex<Vec<RecordedRequest>>,
    violations: Mutex<Vec<Violation>>,
    /// Woken after each recorded request, for tests waiting on a child process's traffic.
    pub(crate) recorded: Notify,
    completions: AtomicU64,
    /// Requests received, kept or not.
    received: AtomicUsize,
    /// The failure embedding requests get, when armed.
    embedding_failure: Mutex<Option<super::embeddings::EmbeddingFailure>>,
}

impl Shared {
    pub(crate) fn new(options: FakeLlmOptions) -> Self {
        Self {
            options,
            script: Mutex::default(),
            requests: Mutex::default(),
            violations: Mutex::default(),
            recorded: Notify::new(),
            completions: AtomicU64::new(0),
            received: AtomicUsize::new(0),
            embedding_failure: Mutex::new(None),
        }
    }

    /// The armed embedding failure, if any.
    pub(crate) fn embedding_failure(&self) -> Option<super::embeddings::EmbeddingFailure> {
        *lock(&self.embedding_failure)
    }

    /// Arms (or with `None` clears) the failure of embedding requests.
    pub(crate) fn set_embedding_failure(
        &self,
        failure: Option<super::embeddings::EmbeddingFailure>,
    ) {
        *lock(&self.embedding_failure) = failure;
    }

    /// Reads the whole request and appends it to the log.
    pub(crate) async fn record(&self, request: Request) -> Result<RecordedRequest, Response> {
        let (parts, body) = request.into_parts();
        let raw_body = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|error| {
                let message = format!("fake LLM could not read the request body: {error}");
                openai_chat::error_response(
                    StatusCode::BAD_REQUEST,
                    &message,
                    "invalid_request_error",
                    None,
                )
            })?;
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = serde_json::from_slice(&raw_body).ok();
        let recorded = {
            let mut requests = lock(&self.requests);
            let recorded = RecordedRequest {
                index: self.received.fetch_add(1, Ordering::SeqCst),
                method: parts.method.as_str().to_owned(),
                path: parts.uri.path().to_owned(),
                headers,
                body,
                raw_body,
            };
            if self.options.keep_requests {
                requests.push(recorded.clone());
            }
            recorded
        };
        tracing::debug!(
            index = recorded.index,
            method = %recorded.method,
            path = %recorded.path,
            "fake LLM recorded a request"
        );
        self.recorded.notify_waiters();
        Ok(recorded)
    }

    pub(crate) fn add_violations(&self, request_index: usize, kinds: &[ViolationKind]) {
        for kind in kinds {
            tracing::debug!(request_index, %kind, "fake LLM found a protocol violation");
        }
        lock(&self.violations).extend(kinds.iter().map(|kind| Violation {
            request_index,
            kind: kind.clone(),
        }));
    }

    pub(crate) fn push_turn(&self, turn: Turn) {
        lock(&self.script).push(turn);
    }

    pub(crate) fn next_turn(&self) -> Option<Turn> {
        lock(&self.script).next()
    }

    pub(crate) fn pending_turns(&self) -> usize {
        lock(&self.script).len()
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    pub(crate) fn request_count(&self) -> usize {
        self.received.load(Ordering::SeqCst)
    }

    pub(crate) fn violations(&self) -> Vec<Violation> {
        lock(&self.violations).clone()
    }

    /// Records `request`, checks it with `check` and takes the turn that answers it. A request
    /// that breaks invariants (when they are enforced) or finds no turn left gets the response
    /// `refuse` renders in the wire format's error shape, and consumes no turn.
    pub(crate) async fn admit(
        &self,
        request: Request,
        check: impl FnOnce(&RecordedRequest) -> Vec<ViolationKind>,
        refuse: impl FnOnce(Refusal) -> Response,
    ) -> Result<(RecordedRequest, Turn), Response> {
        let recorded = self.record(request).await?;
        let found = check(&recorded);
        self.add_violations(recorded.index, &found);
        if !found.is_empty() && self.options.on_violation == OnViolation::Reject {
            let list: Vec<String> = found.iter().map(ToString::to_string).collect();
            let message = format!(
                "fake LLM rejected request #{}: {}",
                recorded.index,
                list.join("; ")
            );
            return Err(refuse(Refusal::Violations(message)));
        }
        let scripted = self.next_turn().or_else(|| {
            self.options
                .responder
                .as_ref()
                .map(|responder| responder.respond(&recorded))
        });
        let Some(turn) = scripted else {
            self.add_violations(recorded.index, &[ViolationKind::ScriptExhausted]);
            let message = format!(
                "fake LLM: no turn was scripted for request #{} ({} {}); queue one with FakeLlm::push",
                recorded.index, recorded.method, recorded.path
            );
            return Err(refuse(Refusal::ScriptExhausted(message)));
        };
        Ok((recorded, turn))
    }

    /// A fresh number for response ids, so every completion id is unique per server.
    pub(crate) fn next_completion_number(&self) -> u64 {
        self.completions.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// Why a request was answered with an error instead of a scripted turn. Each carries the
/// message to put in the format's error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The request broke protocol invariants and the server rejects such requests.
    Violations(String),
    /// No scripted turn was left.
    ScriptExhausted(String),
}

impl Refusal {
    /// `400` for a rejected request, `500` for an exhausted script.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::Violations(_) => StatusCode::BAD_REQUEST,
            Self::ScriptExhausted(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message for the error body.
    pub(crate) fn message(&self) -> &str {
        match self {
            Self::Violations(message) | Self::ScriptExhausted(message) => message,
        }
    }
}

/// Answers a scripted [`ErrorTurn`] after its delay: its status, its headers, and its own body
/// or else `body(status)` in the wire format's shape. A script asking for an invalid status or
/// header gets `bad_script(message)`, a 500 naming the mistake.
pub(crate) async fn scripted_error(
    turn: &ErrorTurn,
    body: impl FnOnce(StatusCode) -> Value,
    bad_script: impl Fn(&str) -> Response,
) -> Response {
    if let Some(delay) = turn.response_delay {
        tokio::time::sleep(delay).await;
    }
    let Ok(status) = StatusCode::from_u16(turn.status) else {
        return bad_script(&format!(
            "fake LLM: scripted status {} is not a valid HTTP status",
            turn.status
        ));
    };
    let body = turn.body.clone().unwrap_or_else(|| body(status));
    let mut response = (status, axum::Json(body)).into_response();
    for (name, value) in turn.response_headers() {
        match (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            (Ok(name), Ok(value)) => {
                response.headers_mut().append(name, value);
            }
            _ => {
                return bad_script(&format!(
                    "fake LLM: scripted header {name:?}: {value:?} is not valid HTTP"
                ));
            }
        }
    }
    response
}

/// Answers any path no wire format serves with a 404, after recording it, so a client that
/// builds a wrong URL fails with a message naming the URL.
pub(crate) async fn unknown_path(
    axum::extract::State(shared): axum::extract::State<std::sync::Arc<Shared>>,
    request: Request,
) -> Response {
    let recorded = match shared.record(request).await {
        Ok(recorded) => recorded,
        Err(response) => return response,
    };
    // The shape is OpenAI's own answer to an unknown URL; formats with another error shape
    // serve their known paths themselves.
    let message = format!(
        "Unknown request URL: {} {}. Please check the URL for typos.",
        recorded.method, recorded.path
    );
    openai_chat::error_response(
        StatusCode::NOT_FOUND,
        &message,
        "invalid_request_error",
        Some("unknown_url"),
    )
}
