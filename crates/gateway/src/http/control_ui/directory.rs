//! A built Control UI read from a directory (`gateway.controlUi.root`), served as upstream's
//! gateway serves its bundled one, so OpenClaw's own UI (the `openclaw` package's
//! `dist/control-ui`) runs unchanged against rustyclaw:
//!
//! - hashed `assets/*` come from their precompressed `.br`/`.gz` siblings when the browser takes
//!   them and are cached for a year; other files are revalidated (`Last-Modified`);
//! - any path containing `assets/` is served from the root's `assets/` (a page opened at a deep
//!   route resolves its relative asset URLs there), and `__openclaw__/<icon or manifest>` from
//!   the root;
//! - `index.html` is rewritten on the way out: asset URLs made absolute under the base path, and
//!   `<html>` given `data-openclaw-control-ui-base-path` and `data-openclaw-terminal-enabled`,
//!   which the page reads before it connects; its inline scripts are allowed by hash in the
//!   page's Content-Security-Policy, and nothing else inline is.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use axum::body::Body;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, IF_MODIFIED_SINCE, LAST_MODIFIED, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::{IMMUTABLE, REVALIDATE, negotiate, not_found, security};

/// Files upstream's UI asks for at the root or under `__openclaw__/`.
const ROOT_PUBLIC_FILES: [&str; 6] = [
    "apple-touch-icon.png",
    "favicon-32.png",
    "favicon.ico",
    "favicon.svg",
    "manifest.webmanifest",
    "sw.js",
];

/// Extensions that are files, never app routes: a missing one is a 404, not the page.
const STATIC_EXTENSIONS: [&str; 15] = [
    "js",
    "css",
    "json",
    "map",
    "svg",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "webp",
    "ico",
    "txt",
    "wasm",
    "webmanifest",
    "woff2",
];

/// Extensions whose precompressed siblings are served.
const COMPRESSIBLE: [&str; 8] = [
    "css",
    "html",
    "js",
    "json",
    "svg",
    "txt",
    "wasm",
    "webmanifest",
];

/// A UI directory, checked when the gateway starts.
#[derive(Debug)]
pub(crate) struct DirectoryUi {
    /// The directory (canonical), when it holds an `index.html`.
    root: Result<PathBuf, String>,
}

impl DirectoryUi {
    /// The UI at `configured`: a directory holding `index.html`, or that `index.html` itself.
    /// A path that is neither is remembered as a problem, answered 503 naming the setting.
    pub(crate) fn open(configured: &Path) -> Self {
        let dir = if configured.file_name().is_some_and(|n| n == "index.html") {
            configured.parent().unwrap_or(configured).to_path_buf()
        } else {
            configured.to_path_buf()
        };
        let root = match dir.canonicalize() {
            Ok(dir) if dir.join("index.html").is_file() => Ok(dir),
            _ => Err(format!(
                "Control UI assets not found at {}: it needs an index.html (a built UI such as \
                 the openclaw package's dist/control-ui); update gateway.controlUi.root.",
                configured.display()
            )),
        };
        if let Err(problem) = &root {
            tracing::warn!("{problem}");
        }
        Self { root }
    }

