//! The Bot API client: one method per Bot API call the channel makes, over the workspace's
//! `reqwest`.
//!
//! Every call is a `POST` of JSON (or multipart for uploads) to `{base}/bot<token>/<method>`,
//! and every answer goes through [`envelope`](super::envelope). Bodies are read in chunks up
//! to a cap, so neither an answer nor a download can grow without bound. The token is in every
//! path, so errors are built without URLs (`reqwest::Error::without_url`), redirects are not
//! followed (a redirect would carry the token elsewhere), and no URL is logged.

use std::time::Duration;

use reqwest::{RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};

use super::envelope;
use super::error::TelegramError;
use super::requests::{
    AnswerCallbackQuery, DeleteMessage, DeleteWebhook, EditMessageText, GetUpdates, InputFile,
    SendChatAction, SendMedia, SendMessage, SetMessageReaction, SetWebhook,
};
use super::token::BotToken;
use super::types::{File, Message, Update, User, WebhookInfo};

/// The public Bot API server.
pub const DEFAULT_BASE_URL: &str = "https://api.telegram.org";

/// How the client reaches Telegram; [`Default`] suits the public API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotApiOptions {
    /// Scheme, host and port of the Bot API server, without a trailing slash. Default:
    /// [`DEFAULT_BASE_URL`]; tests point it at a fake, self-hosters at their own server.
    pub base_url: String,
    /// Time allowed to open a connection. Default: 10 s.
    pub connect_timeout: Duration,
    /// Time allowed for an ordinary call, answer included. Default: 30 s.
    pub request_timeout: Duration,
    /// Added to a `getUpdates` poll's own timeout for the HTTP timeout, so a poll Telegram
    /// holds for its full duration is not cut, but a poll that hangs is. Default: 10 s.
    pub poll_grace: Duration,
    /// Time allowed for an upload or a download. Default: 120 s.
    pub transfer_timeout: Duration,
    /// The largest answer read from a call (a full `getUpdates` batch is well under this).
    /// Default: 16 MiB.
    pub max_answer_bytes: u64,
}

impl Default for BotApiOptions {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            poll_grace: Duration::from_secs(10),
            transfer_timeout: Duration::from_secs(120),
            max_answer_bytes: 16 * 1024 * 1024,
        }
    }
}

/// A client for one bot. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct BotApi {
    http: reqwest::Client,
    token: BotToken,
    options: BotApiOptions,
}

