//! The Telegram channel account (`TelegramAccount` behind `ChannelAccount`) against the fake
//! Bot API: polling into the sink with offsets confirmed only once stored, received messages as
//! the router sees them, sends and their failures, and the other outbound calls.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use rustyclaw_channels::account::{
    AttachmentKind, ChannelAccount, ChannelError, InboundBatch, InboundSink, OutboundMessage,
    OutboundTarget, ReceivedMessage, SendFailure, StatusHandle, StoreOutcome, TextSettings,
};
use rustyclaw_channels::telegram::{
    BotToken, RetryBackoff, SetWebhook, TelegramAccount, TelegramAccountConfig,
};
use rustyclaw_channels::text::ChunkMode;
use rustyclaw_protocol::origin::{AccountId, Chat, ChatId, MessageId, PeerId, Sender};
use rustyclaw_protocol::reply::{MediaRef, ReplyPayload};
use rustyclaw_protocol::session_entry::{ChatType, ThreadId};
use rustyclaw_testkit::fake_telegram::{FakeChat, FakeTelegram, Fault, FaultRule, Inbound};
use serde_json::json;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{alice, client, dm};

const WAIT: Duration = Duration::from_secs(10);

type Batches = mpsc::Receiver<(InboundBatch, oneshot::Sender<StoreOutcome>)>;

fn account(telegram: &FakeTelegram) -> TelegramAccount {
    let token = BotToken::new(telegram.token()).expect("the fake's token is well formed");
    let mut config = TelegramAccountConfig::new(AccountId::new("default"), token);
    config.api_root = telegram.base_url();
    config.poll_timeout = Duration::from_secs(1);
    config.backoff = RetryBackoff {
        first: Duration::from_millis(50),
        max: Duration::from_millis(200),
    };
    TelegramAccount::new(config).expect("account")
}

/// An account whose `run` is going, with the sink's receiving end.
struct Running {
    account: Arc<TelegramAccount>,
    batches: Batches,
    status: StatusHandle,
    task: JoinHandle<Result<(), ChannelError>>,
}

impl Running {
    fn start(telegram: &FakeTelegram) -> Self {
        let account = Arc::new(account(telegram));
        let (sink, batches) = InboundSink::new(4);
        let status = StatusHandle::new();
        let task = tokio::spawn({
            let account = Arc::clone(&account);
            let status = status.clone();
            async move { account.run(sink, status).await }
        });
        Self {
            account,
            batches,
            status,
            task,
        }
    }

    async fn next_batch(&mut self) -> (InboundBatch, oneshot::Sender<StoreOutcome>) {
        tokio::time::timeout(WAIT, self.batches.recv())
            .await
            .expect("a batch in time")
            .expect("run is still going")
    }

    /// The next batch, stored.
    async fn store_next(&mut self) -> InboundBatch {
        let (batch, reply) = self.next_batch().await;
        reply.send(StoreOutcome::Stored).expect("run waits");
        batch
    }

