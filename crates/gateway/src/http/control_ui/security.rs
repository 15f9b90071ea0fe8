//! Response headers every Control UI response carries: no framing, no sniffing, no referrer,
//! and for the embedded UI a Content-Security-Policy that allows nothing but the gateway's own
//! scripts, styles and socket.

use axum::http::HeaderValue;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, HeaderMap, HeaderName, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};

/// The embedded UI's policy: its own files only, no inline script or style, no plug-ins, no
/// framing by any page, and sockets to the gateway's own origin only (CSP 3 `'self'` covers
/// `ws:`/`wss:` to the same host). Model output is rendered as DOM text, never as HTML, and
/// this policy is the second wall behind that: an injected `<script>` or `onerror` cannot run.
pub(super) const EMBEDDED_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; \
media-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; \
frame-ancestors 'none'; worker-src 'self'; manifest-src 'self'";

/// The policy for a UI served from `gateway.controlUi.root` (OpenClaw's own build): the same
/// walls, with the inline styles and remote images its bundle uses.
pub(super) const DIRECTORY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; font-src 'self' data:; \
connect-src 'self' ws: wss: data:; media-src 'self' blob: data:; object-src 'none'; base-uri 'self'; \
form-action 'self'; frame-ancestors 'none'; worker-src 'self' blob:; manifest-src 'self'";

/// Adds the headers shared by every UI response, with `policy` as the CSP. (No
/// `Cross-Origin-Opener-Policy`: browsers refuse it, with a console error, on the plain-http LAN
/// addresses a gateway is often reached at, and the page opens no windows to protect.)
pub(super) fn apply(headers: &mut HeaderMap, policy: &'static str) {
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), geolocation=(), payment=(), usb=()"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
}
