//! A fake Telegram Bot API server on loopback.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use rustyclaw_testkit::fake_telegram::{Fault, FaultRule, FakeChat, FakeTelegram, FakeUser, Inbound};
//!
//! let telegram = FakeTelegram::start().await?;
//! let alice = FakeUser::new(1001, "Alice").with_username("alice");
//! telegram.push_message(Inbound::text(&FakeChat::private(&alice), &alice, "hello"));
//! telegram.script(FaultRule::next("sendMessage", Fault::RateLimited { retry_after: 1 }));
//! // … point the bot at `telegram.base_url()` with `telegram.token()` and run it …
//! let sent = telegram.outbox();
//! # Ok(()) }
//! ```
//!
//! It speaks the real paths, `/bot<token>/<method>` and `/file/bot<token>/<path>`, takes
//! parameters as the real API does (query string, JSON, URL-encoded or multipart form) and
//! answers in its envelope, errors included. Long polling follows Telegram's semantics
//! ([`polling`]): `offset` confirms earlier updates, so an update fetched but never confirmed
//! (the bot died before storing it) is fetched again. What the bot sends is checked as
//! Telegram checks it (known chat, text length, HTML markup, reply targets, edits of messages
//! that exist) and kept in [`FakeTelegram::outbox`]; every call is kept in
//! [`FakeTelegram::calls`]. Failures are scripted per method with [`FaultRule`]s.

mod faults;
mod html;
mod inbound;
mod methods;
mod params;
mod polling;
mod record;
mod server;
mod state;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use faults::{Fault, FaultRule};
pub use inbound::{FakeChat, FakeChatKind, FakeFile, FakeUser, Inbound};
pub use params::{Encoding, UploadedFile};
pub use record::{BotMessage, RecordedCall};
pub use state::FakeBot;

use inbound::Attachment;
use state::Shared;

/// The token the fake accepts unless told otherwise (the form @BotFather issues).
pub const DEFAULT_TOKEN: &str = "123456789:AAFakeTokenForTestsOnly_0123456789ab";

/// How long [`FakeTelegram::shutdown`] waits for in-flight answers before aborting.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Errors starting or stopping the fake.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FakeTelegramError {
    /// Binding `127.0.0.1:0` failed.
    #[error("fake Telegram could not bind a loopback port")]
    Bind {
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// The token has no numeric bot id before a colon.
    #[error("the fake's token must look like `<bot id>:<secret>`")]
    BadToken,
    /// The server task failed or did not stop in time.
    #[error("fake Telegram server did not stop cleanly: {detail}")]
    Stop {
        /// What happened.
        detail: String,
    },
    /// Fewer calls than waited for arrived in time.
    #[error("waited {waited:?} for {wanted} call(s) of {method} but got {received}")]
    Timeout {
        /// The method waited for.
        method: String,
        /// Calls wanted.
        wanted: usize,
        /// Calls received.
        received: usize,
        /// How long the wait lasted.
        waited: Duration,
    },
}

/// Who the fake is.
#[derive(Debug, Clone)]
pub struct FakeTelegramOptions {
    /// The token it accepts; its prefix is the bot's id. Default: [`DEFAULT_TOKEN`].
    pub token: String,
    /// The bot's `@username`. Default: `rustyclaw_test_bot`.
    pub bot_username: String,
    /// The bot's name. Default: `RustyClaw Test`.
    pub bot_first_name: String,
}

impl Default for FakeTelegramOptions {
    fn default() -> Self {
        Self {
            token: DEFAULT_TOKEN.to_owned(),
            bot_username: "rustyclaw_test_bot".to_owned(),
            bot_first_name: "RustyClaw Test".to_owned(),
        }
    }
}

/// An update the test pushed: its id, and the message id the fake gave the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pushed {
    /// The update's id.
    pub update_id: i64,
    /// The message's id (for a callback query, the id of the message with the button).
    pub message_id: i64,
}

/// A running fake Bot API on `127.0.0.1` with a free port. Dropping it stops it.
pub struct FakeTelegram {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for FakeTelegram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeTelegram")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl FakeTelegram {
    /// Starts a fake with default options on the current tokio runtime.
    pub async fn start() -> Result<Self, FakeTelegramError> {
        Self::start_with(FakeTelegramOptions::default()).await
    }