    /// What `run` ended with.
    async fn ended(&mut self) -> Result<(), ChannelError> {
        tokio::time::timeout(WAIT, &mut self.task)
            .await
            .expect("run ends in time")
            .expect("run does not panic")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn target(chat: i64) -> OutboundTarget {
    OutboundTarget {
        chat: ChatId::new(chat.to_string()),
        thread_id: None,
        reply_to_id: None,
    }
}

fn settings() -> TextSettings {
    TextSettings {
        chunk_limit: 4000,
        chunk_mode: ChunkMode::Length,
        response_prefix: None,
    }
}

#[tokio::test]
async fn a_direct_message_arrives_as_a_batch_and_is_confirmed_once_stored() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let alice = alice();
    let pushed = telegram.push_text(&dm(&alice), &alice, "hello");
    let mut running = Running::start(&telegram);

    let batch = running.store_next().await;
    assert_eq!(batch.next_offset, Some(pushed.update_id + 1));
    let [message] = batch.messages.as_slice() else {
        panic!("one message: {batch:?}");
    };
    assert!(message.received_ms > 0);
    assert_eq!(
        message,
        &ReceivedMessage {
            message_id: MessageId::new(pushed.message_id.to_string()),
            chat: Chat {
                kind: ChatType::Direct,
                id: ChatId::new("1001"),
            },
            thread_id: None,
            sender: Some(Sender {
                id: PeerId::new("1001"),
                name: Some("Alice".to_owned()),
            }),
            sender_aliases: Vec::new(),
            reply_to_id: None,
            text: "hello".to_owned(),
            attachments: Vec::new(),
            mentions_bot: false,
            replies_to_bot: false,
            received_ms: message.received_ms,
        }
    );

    // The next poll confirms the update, so Telegram forgets it.
    eventually("the offset to move", || {
        telegram.pending_updates().is_empty()
    })
    .await;
    let polls = telegram.calls_to("getUpdates");
    assert_eq!(polls[0].int_param("offset"), None);
    assert_eq!(polls[0].int_param("timeout"), Some(1));
    assert_eq!(
        polls[0].json_param("allowed_updates"),
        Some(json!(["message", "channel_post", "callback_query"]))
    );
    assert_eq!(polls[1].int_param("offset"), Some(pushed.update_id + 1));

    let status = running.status.snapshot();
    assert!(status.connected);
    assert_eq!(status.identity.as_deref(), Some("@rustyclaw_test_bot"));
    assert_eq!(status.mode.as_deref(), Some("polling"));
    assert!(status.last_inbound_ms.is_some() && status.last_alive_ms.is_some());
}

#[tokio::test]
async fn a_batch_the_journal_could_not_store_is_polled_again_from_the_old_offset() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let alice = alice();
    let first = telegram.push_text(&dm(&alice), &alice, "one");
    let mut running = Running::start(&telegram);

    let (batch, reply) = running.next_batch().await;
    assert_eq!(batch.messages.len(), 1);
    reply.send(StoreOutcome::Failed).expect("run waits");

    let again = running.store_next().await;
    assert_eq!(
        again,
        InboundBatch {
            messages: vec![ReceivedMessage {
                received_ms: again.messages[0].received_ms,
                ..batch.messages[0].clone()
            }],
            next_offset: Some(first.update_id + 1),
        }
    );
    let polls = telegram.calls_to("getUpdates");
    assert_eq!(polls[0].int_param("offset"), None);
    assert_eq!(
        polls[1].int_param("offset"),
        None,
        "not confirmed while unstored"
    );
    assert!(running.status.snapshot().last_error.is_some());

    // Stored now: the next update comes alone, after the confirmed one.
    let second = telegram.push_text(&dm(&alice), &alice, "two");
    let next = running.store_next().await;
    assert_eq!(next.messages.len(), 1);
    assert_eq!(next.messages[0].text, "two");
    assert_eq!(next.next_offset, Some(second.update_id + 1));
}

#[tokio::test]
async fn run_resumes_from_the_saved_offset() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let alice = alice();
    let old = telegram.push_text(&dm(&alice), &alice, "already stored");
    telegram.push_text(&dm(&alice), &alice, "new");
    let token = BotToken::new(telegram.token()).expect("token");
    let mut config = TelegramAccountConfig::new(AccountId::new("default"), token);
    config.api_root = telegram.base_url();
    config.poll_timeout = Duration::from_secs(1);
    config.initial_offset = Some(old.update_id + 1);
    let account = TelegramAccount::new(config).expect("account");
    let (sink, mut batches) = InboundSink::new(1);
    let task = tokio::spawn(async move { account.run(sink, StatusHandle::new()).await });
    let (batch, _reply) = tokio::time::timeout(WAIT, batches.recv())
        .await
        .expect("in time")
        .expect("a batch");
    let texts: Vec<&str> = batch.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, vec!["new"]);
    task.abort();
}

