//! The webhook listener's HTTP edge: one route Telegram posts updates to, and `/healthz`.
//!
//! A delivery is checked in the order that spends the least on a stranger: the route and
//! method, then the `X-Telegram-Bot-Api-Secret-Token` header (compared in constant time; a
//! wrong or missing secret is a 401 before the body is read), then the body, read within a
//! size cap and a deadline and parsed as one Update. Its message goes to the sink as a batch
//! of its own, and the answer is an empty 200 only once the sink says the batch is stored:
//! Telegram redelivers whatever is not answered with a 2xx, so a batch the journal could not
//! take is answered 503 and comes back. As OpenClaw does, the 200 of a stored update carries
//! `x-openclaw-delivery-accepted: durable`, so a proxy can tell it from any other empty 200.
//!
//! An update that brings no message (a kind rustyclaw does not handle, the bot's own message,
//! one that does not parse) has nothing to store and is answered 200 at once, as polling
//! confirms it with the batch around it.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rustyclaw_protocol::origin::AccountId;
use rustyclaw_support::now_ms_i64;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Notify;

use super::api::BotApi;
use super::buttons::answer_button_presses;
use super::receive::{BotIdentity, batch};
use super::types::Update;
use crate::account::{InboundSink, StatusHandle, StoreOutcome};

/// The route the listener answers for health checks; `webhookPath` may not take it.
pub(super) const HEALTH_PATH: &str = "/healthz";

/// The header Telegram echoes `secret_token` in.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// The largest update body read (OpenClaw's 1 MiB; an update is a few kilobytes).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long a body may take to arrive (OpenClaw's 30 s).
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The header, and its value, on the 200 of a stored update (OpenClaw's).
const ACCEPTED_HEADER: &str = "x-openclaw-delivery-accepted";
const ACCEPTED_VALUE: &str = "durable";

/// What the handler needs: where deliveries go and how to recognise them. Cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct WebhookState {
    pub path: Arc<str>,
    pub secret: Arc<SecretString>,
    pub sink: InboundSink,
    pub status: StatusHandle,
    pub bot: Arc<BotIdentity>,
    pub api: BotApi,
    pub account: AccountId,
    /// Notified when the sink is closed (the gateway is shutting down): `run` ends.
    pub closed: Arc<Notify>,
}

/// The listener's routes: [`HEALTH_PATH`], and every other request to the delivery handler,
/// which takes POSTs to the configured path only (the path is compared as it is, so a path
/// with characters axum's router reads as patterns needs no escaping).
pub(super) fn router(state: WebhookState) -> Router {
    Router::new()
        .route(HEALTH_PATH, get(|| async { "ok" }))
        .fallback(deliver)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn deliver(State(state): State<WebhookState>, request: Request) -> Response {
    if request.method() != Method::POST || request.uri().path() != &*state.path {
        return StatusCode::NOT_FOUND.into_response();
    }
    // Any request to the route shows the listener is up; whether Telegram still reaches it is
    // the periodic webhook check's business.
    state.status.alive();
    if !secret_matches(&state.secret, request.headers()) {
        tracing::debug!(
            account = %state.account,
            "telegram webhook: refused a request without the right secret"
        );
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONNECTION, HeaderValue::from_static("close"))],
            "unauthorized",
        )
            .into_response();
    }
    let body = match tokio::time::timeout(BODY_TIMEOUT, Bytes::from_request(request, &())).await {
        Ok(Ok(body)) => body,
        // 413 for a body over the cap, 400 for one that broke off.
        Ok(Err(rejection)) => return rejection.into_response(),
        Err(_) => return (StatusCode::REQUEST_TIMEOUT, "request body timeout").into_response(),
    };
    let update = match serde_json::from_slice(&body).map(Update::from_value) {
        Ok(Ok(update)) => update,
        Ok(Err(error)) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
        Err(error) => {
            return (StatusCode::BAD_REQUEST, format!("invalid JSON: {error}")).into_response();
        }
    };
    store(&state, update).await
}

/// Hands the update's message to the sink and answers as its outcome says.
async fn store(state: &WebhookState, update: Update) -> Response {
    let updates = [update];
    let batch = batch(&state.account, &updates, &state.bot, now_ms_i64(), None);
    let received = !batch.messages.is_empty();
    if received {
        match state.sink.store(batch).await {
            Ok(StoreOutcome::Stored) => state.status.received(),
            Ok(StoreOutcome::Failed) => {
                tracing::warn!(
                    account = %state.account,
                    update_id = updates[0].update_id,
                    "telegram webhook: the journal could not store an update; Telegram will \
                     deliver it again"
                );
                state
                    .status
                    .error("a received Telegram message could not be stored; Telegram retries it");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            Err(closed) => {
                state.closed.notify_one();
                return (StatusCode::SERVICE_UNAVAILABLE, closed.to_string()).into_response();
            }
        }
    }
    answer_button_presses(&state.api, &state.account, &updates).await;
    (StatusCode::OK, [(ACCEPTED_HEADER, ACCEPTED_VALUE)]).into_response()
}

/// Whether `headers` carry exactly one secret header equal to `secret`. Both sides are hashed
/// and the digests compared in constant time, so timing tells neither where a guess goes wrong
/// nor how long the secret is.
fn secret_matches(secret: &SecretString, headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(SECRET_HEADER).iter();
    let (Some(presented), None) = (values.next(), values.next()) else {
        return false;
    };
    let ours = Sha256::digest(secret.expose_secret().as_bytes());
    let theirs = Sha256::digest(presented.as_bytes());
    ours.as_slice().ct_eq(theirs.as_slice()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(SECRET_HEADER, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn only_one_exact_secret_header_matches() {
        let secret = SecretString::from("s3cret_token-1");
        assert!(secret_matches(&secret, &headers(&["s3cret_token-1"])));
        assert!(!secret_matches(&secret, &headers(&[])));
        assert!(!secret_matches(&secret, &headers(&["s3cret_token-"])));
        assert!(!secret_matches(&secret, &headers(&["s3cret_token-12"])));
        assert!(!secret_matches(&secret, &headers(&["S3CRET_TOKEN-1"])));
        assert!(!secret_matches(
            &secret,
            &headers(&["s3cret_token-1", "s3cret_token-1"])
        ));
    }
}
