//! Bearer auth of the HTTP API: `Authorization: Bearer <token|password>` checked against the
//! gateway's shared secret, sharing the failed-auth limiter with WebSocket connects.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rustyclaw_config::file::GatewayAuthMode;
use serde_json::json;

use crate::admission::Ticket;
use crate::auth_limiter::{RateKey, millis};
use crate::state::GatewayState;

/// The bearer token of a request, if it carries one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let raw = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = raw.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Why a request was turned away.
#[derive(Debug)]
pub(crate) enum Denied {
    /// Missing or wrong secret: 401.
    Unauthorized,
    /// The client is locked out for this long: 429 with `Retry-After`.
    RateLimited(std::time::Duration),
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Denied::Unauthorized => unauthorized(),
            Denied::RateLimited(retry_after) => rate_limited(retry_after),
        }
    }
}

/// The connection a request arrived on: its entry in the table of unauthenticated connections
/// (see [`crate::admission`]), which [`authorize`] clears once the request's secret is accepted.
/// `None` when the router is not driven by [`crate::serve`] (e.g. a test's `oneshot`).
pub(crate) struct Conn(pub Option<Arc<Ticket>>);

impl<S: Send + Sync> FromRequestParts<S> for Conn {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Self(parts.extensions.get::<Arc<Ticket>>().cloned()))
    }
}

/// Lets the request through, or says why not: 401 (missing or wrong secret) / 429 (locked out).
/// With `gateway.auth.mode: none` every request passes. A wrong secret counts toward the
/// client's lockout; a missing one does not (upstream). A loopback client exempt from the
/// lockout gets its 401 for a wrong secret only when the shared loopback failure budget allows
/// (see [`crate::loopback_budget`]); a right secret is never held up. A request let through
/// takes its connection out of the unauthenticated table, so a long answer (a streamed
/// completion) is never closed to make room for strangers.
pub(crate) async fn authorize(
    state: &GatewayState,
    headers: &HeaderMap,
    key: &RateKey,
    conn: &Conn,
) -> Result<(), Denied> {
    let (allowed, wait) = check(state, headers, key);
    if allowed.is_ok()
        && let Some(ticket) = &conn.0
    {
        ticket.authenticated();
    }
    if !wait.is_zero() {
        // The connection stays in the unauthenticated table while it waits, so a crowd of
        // waiting guesses is closed oldest first rather than crowding out the owner.
        tokio::time::sleep(wait).await;
    }
    allowed
}

/// The verdict, and how long a wrong secret's answer must wait.
fn check(
    state: &GatewayState,
    headers: &HeaderMap,
    key: &RateKey,
) -> (Result<(), Denied>, Duration) {
    let auth = &state.config().gateway.auth;
    let expected = match auth.mode {
        GatewayAuthMode::None => return (Ok(()), Duration::ZERO),
        GatewayAuthMode::Password => auth.password.as_ref(),
        GatewayAuthMode::Token | GatewayAuthMode::TrustedProxy => auth.token.as_ref(),
    };
    if let Err(retry_after) = state.0.limiter.check(key) {
        return (Err(Denied::RateLimited(retry_after)), Duration::ZERO);
    }
    let Some(presented) = bearer(headers) else {
        return (Err(Denied::Unauthorized), Duration::ZERO);
    };
    match expected {
        Some(secret) if secret.eq_exposed(presented) => {
            state.0.limiter.reset(key);
            (Ok(()), Duration::ZERO)
        }
        // The failing request itself is answered 401; the lockout applies from the next one.
        Some(_) => (
            Err(Denied::Unauthorized),
            state.0.limiter.record_failure(key),
        ),
        // No secret configured: nothing can match, and the caller is not guessing.
        None => (Err(Denied::Unauthorized), Duration::ZERO),
    }
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": {"message": "Unauthorized", "type": "unauthorized"}})),
    )
        .into_response()
}

fn rate_limited(retry_after: std::time::Duration) -> Response {
    let seconds = millis(retry_after).div_ceil(1000).max(1);
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({"error": {
            "message": "Too many failed authentication attempts. Please try again later.",
            "type": "rate_limited",
        }})),
    )
        .into_response();
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bearer_tokens() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer  abc "));
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer xyz"));
        assert_eq!(bearer(&headers), Some("xyz"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&headers), None);
    }
}
