//! The Control UI on the gateway port, under `gateway.controlUi.basePath` (default `/`):
//! rustyclaw's own UI compiled into the binary, or, with `gateway.controlUi.root`, a directory
//! holding a built UI such as OpenClaw's own (`dist/control-ui` of the `openclaw` package).
//!
//! Every path under the base that is not a file gets the app's page when the request takes HTML
//! (browser navigations to `/chat`, `/sessions`, …), else 404. `control-ui-config.json` under the
//! base tells the page how this gateway is set up; it needs the gateway's secret.

mod config_json;
mod directory;
mod embedded;
mod negotiate;
mod security;

use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, LOCATION, VARY};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

use super::auth::Conn;
use crate::auth_limiter::RateKey;
use crate::peer::client_ip;
use crate::state::GatewayState;

pub(crate) use directory::DirectoryUi;

/// How long browsers may keep a file whose URL changes with its content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Pages and unversioned files: keep, but ask (ETag) before every use.
const REVALIDATE: &str = "no-cache";

/// A plain HTTP request (not a WebSocket upgrade) that may be for the UI.
pub(crate) struct UiRequest<'a> {
    /// `GET`, `HEAD`, …
    pub method: &'a Method,
    /// The request target.
    pub uri: &'a Uri,
    /// Its headers.
    pub headers: &'a HeaderMap,
    /// The peer's socket address.
    pub addr: SocketAddr,
    /// The connection's admission ticket, cleared once a request authenticates.
    pub conn: Conn,
}

/// The answer to `request`, or `None` when the Control UI is off or the path is outside its
/// base path.
pub(crate) async fn respond(state: &GatewayState, request: &UiRequest<'_>) -> Option<Response> {
    let (method, uri, headers) = (request.method, request.uri, request.headers);
    let config = state.config();
    if !config.gateway.control_ui_enabled {
        return None;
    }
    let base = base_path(&config.gateway.control_ui_base_path);
    let path = uri.path();
    if base != "/" && path == base.trim_end_matches('/') {
        // `/openclaw` → `/openclaw/`, so the page's relative URLs resolve under the base.
        let mut location = base.clone();
        if let Some(query) = uri.query() {
            location.push('?');
            location.push_str(query);
        }
        return Some(redirect(&location));
    }
    let rest = path.strip_prefix(base.as_str())?;
    // Only reads are the UI's; anything else falls through to the gateway's 404 (upstream).
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let rest = percent_decode(rest)?;
    if rest
        .split('/')
        .any(|segment| segment == ".." || segment == ".")
        || rest.contains('\\')
    {
        return Some(not_found());
    }
    if rest == config_json::FILE_NAME || config_json::OTHER_NAMES.contains(&rest.as_str()) {
        return Some(with_head(
            method,
            config_json::respond(state, request, &base).await,
        ));
    }
    let response = match state.0.control_ui.as_ref() {
        Some(directory) => directory.respond(&rest, headers, &base).await,
        None => serve_embedded(&rest, headers, &base),
    };
    Some(with_head(method, response))
}

/// The failed-auth limiter's key for a UI request.
fn rate_key(state: &GatewayState, request: &UiRequest<'_>) -> RateKey {
    let ip = client_ip(
        request.addr,
        request.headers,
        &state.config().gateway.trusted_proxies,
    );
    RateKey::for_socket(request.addr, ip, None)
}

/// The embedded UI's answer for `rest` (the path below the base).
fn serve_embedded(rest: &str, headers: &HeaderMap, base: &str) -> Response {
    if let Some(versioned) = rest.strip_prefix("assets/") {
        return match embedded::versioned(versioned) {
            Some(asset) => asset_file(headers, asset, IMMUTABLE),
            None => not_found(),
        };
    }
    if let Some(asset) = embedded::find(rest).filter(|a| a.path != "index.html") {
        return asset_file(headers, asset, REVALIDATE);
    }
    if !negotiate::accepts_html(headers) {
        return not_found();
    }
    match embedded::index() {
        Some(page) => page_with_base(headers, page.bytes, page.etag, base),
        None => not_found(),
    }
}

