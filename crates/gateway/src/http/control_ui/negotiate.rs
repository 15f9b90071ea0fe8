//! What a request asks of a static file: whether it takes HTML (the app-shell fallback), which
//! compressed encodings it accepts, and whether its cached copy is still current.

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT, ACCEPT_ENCODING, IF_NONE_MATCH};

/// Whether a request may be answered with the app's HTML shell. Browser navigations send
/// `text/html`; requests with no `Accept` or only wildcards take it too (upstream). An explicit
/// refusal (`text/html;q=0`) wins over any wildcard, so a script asking for JSON or an image
/// gets a 404 rather than a page.
pub(crate) fn accepts_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let mut html = None;
    let mut wildcard = false;
    for entry in accept.split(',') {
        let (media, quality) = media_and_quality(entry);
        match media.as_str() {
            "text/html" | "application/xhtml+xml" => {
                html = Some(html.unwrap_or(false) || quality > 0.0);
            }
            "*/*" | "text/*" => wildcard |= quality > 0.0,
            "" => {}
            _ => {}
        }
    }
    html.unwrap_or(wildcard || accept.trim().is_empty())
}

/// An `Accept`/`Accept-Encoding` entry's value (lower-cased) and its `q` (1 when absent or
/// unreadable).
fn media_and_quality(entry: &str) -> (String, f32) {
    let mut parts = entry.split(';');
    let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let quality = parts
        .filter_map(|p| {
            p.trim()
                .strip_prefix("q=")
                .or_else(|| p.trim().strip_prefix("Q="))
        })
        .find_map(|q| q.trim().parse::<f32>().ok())
        .unwrap_or(1.0);
    (media, quality)
}

/// Whether the client accepts `encoding` (`br`, `gzip`) in `Accept-Encoding`.
pub(crate) fn accepts_encoding(headers: &HeaderMap, encoding: &str) -> bool {
    encoding_quality(headers, encoding) > 0.0
}

/// The `q` the client gives `encoding` (by name, else `*`); 0 when it does not take it.
pub(crate) fn encoding_quality(headers: &HeaderMap, encoding: &str) -> f32 {
    let Some(accept) = headers.get(ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return 0.0;
    };
    let mut named = None;
    let mut any = 0.0;
    for entry in accept.split(',') {
        let (name, quality) = media_and_quality(entry);
        if name == encoding {
            named = Some(quality);
        } else if name == "*" {
            any = quality;
        }
    }
    named.unwrap_or(any)
}

/// Whether `If-None-Match` names `etag` (or `*`): the cached copy is current, answer 304.
pub(crate) fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// The content type of a file from its extension; `application/octet-stream` when unknown.
pub(crate) fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json; charset=utf-8",
        Some("webmanifest") => "application/manifest+json; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("avif") => "image/avif",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("mp3") => "audio/mpeg",
        Some("wav") => "audio/wav",
        Some("ogg") => "audio/ogg",
        Some("mp4") => "video/mp4",
        Some("webm") => "video/webm",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(name: axum::http::HeaderName, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn html_fallback_follows_accept() {
        assert!(accepts_html(&HeaderMap::new()));
        assert!(accepts_html(&with(ACCEPT, "*/*")));
        assert!(accepts_html(&with(
            ACCEPT,
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(!accepts_html(&with(ACCEPT, "text/html;q=0, */*")));
        assert!(!accepts_html(&with(ACCEPT, "application/json")));
        assert!(!accepts_html(&with(ACCEPT, "image/avif,image/webp")));
    }

    #[test]
    fn encodings_follow_accept_encoding() {
        let headers = with(ACCEPT_ENCODING, "gzip, deflate, br;q=0");
        assert!(accepts_encoding(&headers, "gzip"));
        assert!(!accepts_encoding(&headers, "br"));
        assert!(accepts_encoding(&with(ACCEPT_ENCODING, "*"), "br"));
        assert!(!accepts_encoding(&HeaderMap::new(), "gzip"));
    }

    #[test]
    fn etags_match_with_or_without_weakness() {
        assert!(not_modified(
            &with(IF_NONE_MATCH, "W/\"abc\", \"def\""),
            "\"abc\""
        ));
        assert!(!not_modified(&with(IF_NONE_MATCH, "\"x\""), "\"abc\""));
    }
}
