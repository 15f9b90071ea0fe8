//! `web_fetch`: GET a URL and return its readable content, marked as untrusted.
//!
//! Redirects are followed here, not by the HTTP client, so each hop's URL passes the same checks
//! as the first (scheme, local host names, literal private addresses; resolved addresses are
//! checked by the client's resolver). The body is read up to a byte cap, HTML is reduced to its
//! main content as markdown or text, JSON is pretty-printed, other text passes through and binary
//! content is refused. The result is upstream's JSON payload, with the content wrapped as
//! external, untrusted text and cut to `maxChars` including the wrapper. Its provenance is the
//! page (final URL, and the hidden-text findings of the raw HTML for the guard), for an error
//! page too.

use std::time::Instant;

use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, CONTENT_TYPE, LOCATION};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::blocked_reason;
use super::html::{self, Mode};
use super::ssrf::{classify, is_blocked_hostname};
use super::wrap::{overhead, wrap};
use crate::args::opt_number;
use crate::context::ToolContext;
use crate::provenance::ExternalSource;
use crate::services::WebFetchSettings;
use crate::text::truncate_chars;
use crate::tool::{Tool, ToolError, ToolOutput};

const SOURCE: &str = "Web Fetch";
/// Smallest `maxChars` (upstream's minimum).
const MIN_MAX_CHARS: usize = 100;
/// Error pages are read up to this many bytes and shown up to this many characters.
const ERROR_MAX_BYTES: usize = 64_000;
const ERROR_MAX_CHARS: usize = 4_000;

/// The `web_fetch` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebFetchTool;

/// `extractMode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtractMode {
    /// Markdown (default).
    Markdown,
    /// Plain text.
    Text,
}

/// Arguments of `web_fetch`.
#[derive(Debug, Deserialize)]
pub struct WebFetchArgs {
    /// HTTP or HTTPS URL.
    pub url: String,
    /// How to render HTML.
    #[serde(default, rename = "extractMode")]
    pub extract_mode: Option<ExtractMode>,
    /// Most characters returned.
    #[serde(default, rename = "maxChars", deserialize_with = "opt_number")]
    pub max_chars: Option<f64>,
}

impl Tool for WebFetchTool {
    type Args = WebFetchArgs;

    fn name(&self) -> &'static str {
        "web_fetch"
    }

    fn description(&self) -> String {
        "Fetch and extract readable content from a URL (HTML → markdown/text). Use for lightweight page access without browser automation.".to_owned()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "url": { "type": "string", "description": "HTTP or HTTPS URL to fetch." },
                "extractMode": {
                    "type": "string",
                    "enum": ["markdown", "text"],
                    "description": "Extraction mode (\"markdown\" or \"text\").",
                    "default": "markdown"
                },
                "maxChars": {
                    "type": "number",
                    "description": "Maximum characters to return (truncates when exceeded).",
                    "minimum": 100
                }
            },
            "required": ["url"]
        })
    }

    async fn call(&self, args: WebFetchArgs, cx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let settings = cx.services.web_fetch();
        if !settings.enabled {
            return Err(ToolError::failed(
                "web_fetch is disabled (tools.web.fetch.enabled is false).",
            ));
        }
        let mode = args.extract_mode.unwrap_or(ExtractMode::Markdown);
        let max_chars = args
            .max_chars
            .map_or(settings.max_chars, |n| n.max(0.0) as usize)
            .clamp(MIN_MAX_CHARS, settings.max_chars_cap.max(MIN_MAX_CHARS));
        let url = Url::parse(args.url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| ToolError::failed("Invalid URL: must be http or https"))?;
        let started = Instant::now();
        let work = fetch(cx, settings, &url, mode, max_chars, started);
        tokio::select! {
            result = tokio::time::timeout(settings.timeout, work) => match result {
                Ok(result) => result,
                Err(_) => Err(ToolError::failed(format!(
                    "Web fetch timed out after {} seconds",
                    settings.timeout.as_secs_f64()
                ))),
            },
            () = cx.cancel.cancelled() => Err(ToolError::Cancelled),
        }
    }
}