    /// Starts a fake with `options`.
    pub async fn start_with(options: FakeTelegramOptions) -> Result<Self, FakeTelegramError> {
        let bot_id = options
            .token
            .split_once(':')
            .and_then(|(id, _)| id.parse::<i64>().ok())
            .ok_or(FakeTelegramError::BadToken)?;
        let bot = FakeBot {
            id: bot_id,
            username: options.bot_username,
            first_name: options.bot_first_name,
        };
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|source| FakeTelegramError::Bind { source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| FakeTelegramError::Bind { source })?;
        let shared = Arc::new(Shared::new(options.token, bot));
        let router = axum::Router::new()
            .fallback(server::handle)
            .with_state(Arc::clone(&shared));
        let mut stopped = shared.shutdown.subscribe();
        let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|stopped| *stopped).await;
        });
        let task = tokio::spawn(serve.into_future());
        tracing::debug!(%addr, "fake Telegram listening");
        Ok(Self {
            addr,
            shared,
            task: Some(task),
        })
    }

    /// The Bot API base URL, `http://127.0.0.1:<port>` (the client appends `/bot<token>/…`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The token the fake accepts.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The bot the fake plays (what `getMe` returns).
    pub fn bot(&self) -> &FakeBot {
        &self.shared.bot
    }

    /// Makes `chat` known, so the bot can send to it before anyone wrote there.
    pub fn add_chat(&self, chat: &FakeChat) {
        self.shared.inner().chats.insert(chat.id, chat.clone());
    }

    /// Stores a file a user sends, downloadable through `getFile`.
    pub fn add_file(&self, file_name: &str, bytes: impl Into<Bytes>) -> FakeFile {
        self.shared
            .inner()
            .add_file(file_name, bytes.into(), "documents")
    }

    /// The contents of a stored file (one a user sent, or one the bot uploaded).
    pub fn file_bytes(&self, file_id: &str) -> Option<Bytes> {
        self.shared
            .inner()
            .files
            .get(file_id)
            .map(|file| file.bytes.clone())
    }

    /// Queues the update for a message a user sends; a waiting long poll returns it at once.
    pub fn push_message(&self, inbound: Inbound) -> Pushed {
        let pushed = {
            let mut inner = self.shared.inner();
            inner.chats.insert(inbound.chat.id, inbound.chat.clone());
            let message_id = match inbound.edit_of {
                Some(id) => id,
                None => inner.next_message_id(inbound.chat.id),
            };
            let message = self.message_json(&inner, &inbound, message_id);
            inner
                .messages
                .insert((inbound.chat.id, message_id), message.clone());
            let kind = if inbound.edit_of.is_some() {
                "edited_message"
            } else {
                "message"
            };
            Pushed {
                update_id: inner.enqueue(kind, message),
                message_id,
            }
        };
        self.shared.updates_changed.notify_waiters();
        pushed
    }

    /// Shorthand for a text message.
    pub fn push_text(&self, chat: &FakeChat, from: &FakeUser, text: &str) -> Pushed {
        self.push_message(Inbound::text(chat, from, text))
    }

    /// Queues a press by `from` on a button with `data` under the bot's message `message_id`
    /// in `chat`. Returns the update; the query's id is [`FakeTelegram::callback_query_id`].
    pub fn push_callback_query(
        &self,
        chat: &FakeChat,
        from: &FakeUser,
        message_id: i64,
        data: &str,
    ) -> Pushed {
        let pushed = {
            let mut inner = self.shared.inner();
            inner.next_callback += 1;
            let id = format!("cbq{}", inner.next_callback);
            let message = inner
                .messages
                .get(&(chat.id, message_id))
                .cloned()
                // An inaccessible message: only its chat and id, with date 0.
                .unwrap_or_else(
                    || json!({"message_id": message_id, "chat": chat.to_json(), "date": 0}),
                );
            let query = json!({
                "id": id,
                "from": from.to_json(),
                "message": message,
                "chat_instance": format!("ci{}", chat.id),
                "data": data,
            });
            Pushed {
                update_id: inner.enqueue("callback_query", query),
                message_id,
            }
        };
        self.shared.updates_changed.notify_waiters();
        pushed
    }

    /// The callback query id of the `n`-th pushed callback query (from 1): `cbq<n>`.
    pub fn callback_query_id(n: u64) -> String {
        format!("cbq{n}")
    }

    /// Queues an arbitrary update payload under `field` (e.g. `"message_reaction"`); the fake
    /// assigns the `update_id`.
    pub fn push_raw(&self, field: &str, payload: Value) -> i64 {
        let id = self.shared.inner().enqueue(field, payload);
        self.shared.updates_changed.notify_waiters();
        id
    }

    /// Updates queued and not yet confirmed by an `offset`.
    pub fn pending_updates(&self) -> Vec<i64> {
        self.shared
            .inner()
            .queue
            .iter()
            .map(|update| update.id)
            .collect()
    }

    /// The webhook URL set with `setWebhook`, if any.
    pub fn webhook(&self) -> Option<String> {
        self.shared.inner().webhook.clone()
    }

    /// Adds a scripted failure; rules are tried in the order added.
    pub fn script(&self, rule: FaultRule) {
        self.shared.inner().faults.push(rule);
    }

    /// Removes every scripted failure (those set with [`FaultRule::always`] included).
    pub fn clear_faults(&self) {
        self.shared.inner().faults.clear();
    }

    /// Every call received so far, in order.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.shared.inner().calls.clone()
    }

    /// The calls of `method` (case-insensitive).
    pub fn calls_to(&self, method: &str) -> Vec<RecordedCall> {
        self.shared
            .inner()
            .calls
            .iter()
            .filter(|call| call.is(method))
            .cloned()
            .collect()
    }

    /// The messages the bot sent, in order, as they now stand.
    pub fn outbox(&self) -> Vec<BotMessage> {
        self.shared.inner().outbox.clone()
    }

    /// Waits until `count` calls of `method` have arrived and returns them, or fails after
    /// `timeout`.
    pub async fn wait_for_calls(
        &self,
        method: &str,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<RecordedCall>, FakeTelegramError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.calls_changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let calls = self.calls_to(method);
            if calls.len() >= count {
                return Ok(calls);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(FakeTelegramError::Timeout {
                    method: method.to_owned(),
                    wanted: count,
                    received: self.calls_to(method).len(),
                    waited: timeout,
                });
            }
        }
    }

    /// Stops the server: hanging requests and waiting polls end, in-flight answers finish.
    pub async fn shutdown(mut self) -> Result<(), FakeTelegramError> {
        self.shared.shutdown.send_replace(true);
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(error))) => Err(FakeTelegramError::Stop {
                detail: error.to_string(),
            }),
            Ok(Err(error)) => Err(FakeTelegramError::Stop {
                detail: error.to_string(),
            }),
            Err(_elapsed) => {
                task.abort();
                Err(FakeTelegramError::Stop {
                    detail: format!("still serving after {SHUTDOWN_GRACE:?}; aborted"),
                })
            }
        }
    }

    fn message_json(&self, inner: &state::Inner, inbound: &Inbound, message_id: i64) -> Value {
        let date = methods::now();
        let mut message = json!({
            "message_id": message_id,
            "from": inbound.from.to_json(),
            "chat": inbound.chat.to_json(),
            "date": date,
        });
        if inbound.edit_of.is_some() {
            message["edit_date"] = json!(date);
        }
        if let Some(text) = &inbound.text {
            message["text"] = json!(text);
            let entities = inbound::entities(text);
            if !entities.is_empty() {
                message["entities"] = Value::Array(entities);
            }
        }
        if let Some(caption) = &inbound.caption {
            message["caption"] = json!(caption);
            let entities = inbound::entities(caption);
            if !entities.is_empty() {
                message["caption_entities"] = Value::Array(entities);
            }
        }
        match &inbound.attachment {
            Attachment::None => {}
            Attachment::Photo(file) => {
                // Telegram offers several sizes, smallest first; the last is the original.
                let size = |width: u32, height: u32, bytes: u64, suffix: &str| {
                    json!({
                        "file_id": format!("{}{suffix}", file.file_id),
                        "file_unique_id": format!("{}{suffix}", file.file_unique_id),
                        "width": width,
                        "height": height,
                        "file_size": bytes,
                    })
                };
                let thumbnail = size(90, 51, file.size.min(1_500), "-thumb");
                message["photo"] = json!([thumbnail, size(1280, 720, file.size, "")]);
            }
            Attachment::Document(file, mime_type) => {
                message["document"] = json!({
                    "file_id": file.file_id,
                    "file_unique_id": file.file_unique_id,
                    "file_name": file.file_name,
                    "mime_type": mime_type,
                    "file_size": file.size,
                });
            }
        }
        if let Some((thread_id, name)) = &inbound.topic {
            message["message_thread_id"] = json!(thread_id);
            message["is_topic_message"] = json!(true);
            if inbound.reply_to.is_none() {
                message["reply_to_message"] = json!({
                    "message_id": thread_id,
                    "message_thread_id": thread_id,
                    "is_topic_message": true,
                    "from": inbound.from.to_json(),
                    "chat": inbound.chat.to_json(),
                    "date": date,
                    "forum_topic_created": {"name": name, "icon_color": 7_322_096},
                });
            }
        }
        if let Some(reply_to) = inbound.reply_to {
            message["reply_to_message"] = inner
                .messages
                .get(&(inbound.chat.id, reply_to))
                .cloned()
                .unwrap_or_else(|| {
                    json!({"message_id": reply_to, "chat": inbound.chat.to_json(), "date": date})
                });
        }
        message
    }
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
    }
}