#[tokio::test]
async fn a_topic_message_carries_its_thread_and_a_mention_sets_mentions_bot() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let alice = alice();
    let forum = FakeChat::forum(-100_777, "Forum");
    let group = FakeChat::group(-4001, "Friends");
    telegram.push_message(Inbound::text(&forum, &alice, "in a topic").in_topic(5, "Ideas"));
    telegram.push_text(&group, &alice, "hey @RustyClaw_Test_Bot, status?");
    telegram.push_text(&group, &alice, "hey @someone_else");
    let mut running = Running::start(&telegram);

    let batch = running.store_next().await;
    let [topic, mention, other] = batch.messages.as_slice() else {
        panic!("three messages: {batch:?}");
    };
    assert_eq!(topic.chat.kind, ChatType::Group);
    assert_eq!(topic.chat.id, ChatId::new("-100777"));
    assert_eq!(topic.thread_id, Some(ThreadId::Number(5)));
    assert_eq!(topic.reply_to_id, None, "the topic's root is no reply");
    assert!(!topic.mentions_bot);
    assert_eq!(mention.chat.id, ChatId::new("-4001"));
    assert_eq!(mention.thread_id, None);
    assert!(mention.mentions_bot);
    assert!(!other.mentions_bot);
}

#[tokio::test]
async fn a_photo_is_an_image_attachment_that_downloads_within_the_cap() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let alice = alice();
    let picture: Vec<u8> = (0..20_000u32).map(|n| (n % 251) as u8).collect();
    let file = telegram.add_file("cat.jpg", picture.clone());
    telegram.push_message(Inbound::photo(&dm(&alice), &alice, &file).with_caption("my cat"));
    let mut running = Running::start(&telegram);

    let batch = running.store_next().await;
    let message = &batch.messages[0];
    assert_eq!(message.text, "my cat");
    let [attachment] = message.attachments.as_slice() else {
        panic!("one attachment: {message:?}");
    };
    assert_eq!(attachment.kind, AttachmentKind::Image);
    assert_eq!(attachment.file_id, file.file_id);
    assert_eq!(attachment.size_bytes, Some(picture.len() as u64));

    let dir = tempfile::tempdir().expect("temp dir");
    let dest = dir.path().join("cat.jpg");
    let written = running
        .account
        .download(attachment, &dest, 1024 * 1024)
        .await
        .expect("download");
    assert_eq!(written, picture.len() as u64);
    assert_eq!(std::fs::read(&dest).expect("the file"), picture);

    let small = dir.path().join("too-big.jpg");
    let error = running
        .account
        .download(attachment, &small, 1_000)
        .await
        .expect_err("over the cap");
    assert!(error.to_string().contains("1000-byte limit"), "{error}");
    assert!(!small.exists(), "nothing is left behind");
}

#[tokio::test]
async fn a_button_press_is_a_message_and_is_answered_once_stored() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let alice = alice();
    let chat = dm(&alice);
    telegram.add_chat(&chat);
    let mut running = Running::start(&telegram);
    let sent = running
        .account
        .send(&target(chat.id), &OutboundMessage::plain("Deploy?"))
        .await
        .expect("send");
    let button_message: i64 = sent
        .message_id
        .expect("an id")
        .as_str()
        .parse()
        .expect("numeric");
    telegram.push_callback_query(&chat, &alice, button_message, "deploy:yes");

    let (batch, reply) = running.next_batch().await;
    let press = &batch.messages[0];
    assert_eq!(press.text, "deploy:yes");
    assert_eq!(press.message_id, MessageId::new("cb:cbq1"));
    assert_eq!(
        press.reply_to_id,
        Some(MessageId::new(button_message.to_string()))
    );
    assert!(press.replies_to_bot);
    assert!(telegram.calls_to("answerCallbackQuery").is_empty());
    reply.send(StoreOutcome::Stored).expect("run waits");
    let answers = telegram
        .wait_for_calls("answerCallbackQuery", 1, WAIT)
        .await
        .expect("answered");
    assert_eq!(
        answers[0].str_param("callback_query_id").as_deref(),
        Some("cbq1")
    );
    // The send was recorded on the status `run` was given.
    assert!(running.status.snapshot().last_outbound_ms.is_some());
}