/// Refuses URLs the guard rejects before any connection (literal addresses, local names).
pub(crate) fn check_url(url: &Url, allow_private: bool) -> Result<(), ToolError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ToolError::failed(format!(
            "Blocked: {url} is not an http or https URL"
        )));
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(ToolError::failed(format!("Invalid URL: {url} has no host")));
    };
    if allow_private {
        return Ok(());
    }
    let refused = |what: String| {
        ToolError::failed(format!(
            "Blocked: {what}; fetching private network addresses is disabled (tools.web.fetch.allowPrivateNetwork)"
        ))
    };
    // The URL parser normalises every IPv4 spelling (`2130706433`, `0x7f.1`) to dotted form.
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    match literal.parse::<std::net::IpAddr>() {
        Ok(ip) => match classify(ip) {
            Some(why) => Err(refused(format!("{ip} is {}", why.describe()))),
            None => Ok(()),
        },
        Err(_) if is_blocked_hostname(host) => {
            Err(refused(format!("{host} names a local or internal host")))
        }
        Err(_) => Ok(()),
    }
}

fn request_failed(e: &reqwest::Error) -> ToolError {
    match blocked_reason(e) {
        Some(reason) => ToolError::failed(reason),
        None if e.is_timeout() => ToolError::failed("Web fetch timed out"),
        None => ToolError::failed(format!("Web fetch failed: {e}")),
    }
}

async fn fetch(
    cx: &ToolContext,
    settings: &WebFetchSettings,
    requested: &Url,
    mode: ExtractMode,
    max_chars: usize,
    started: Instant,
) -> Result<ToolOutput, ToolError> {
    let http = cx.services.http();
    let mut url = requested.clone();
    let mut hops = 0;
    let mut response = loop {
        check_url(&url, settings.allow_private_network)?;
        let response = http
            .get(url.clone())
            .header(ACCEPT, "text/markdown, text/html;q=0.9, */*;q=0.1")
            .header(ACCEPT_LANGUAGE, "en-US,en;q=0.9")
            .send()
            .await
            .map_err(|e| request_failed(&e))?;
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        match location {
            Some(location) if is_redirect(status) => {
                if hops >= settings.max_redirects {
                    return Err(ToolError::failed(format!(
                        "Too many redirects (more than {}) fetching {requested}",
                        settings.max_redirects
                    )));
                }
                hops += 1;
                url = url.join(&location).map_err(|_| {
                    ToolError::failed(format!("Invalid redirect location: {location}"))
                })?;
            }
            _ => break response,
        }
    };
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();

    if !status.is_success() {
        let (body, _) = read_body(&mut response, ERROR_MAX_BYTES).await?;
        let text = String::from_utf8_lossy(&body);
        let detail = if media_type.contains("html") || looks_like_html(&text) {
            let page = html::extract(&text, Some(&url), Mode::Text);
            match page.title {
                Some(title) => format!("{title}\n{}", page.text),
                None => page.text,
            }
        } else {
            text.trim().to_owned()
        };
        let detail = if detail.is_empty() {
            status.canonical_reason().unwrap_or("").to_owned()
        } else {
            detail
        };
        let (detail, _) = truncate_chars(&detail, ERROR_MAX_CHARS);
        return Err(ToolError::failed_untrusted(
            format!(
                "Web fetch failed ({}): {}",
                status.as_u16(),
                wrap(detail, SOURCE, false)
            ),
            ExternalSource::WebPage {
                url: url.to_string(),
                hidden: None,
            },
        ));
    }

    let (body, body_truncated) = read_body(&mut response, settings.max_response_bytes).await?;
    // Parsing a large page is CPU work (and html5ever is quadratic on pathological nesting), so
    // it runs off the async workers, still inside the request's timeout.
    let (text, title, extractor, hidden) = {
        let (media_type, url) = (media_type.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            let hidden = hidden_html(&body, &media_type);
            extract(&body, &media_type, &url, mode)
                .map(|(text, title, extractor)| (text, title, extractor, hidden))
        })
        .await
        .map_err(|e| ToolError::Fatal {
            tool: "web_fetch".to_owned(),
            reason: format!("extraction worker failed: {e}"),
        })??
    };
    let warning_overhead = overhead(SOURCE, true);
    let include_warning = max_chars >= warning_overhead + MIN_MAX_CHARS / 2;
    let room = max_chars.saturating_sub(overhead(SOURCE, include_warning));
    let (inner, truncated) = truncate_chars(&text, room);
    let wrapped = wrap(inner, SOURCE, include_warning);
    let warning = body_truncated.then(|| {
        wrap(
            &format!(
                "Response body truncated after {} bytes.",
                settings.max_response_bytes
            ),
            SOURCE,
            false,
        )
    });
    let payload = json!({
        "url": requested.as_str(),
        "finalUrl": url.as_str(),
        "status": status.as_u16(),
        "contentType": if media_type.is_empty() { "application/octet-stream" } else { media_type.as_str() },
        "title": title.map(|t| wrap(&t, SOURCE, false)),
        "extractMode": match mode { ExtractMode::Markdown => "markdown", ExtractMode::Text => "text" },
        "extractor": extractor,
        "externalContent": { "untrusted": true, "source": "web_fetch", "wrapped": true },
        "truncated": truncated,
        "length": wrapped.chars().count(),
        "rawLength": inner.chars().count(),
        "wrappedLength": wrapped.chars().count(),
        "fetchedAt": fetched_at(),
        "tookMs": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "text": wrapped,
        "warning": warning,
    });
    let rendered = serde_json::to_string_pretty(&payload)
        .map_err(|e| ToolError::failed(format!("Cannot render the result: {e}")))?;
    // Hidden-text findings go to the provenance only: the model never sees them, the agent's
    // prompt-injection guard does.
    Ok(ToolOutput::text(rendered)
        .with_details(payload)
        .untrusted(ExternalSource::WebPage {
            url: url.to_string(),
            hidden: hidden.filter(|h| !h.is_clean()).map(Box::new),
        }))
}

