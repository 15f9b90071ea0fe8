//! The npm `telegram-test-api` Bot API emulator, run by Node on a free loopback port, and the
//! user's side of it.
//!
//! The emulator serves the real Bot API paths (`/bot<token>/getMe`, `getUpdates`,
//! `sendMessage`, `editMessageText`, `deleteMessage`, …) to the bot under test, and a client
//! API (`POST /sendMessage` with a `botToken`, `POST /getUpdates` for a chat) to the test that
//! plays the user. It is a black box on purpose: what the bot sends is what the emulator
//! stored. What it cannot do — offsets and long polling (it answers at once and forgets what it
//! handed out), files, reactions, typing, rate limits — is tested against the test kit's own
//! [`fake_telegram`](crate::fake_telegram).
//!
//! `scripts/conformance-deps.sh` installs it (pinned) and names it in the env file as
//! `TELEGRAM_TEST_API`, beside `NODE`; without them [`TelegramTestApi::start`] fails saying so.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpStream;

use crate::bin::{RunError, RunningChild, RustyClaw};

/// How long the emulator may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Starts the emulator: `process.argv` carries the package directory and the port.
const LAUNCH: &str = r#"
const TelegramServer = require(process.argv[1] + "/lib/index.js");
const server = new TelegramServer({ host: "127.0.0.1", port: Number(process.argv[2]), storeTimeout: 3600 });
server.start().then(() => console.log("telegram-test-api listening"));
"#;

/// Errors starting or talking to the emulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelegramTestApiError {
    /// `NODE` or `TELEGRAM_TEST_API` is not set.
    #[error(
        "{0} is not set; run scripts/conformance-deps.sh and source the env file it writes \
         (scripts/test.sh does)"
    )]
    NotInstalled(&'static str),
    /// No free loopback port could be found.
    #[error("could not find a free loopback port")]
    Port(#[source] std::io::Error),
    /// Starting or killing Node failed.
    #[error(transparent)]
    Process(#[from] RunError),
    /// The emulator did not accept connections in time.
    #[error(
        "telegram-test-api did not listen on port {port} within {START_TIMEOUT:?}; stderr:\n{stderr}"
    )]
    NotReady {
        /// The port.
        port: u16,
        /// What Node wrote to standard error.
        stderr: String,
    },
    /// A request to the emulator failed.
    #[error("telegram-test-api {what}: {source}")]
    Http {
        /// Which request.
        what: &'static str,
        /// The HTTP error.
        #[source]
        source: reqwest::Error,
    },
    /// The emulator answered something else than `{"ok": true, "result": …}`.
    #[error("telegram-test-api {what} answered {body}")]
    Refused {
        /// Which request.
        what: &'static str,
        /// The answer.
        body: Value,
    },
}

/// A running emulator; dropping it kills Node.
#[derive(Debug)]
pub struct TelegramTestApi {
    port: u16,
    http: reqwest::Client,
    _child: RunningChild,
}

impl TelegramTestApi {
    /// Starts the emulator on a free loopback port.
    pub async fn start() -> Result<Self, TelegramTestApiError> {
        let node = env_path("NODE")?;
        let package = env_path("TELEGRAM_TEST_API")?;
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(TelegramTestApiError::Port)?;
        let port = listener
            .local_addr()
            .map_err(TelegramTestApiError::Port)?
            .port();
        drop(listener);
        let child = RustyClaw::new(node)
            .arg("-e")
            .arg(LAUNCH)
            .arg(&package)
            .arg(port.to_string())
            .spawn()?;
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        while TcpStream::connect(address).await.is_err() {
            if tokio::time::Instant::now() >= deadline {
                return Err(TelegramTestApiError::NotReady {
                    port,
                    stderr: child.stderr(),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Self {
            port,
            http: reqwest::Client::new(),
            _child: child,
        })
    }

    /// The Bot API root to configure as the bot's `apiRoot` (`http://127.0.0.1:<port>`).
    pub fn api_root(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A user sends `message` (a Bot API `Message` without `message_id`, which the emulator
    /// assigns) to the bot with `token`.
    pub async fn send(&self, token: &str, message: Value) -> Result<(), TelegramTestApiError> {
        let mut body = message;
        body["botToken"] = json!(token);
        if body.get("date").is_none() {
            body["date"] = json!(unix_now());
        }
        self.post("/sendMessage", "sendMessage", body)
            .await
            .map(drop)
    }

    /// The messages the bot with `token` sent to `chat_id` that this method has not returned
    /// before, oldest first, as the bot sent them (`text`, `parse_mode`, `message_thread_id`,
    /// `reply_to_message_id`, …).
    pub async fn bot_messages(
        &self,
        token: &str,
        chat_id: i64,
    ) -> Result<Vec<Value>, TelegramTestApiError> {
        let result = self
            .post(
                "/getUpdates",
                "getUpdates",
                json!({"token": token, "chatId": chat_id}),
            )
            .await?;
        Ok(result
            .as_array()
            .into_iter()
            .flatten()
            .map(|update| update["message"].clone())
            .collect())
    }

    async fn post(
        &self,
        path: &str,
        what: &'static str,
        body: Value,
    ) -> Result<Value, TelegramTestApiError> {
        let http = |source| TelegramTestApiError::Http { what, source };
        let answer: Value = self
            .http
            .post(format!("{}{path}", self.api_root()))
            .json(&body)
            .send()
            .await
            .map_err(http)?
            .json()
            .await
            .map_err(http)?;
        if answer["ok"] != json!(true) {
            return Err(TelegramTestApiError::Refused { what, body: answer });
        }
        Ok(answer["result"].clone())
    }
}

fn env_path(name: &'static str) -> Result<PathBuf, TelegramTestApiError> {
    std::env::var_os(name)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .ok_or(TelegramTestApiError::NotInstalled(name))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