#[tokio::test]
async fn a_webhook_is_deleted_before_polling() {
    let telegram = FakeTelegram::start().await.expect("fake");
    client(&telegram)
        .set_webhook(&SetWebhook {
            url: "https://example.com/hook".to_owned(),
            secret_token: None,
            allowed_updates: None,
            drop_pending_updates: false,
            max_connections: None,
        })
        .await
        .expect("setWebhook");
    let alice = alice();
    telegram.push_text(&dm(&alice), &alice, "still here");
    let mut running = Running::start(&telegram);
    let batch = running.store_next().await;
    assert_eq!(batch.messages[0].text, "still here", "pending updates kept");
    assert_eq!(telegram.webhook(), None);
}

#[tokio::test]
async fn a_conflict_ends_run_with_an_explanation() {
    let telegram = FakeTelegram::start().await.expect("fake");
    telegram.script(FaultRule::next("getUpdates", Fault::Conflict));
    let mut running = Running::start(&telegram);
    let error = running.ended().await.expect_err("a conflict");
    let ChannelError::Conflict(explanation) = &error else {
        panic!("a conflict: {error:?}");
    };
    assert!(
        explanation.contains("another program is receiving this bot's messages"),
        "{explanation}"
    );
    let status = running.status.snapshot();
    assert!(!status.connected);
    assert_eq!(status.last_error.as_deref(), Some(explanation.as_str()));
}

#[tokio::test]
async fn a_refused_token_ends_run_as_unauthorized() {
    let telegram = FakeTelegram::start().await.expect("fake");
    telegram.script(FaultRule::next("getMe", Fault::Unauthorized));
    let mut running = Running::start(&telegram);
    let error = running.ended().await.expect_err("unauthorized");
    assert!(matches!(error, ChannelError::Unauthorized(_)), "{error:?}");
    assert!(error.is_permanent());
}

#[tokio::test]
async fn server_errors_and_rate_limits_while_polling_are_waited_out() {
    let telegram = FakeTelegram::start().await.expect("fake");
    telegram.script(FaultRule::next(
        "getUpdates",
        Fault::ServerError { status: 502 },
    ));
    telegram.script(FaultRule::next(
        "getUpdates",
        Fault::RateLimited { retry_after: 0 },
    ));
    let alice = alice();
    telegram.push_text(&dm(&alice), &alice, "patience");
    let mut running = Running::start(&telegram);
    let (batch, reply) = running.next_batch().await;
    assert_eq!(batch.messages[0].text, "patience");
    assert_eq!(telegram.calls_to("getUpdates").len(), 3);
    reply.send(StoreOutcome::Stored).expect("run waits");
    let status = running.status.snapshot();
    assert!(status.connected);
    assert!(status.last_error.is_some());
}

#[tokio::test]
async fn a_rate_limited_send_says_when_to_retry() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let alice = alice();
    telegram.add_chat(&dm(&alice));
    let account = account(&telegram);
    telegram.script(FaultRule::next(
        "sendMessage",
        Fault::RateLimited { retry_after: 7 },
    ));
    let failure = account
        .send(&target(alice.id), &OutboundMessage::plain("hi"))
        .await
        .expect_err("429");
    assert!(
        matches!(failure, SendFailure::RetryAfter { wait, .. } if wait == Duration::from_secs(7)),
        "{failure:?}"
    );
    let sent = account
        .send(&target(alice.id), &OutboundMessage::plain("hi"))
        .await
        .expect("the retry goes through");
    assert_eq!(
        sent.message_id,
        Some(MessageId::new(telegram.outbox()[0].message_id.to_string()))
    );

    telegram.script(FaultRule::next("sendMessage", Fault::BlockedByUser));
    let blocked = account
        .send(&target(alice.id), &OutboundMessage::plain("hi"))
        .await
        .expect_err("403");
    assert!(matches!(blocked, SendFailure::Permanent(_)), "{blocked:?}");
    let unknown = account
        .send(&target(31_337), &OutboundMessage::plain("hi"))
        .await
        .expect_err("chat not found");
    assert!(matches!(unknown, SendFailure::Permanent(_)), "{unknown:?}");
}