impl BotApi {
    /// A client for the bot `token` with `options`.
    pub fn new(token: BotToken, options: BotApiOptions) -> Result<Self, TelegramError> {
        // rustls needs a process-wide crypto provider; installing it twice is harmless, so
        // the "already installed" error is ignored.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("rustyclaw/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| TelegramError::Setup {
                detail: token.scrub(&error_chain(&error.without_url())),
            })?;
        let base_url = options.base_url.trim_end_matches('/').to_owned();
        Ok(Self {
            http,
            token,
            options: BotApiOptions {
                base_url,
                ..options
            },
        })
    }

    /// The bot's token (its `Debug` is redacted).
    pub fn token(&self) -> &BotToken {
        &self.token
    }

    /// `getMe`: the bot's own user, and a check of the token.
    pub async fn get_me(&self) -> Result<User, TelegramError> {
        self.call(
            "getMe",
            &serde_json::Map::new(),
            self.options.request_timeout,
        )
        .await
    }

    /// `getUpdates`: waits up to `params.timeout` for updates after `params.offset`, and
    /// confirms every update before that offset. Updates whose payload does not parse come
    /// back as [`UpdateKind::Malformed`](super::UpdateKind::Malformed) with their id, so the
    /// caller can confirm them and go on.
    pub async fn get_updates(&self, params: &GetUpdates) -> Result<Vec<Update>, TelegramError> {
        const METHOD: &str = "getUpdates";
        let timeout = params.timeout + self.options.poll_grace;
        let raw: Vec<Value> = self.call(METHOD, &params.wire(), timeout).await?;
        raw.into_iter()
            .map(|value| {
                Update::from_value(value).map_err(|error| TelegramError::Malformed {
                    method: METHOD,
                    status: 200,
                    detail: error.to_string(),
                })
            })
            .collect()
    }

    /// `setWebhook`: Telegram will post updates to `params.url` (and refuse `getUpdates`).
    pub async fn set_webhook(&self, params: &SetWebhook) -> Result<(), TelegramError> {
        self.call_true("setWebhook", params).await
    }

    /// `deleteWebhook`: back to `getUpdates`.
    pub async fn delete_webhook(&self, params: &DeleteWebhook) -> Result<(), TelegramError> {
        self.call_true("deleteWebhook", params).await
    }

    /// `getWebhookInfo`.
    pub async fn get_webhook_info(&self) -> Result<WebhookInfo, TelegramError> {
        self.call(
            "getWebhookInfo",
            &serde_json::Map::new(),
            self.options.request_timeout,
        )
        .await
    }

    /// `sendMessage`: the message as sent.
    pub async fn send_message(&self, params: &SendMessage) -> Result<Message, TelegramError> {
        self.call("sendMessage", params, self.options.request_timeout)
            .await
    }

    /// `editMessageText`: the edited message.
    pub async fn edit_message_text(
        &self,
        params: &EditMessageText,
    ) -> Result<Message, TelegramError> {
        self.call("editMessageText", params, self.options.request_timeout)
            .await
    }

    /// `deleteMessage`.
    pub async fn delete_message(&self, params: &DeleteMessage) -> Result<(), TelegramError> {
        self.call_true("deleteMessage", params).await
    }

    /// `sendChatAction`, e.g. "typing…" for the next 5 s.
    pub async fn send_chat_action(&self, params: &SendChatAction) -> Result<(), TelegramError> {
        self.call_true("sendChatAction", params).await
    }

    /// `setMessageReaction`.
    pub async fn set_message_reaction(
        &self,
        params: &SetMessageReaction,
    ) -> Result<(), TelegramError> {
        self.call_true("setMessageReaction", params).await
    }

    /// `answerCallbackQuery`: stops the button's progress indicator.
    pub async fn answer_callback_query(
        &self,
        params: &AnswerCallbackQuery,
    ) -> Result<(), TelegramError> {
        self.call_true("answerCallbackQuery", params).await
    }

    /// `getFile`: a path to download the file from (files up to 20 MB).
    pub async fn get_file(&self, file_id: &str) -> Result<File, TelegramError> {
        #[derive(Serialize)]
        struct Params<'a> {
            file_id: &'a str,
        }
        self.call("getFile", &Params { file_id }, self.options.request_timeout)
            .await
    }

    /// `sendPhoto`: a local file is streamed as a multipart upload, a URL or file id is sent
    /// as JSON.
    pub async fn send_photo(&self, params: &SendMedia) -> Result<Message, TelegramError> {
        self.send_media("sendPhoto", "photo", params).await
    }

    /// `sendDocument`, as [`BotApi::send_photo`].
    pub async fn send_document(&self, params: &SendMedia) -> Result<Message, TelegramError> {
        self.send_media("sendDocument", "document", params).await
    }

    /// Downloads `file_path` (from [`File::file_path`]) into `sink`, refusing a file larger
    /// than `max_bytes`: at once when the server announces its length, or as soon as the
    /// stream passes the cap. Returns the bytes written. On error `sink` may hold a prefix.
    pub async fn download_file_to<W: AsyncWrite + Unpin>(
        &self,
        file_path: &str,
        max_bytes: u64,
        sink: &mut W,
    ) -> Result<u64, TelegramError> {
        const WHAT: &str = "the file";
        let response = self.download_response(file_path).await?;
        if let Some(announced) = response.content_length().filter(|len| *len > max_bytes) {
            return Err(TelegramError::TooLarge {
                what: WHAT,
                limit: max_bytes,
                size_at_least: announced,
            });
        }
        let mut response = response;
        let mut written: u64 = 0;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.transport(DOWNLOAD, error, self.options.transfer_timeout))?
        {
            written = written.saturating_add(chunk.len() as u64);
            if written > max_bytes {
                return Err(TelegramError::TooLarge {
                    what: WHAT,
                    limit: max_bytes,
                    size_at_least: written,
                });
            }
            sink.write_all(&chunk)
                .await
                .map_err(|source| TelegramError::WriteDownload { source })?;
        }
        sink.flush()
            .await
            .map_err(|source| TelegramError::WriteDownload { source })?;
        Ok(written)
    }

    /// Downloads `file_path` into memory, refusing a file larger than `max_bytes` (so memory
    /// stays bounded by the cap).
    pub async fn download_file(
        &self,
        file_path: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>, TelegramError> {
        let mut bytes = Vec::new();
        self.download_file_to(file_path, max_bytes, &mut bytes)
            .await?;
        Ok(bytes)
    }

    async fn download_response(&self, file_path: &str) -> Result<Response, TelegramError> {
        let unsafe_path = file_path.is_empty()
            || file_path.starts_with('/')
            || file_path.contains(['?', '#', '\\', '%'])
            || file_path
                .split('/')
                .any(|segment| segment == ".." || segment == ".");
        if unsafe_path {
            return Err(TelegramError::UnsafeFilePath {
                file_path: self.token.scrub(file_path),
            });
        }
        let url = format!(
            "{}/file/bot{}/{file_path}",
            self.options.base_url,
            self.token.expose()
        );
        let timeout = self.options.transfer_timeout;
        let request = self.http.get(url).timeout(timeout);
        let response = self.send(DOWNLOAD, request, timeout).await?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            return Ok(response);
        }
        // Failed downloads answer in the Bot API's error form, e.g. 404 "Not Found".
        let body = self.read_answer(DOWNLOAD, response).await?;
        Err(envelope::result(DOWNLOAD, status, &body, &self.token)
            .err()
            .unwrap_or(TelegramError::Api {
                method: DOWNLOAD,
                error_code: status,
                description: "the download failed".to_owned(),
            }))
    }

    async fn send_media(
        &self,
        method: &'static str,
        field: &'static str,
        params: &SendMedia,
    ) -> Result<Message, TelegramError> {
        let timeout = self.options.transfer_timeout;
        let request = match &params.media {
            InputFile::Url(reference) | InputFile::FileId(reference) => {
                let mut body = serde_json::to_value(params.fields()).map_err(|error| {
                    TelegramError::Malformed {
                        method,
                        status: 0,
                        detail: format!("could not encode the parameters: {error}"),
                    }
                })?;
                if let Value::Object(fields) = &mut body {
                    fields.insert(field.to_owned(), Value::String(reference.clone()));
                }
                self.http.post(self.method_url(method)).json(&body)
            }
            InputFile::Path(path) => {
                let part = reqwest::multipart::Part::file(path)
                    .await
                    .map_err(|source| TelegramError::ReadUpload {
                        path: path.clone(),
                        source,
                    })?;
                let mut form = reqwest::multipart::Form::new();
                for (name, value) in text_fields(&params.fields()) {
                    form = form.text(name, value);
                }
                self.http
                    .post(self.method_url(method))
                    .multipart(form.part(field, part))
            }
        };
        let response = self.send(method, request.timeout(timeout), timeout).await?;
        self.answer(method, response).await
    }

    async fn call<P: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: &'static str,
        params: &P,
        timeout: Duration,
    ) -> Result<R, TelegramError> {
        let request = self
            .http
            .post(self.method_url(method))
            .json(params)
            .timeout(timeout);
        let response = self.send(method, request, timeout).await?;
        self.answer(method, response).await
    }

    /// A call whose result is `true`.
    async fn call_true<P: Serialize + ?Sized>(
        &self,
        method: &'static str,
        params: &P,
    ) -> Result<(), TelegramError> {
        let result: Value = self
            .call(method, params, self.options.request_timeout)
            .await?;
        match result {
            Value::Bool(true) => Ok(()),
            other => Err(TelegramError::Malformed {
                method,
                status: 200,
                detail: format!("expected the result true, got {other}"),
            }),
        }
    }

    async fn send(
        &self,
        method: &'static str,
        request: RequestBuilder,
        timeout: Duration,
    ) -> Result<Response, TelegramError> {
        tracing::trace!(method, "telegram call");
        request
            .send()
            .await
            .map_err(|error| self.transport(method, error, timeout))
    }

    async fn answer<R: DeserializeOwned>(
        &self,
        method: &'static str,
        response: Response,
    ) -> Result<R, TelegramError> {
        let status = response.status().as_u16();
        let body = self.read_answer(method, response).await?;
        envelope::decode(method, status, &body, &self.token)
    }

    async fn read_answer(
        &self,
        method: &'static str,
        mut response: Response,
    ) -> Result<Vec<u8>, TelegramError> {
        const WHAT: &str = "the answer";
        let limit = self.options.max_answer_bytes;
        if let Some(announced) = response.content_length().filter(|len| *len > limit) {
            return Err(TelegramError::TooLarge {
                what: WHAT,
                limit,
                size_at_least: announced,
            });
        }
        let mut body = Vec::new();
        // The request's timeout covers the body too: a body that stalls ends as a timeout.
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.transport(method, error, self.options.request_timeout))?
        {
            body.extend_from_slice(&chunk);
            if body.len() as u64 > limit {
                return Err(TelegramError::TooLarge {
                    what: WHAT,
                    limit,
                    size_at_least: body.len() as u64,
                });
            }
        }
        Ok(body)
    }

    fn transport(
        &self,
        method: &'static str,
        error: reqwest::Error,
        timeout: Duration,
    ) -> TelegramError {
        if error.is_timeout() {
            return TelegramError::Timeout {
                method,
                after: timeout,
            };
        }
        TelegramError::Transport {
            method,
            detail: self.token.scrub(&error_chain(&error.without_url())),
        }
    }

    fn method_url(&self, method: &str) -> String {
        format!(
            "{}/bot{}/{method}",
            self.options.base_url,
            self.token.expose()
        )
    }
}

/// The pseudo-method named in errors of file downloads.
const DOWNLOAD: &str = "file download";

/// An error and its sources, `a: b: c`, for the one-line `detail` of an error.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The JSON fields of `fields` as multipart text fields: strings and numbers as they are,
/// objects (`reply_parameters`) JSON-encoded, as the Bot API reads form parameters.
fn text_fields(fields: &impl Serialize) -> Vec<(String, String)> {
    let Ok(Value::Object(map)) = serde_json::to_value(fields) else {
        return Vec::new();
    };
    map.into_iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            (name, text)
        })
        .collect()
}
