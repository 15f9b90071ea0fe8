//! Pending deliveries: due order, retries at the platform's `retry_after`, messages of one chat
//! in order, expiry handed back for reporting, the sending window after a crash, pruning.

use pretty_assertions::assert_eq;
use rustyclaw_protocol::origin::{AccountId, ChannelId, ChatId, MessageId};
use rustyclaw_protocol::reply::MediaRef;
use rustyclaw_protocol::session_entry::ThreadId;
use rustyclaw_store::{
    AnsweredRun, DELIVERY_RETENTION_MS, DeliveryId, DeliveryRecord, DeliveryState, DeliveryTarget,
    LEFT_SENDING_ERROR, Store, StoreError,
};

use crate::support::{key, temp_store};

const HOUR: i64 = 60 * 60 * 1000;

fn delivery(chat: &str, text: &str, created_ms: i64) -> DeliveryRecord {
    DeliveryRecord {
        channel: ChannelId::new("telegram"),
        account: AccountId::new("default"),
        target: DeliveryTarget {
            chat: ChatId::new(chat),
            thread_id: None,
            reply_to_id: None,
        },
        text: text.to_owned(),
        fallback_text: None,
        media: Vec::new(),
        answers: None,
        created_ms,
        expires_ms: created_ms + HOUR,
    }
}

async fn due_texts(store: &Store, now_ms: i64) -> Vec<String> {
    store
        .due_deliveries(now_ms, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|delivery| delivery.record.text)
        .collect()
}

async fn ids_of(store: &Store, records: &[DeliveryRecord]) -> Vec<DeliveryId> {
    store.enqueue_deliveries(records).await.unwrap()
}

#[tokio::test]
async fn a_delivery_round_trips_and_is_delivered_once() {
    let (_dir, store) = temp_store().await;
    let mut record = delivery("42", "<b>hello</b>", 1_000);
    record.fallback_text = Some("hello".into());
    record.target.thread_id = Some(ThreadId::Text("topic".into()));
    record.target.reply_to_id = Some(MessageId::new("7"));
    record.media = vec![
        MediaRef::Url("https://example.com/a.png".into()),
        MediaRef::Path("/tmp/b.jpg".into()),
    ];
    record.answers = Some(AnsweredRun {
        run_id: "run-1".into(),
        session_key: key("agent:main:telegram:direct:42"),
    });
    let id = store.enqueue_delivery(&record).await.unwrap();

    let due = store.due_deliveries(1_000, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (
            &due[0].record,
            due[0].state,
            due[0].attempts,
            due[0].next_attempt_ms
        ),
        (&record, DeliveryState::Pending, 0, 1_000)
    );
    assert_eq!(store.due_deliveries(999, 10).await.unwrap(), []);

    store.mark_delivery_sending(id, 1_001).await.unwrap();
    assert_eq!(due_texts(&store, 1_001).await, Vec::<String>::new());
    store
        .mark_delivered(id, Some(&MessageId::new("555")), 1_002)
        .await
        .unwrap();
    let stored = store.delivery(id).await.unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.platform_message_id),
        (DeliveryState::Delivered, Some(MessageId::new("555")))
    );
    let error = store.mark_delivered(id, None, 1_003).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::WrongState { found, expected: "sending", .. } if found == "delivered"),
        "{error:?}"
    );
    let error = store.mark_delivery_sending(id, 1_003).await.unwrap_err();
    assert!(matches!(error, StoreError::WrongState { .. }), "{error:?}");
}

#[tokio::test]
async fn a_failed_attempt_waits_for_retry_after_and_counts() {
    let (_dir, store) = temp_store().await;
    let ids = ids_of(
        &store,
        &[
            delivery("1", "first", 1_000),
            delivery("2", "other chat", 1_500),
        ],
    )
    .await;
    assert_eq!(due_texts(&store, 2_000).await, ["first", "other chat"]);

    // Telegram answered 429 with retry_after = 30 s.
    store.mark_delivery_sending(ids[0], 2_000).await.unwrap();
    store
        .reschedule_delivery(ids[0], 2_000 + 30_000, "429 Too Many Requests", 2_010)
        .await
        .unwrap();
    assert_eq!(due_texts(&store, 2_010).await, ["other chat"]);
    assert_eq!(due_texts(&store, 31_999).await, ["other chat"]);
    assert_eq!(due_texts(&store, 32_000).await, ["other chat", "first"]);
    let stored = store.delivery(ids[0]).await.unwrap().unwrap();
    assert_eq!(
        (
            stored.state,
            stored.attempts,
            stored.next_attempt_ms,
            stored.last_error.as_deref()
        ),
        (
            DeliveryState::Pending,
            1,
            32_000,
            Some("429 Too Many Requests")
        )
    );
    let error = store
        .reschedule_delivery(ids[0], 40_000, "again", 32_000)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::WrongState {
                expected: "sending",
                ..
            }
        ),
        "a reschedule follows an attempt: {error:?}"
    );

    // A permanent refusal ends it.
    store.mark_delivery_sending(ids[0], 32_000).await.unwrap();
    store
        .mark_delivery_failed(ids[0], "403 bot was blocked by the user", 32_001)
        .await
        .unwrap();
    let stored = store.delivery(ids[0]).await.unwrap().unwrap();
    assert_eq!((stored.state, stored.attempts), (DeliveryState::Failed, 2));
}

