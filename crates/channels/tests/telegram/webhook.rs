//! Webhook mode against the fake Bot API: the webhook registered with the URL and secret, each
//! delivery to the local listener (on a free loopback port) checked, stored and answered 200
//! only once the sink stored it, and `logout` deleting the webhook.

use std::sync::Arc;
use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_channels::account::{
    ChannelAccount, ChannelError, InboundBatch, InboundSink, StatusHandle, StoreOutcome,
};
use rustyclaw_channels::telegram::{
    BotToken, TelegramAccount, TelegramAccountConfig, TelegramWebhookConfig,
};
use rustyclaw_protocol::origin::{AccountId, ChatId};
use rustyclaw_testkit::fake_telegram::FakeTelegram;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::alice;

const WAIT: Duration = Duration::from_secs(10);
const URL: &str = "https://bot.example/telegram-webhook";
const SECRET: &str = "webhook_secret-42";
const PATH: &str = "/telegram-webhook";

type Batches = mpsc::Receiver<(InboundBatch, oneshot::Sender<StoreOutcome>)>;

fn webhook(secret: &str) -> TelegramWebhookConfig {
    TelegramWebhookConfig {
        url: URL.to_owned(),
        secret: SecretString::from(secret),
        host: "127.0.0.1".to_owned(),
        // The system picks a free port; the test reads it back from the account.
        port: 0,
        path: PATH.to_owned(),
    }
}

fn account(telegram: &FakeTelegram, webhook: TelegramWebhookConfig) -> TelegramAccount {
    let token = BotToken::new(telegram.token()).expect("the fake's token is well formed");
    let mut config = TelegramAccountConfig::new(AccountId::new("default"), token);
    config.api_root = telegram.base_url();
    config.webhook = Some(webhook);
    TelegramAccount::new(config).expect("account")
}

/// A webhook account whose `run` is going and listening.
struct Running {
    account: Arc<TelegramAccount>,
    batches: Batches,
    status: StatusHandle,
    task: JoinHandle<Result<(), ChannelError>>,
    http: reqwest::Client,
}

