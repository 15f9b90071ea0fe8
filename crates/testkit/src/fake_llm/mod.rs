//! A scripted fake LLM server on loopback.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn, Usage};
//! use serde_json::json;
//!
//! let llm = FakeLlm::start().await?;
//! llm.push(Turn::tool_calls([ToolCall::new("call_1", "read", json!({"path": "a.txt"}))]));
//! llm.push(Turn::text("The file says hi.").with_usage(Usage::new(120, 6)));
//! // … point the client at `llm.base_url()` and run it …
//! llm.assert_no_violations()?;
//! assert_eq!(llm.requests().len(), 2);
//! # Ok(()) }
//! ```
//!
//! The layout separates what is common to every provider from what is not:
//! [`script`](Turn) (what the model answers), `delivery` (how the bytes travel: splits, delays,
//! cuts), `record` and `invariants` (what the client sent and whether it was well formed) are
//! shared; `openai_chat` renders turns in the OpenAI chat-completions format and checks its
//! request shape, `openai_responses` does the same for OpenAI responses (`POST /v1/responses`),
//! `anthropic` for Anthropic messages (`POST /v1/messages`), `gemini` for Gemini
//! (`POST /v1beta/models/{model}:streamGenerateContent`) and `ollama` for Ollama's native chat
//! (`POST /api/chat`). Every format takes its turn through the same admission (record, check
//! the format's invariants, take the next turn) and renders errors, delays, splits and cuts the
//! same way. Another wire format is one more sibling module with its own routes.

mod anthropic;
mod delivery;
pub mod embeddings;
mod gemini;
mod invariants;
mod ollama;
mod openai_chat;
mod openai_responses;
mod record;
mod script;
mod server;
mod sse;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use invariants::{SystemPrompt, Violation, ViolationKind};
pub use record::RecordedRequest;
pub use script::{ErrorTurn, FinishReason, MalformedTurn, MessageTurn, ToolCall, Turn, Usage};

use server::Shared;

/// How long [`FakeLlm::shutdown`] lets in-flight responses finish before aborting the server.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What the server does with a request that breaks a protocol invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnViolation {
    /// Record the violation and answer `400` with an error naming it, without consuming a
    /// turn. The client fails at the bug, which makes the test fail where the bug is.
    Reject,
    /// Record the violation and answer with the next turn as if nothing were wrong; the test
    /// inspects [`FakeLlm::violations`] itself.
    Record,
}

/// Server options; [`Default`] suits agent tests.
#[derive(Debug, Clone)]
pub struct FakeLlmOptions {
    /// Model ids listed by `GET /v1/models`. Default: `["fake-model"]`.
    pub models: Vec<String>,
    /// Reaction to invariant violations. Default: [`OnViolation::Reject`].
    pub on_violation: OnViolation,
    /// Whether requests must open with a system prompt. Default: [`SystemPrompt::Required`].
    pub system_prompt: SystemPrompt,
    /// Answers the requests the script has no turn for. Default: `None`, so an exhausted
    /// script is an error, as a test wants; a benchmark's endless conversation sets one.
    pub responder: Option<Responder>,
    /// Whether [`FakeLlm::requests`] keeps every request. Default: `true`. A long benchmark
    /// turns it off so the server's memory does not grow with the run.
    pub keep_requests: bool,
}

impl Default for FakeLlmOptions {
    fn default() -> Self {
        Self {
            models: vec!["fake-model".to_owned()],
            on_violation: OnViolation::Reject,
            system_prompt: SystemPrompt::Required,
            responder: None,
            keep_requests: true,
        }
    }
}

/// Picks the turn for a request the script has none for, from the request itself (e.g. a
/// tool call for one prompt, the final text once the tool result is back).
#[derive(Clone)]
pub struct Responder(Arc<dyn Fn(&RecordedRequest) -> Turn + Send + Sync>);

impl Responder {
    /// A responder that calls `respond` for each unscripted request.
    pub fn new(respond: impl Fn(&RecordedRequest) -> Turn + Send + Sync + 'static) -> Self {
        Self(Arc::new(respond))
    }

    /// A responder that answers every unscripted request with `turn`.
    pub fn always(turn: impl Into<Turn>) -> Self {
        let turn = turn.into();
        Self::new(move |_| turn.clone())
    }

    pub(crate) fn respond(&self, request: &RecordedRequest) -> Turn {
        (self.0)(request)
    }
}

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Responder(..)")
    }
}

/// Errors starting or stopping a fake server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FakeLlmError {
    /// Binding `127.0.0.1:0` failed.
    #[error("fake LLM could not bind a loopback port")]
    Bind {
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("fake LLM server failed")]
    Serve {
        /// The server's error.
        #[source]
        source: std::io::Error,
    },
    /// The server task panicked or was cancelled.
    #[error("fake LLM server task ended abnormally")]
    Task {
        /// The task's join error.
        #[source]
        source: tokio::task::JoinError,
    },
    /// In-flight responses did not finish within the grace period; the server was aborted.
    #[error("fake LLM server did not shut down within {grace:?}; aborted it")]
    ShutdownTimedOut {
        /// The grace period that expired.
        grace: Duration,
    },
}