#[tokio::test]
async fn messages_to_one_chat_leave_in_order() {
    let (_dir, store) = temp_store().await;
    let ids = ids_of(
        &store,
        &[
            delivery("1", "part 1", 1_000),
            delivery("1", "part 2", 1_000),
            delivery("2", "elsewhere", 1_000),
        ],
    )
    .await;
    assert_eq!(due_texts(&store, 1_000).await, ["part 1", "elsewhere"]);

    // While part 1 is in flight or waiting for a retry, part 2 waits behind it.
    store.mark_delivery_sending(ids[0], 1_000).await.unwrap();
    assert_eq!(due_texts(&store, 1_000).await, ["elsewhere"]);
    store
        .reschedule_delivery(ids[0], 5_000, "timeout", 1_100)
        .await
        .unwrap();
    assert_eq!(due_texts(&store, 2_000).await, ["elsewhere"]);
    assert_eq!(due_texts(&store, 5_000).await, ["elsewhere", "part 1"]);
    store.mark_delivery_sending(ids[0], 5_000).await.unwrap();
    store.mark_delivered(ids[0], None, 5_001).await.unwrap();
    assert_eq!(due_texts(&store, 5_001).await, ["part 2", "elsewhere"]);
}

#[tokio::test]
async fn expired_deliveries_are_handed_back_for_reporting() {
    let (_dir, store) = temp_store().await;
    let mut short = delivery("1", "short-lived", 1_000);
    short.expires_ms = 2_000;
    let ids = ids_of(
        &store,
        &[
            short,
            delivery("1", "behind it", 1_000),
            delivery("3", "long-lived", 1_000),
        ],
    )
    .await;
    let channel = ChannelId::new("telegram");
    let account = AccountId::new("default");
    assert_eq!(
        store
            .pending_deliveries_count(&channel, &account)
            .await
            .unwrap(),
        3
    );

    assert_eq!(store.expire_deliveries(1_999).await.unwrap(), []);
    // Not due once expired, and it no longer holds back the chat.
    assert_eq!(due_texts(&store, 2_000).await, ["behind it", "long-lived"]);
    let expired = store.expire_deliveries(2_000).await.unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(
        (
            expired[0].id,
            expired[0].state,
            expired[0].record.text.as_str()
        ),
        (ids[0], DeliveryState::Expired, "short-lived")
    );
    assert_eq!(
        store.expire_deliveries(2_000).await.unwrap(),
        [],
        "reported once"
    );
    assert_eq!(
        store
            .pending_deliveries_count(&channel, &account)
            .await
            .unwrap(),
        2
    );

    // A delivery in flight is left to finish.
    store.mark_delivery_sending(ids[2], 2_000).await.unwrap();
    assert_eq!(store.expire_deliveries(10 * HOUR).await.unwrap().len(), 1);
    assert_eq!(
        store.delivery(ids[2]).await.unwrap().unwrap().state,
        DeliveryState::Sending
    );
    assert_eq!(
        store
            .pending_deliveries_count(&channel, &account)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn deliveries_left_sending_by_a_crash_are_sent_again() {
    let (dir, store) = temp_store().await;
    let ids = ids_of(
        &store,
        &[
            delivery("1", "in flight", 1_000),
            delivery("2", "waiting", 1_000),
        ],
    )
    .await;
    store.mark_delivery_sending(ids[0], 1_000).await.unwrap();
    drop(store);

    let store = Store::open(dir.path().join("state").join("state.sqlite"))
        .await
        .unwrap();
    let requeued = store.requeue_deliveries_left_sending(9_000).await.unwrap();
    assert_eq!(requeued.len(), 1);
    assert_eq!(
        (
            requeued[0].id,
            requeued[0].state,
            requeued[0].attempts,
            requeued[0].next_attempt_ms,
            requeued[0].last_error.as_deref()
        ),
        (
            ids[0],
            DeliveryState::Pending,
            1,
            9_000,
            Some(LEFT_SENDING_ERROR)
        )
    );
    assert_eq!(due_texts(&store, 9_000).await, ["waiting", "in flight"]);
    assert_eq!(
        store.requeue_deliveries_left_sending(9_001).await.unwrap(),
        []
    );
}

#[tokio::test]
async fn ended_deliveries_are_pruned_after_the_retention() {
    let (_dir, store) = temp_store().await;
    let ids = ids_of(
        &store,
        &[
            delivery("1", "sent", 1_000),
            delivery("2", "pending", 1_000),
        ],
    )
    .await;
    store.mark_delivery_sending(ids[0], 1_000).await.unwrap();
    store.mark_delivered(ids[0], None, 1_000).await.unwrap();
    assert_eq!(
        store
            .prune_deliveries(1_000 + DELIVERY_RETENTION_MS)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .prune_deliveries(1_001 + DELIVERY_RETENTION_MS)
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.delivery(ids[0]).await.unwrap(), None);
    assert!(store.delivery(ids[1]).await.unwrap().is_some());
}