    /// The answer for `rest`, the path below the base path.
    pub(super) async fn respond(&self, rest: &str, headers: &HeaderMap, base: &str) -> Response {
        let root = match &self.root {
            Ok(root) => root.clone(),
            Err(problem) => {
                return (StatusCode::SERVICE_UNAVAILABLE, problem.clone()).into_response();
            }
        };
        let relative = map_path(rest);
        let headers = headers.clone();
        let base = base.to_owned();
        let answer = tokio::task::spawn_blocking(move || serve(&root, &relative, &headers, &base));
        match answer.await {
            Ok(response) => response,
            Err(error) => {
                tracing::warn!(%error, "reading a Control UI file failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// The file a request path names, relative to the root.
fn map_path(rest: &str) -> String {
    if rest.is_empty() || rest.ends_with('/') {
        return format!("{rest}index.html");
    }
    if rest == "share/card.png" {
        return "social-card.png".to_owned();
    }
    if let Some(name) = rest.strip_prefix("__openclaw__/")
        && ROOT_PUBLIC_FILES.contains(&name)
    {
        return name.to_owned();
    }
    if !rest.starts_with("assets/")
        && let Some(at) = rest.find("/assets/")
    {
        return rest[at + 1..].to_owned();
    }
    rest.to_owned()
}

/// Reads and answers (blocking: runs off the async threads).
fn serve(root: &Path, relative: &str, headers: &HeaderMap, base: &str) -> Response {
    if let Some(path) = inside(root, relative) {
        if path.file_name().is_some_and(|n| n == "index.html") {
            return page(&path, headers, base);
        }
        return file(&path, relative, headers);
    }
    let extension = relative
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if STATIC_EXTENSIONS.contains(&extension.as_str()) || !negotiate::accepts_html(headers) {
        return not_found();
    }
    page(&root.join("index.html"), headers, base)
}

/// `root/relative` when it is a regular file that does not leave the root through a link.
fn inside(root: &Path, relative: &str) -> Option<PathBuf> {
    let path = root.join(relative).canonicalize().ok()?;
    (path.starts_with(root) && path.is_file()).then_some(path)
}

/// A file, from its precompressed sibling when there is one the client takes.
fn file(path: &Path, relative: &str, headers: &HeaderMap) -> Response {
    let content_type = negotiate::content_type(relative);
    let extension = relative
        .rsplit_once('.')
        .map(|(_, e)| e)
        .unwrap_or_default();
    let compressible = COMPRESSIBLE.contains(&extension);
    let variant = compressible
        .then(|| {
            preferred_encodings(headers)
                .into_iter()
                .find_map(|encoding| {
                    let suffix = if encoding == "br" { "br" } else { "gz" };
                    let sibling = PathBuf::from(format!("{}.{suffix}", path.display()));
                    sibling.is_file().then_some((encoding, sibling))
                })
        })
        .flatten();
    let (encoding, read_from) = match &variant {
        Some((encoding, sibling)) => (Some(*encoding), sibling.as_path()),
        None => (None, path),
    };
    let modified = modified_seconds(read_from);
    let cache = if relative.starts_with("assets/") {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let mut response = if modified.is_some_and(|m| unchanged_since(headers, m)) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match std::fs::read(read_from) {
            Ok(bytes) => Body::from(bytes).into_response(),
            Err(_) => return not_found(),
        }
    };
    let out = response.headers_mut();
    out.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(encoding) = encoding {
        out.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    if let Some(value) = modified.and_then(|m| HeaderValue::from_str(&http_date(m)).ok()) {
        out.insert(LAST_MODIFIED, value);
    }
    security::apply(out, security::DIRECTORY_POLICY);
    response
}

/// `br` and `gzip` in the order the client prefers them (ties: `br` first), among those it takes.
fn preferred_encodings(headers: &HeaderMap) -> Vec<&'static str> {
    let mut ranked: Vec<(&'static str, f32)> = ["br", "gzip"]
        .into_iter()
        .filter(|e| negotiate::accepts_encoding(headers, e))
        .map(|e| (e, negotiate::encoding_quality(headers, e)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.into_iter().map(|(e, _)| e).collect()
}

/// `index.html`, rewritten for the base path (see the module doc), never cached unasked.
fn page(path: &Path, headers: &HeaderMap, base: &str) -> Response {
    let Ok(text) = std::fs::read_to_string(path) else {
        return not_found();
    };
    let base = base.trim_end_matches('/');
    let html = rewrite_page(&text, base);
    let policy = page_policy(&html);
    let mut response = Body::from(html).into_response();
    let out = response.headers_mut();
    out.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    out.insert(CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    out.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    security::apply(out, security::DIRECTORY_POLICY);
    if let Ok(value) = HeaderValue::from_str(&policy) {
        out.insert(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
    let _ = headers;
    response
}

/// The page with absolute asset URLs under `base` (no trailing slash; empty at the root) and
/// the `<html>` attributes the UI reads at start.
pub(super) fn rewrite_page(text: &str, base: &str) -> String {
    let attribute_base = super::html_attribute(base);
    let mut html = text
        .replace(
            "src=\"./assets/",
            &format!("src=\"{attribute_base}/assets/"),
        )
        .replace(
            "href=\"./assets/",
            &format!("href=\"{attribute_base}/assets/"),
        );
    for name in ROOT_PUBLIC_FILES {
        html = html.replace(
            &format!("href=\"./{name}\""),
            &format!("href=\"{attribute_base}/{name}\""),
        );
    }
    let Some(open) = html.find("<html") else {
        return html;
    };
    let close = html[open..].find('>').map_or(html.len(), |i| open + i);
    let attributes: String = html[open + "<html".len()..close]
        .split_whitespace()
        .filter(|a| {
            !a.starts_with("data-openclaw-control-ui-") && !a.starts_with("data-openclaw-terminal-")
        })
        .map(|a| format!(" {a}"))
        .collect();
    format!(
        "{}<html data-openclaw-control-ui-base-path=\"{attribute_base}\" \
         data-openclaw-terminal-enabled=\"false\"{attributes}{}",
        &html[..open],
        &html[close..]
    )
}

/// The page's Content-Security-Policy: the directory policy, with each inline `<script>` of
/// this page allowed by its SHA-256.
fn page_policy(html: &str) -> String {
    let hashes: String = inline_scripts(html)
        .map(|script| {
            format!(
                " 'sha256-{}'",
                STANDARD.encode(Sha256::digest(script.as_bytes()))
            )
        })
        .collect();
    security::DIRECTORY_POLICY.replacen(
        "script-src 'self'",
        &format!("script-src 'self'{hashes}"),
        1,
    )
}

/// The bodies of `<script>` elements without a `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || {
        loop {
            let start = rest.find("<script")?;
            let tag_end = start + rest[start..].find('>')?;
            let tag = &rest[start..tag_end];
            let body_start = tag_end + 1;
            let body_end = body_start + rest[body_start..].find("</script")?;
            let body = &rest[body_start..body_end];
            rest = &rest[body_end..];
            if !tag.contains(" src=") {
                return Some(body);
            }
        }
    })
}

/// A file's modification time, in whole seconds since the epoch.
fn modified_seconds(path: &Path) -> Option<u64> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(modified.duration_since(UNIX_EPOCH).ok()?.as_secs())
}

/// Whether `If-Modified-Since` is at or after `modified`.
fn unchanged_since(headers: &HeaderMap, modified: u64) -> bool {
    headers
        .get(IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date)
        .is_some_and(|since| since >= modified)
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn http_date(seconds: u64) -> String {
    let days = seconds / 86_400;
    let (year, month, day) = crate::calendar::civil_from_days(days as i64);
    let in_day = seconds % 86_400;
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60
    )
}

/// Seconds since the epoch of an IMF-fixdate; `None` for any other form.
fn parse_http_date(text: &str) -> Option<u64> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: i64 = day.parse().ok()?;
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let year: i64 = year.parse().ok()?;
    let mut clock = time.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (clock.next()??, clock.next()??, clock.next()??);
    let days = crate::calendar::days_from_civil(year, month, day);
    u64::try_from(days)
        .ok()
        .map(|d| d * 86_400 + h * 3600 + m * 60 + s)
}

/// Seconds now (for tests of the date round trip).
#[cfg(test)]
fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_map_to_files() {
        assert_eq!(map_path(""), "index.html");
        assert_eq!(map_path("chat/"), "chat/index.html");
        assert_eq!(map_path("__openclaw__/favicon.svg"), "favicon.svg");
        assert_eq!(
            map_path("__openclaw__/secret.txt"),
            "__openclaw__/secret.txt"
        );
        assert_eq!(map_path("chat/main/assets/x.js"), "assets/x.js");
        assert_eq!(map_path("assets/x.js"), "assets/x.js");
        assert_eq!(map_path("share/card.png"), "social-card.png");
    }

    #[test]
    fn the_page_learns_its_base_path() {
        let page = "<!doctype html>\n<html data-openclaw-control-ui-build-id=\"b1\" lang=\"en\"><head>\
            <link rel=\"icon\" href=\"./favicon.svg\" /><script type=\"module\" src=\"./assets/i.js\"></script>\
            </head></html>";
        let out = rewrite_page(page, "/openclaw");
        assert!(out.contains(
            "<html data-openclaw-control-ui-base-path=\"/openclaw\" data-openclaw-terminal-enabled=\"false\" lang=\"en\">"
        ));
        assert!(out.contains("src=\"/openclaw/assets/i.js\""));
        assert!(out.contains("href=\"/openclaw/favicon.svg\""));
        assert!(!out.contains("build-id"));
        assert!(rewrite_page(page, "").contains("src=\"/assets/i.js\""));
    }

    #[test]
    fn inline_scripts_are_allowed_by_hash_only() {
        let html = "<script>a()</script><script type=\"module\" src=\"./x.js\"></script><script data-x>b()</script>";
        let scripts: Vec<_> = inline_scripts(html).collect();
        assert_eq!(scripts, ["a()", "b()"]);
        let policy = page_policy(html);
        let hash = STANDARD.encode(Sha256::digest(b"a()"));
        assert!(policy.contains(&format!("script-src 'self' 'sha256-{hash}' 'sha256-")));
        assert!(!policy.contains("unsafe-inline';") || policy.contains("style-src"));
    }

    #[test]
    fn http_dates_round_trip() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        let now = now_seconds();
        assert_eq!(parse_http_date(&http_date(now)), Some(now));
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn a_missing_root_is_a_problem_named_with_the_setting() {
        let ui = DirectoryUi::open(Path::new("/nonexistent/control-ui"));
        let problem = ui.root.expect_err("no such directory");
        assert!(problem.contains("gateway.controlUi.root"), "{problem}");
    }
}
