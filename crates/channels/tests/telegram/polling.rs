//! `getMe` and long polling: order, confirmation by offset, waiting, conflicts, webhooks.

use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use rustyclaw_channels::telegram::{
    AllowedUpdate, ChatType, ConflictReason, DeleteWebhook, GetUpdates, SetWebhook, TelegramError,
    UpdateKind,
};
use rustyclaw_testkit::fake_telegram::{FakeChat, FakeTelegram, Inbound};
use serde_json::json;

use super::{alice, client, dm};

fn poll(offset: Option<i64>, timeout_secs: u64) -> GetUpdates {
    GetUpdates {
        offset,
        limit: None,
        timeout: Duration::from_secs(timeout_secs),
        allowed_updates: None,
    }
}

#[tokio::test]
async fn get_me_returns_the_bot() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let me = client(&telegram).get_me().await.expect("getMe");
    assert!(me.is_bot);
    assert_eq!(me.id, telegram.bot().id);
    assert_eq!(
        me.username.as_deref(),
        Some(telegram.bot().username.as_str())
    );
}

#[tokio::test]
async fn updates_come_in_order_and_an_offset_confirms_them() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let api = client(&telegram);
    let alice = alice();
    let group = FakeChat::group(-4001, "Friends");
    let first = telegram.push_text(&dm(&alice), &alice, "one");
    let second = telegram.push_text(&group, &alice, "two @rustyclaw_test_bot");
    let third = telegram.push_message(
        Inbound::text(&FakeChat::forum(-100_777, "Forum"), &alice, "three").in_topic(5, "Ideas"),
    );

    let batch = api.get_updates(&poll(None, 0)).await.expect("poll");
    let ids: Vec<i64> = batch.iter().map(|update| update.update_id).collect();
    assert_eq!(
        ids,
        vec![first.update_id, second.update_id, third.update_id]
    );
    let texts: Vec<&str> = batch
        .iter()
        .filter_map(|update| update.message()?.text.as_deref())
        .collect();
    assert_eq!(texts, vec!["one", "two @rustyclaw_test_bot", "three"]);
    let in_group = batch[1].message().expect("message");
    assert_eq!(in_group.chat.kind, ChatType::Group);
    assert_eq!(in_group.entities.len(), 1, "Telegram marks the mention");
    let in_topic = batch[2].message().expect("message");
    assert_eq!(in_topic.message_thread_id, Some(5));
    assert!(in_topic.is_topic_message && in_topic.chat.is_forum);

    // Without a new offset nothing is confirmed: a restarted bot gets the same batch again.
    let again = api.get_updates(&poll(None, 0)).await.expect("poll");
    assert_eq!(again.len(), 3);
    // Confirming the first two leaves the third.
    let rest = api
        .get_updates(&poll(Some(second.update_id + 1), 0))
        .await
        .expect("poll");
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].update_id, third.update_id);
    assert_eq!(telegram.pending_updates(), vec![third.update_id]);
}

#[tokio::test]
async fn a_long_poll_waits_for_the_next_update() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let api = client(&telegram);
    let alice = alice();
    let started = Instant::now();
    let poll_task = tokio::spawn({
        let api = api.clone();
        async move { api.get_updates(&poll(None, 10)).await }
    });
    telegram
        .wait_for_calls("getUpdates", 1, Duration::from_secs(5))
        .await
        .expect("the poll arrives");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!poll_task.is_finished(), "an empty queue holds the poll");
    telegram.push_text(&dm(&alice), &alice, "late");
    let batch = poll_task.await.expect("task").expect("poll");
    assert_eq!(batch.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));

    // With nothing to return, the poll ends empty after its timeout.
    let started = Instant::now();
    let empty = api
        .get_updates(&poll(Some(batch[0].update_id + 1), 1))
        .await
        .expect("poll");
    assert!(empty.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_second_poller_ends_the_first_with_a_conflict() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let first = client(&telegram);
    let second = client(&telegram);
    let waiting = tokio::spawn(async move { first.get_updates(&poll(None, 10)).await });
    telegram
        .wait_for_calls("getUpdates", 1, Duration::from_secs(5))
        .await
        .expect("first poll");
    let _ = second
        .get_updates(&poll(None, 0))
        .await
        .expect("second poll");
    let error = waiting
        .await
        .expect("task")
        .expect_err("the first poll is ended");
    assert!(matches!(
        error,
        TelegramError::Conflict {
            reason: ConflictReason::OtherPoller,
            ..
        }
    ));
    assert!(
        error
            .to_string()
            .contains("another program is receiving this bot's messages")
    );
}

#[tokio::test]
async fn a_webhook_blocks_polling_until_deleted() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let api = client(&telegram);
    api.set_webhook(&SetWebhook {
        url: "https://example.test/telegram-webhook".to_owned(),
        secret_token: Some("hook-secret".to_owned()),
        allowed_updates: Some(vec![AllowedUpdate::Message]),
        drop_pending_updates: false,
        max_connections: None,
    })
    .await
    .expect("setWebhook");
    let info = api.get_webhook_info().await.expect("getWebhookInfo");
    assert_eq!(info.url, "https://example.test/telegram-webhook");
    let error = api.get_updates(&poll(None, 0)).await.expect_err("conflict");
    assert!(matches!(
        error,
        TelegramError::Conflict {
            reason: ConflictReason::WebhookActive,
            ..
        }
    ));
    assert!(error.to_string().contains("a webhook is set"));
    api.delete_webhook(&DeleteWebhook::default())
        .await
        .expect("deleteWebhook");
    assert!(
        api.get_updates(&poll(None, 0))
            .await
            .expect("poll")
            .is_empty()
    );
    let set = telegram.calls_to("setWebhook");
    assert_eq!(
        set[0].str_param("secret_token").as_deref(),
        Some("hook-secret")
    );
    assert_eq!(
        set[0].json_param("allowed_updates"),
        Some(json!(["message"]))
    );
}

#[tokio::test]
async fn callback_queries_unknown_kinds_and_malformed_payloads_keep_their_ids() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let api = client(&telegram);
    let alice = alice();
    let chat = dm(&alice);
    let pushed = telegram.push_callback_query(&chat, &alice, 77, "approve:1");
    let poll_update = telegram.push_raw("poll", json!({"id": "p1", "question": "?"}));
    let broken = telegram.push_raw("message", json!({"message_id": "not a number"}));

    let batch = api.get_updates(&poll(None, 0)).await.expect("poll");
    assert_eq!(batch.len(), 3);
    let UpdateKind::CallbackQuery(query) = &batch[0].kind else {
        panic!("a callback query: {:?}", batch[0]);
    };
    assert_eq!(batch[0].update_id, pushed.update_id);
    assert_eq!(query.data.as_deref(), Some("approve:1"));
    assert_eq!(query.from.id, alice.id);
    assert!(matches!(&batch[1].kind, UpdateKind::Unsupported { field } if field == "poll"));
    assert_eq!(batch[1].update_id, poll_update);
    assert!(matches!(batch[2].kind, UpdateKind::Malformed { .. }));
    assert_eq!(batch[2].update_id, broken);

    api.answer_callback_query(&rustyclaw_channels::telegram::AnswerCallbackQuery {
        callback_query_id: query.id.clone(),
        text: Some("Approved".to_owned()),
        show_alert: false,
    })
    .await
    .expect("answerCallbackQuery");
}