/// Hidden-text findings of an HTML body: instructions inside invisible elements or comments.
/// The readable extract drops the markup that hid them, so they are assessed here, on the raw
/// page, and reported beside the result.
fn hidden_html(body: &[u8], media_type: &str) -> Option<rustyclaw_guard::Assessment> {
    let text = String::from_utf8_lossy(body);
    let html =
        matches!(media_type, "text/html" | "application/xhtml+xml") || looks_like_html(&text);
    html.then(|| rustyclaw_guard::assess_hidden_html(&text))
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Reads at most `cap` bytes of the body; reports whether more was left unread.
async fn read_body(
    response: &mut reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), ToolError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| request_failed(&e))? {
        let room = cap - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text.trim_start().chars().take(256).collect();
    let head = head.to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

fn is_textual(media_type: &str) -> bool {
    media_type.starts_with("text/")
        || media_type.ends_with("+json")
        || media_type.ends_with("+xml")
        || matches!(
            media_type,
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/ecmascript"
                | "application/x-javascript"
                | "application/x-yaml"
                | "application/yaml"
                | "application/toml"
                | "application/x-sh"
                | "application/sql"
                | "application/graphql"
                | "application/x-ndjson"
                | "application/csv"
        )
}

/// Renders the body: `(text, title, extractor)`.
fn extract(
    body: &[u8],
    media_type: &str,
    url: &Url,
    mode: ExtractMode,
) -> Result<(String, Option<String>, &'static str), ToolError> {
    let sniffed_binary = body.iter().take(8192).any(|b| *b == 0);
    let textual = is_textual(media_type) || (media_type.is_empty() && !sniffed_binary);
    if !textual || sniffed_binary {
        let kind = if media_type.is_empty() {
            "binary data"
        } else {
            media_type
        };
        return Err(ToolError::failed(format!(
            "web_fetch cannot read {kind} from {url}: only HTML, text and JSON are supported"
        )));
    }
    let text = String::from_utf8_lossy(body);
    let html_mode = match mode {
        ExtractMode::Markdown => Mode::Markdown,
        ExtractMode::Text => Mode::Text,
    };
    if media_type == "text/html"
        || media_type == "application/xhtml+xml"
        || ((media_type.is_empty() || media_type == "text/plain") && looks_like_html(&text))
    {
        let page = html::extract(&text, Some(url), html_mode);
        if page.text.is_empty() {
            return Err(ToolError::failed(format!(
                "Web fetch extraction failed: {url} has no readable text (the page may need JavaScript; try the browser tool)"
            )));
        }
        return Ok((page.text, page.title, "readability"));
    }
    if media_type == "text/markdown" {
        let text = match mode {
            ExtractMode::Markdown => text.into_owned(),
            ExtractMode::Text => markdown_to_text(&text),
        };
        return Ok((text, None, "cf-markdown"));
    }
    if (media_type == "application/json" || media_type.ends_with("+json"))
        && let Ok(value) = serde_json::from_str::<Value>(&text)
        && let Ok(pretty) = serde_json::to_string_pretty(&value)
    {
        return Ok((pretty, None, "json"));
    }
    Ok((text.into_owned(), None, "raw"))
}

/// Markdown without its markup: heading marks, emphasis, link and image syntax.
fn markdown_to_text(markdown: &str) -> String {
    let mut out = Vec::new();
    for line in markdown.lines() {
        let line = line.trim_start_matches('#').trim_start_matches(' ');
        let line = line.replace("**", "").replace("__", "");
        out.push(strip_links(&line));
    }
    out.join("\n")
}

/// `[text](url)` and `![alt](url)` to `text` and `alt`.
fn strip_links(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|i| open + i) else {
            break;
        };
        let Some(end) = rest[close..].find(')').map(|i| close + i) else {
            break;
        };
        let before = rest[..open].strip_suffix('!').unwrap_or(&rest[..open]);
        out.push_str(before);
        out.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn fetched_at() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_schemes_literal_addresses_and_local_names() {
        let check = |u: &str, allow| check_url(&Url::parse(u).unwrap(), allow);
        assert!(check("https://example.com/x", false).is_ok());
        assert!(check("http://8.8.8.8/", false).is_ok());
        for bad in [
            "http://127.0.0.1:8080/",
            "http://[::1]/",
            "http://[::ffff:10.0.0.1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://2130706433/",
            "http://localhost:3000/",
            "http://db.internal/",
        ] {
            let err = check(bad, false).unwrap_err().to_string();
            assert!(err.starts_with("Blocked: "), "{bad}: {err}");
            assert!(
                check(bad, true).is_ok(),
                "{bad} allowed when private is allowed"
            );
        }
        assert!(check("file:///etc/passwd", true).is_err());
        assert!(check("ftp://example.com/", true).is_err());
    }

    #[test]
    fn classifies_bodies_by_type() {
        let url = Url::parse("https://example.com/").unwrap();
        let (text, _, extractor) = extract(
            br#"{"a":[1,2]}"#,
            "application/json",
            &url,
            ExtractMode::Markdown,
        )
        .unwrap();
        assert_eq!(extractor, "json");
        assert_eq!(text, "{\n  \"a\": [\n    1,\n    2\n  ]\n}");
        let (text, _, extractor) =
            extract(b"plain words", "text/plain", &url, ExtractMode::Text).unwrap();
        assert_eq!((text.as_str(), extractor), ("plain words", "raw"));
        let (text, title, extractor) = extract(
            b"<html><head><title>T</title></head><body><p>Hi</p></body></html>",
            "",
            &url,
            ExtractMode::Markdown,
        )
        .unwrap();
        assert_eq!(
            (text.as_str(), title.as_deref(), extractor),
            ("Hi", Some("T"), "readability")
        );
        let err = extract(
            b"\x89PNG\r\n\x1a\n\0\0",
            "image/png",
            &url,
            ExtractMode::Text,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("cannot read image/png"), "{err}");
        assert!(extract(b"a\0b", "text/plain", &url, ExtractMode::Text).is_err());
    }

    #[test]
    fn markdown_becomes_text() {
        assert_eq!(
            markdown_to_text("# Title\nSee **bold** [docs](https://x.y/z) and ![pic](p.png)."),
            "Title\nSee bold docs and pic."
        );
    }
}