/// An embedded file: the stored gzip to a client that takes it, else the file inflated; each
/// representation with its own ETag.
fn asset_file(headers: &HeaderMap, asset: &embedded::Asset, cache: &'static str) -> Response {
    let content_type = negotiate::content_type(asset.path);
    if asset.gzipped && negotiate::accepts_encoding(headers, "gzip") {
        let etag = format!("{}-gz\"", asset.etag.trim_end_matches('"'));
        let mut response = file(
            headers,
            asset.bytes,
            &etag,
            content_type,
            cache,
            security::EMBEDDED_POLICY,
        );
        if response.status() == StatusCode::OK {
            response
                .headers_mut()
                .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response
            .headers_mut()
            .insert(VARY, HeaderValue::from_static("Accept-Encoding"));
        return response;
    }
    let mut response = file(
        headers,
        &asset.plain(),
        asset.etag,
        content_type,
        cache,
        security::EMBEDDED_POLICY,
    );
    if asset.gzipped {
        response
            .headers_mut()
            .insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    response
}

/// The app's page with its `<base href>` set to the configured base path, so the page and its
/// relative asset URLs resolve from any route below it (`/openclaw/chat/…`).
fn page_with_base(headers: &HeaderMap, page: &[u8], etag: &str, base: &str) -> Response {
    let text = String::from_utf8_lossy(page).replace("%BASE%", &html_attribute(base));
    // The page differs per base path; its ETag says so.
    let etag = format!("{}-{:x}\"", etag.trim_end_matches('"'), short_hash(base));
    let mut response = file(
        headers,
        text.as_bytes(),
        &etag,
        "text/html; charset=utf-8",
        REVALIDATE,
        security::EMBEDDED_POLICY,
    );
    response
        .headers_mut()
        .insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    response
}

/// A file response: 304 when the client's copy is current, else `body`; with cache and
/// security headers.
pub(super) fn file(
    headers: &HeaderMap,
    body: &[u8],
    etag: &str,
    content_type: &'static str,
    cache: &'static str,
    policy: &'static str,
) -> Response {
    let mut response = if negotiate::not_modified(headers, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Body::from(body.to_vec()).into_response()
    };
    let out = response.headers_mut();
    out.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(value) = HeaderValue::from_str(etag) {
        out.insert(ETAG, value);
    }
    security::apply(out, policy);
    response
}

/// `404 Not Found`, with the UI's security headers.
pub(super) fn not_found() -> Response {
    let mut response = (StatusCode::NOT_FOUND, "Not Found").into_response();
    security::apply(response.headers_mut(), security::EMBEDDED_POLICY);
    response
}

/// A permanent redirect to `location`.
fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::PERMANENT_REDIRECT, [(LOCATION, value)]).into_response(),
        Err(_) => not_found(),
    }
}

/// A `HEAD` answer is the `GET` answer without its body.
fn with_head(method: &Method, response: Response) -> Response {
    if method != Method::HEAD {
        return response;
    }
    let (parts, _) = response.into_parts();
    Response::from_parts(parts, Body::empty())
}

/// The base path as a prefix: starts and ends with `/` (`/`, `/openclaw/`).
pub fn base_path(configured: &str) -> String {
    let trimmed = configured.trim().trim_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        format!("/{trimmed}/")
    }
}

/// `%XX` sequences of a URL path decoded; `None` when they do not make UTF-8 text (or decode to
/// a NUL), which no file name here has.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = path.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    (!text.contains('\0')).then_some(text)
}

/// `text` safe inside a double-quoted HTML attribute.
fn html_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A short FNV-1a hash, to tell ETags of the same page under different base paths apart.
fn short_hash(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_become_prefixes() {
        assert_eq!(base_path("/"), "/");
        assert_eq!(base_path(""), "/");
        assert_eq!(base_path("openclaw"), "/openclaw/");
        assert_eq!(base_path("/openclaw/"), "/openclaw/");
    }

    #[test]
    fn paths_decode_or_refuse() {
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("%2e%2e/x").as_deref(), Some("../x"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("a%00"), None);
        assert_eq!(percent_decode("%ff"), None);
    }
}