impl Running {
    async fn start(telegram: &FakeTelegram) -> Self {
        let account = Arc::new(account(telegram, webhook(SECRET)));
        let (sink, batches) = InboundSink::new(4);
        let status = StatusHandle::new();
        let task = tokio::spawn({
            let account = Arc::clone(&account);
            let status = status.clone();
            async move { account.run(sink, status).await }
        });
        telegram
            .wait_for_calls("setWebhook", 1, WAIT)
            .await
            .expect("the webhook is registered");
        // Connected once Telegram's answer to setWebhook is in.
        let deadline = tokio::time::Instant::now() + WAIT;
        while !status.snapshot().connected {
            assert!(tokio::time::Instant::now() < deadline, "never connected");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Self {
            account,
            batches,
            status,
            task,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        let address = self
            .account
            .webhook_address()
            .expect("the listener is bound before setWebhook");
        format!("http://{address}{path}")
    }

    /// Posts `body` to the webhook route with `secret` (none when `None`).
    fn post(
        &self,
        secret: Option<&str>,
        body: &Value,
    ) -> JoinHandle<reqwest::Result<reqwest::Response>> {
        let mut request = self.http.post(self.url(PATH)).json(body);
        if let Some(secret) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        tokio::spawn(request.send())
    }

    async fn next_batch(&mut self) -> (InboundBatch, oneshot::Sender<StoreOutcome>) {
        tokio::time::timeout(WAIT, self.batches.recv())
            .await
            .expect("a batch in time")
            .expect("run is still going")
    }

    fn assert_nothing_stored(&mut self) {
        assert!(
            self.batches.try_recv().is_err(),
            "nothing may reach the sink"
        );
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(request: JoinHandle<reqwest::Result<reqwest::Response>>) -> reqwest::Response {
    tokio::time::timeout(WAIT, request)
        .await
        .expect("an answer in time")
        .expect("the request task")
        .expect("the listener answers")
}

/// A direct message from Alice as Telegram posts it.
fn update(update_id: i64, text: &str) -> Value {
    let alice = alice();
    json!({
        "update_id": update_id,
        "message": {
            "message_id": 70 + update_id,
            "date": 1_700_000_000,
            "chat": {"id": alice.id, "type": "private", "first_name": "Alice", "username": "alice"},
            "from": {"id": alice.id, "is_bot": false, "first_name": "Alice", "username": "alice"},
            "text": text,
        },
    })
}

#[tokio::test]
async fn the_webhook_is_registered_with_the_url_the_secret_and_the_update_kinds() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let running = Running::start(&telegram).await;

    let [call] = telegram
        .calls_to("setWebhook")
        .try_into()
        .expect("one call");
    assert_eq!(call.str_param("url").as_deref(), Some(URL));
    assert_eq!(call.str_param("secret_token").as_deref(), Some(SECRET));
    assert_eq!(
        call.json_param("allowed_updates"),
        Some(json!(["message", "channel_post", "callback_query"]))
    );
    assert_eq!(telegram.webhook().as_deref(), Some(URL));
    assert!(telegram.calls_to("getUpdates").is_empty(), "no polling");

    let status = running.status.snapshot();
    assert_eq!(status.mode.as_deref(), Some("webhook"));
    assert!(status.connected);
    assert_eq!(status.identity.as_deref(), Some("@rustyclaw_test_bot"));
    assert_eq!(running.account.stall_timeout(), Duration::from_secs(210));

    // The health route answers; other routes do not exist.
    let health = running
        .http
        .get(running.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.expect("body"), "ok");
    let other = running
        .http
        .post(running.url("/elsewhere"))
        .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
        .send()
        .await
        .expect("other path");
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn a_delivery_reaches_the_sink_and_is_answered_200_only_once_stored() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let mut running = Running::start(&telegram).await;

    let request = running.post(Some(SECRET), &update(500, "hello by webhook"));
    let (batch, reply) = running.next_batch().await;
    assert_eq!(batch.next_offset, None, "a webhook has no offset to save");
    let [message] = batch.messages.as_slice() else {
        panic!("one message: {batch:?}");
    };
    assert_eq!(message.text, "hello by webhook");
    assert_eq!(message.chat.id, ChatId::new(alice().id.to_string()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !request.is_finished(),
        "no answer before the batch is stored"
    );

    reply.send(StoreOutcome::Stored).expect("the handler waits");
    let response = answer(request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("x-openclaw-delivery-accepted")
            .and_then(|value| value.to_str().ok()),
        Some("durable")
    );
    assert!(running.status.snapshot().last_inbound_ms.is_some());
}

#[tokio::test]
async fn a_wrong_or_missing_secret_is_refused_and_nothing_is_stored() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let mut running = Running::start(&telegram).await;

    for secret in [Some("webhook_secret-43"), Some(""), None] {
        let response = answer(running.post(secret, &update(501, "forged"))).await;
        assert_eq!(response.status(), 401, "secret {secret:?}");
        assert_eq!(response.headers().get("x-openclaw-delivery-accepted"), None);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    running.assert_nothing_stored();
    assert_eq!(running.status.snapshot().last_inbound_ms, None);
}

#[tokio::test]
async fn a_batch_the_sink_cannot_store_is_answered_5xx_so_telegram_delivers_it_again() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let mut running = Running::start(&telegram).await;

    let request = running.post(Some(SECRET), &update(502, "try again"));
    let (_, reply) = running.next_batch().await;
    reply.send(StoreOutcome::Failed).expect("the handler waits");
    let response = answer(request).await;
    assert!(response.status().is_server_error(), "{}", response.status());
    assert_eq!(response.headers().get("x-openclaw-delivery-accepted"), None);
    assert!(running.status.snapshot().last_error.is_some());

    // Telegram's redelivery is stored and confirmed.
    let request = running.post(Some(SECRET), &update(502, "try again"));
    let (batch, reply) = running.next_batch().await;
    assert_eq!(batch.messages[0].text, "try again");
    reply.send(StoreOutcome::Stored).expect("the handler waits");
    assert_eq!(answer(request).await.status(), 200);
}

#[tokio::test]
async fn bodies_that_are_too_large_or_not_updates_are_refused() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let mut running = Running::start(&telegram).await;

    let huge = json!({"update_id": 503, "message": {"text": "x".repeat(2 * 1024 * 1024)}});
    assert_eq!(
        answer(running.post(Some(SECRET), &huge)).await.status(),
        413
    );
    let no_id = json!({"message": {"text": "who am I"}});
    assert_eq!(
        answer(running.post(Some(SECRET), &no_id)).await.status(),
        400
    );
    // An update kind rustyclaw does not handle brings nothing to store: confirmed at once.
    let poll = json!({"update_id": 504, "poll": {"id": "1"}});
    assert_eq!(
        answer(running.post(Some(SECRET), &poll)).await.status(),
        200
    );
    running.assert_nothing_stored();
}

#[tokio::test]
async fn logout_deletes_the_webhook_and_the_listener_closes_with_run() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let running = Running::start(&telegram).await;
    let url = running.url("/healthz");
    running.account.logout().await.expect("logout");
    assert_eq!(telegram.webhook(), None);
    assert_eq!(telegram.calls_to("deleteWebhook").len(), 1);

    let account = Arc::clone(&running.account);
    let http = running.http.clone();
    drop(running);
    // Aborting `run` takes the listener with it.
    let deadline = tokio::time::Instant::now() + WAIT;
    while http.get(&url).send().await.is_ok() || account.webhook_address().is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the listener stays up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn webhook_mode_refuses_to_start_without_a_usable_secret() {
    let telegram = FakeTelegram::start().await.expect("fake");
    for secret in ["", "has spaces", "ünïcode"] {
        let account = account(&telegram, webhook(secret));
        let (sink, _batches) = InboundSink::new(1);
        let status = StatusHandle::new();
        let error = tokio::time::timeout(WAIT, account.run(sink, status.clone()))
            .await
            .expect("run ends at once")
            .expect_err("no usable secret");
        let ChannelError::Unauthorized(message) = &error else {
            panic!("a credential error: {error:?}");
        };
        assert!(message.contains("webhookSecret"), "{message}");
        assert_eq!(
            status.snapshot().last_error.as_deref(),
            Some(message.as_str())
        );
    }
    assert!(telegram.calls_to("setWebhook").is_empty());

    let mut health = webhook(SECRET);
    health.path = "/healthz".to_owned();
    let (sink, _batches) = InboundSink::new(1);
    let error = account(&telegram, health)
        .run(sink, StatusHandle::new())
        .await
        .expect_err("a reserved path");
    assert!(
        matches!(&error, ChannelError::Unsupported(message) if message.contains("webhookPath")),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_config_never_shows_the_webhook_secret() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let account = account(&telegram, webhook(SECRET));
    assert!(!format!("{account:?}").contains(SECRET));
}
