//! The inbound journal and update offsets: redeliveries are recognised, a batch and its offset
//! commit together or not at all, messages resume after a restart, runs cut off by a crash are
//! found through the run ledger, and old rows are pruned.

use pretty_assertions::assert_eq;
use rustyclaw_protocol::origin::{AccountId, ChannelId, MessageId};
use rustyclaw_protocol::session_entry::ThreadId;
use rustyclaw_store::{
    INBOUND_RETENTION_MS, InboundEnd, InboundOutcome, InboundState, RunState, Store, StoreError,
};

use crate::support::{inbound, offset, temp_db, temp_store};

fn telegram() -> (ChannelId, AccountId) {
    (ChannelId::new("telegram"), AccountId::new("default"))
}

#[tokio::test]
async fn a_redelivered_message_is_a_duplicate_and_stored_once() {
    let (dir, store) = temp_store().await;
    let mut message = inbound("telegram", "100", "hello");
    message.thread_id = Some(ThreadId::Number(7));
    message.reply_to_id = Some(MessageId::new("99"));
    message.sender_aliases = vec!["ada!~ada@example.org".into()];
    message.attachments = serde_json::json!([{"fileId": "abc", "mime": "image/png"}]);
    let InboundOutcome::Recorded(id) = store.record_inbound(&message).await.unwrap() else {
        panic!("the first delivery is new");
    };

    // The platform delivers it again, after a restart of the gateway.
    drop(store);
    let store = Store::open(dir.path().join("state").join("state.sqlite"))
        .await
        .unwrap();
    let again = inbound("telegram", "100", "hello (edited in transit)");
    assert_eq!(
        store.record_inbound(&again).await.unwrap(),
        InboundOutcome::Duplicate {
            id,
            state: InboundState::Received
        }
    );
    // Another account or channel with the same platform id is another message.
    let mut other_account = inbound("telegram", "100", "hi");
    other_account.account = AccountId::new("work");
    assert!(matches!(
        store.record_inbound(&other_account).await.unwrap(),
        InboundOutcome::Recorded(_)
    ));
    // So is the same id in another chat: Telegram numbers each chat's messages from 1.
    let mut other_chat = inbound("telegram", "100", "hi from elsewhere");
    other_chat.chat.id = rustyclaw_protocol::origin::ChatId::new("-100777");
    assert!(matches!(
        store.record_inbound(&other_chat).await.unwrap(),
        InboundOutcome::Recorded(_)
    ));

    let (channel, account) = telegram();
    let waiting = store
        .inbound_not_dispatched(&channel, &account)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 2, "the message and the one of another chat");
    assert_eq!(waiting[0].id, id);
    assert_eq!(waiting[0].record, message, "every field round-trips");
    assert_eq!(waiting[1].record, other_chat);
    assert_eq!(
        waiting[0].record.origin().message_id,
        Some(MessageId::new("100"))
    );
}

#[tokio::test]
async fn a_batch_and_its_offset_are_stored_together() {
    let (_dir, store) = temp_store().await;
    let (channel, account) = telegram();
    assert_eq!(
        store.channel_offset(&channel, &account).await.unwrap(),
        None
    );

    let outcomes = store
        .record_inbound_batch(
            &[inbound("telegram", "1", "a"), inbound("telegram", "2", "b")],
            &offset("telegram", 3),
        )
        .await
        .unwrap();
    assert!(
        outcomes
            .iter()
            .all(|outcome| matches!(outcome, InboundOutcome::Recorded(_)))
    );
    assert_eq!(
        store.channel_offset(&channel, &account).await.unwrap(),
        Some(3)
    );

    // A redelivered batch overlapping the stored one: old messages are duplicates.
    let outcomes = store
        .record_inbound_batch(
            &[inbound("telegram", "2", "b"), inbound("telegram", "3", "c")],
            &offset("telegram", 4),
        )
        .await
        .unwrap();
    assert!(matches!(outcomes[0], InboundOutcome::Duplicate { .. }));
    assert!(matches!(outcomes[1], InboundOutcome::Recorded(_)));
    // Updates without messages still move the offset.
    store
        .record_inbound_batch(&[], &offset("telegram", 9))
        .await
        .unwrap();
    assert_eq!(
        store.channel_offset(&channel, &account).await.unwrap(),
        Some(9)
    );
    store
        .set_channel_offset(&offset("telegram", 12))
        .await
        .unwrap();
    assert_eq!(
        store.channel_offset(&channel, &account).await.unwrap(),
        Some(12)
    );
}

#[tokio::test]
async fn a_failing_batch_leaves_the_offset_and_the_journal_unchanged() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).await.unwrap();
    store
        .record_inbound_batch(&[inbound("telegram", "1", "a")], &offset("telegram", 2))
        .await
        .unwrap();
    // Make the database refuse one message of the next batch, half-way through it.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER poison BEFORE INSERT ON channel_inbound WHEN NEW.text = 'poison'
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END;",
        )
        .unwrap();

    let error = store
        .record_inbound_batch(
            &[
                inbound("telegram", "2", "fine"),
                inbound("telegram", "3", "poison"),
            ],
            &offset("telegram", 4),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Sqlite { .. }), "{error:?}");

    let (channel, account) = telegram();
    assert_eq!(
        store.channel_offset(&channel, &account).await.unwrap(),
        Some(2)
    );
    let texts: Vec<String> = store
        .inbound_not_dispatched(&channel, &account)
        .await
        .unwrap()
        .into_iter()
        .map(|message| message.record.text)
        .collect();
    assert_eq!(texts, ["a"], "nothing of the failed batch was stored");
}