#[tokio::test]
async fn markup_telegram_rejects_is_sent_again_as_plain_text() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let alice = alice();
    telegram.add_chat(&dm(&alice));
    let account = account(&telegram);
    let reply = ReplyPayload::text("**Done**: see [the docs](https://example.com)".into(), None);
    let messages = account.prepare(&reply, &settings());
    assert_eq!(
        messages,
        vec![OutboundMessage {
            text: "<b>Done</b>: see <a href=\"https://example.com\">the docs</a>".to_owned(),
            fallback_text: Some("Done: see the docs (https://example.com)".to_owned()),
            media: Vec::new(),
        }]
    );
    telegram.script(
        FaultRule::next("sendMessage", Fault::CantParseEntities).when_param("parse_mode", "HTML"),
    );
    account
        .send(&target(alice.id), &messages[0])
        .await
        .expect("sent as plain text");
    let outbox = telegram.outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(
        outbox[0].text.as_deref(),
        Some("Done: see the docs (https://example.com)")
    );
    assert_eq!(outbox[0].parse_mode, None);
    assert_eq!(telegram.calls_to("sendMessage").len(), 2);
}

#[tokio::test]
async fn replies_in_a_topic_and_the_other_outbound_calls() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let alice = alice();
    let forum = FakeChat::forum(-100_555, "Team");
    let asked = telegram.push_message(Inbound::text(&forum, &alice, "status?").in_topic(9, "Ops"));
    let token = BotToken::new(telegram.token()).expect("token");
    let mut config = TelegramAccountConfig::new(AccountId::new("ops"), token);
    config.api_root = telegram.base_url();
    config.link_preview = false;
    let account = TelegramAccount::new(config).expect("account");
    let in_topic = OutboundTarget {
        chat: ChatId::new("-100555"),
        thread_id: Some(ThreadId::Number(9)),
        reply_to_id: Some(MessageId::new(asked.message_id.to_string())),
    };
    let message = account
        .prepare(&ReplyPayload::text("*All* green".into(), None), &settings())
        .remove(0);
    let sent = account.send(&in_topic, &message).await.expect("send");
    let sent_id = sent.message_id.expect("an id");
    let call = &telegram.calls_to("sendMessage")[0];
    assert_eq!(
        serde_json::Value::Object(call.params.clone()),
        json!({
            "chat_id": -100_555,
            "message_thread_id": 9,
            "text": "<i>All</i> green",
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": true},
            "reply_parameters": {"message_id": asked.message_id, "allow_sending_without_reply": true},
        })
    );
    // A reply to a message deleted since is still sent.
    let gone = OutboundTarget {
        reply_to_id: Some(MessageId::new("9999")),
        ..in_topic.clone()
    };
    account.send(&gone, &message).await.expect("send");

    let edited = OutboundMessage {
        text: "<b>All</b> green".to_owned(),
        fallback_text: Some("All green".to_owned()),
        media: Vec::new(),
    };
    account
        .edit(&in_topic, &sent_id, &edited)
        .await
        .expect("edit");
    account
        .edit(&in_topic, &sent_id, &edited)
        .await
        .expect("an edit that changes nothing is done");
    assert_eq!(
        telegram.outbox()[0].text.as_deref(),
        Some("<b>All</b> green")
    );
    // A rate-limited edit says how long to wait.
    telegram.script(rustyclaw_testkit::fake_telegram::FaultRule::next(
        "editMessageText",
        rustyclaw_testkit::fake_telegram::Fault::RateLimited { retry_after: 3 },
    ));
    match account.edit(&in_topic, &sent_id, &edited).await {
        Err(rustyclaw_channels::account::ActionError::RetryAfter { wait, .. }) => {
            assert_eq!(wait, std::time::Duration::from_secs(3));
        }
        other => panic!("not a rate limit: {other:?}"),
    }

    account
        .react(&in_topic, &sent_id, "👍")
        .await
        .expect("react");
    let reaction = &telegram.calls_to("setMessageReaction")[0];
    assert_eq!(
        reaction.json_param("reaction"),
        Some(json!([{"type": "emoji", "emoji": "👍"}]))
    );
    account.typing(&in_topic).await.expect("typing");
    let typing = &telegram.calls_to("sendChatAction")[0];
    assert_eq!(typing.int_param("message_thread_id"), Some(9));
    assert_eq!(typing.str_param("action").as_deref(), Some("typing"));

    account.delete(&in_topic, &sent_id).await.expect("delete");
    assert!(telegram.outbox()[0].deleted);
    account
        .delete(&in_topic, &sent_id)
        .await
        .expect("deleting a deleted message is done");

    // The General topic: left out of sends (Telegram refuses it), kept for typing.
    let general = OutboundTarget {
        thread_id: Some(ThreadId::Number(1)),
        reply_to_id: None,
        ..in_topic
    };
    account.send(&general, &message).await.expect("send");
    let last_send = telegram.calls_to("sendMessage").pop().expect("a call");
    assert_eq!(last_send.int_param("message_thread_id"), None);
    account.typing(&general).await.expect("typing");
    let last_typing = telegram.calls_to("sendChatAction").pop().expect("a call");
    assert_eq!(last_typing.int_param("message_thread_id"), Some(1));
}

