//! The HTTP side shared by every wire format: one attempt, authenticated, framed, with an idle
//! timeout, yielding [`StreamEvent`]s.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use rustyclaw_config::{ExposeSecret, Scrubber};

use crate::error::ProviderError;
use crate::event::StreamEvent;
use crate::formats::{self, WireDecoder};
use crate::framing::{Frame, Framing, NdJsonParser, SseParser};
use crate::model::{AuthStyle, Target};
use crate::redact;
use crate::request::ModelRequest;

/// A response in progress. Dropping it closes the connection, which is how a call is
/// cancelled.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, ProviderError>> + Send>>;

/// Timeouts of the HTTP client.
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions {
    /// Connecting (TCP + TLS). Default 30 s.
    pub connect_timeout: Duration,
    /// Longest silence while waiting for headers or between body chunks. Default 120 s:
    /// reasoning models can think quietly for a long time before the first token.
    pub idle_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
        }
    }
}

/// A shared HTTP client for every provider (connection pools are per host inside).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    options: ClientOptions,
}

/// The largest error body read to find the provider's message.
const MAX_ERROR_BODY: usize = 64 * 1024;

impl Client {
    /// A client with `options`.
    pub fn new(options: ClientOptions) -> Result<Self, ProviderError> {
        // rustls needs a process-wide crypto provider; installing it twice is harmless, so the
        // "already installed" error is ignored.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("rustyclaw/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::InvalidRequest {
                provider: String::new(),
                detail: format!("HTTP client setup failed: {e}"),
            })?;
        Ok(Self { http, options })
    }

    /// The underlying HTTP client (for the model listing).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends `request` to `target` once and returns the event stream once the response
    /// headers say it succeeded. HTTP errors come back as [`ProviderError::Status`] with the
    /// provider's message; nothing is retried here.
    ///
    /// The target's key (and any credential in its configured headers) never appears in what
    /// comes back: a provider that quotes it in an error body or in its output has it replaced
    /// by `[REDACTED]` (see the `redact` module).
    pub async fn stream(
        &self,
        target: &Target,
        request: &ModelRequest,
    ) -> Result<EventStream, ProviderError> {
        let scrubber = redact::target_scrubber(target);
        self.stream_scrubbed(target, request, &scrubber).await
    }

    /// [`Client::stream`] with the secrets of `scrubber` (which must hold the target's) removed
    /// from every error and event.
    pub(crate) async fn stream_scrubbed(
        &self,
        target: &Target,
        request: &ModelRequest,
        scrubber: &Scrubber,
    ) -> Result<EventStream, ProviderError> {
        match self.send(target, request, scrubber).await {
            Ok(stream) => Ok(redact::stream(stream, scrubber.clone())),
            Err(error) => Err(redact::error(error, scrubber)),
        }
    }

    async fn send(
        &self,
        target: &Target,
        request: &ModelRequest,
        scrubber: &Scrubber,
    ) -> Result<EventStream, ProviderError> {
        let provider = target.model.provider.clone();
        let wire = formats::build(target, request)?;
        let headers = headers(target, &wire.headers)?;
        let url_for_errors = wire.url.split('?').next().unwrap_or_default().to_owned();
        tracing::debug!(provider = %provider, model = %target.model.id, url = %scrubber.scrub(&url_for_errors), "model request");
        let send = self
            .http
            .post(&wire.url)
            .headers(headers)
            .json(&wire.body)
            .send();
        let response = match tokio::time::timeout(self.options.idle_timeout, send).await {
            Err(_) => {
                return Err(ProviderError::Idle {
                    provider,
                    idle: self.options.idle_timeout,
                });
            }
            Ok(Err(e)) => {
                return Err(ProviderError::Connect {
                    provider,
                    url: url_for_errors,
                    detail: error_chain(&e),
                });
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if !status.is_success() {
            let retry_after = retry_after(response.headers());
            let body = read_limited(response, MAX_ERROR_BODY, self.options.idle_timeout).await;
            let (message, code) = formats::error_details(target.model.api, &body)
                .unwrap_or_else(|| (summarize(&body), None));
            return Err(ProviderError::Status {
                provider,
                status: status.as_u16(),
                message,
                code,
                retry_after,
            });
        }
        let decoder = formats::decoder(target);
        Ok(decode(
            response,
            wire.framing,
            decoder,
            provider,
            self.options.idle_timeout,
        ))
    }
}

impl Client {
    /// Posts `body` as JSON and returns the JSON answer; an error status becomes
    /// [`ProviderError::Status`] with the provider's message (OpenAI-style `error.message`, or
    /// the body shortened), a `retry-after` kept.
    pub(crate) async fn post_json(
        &self,
        provider: &str,
        url: &str,
        headers: HeaderMap,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, ProviderError> {
        let url_for_errors = url.split('?').next().unwrap_or_default().to_owned();
        let send = self.http.post(url).headers(headers).json(body).send();
        let response = match tokio::time::timeout(self.options.idle_timeout, send).await {
            Err(_) => {
                return Err(ProviderError::Idle {
                    provider: provider.to_owned(),
                    idle: self.options.idle_timeout,
                });
            }
            Ok(Err(e)) => {
                return Err(ProviderError::Connect {
                    provider: provider.to_owned(),
                    url: url_for_errors,
                    detail: error_chain(&e),
                });
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let bytes = read_limited(response, MAX_JSON_BODY, self.options.idle_timeout).await;
        if !status.is_success() {
            let parsed: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
            let error = parsed.as_ref().map(|v| &v["error"]);
            let message = error
                .and_then(|e| e["message"].as_str().or_else(|| e.as_str()))
                .map(str::to_owned)
                .unwrap_or_else(|| summarize(&bytes));
            let code = error
                .and_then(|e| {
                    e["code"]
                        .as_str()
                        .or_else(|| e["type"].as_str())
                        .or_else(|| e["status"].as_str())
                })
                .map(str::to_owned);
            return Err(ProviderError::Status {
                provider: provider.to_owned(),
                status: status.as_u16(),
                message,
                code,
                retry_after,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ProviderError::Malformed {
            provider: provider.to_owned(),
            detail: format!("the response is not JSON: {e}"),
        })
    }
}

/// The largest JSON answer read (a batch of 64 vectors of 3,072 numbers is about 4 MB).
const MAX_JSON_BODY: usize = 32 * 1024 * 1024;

fn headers(
    target: &Target,
    format_headers: &[(String, String)],
) -> Result<HeaderMap, ProviderError> {
    let invalid = |detail: String| ProviderError::InvalidRequest {
        provider: target.model.provider.clone(),
        detail,
    };
    let mut map = HeaderMap::new();
    let pairs = format_headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(
            target
                .model
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
    for (name, value) in pairs {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("invalid header name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| invalid(format!("invalid value for header {name}")))?;
        map.insert(name, value);
    }
    if let Some(key) = &target.credential.key {
        let (name, value) = match target.credential.auth {
            AuthStyle::Bearer => ("authorization", format!("Bearer {}", key.expose_secret())),
            AuthStyle::XApiKey => ("x-api-key", key.expose_secret().to_owned()),
            AuthStyle::XGoogApiKey => ("x-goog-api-key", key.expose_secret().to_owned()),
        };
        // The message never includes the value: it is the secret.
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            invalid("the API key contains characters not allowed in a header".into())
        })?;
        value.set_sensitive(true);
        map.insert(HeaderName::from_static(name), value);
    }
    Ok(map)
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return (ms.is_finite() && ms >= 0.0).then(|| Duration::from_millis(ms as u64));
    }
    let value = get("retry-after")?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    // An HTTP date.
    let when =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let delta = when - time::OffsetDateTime::now_utc();
    Some(Duration::try_from(delta).unwrap_or(Duration::ZERO))
}

async fn read_limited(mut response: reqwest::Response, limit: usize, idle: Duration) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match tokio::time::timeout(idle, response.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(limit);
    body
}

/// A short, printable excerpt of a non-JSON error body.
fn summarize(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut out: String = text.chars().take(300).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// Whether `error` is the connection closing in the middle of a body (a truncated chunked body
/// or content length), found as an `UnexpectedEof` anywhere in its source chain.
fn is_truncated(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(inner) = source {
        if inner
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof)
        {
            return true;
        }
        source = inner.source();
    }
    false
}

pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

enum Framer {
    Sse(SseParser),
    NdJson(NdJsonParser),
}

impl Framer {
    fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Frame>, usize> {
        Ok(match self {
            Framer::Sse(p) => p.feed(chunk)?.into_iter().map(Frame::Sse).collect(),
            Framer::NdJson(p) => p.feed(chunk)?.into_iter().map(Frame::Line).collect(),
        })
    }

    fn finish(&mut self) -> Vec<Frame> {
        match self {
            Framer::Sse(p) => p.finish().into_iter().map(Frame::Sse).collect(),
            Framer::NdJson(p) => p.finish().into_iter().map(Frame::Line).collect(),
        }
    }
}

struct DecodeState {
    body: Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    framer: Framer,
    decoder: Box<dyn WireDecoder>,
    pending: VecDeque<StreamEvent>,
    provider: String,
    idle: Duration,
    stopped: bool,
    done: bool,
    /// The body ended without a `Stop`; reported after the pending events.
    cut: bool,
}

impl DecodeState {
    fn fail(&mut self, error: ProviderError) -> Option<Result<StreamEvent, ProviderError>> {
        self.done = true;
        Some(Err(error))
    }

    fn take(&mut self, events: Vec<StreamEvent>) {
        for event in events {
            if matches!(event, StreamEvent::Stop(_)) {
                self.stopped = true;
            }
            self.pending.push_back(event);
        }
    }

    fn frames(&mut self, frames: Vec<Frame>) -> Result<(), ProviderError> {
        for frame in frames {
            let events = self.decoder.frame(frame)?;
            self.take(events);
        }
        Ok(())
    }

    async fn next(&mut self) -> Option<Result<StreamEvent, ProviderError>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            if self.done {
                if self.cut {
                    self.cut = false;
                    return Some(Err(ProviderError::StreamEnded));
                }
                return None;
            }
            let chunk = match tokio::time::timeout(self.idle, self.body.next()).await {
                Err(_) => {
                    let provider = self.provider.clone();
                    let idle = self.idle;
                    return self.fail(ProviderError::Idle { provider, idle });
                }
                Ok(chunk) => chunk,
            };
            match chunk {
                Some(Ok(bytes)) => match self.framer.feed(&bytes) {
                    Ok(frames) => {
                        if let Err(e) = self.frames(frames) {
                            return self.fail(e);
                        }
                    }
                    Err(size) => {
                        let provider = self.provider.clone();
                        return self.fail(ProviderError::Malformed {
                            provider,
                            detail: format!("a streamed event exceeded {size} bytes"),
                        });
                    }
                },
                Some(Err(e)) if is_truncated(&e) => {
                    // The connection closed inside the body: the stream ended early, like a
                    // clean end without a stop. The half-received event is dropped.
                    self.done = true;
                    match self.decoder.end() {
                        Ok(events) => self.take(events),
                        Err(e) => return self.fail(e),
                    }
                    self.cut = !self.stopped;
                }
                Some(Err(e)) => {
                    let provider = self.provider.clone();
                    return self.fail(ProviderError::Read {
                        provider,
                        detail: error_chain(&e),
                    });
                }
                None => {
                    self.done = true;
                    let trailing = self.framer.finish();
                    if let Err(e) = self.frames(trailing) {
                        return self.fail(e);
                    }
                    match self.decoder.end() {
                        Ok(events) => self.take(events),
                        Err(e) => return self.fail(e),
                    }
                    // Deliver what arrived, then say the stream was cut.
                    self.cut = !self.stopped;
                }
            }
        }
    }
}

fn decode(
    response: reqwest::Response,
    framing: Framing,
    decoder: Box<dyn WireDecoder>,
    provider: String,
    idle: Duration,
) -> EventStream {
    let framer = match framing {
        Framing::Sse => Framer::Sse(SseParser::default()),
        Framing::NdJson => Framer::NdJson(NdJsonParser::default()),
    };
    let state = DecodeState {
        body: Box::pin(response.bytes_stream()),
        framer,
        decoder,
        pending: VecDeque::new(),
        provider,
        idle,
        stopped: false,
        done: false,
        cut: false,
    };
    Box::pin(futures_util::stream::unfold(
        state,
        |mut state| async move {
            let item = state.next().await?;
            Some((item, state))
        },
    ))
}