#[tokio::test]
async fn messages_move_through_their_states_once() {
    let (_dir, store) = temp_store().await;
    let (channel, account) = telegram();
    let InboundOutcome::Recorded(id) = store
        .record_inbound(&inbound("telegram", "1", "a"))
        .await
        .unwrap()
    else {
        panic!("new message");
    };
    store
        .mark_inbound_dispatched(id, "run-1", 2_000)
        .await
        .unwrap();
    assert_eq!(
        store
            .inbound_not_dispatched(&channel, &account)
            .await
            .unwrap(),
        []
    );
    let error = store
        .mark_inbound_dispatched(id, "run-2", 2_100)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StoreError::WrongState { found, .. } if found == "dispatched"),
        "{error:?}"
    );

    store
        .mark_inbound_done(id, InboundEnd::Answered, 3_000)
        .await
        .unwrap();
    let stored = store.inbound_message(id).await.unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.run_id.as_deref(), stored.updated_ms),
        (InboundState::Answered, Some("run-1"), 3_000)
    );
    let error = store
        .mark_inbound_done(id, InboundEnd::Failed, 3_100)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::WrongState { .. }), "{error:?}");
    assert_eq!(
        store
            .record_inbound(&inbound("telegram", "1", "a"))
            .await
            .unwrap(),
        InboundOutcome::Duplicate {
            id,
            state: InboundState::Answered
        }
    );

    // A message can end without a run (refused, or answered by the router itself).
    let InboundOutcome::Recorded(refused) = store
        .record_inbound(&inbound("telegram", "2", "b"))
        .await
        .unwrap()
    else {
        panic!("new message");
    };
    store
        .mark_inbound_done(refused, InboundEnd::Failed, 3_000)
        .await
        .unwrap();
}

#[tokio::test]
async fn messages_whose_run_a_crash_cut_off_are_reported() {
    let (_dir, store) = temp_store().await;
    let mut ids = Vec::new();
    for (n, run) in ["dead-run", "live-run", "done-run", "unrecorded-run"]
        .iter()
        .enumerate()
    {
        let InboundOutcome::Recorded(id) = store
            .record_inbound(&inbound("telegram", &n.to_string(), run))
            .await
            .unwrap()
        else {
            panic!("new message");
        };
        store.mark_inbound_dispatched(id, run, 1_000).await.unwrap();
        ids.push(id);
    }
    store.record_run_accepted("dead-run", "agent:main:main", "1:1", 1_000);
    store.record_run_accepted("live-run", "agent:main:main", "2:2", 1_000);
    store.record_run_ended(
        "done-run",
        "agent:main:main",
        "1:1",
        RunState::Done,
        None,
        Some("hi"),
        1_500,
    );
    // Before the sweep, the dead process's run still looks in flight.
    let before: Vec<_> = store
        .interrupted_inbound(2_000)
        .await
        .unwrap()
        .into_iter()
        .map(|message| message.id)
        .collect();
    assert_eq!(before, [ids[3]], "only the run the ledger never saw");

    store
        .interrupt_orphaned_runs(|owner| owner == "2:2", "crash", 2_000)
        .await
        .unwrap();
    let interrupted: Vec<_> = store
        .interrupted_inbound(2_000)
        .await
        .unwrap()
        .into_iter()
        .map(|message| message.record.text)
        .collect();
    assert_eq!(interrupted, ["dead-run", "unrecorded-run"]);

    // Once reported, they are done; a run the ledger forgot long ago is not reported.
    store
        .mark_inbound_done(ids[0], InboundEnd::Interrupted, 2_100)
        .await
        .unwrap();
    let later = 1_000 + rustyclaw_store::LEDGER_RETENTION_MS + 1;
    let interrupted: Vec<_> = store
        .interrupted_inbound(later)
        .await
        .unwrap()
        .into_iter()
        .map(|message| message.record.text)
        .collect();
    assert_eq!(interrupted, Vec::<String>::new());
}

#[tokio::test]
async fn ended_messages_are_pruned_after_the_retention_and_work_is_kept() {
    let (_dir, store) = temp_store().await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let InboundOutcome::Recorded(id) = store
            .record_inbound(&inbound("telegram", &n.to_string(), "x"))
            .await
            .unwrap()
        else {
            panic!("new message");
        };
        ids.push(id);
    }
    store
        .mark_inbound_done(ids[0], InboundEnd::Answered, 1_000)
        .await
        .unwrap();
    store
        .mark_inbound_done(ids[1], InboundEnd::Answered, 5_000)
        .await
        .unwrap();

    let pruned = store
        .prune_inbound(1_001 + INBOUND_RETENTION_MS)
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(store.inbound_message(ids[0]).await.unwrap(), None);
    assert!(store.inbound_message(ids[1]).await.unwrap().is_some());
    let far_future = 10 * INBOUND_RETENTION_MS;
    assert_eq!(store.prune_inbound(far_future).await.unwrap(), 1);
    assert_eq!(
        store.inbound_message(ids[2]).await.unwrap().unwrap().state,
        InboundState::Received,
        "a message never dispatched is never pruned"
    );
}
