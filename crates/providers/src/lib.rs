//! Model providers: one client per wire format, vendors as data.
//!
//! Forty-odd vendors speak five wire formats, so a vendor is a row of data (base URL, how the key
//! is sent, extra headers, known models) and a wire format is a module that turns a
//! [`ModelRequest`] into an HTTP request and the response bytes into [`StreamEvent`]s. Nothing
//! here knows about sessions, channels or the store: the conversation comes in as transcript
//! messages ([`rustyclaw_protocol::transcript::AgentMessage`]) and leaves as events; the caller
//! decides what to persist.
//!
//! - [`Client::stream`] sends one request to one [`Target`] and yields events; dropping the
//!   stream cancels the request. [`collect`] folds a stream into an assistant message, which is
//!   all "non-streaming" means here.
//! - Retries (429/5xx with `retry-after`), auth-profile rotation and model failover wrap
//!   [`Client::stream`]; they only ever retry before the first event reached the caller.

pub mod catalog;
mod client;
pub mod embeddings;
mod error;
mod event;
mod failover;
mod formats;
mod framing;
mod listing;
mod model;
mod redact;
mod request;
mod resolve;
mod retry;

pub use client::{Client, ClientOptions, EventStream};
pub use error::{FailureClass, ProviderError};
pub use event::{Collected, MalformedCall, StreamEvent, TokenUsage, collect};
pub use failover::{
    Attempt, CooldownRecord, Cooldowns, FailoverError, FailoverOutcome, stream_with_failover,
};
pub use model::{AuthStyle, Credential, Modality, ModelSpec, Pricing, Target, WireFormat};
pub use request::{ModelRequest, ToolSpec};
pub use resolve::{
    Candidate, DECLARED_CONTEXT_WINDOW, DECLARED_MAX_TOKENS, FailoverChain, ModelCatalog,
    ModelListing, ModelSettings, ResolveError, UNDECLARED_CONTEXT_WINDOW, UNDECLARED_MAX_TOKENS,
};
pub use retry::{RetryPolicy, retry, sleep_or_abort};