#[tokio::test]
async fn media_is_uploaded_or_sent_by_url_with_the_caption() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let alice = alice();
    telegram.add_chat(&dm(&alice));
    let account = account(&telegram);
    let dir = tempfile::tempdir().expect("temp dir");
    let photo = dir.path().join("chart.png");
    std::fs::write(&photo, b"not really a png").expect("write");
    let reply = ReplyPayload {
        text: "**Q3** chart".to_owned(),
        media: vec![
            MediaRef::Path(photo),
            MediaRef::Url("https://example.com/report.pdf".to_owned()),
        ],
        reply_to_id: None,
    };
    let messages = account.prepare(&reply, &settings());
    assert_eq!(messages.len(), 2);
    for message in &messages {
        account
            .send(&target(alice.id), message)
            .await
            .expect("send");
    }
    let outbox = telegram.outbox();
    assert_eq!(outbox[0].method, "sendPhoto");
    assert_eq!(outbox[0].text.as_deref(), Some("<b>Q3</b> chart"));
    assert_eq!(outbox[0].parse_mode.as_deref(), Some("HTML"));
    assert_eq!(outbox[1].method, "sendDocument");
    assert_eq!(outbox[1].text, None);
    let upload = &telegram.calls_to("sendPhoto")[0];
    assert_eq!(upload.files[0].bytes.as_ref(), b"not really a png");
    let by_url = &telegram.calls_to("sendDocument")[0];
    assert_eq!(
        by_url.str_param("document").as_deref(),
        Some("https://example.com/report.pdf")
    );
}

#[tokio::test]
async fn probe_reports_the_bot_and_its_webhook_and_logout_deletes_the_webhook() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let account = account(&telegram);
    let report = account.probe().await.expect("probe");
    assert_eq!(report.identity.as_deref(), Some("@rustyclaw_test_bot"));
    assert!(report.details[0].starts_with("no webhook"), "{report:?}");

    client(&telegram)
        .set_webhook(&SetWebhook {
            url: "https://example.com/hook".to_owned(),
            secret_token: None,
            allowed_updates: None,
            drop_pending_updates: false,
            max_connections: None,
        })
        .await
        .expect("setWebhook");
    let report = account.probe().await.expect("probe");
    assert!(
        report.details[0].contains("https://example.com/hook"),
        "{report:?}"
    );
    account.logout().await.expect("logout");
    assert_eq!(telegram.webhook(), None);
    assert!(telegram.calls_to("logOut").is_empty());
}

#[tokio::test]
async fn the_account_and_its_config_never_show_the_token() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let secret = telegram
        .token()
        .split_once(':')
        .map(|(_, secret)| secret.to_owned())
        .expect("a secret half");
    let token = BotToken::new(telegram.token()).expect("token");
    let config = TelegramAccountConfig::new(AccountId::new("default"), token);
    assert!(!format!("{config:?}").contains(&secret));
    let account = TelegramAccount::new(config).expect("account");
    assert!(!format!("{account:?}").contains(&secret));
}