/// A failed assertion about what the fake server saw.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// Requests broke protocol invariants.
    #[error("the fake LLM found {} protocol violation(s):\n{}", .violations.len(), lines(.violations))]
    Violations {
        /// Every violation, in order.
        violations: Vec<Violation>,
    },
    /// Scripted turns were never requested.
    #[error("{remaining} scripted turn(s) were never requested")]
    TurnsLeft {
        /// How many turns are still queued.
        remaining: usize,
    },
    /// Fewer requests than expected arrived in time.
    #[error("waited {waited:?} for {wanted} request(s) but the fake LLM received {received}")]
    Timeout {
        /// Requests waited for.
        wanted: usize,
        /// Requests received when the wait ended.
        received: usize,
        /// How long the wait lasted.
        waited: Duration,
    },
}

fn lines(violations: &[Violation]) -> String {
    let lines: Vec<String> = violations
        .iter()
        .map(|violation| format!("  {violation}"))
        .collect();
    lines.join("\n")
}

/// A running fake LLM server on `127.0.0.1` with a free port.
///
/// Turns are served in the order they were pushed, one per chat request. When none is left the
/// server answers `500` with a message saying so (and records a
/// [`ViolationKind::ScriptExhausted`]), so a client asking more than the test expected fails
/// fast instead of hanging. Dropping the server stops it from accepting connections.
#[derive(Debug)]
pub struct FakeLlm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl FakeLlm {
    /// Starts a server with default options on the current tokio runtime.
    pub async fn start() -> Result<Self, FakeLlmError> {
        Self::start_with(FakeLlmOptions::default()).await
    }

    /// Starts a server with `options` on the current tokio runtime.
    pub async fn start_with(options: FakeLlmOptions) -> Result<Self, FakeLlmError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|source| FakeLlmError::Bind { source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| FakeLlmError::Bind { source })?;
        let shared = Arc::new(Shared::new(options));
        let router = openai_chat::routes()
            .merge(embeddings::routes())
            .merge(openai_responses::routes())
            .merge(anthropic::routes())
            .merge(gemini::routes())
            .merge(ollama::routes())
            .fallback(server::unknown_path)
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        // A stream's events are small writes: without TCP_NODELAY each waits for the client's
        // delayed ACK, which would add tens of milliseconds to every streamed reply.
        let listener = listener.tap_io(|stream| {
            let _ = stream.set_nodelay(true);
        });
        let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
            // A dropped sender means the `FakeLlm` is gone: stop as well.
            let _ = stopped.await;
        });
        let task = tokio::spawn(serve.into_future());
        tracing::debug!(%addr, "fake LLM listening");
        Ok(Self {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Makes every embedding request fail with `status` (and `retry-after` for 429), in the
    /// format's own error shape, until [`FakeLlm::heal_embeddings`].
    pub fn fail_embeddings(&self, status: u16, retry_after_secs: Option<u64>) {
        self.shared
            .set_embedding_failure(Some(embeddings::EmbeddingFailure {
                status,
                retry_after_secs,
            }));
    }

    /// Lets embedding requests succeed again.
    pub fn heal_embeddings(&self) {
        self.shared.set_embedding_failure(None);
    }

    /// The OpenAI-style base URL, `http://127.0.0.1:<port>/v1`, to configure a client with.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The server's origin, `http://127.0.0.1:<port>`, for formats whose base URL has no
    /// `/v1`: Anthropic (`{origin}/v1/messages`), Gemini (`{origin}/v1beta/models/…`) and
    /// Ollama (`{origin}/api/chat`).
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a turn to answer a later request with.
    pub fn push(&self, turn: impl Into<Turn>) {
        self.shared.push_turn(turn.into());
    }

    /// How many queued turns have not been served yet.
    pub fn pending_turns(&self) -> usize {
        self.shared.pending_turns()
    }

    /// How many requests have arrived, whether or not they are kept
    /// ([`FakeLlmOptions::keep_requests`]).
    pub fn request_count(&self) -> usize {
        self.shared.request_count()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Every invariant violation found so far, in order.
    pub fn violations(&self) -> Vec<Violation> {
        self.shared.violations()
    }

    /// Fails with every violation found so far, if there is any.
    pub fn assert_no_violations(&self) -> Result<(), CheckError> {
        let violations = self.violations();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(CheckError::Violations { violations })
        }
    }

    /// Fails if scripted turns are left, i.e. the client made fewer requests than scripted.
    pub fn assert_script_consumed(&self) -> Result<(), CheckError> {
        match self.pending_turns() {
            0 => Ok(()),
            remaining => Err(CheckError::TurnsLeft { remaining }),
        }
    }

    /// Waits until at least `count` requests have arrived (e.g. from a child process) and
    /// returns them all, or fails after `timeout`.
    pub async fn wait_for_requests(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<RecordedRequest>, CheckError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Register for the wake-up before checking, so a request landing in between is
            // not missed.
            let notified = self.shared.recorded.notified();
            if self.shared.request_count() >= count {
                return Ok(self.requests());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(CheckError::Timeout {
                    wanted: count,
                    received: self.shared.request_count(),
                    waited: timeout,
                });
            }
        }
    }

    /// Stops accepting connections, lets in-flight responses finish (up to a grace period)
    /// and reports how the server ended.
    pub async fn shutdown(mut self) -> Result<(), FakeLlmError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(source))) => Err(FakeLlmError::Serve { source }),
            Ok(Err(source)) => Err(FakeLlmError::Task { source }),
            Err(_elapsed) => {
                task.abort();
                Err(FakeLlmError::ShutdownTimedOut {
                    grace: SHUTDOWN_GRACE,
                })
            }
        }
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
