//! Answering received messages: the reply queued and the messages marked in one transaction,
//! and answers a crash left unstored found again with the run's reply.

use pretty_assertions::assert_eq;
use rustyclaw_protocol::origin::{AccountId, ChannelId, ChatId};
use rustyclaw_store::{
    DeliveryRecord, DeliveryTarget, InboundEnd, InboundOutcome, InboundState, RunState, Store,
};

use crate::support::{inbound, temp_store};

fn reply(text: &str) -> DeliveryRecord {
    DeliveryRecord {
        channel: ChannelId::new("telegram"),
        account: AccountId::new("default"),
        target: DeliveryTarget {
            chat: ChatId::new("42"),
            thread_id: None,
            reply_to_id: None,
        },
        text: text.to_owned(),
        fallback_text: None,
        media: Vec::new(),
        answers: None,
        created_ms: 1_000,
        expires_ms: 100_000,
    }
}

async fn recorded(store: &Store, id: &str) -> rustyclaw_store::InboundId {
    match store
        .record_inbound(&inbound("telegram", id, id))
        .await
        .unwrap()
    {
        InboundOutcome::Recorded(id) => id,
        other => panic!("not new: {other:?}"),
    }
}

#[tokio::test]
async fn an_answer_queues_the_reply_and_ends_every_message_it_answers() {
    let (_dir, store) = temp_store().await;
    let first = recorded(&store, "1").await;
    let second = recorded(&store, "2").await;
    store
        .mark_inbound_dispatched(first, "r1", 1_000)
        .await
        .unwrap();
    store
        .mark_inbound_dispatched(second, "r2", 1_000)
        .await
        .unwrap();

    let batch = store
        .inbound_dispatched_to(&["r2".into(), "r1".into(), "r9".into()])
        .await
        .unwrap();
    assert_eq!(
        batch.iter().map(|m| m.id).collect::<Vec<_>>(),
        [first, second],
        "every message of the batch, oldest first"
    );

    let ids = store
        .answer_inbound(
            &[first, second],
            &[reply("part 1"), reply("part 2")],
            InboundEnd::Answered,
            1_100,
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let due: Vec<String> = store
        .due_deliveries(1_100, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.record.text)
        .collect();
    assert_eq!(due, ["part 1"], "in order: the second waits for the first");
    for id in [first, second] {
        let message = store.inbound_message(id).await.unwrap().unwrap();
        assert_eq!(message.state, InboundState::Answered);
    }
    // Answering again changes no message (and is not an error).
    store
        .answer_inbound(&[first], &[], InboundEnd::Failed, 1_200)
        .await
        .unwrap();
    let message = store.inbound_message(first).await.unwrap().unwrap();
    assert_eq!(message.state, InboundState::Answered);
}

#[tokio::test]
async fn a_run_that_ended_without_a_stored_answer_is_found_with_its_reply() {
    let (_dir, store) = temp_store().await;
    let done = recorded(&store, "1").await;
    let running = recorded(&store, "2").await;
    let answered = recorded(&store, "3").await;
    for (id, run) in [
        (done, "r-done"),
        (running, "r-running"),
        (answered, "r-answered"),
    ] {
        store.mark_inbound_dispatched(id, run, 1_000).await.unwrap();
        store.record_run_accepted(run, "agent:main:main", "1:1", 1_000);
    }
    store.record_run_ended(
        "r-done",
        "agent:main:main",
        "1:1",
        RunState::Done,
        None,
        Some("the reply"),
        1_500,
    );
    store.record_run_ended(
        "r-answered",
        "agent:main:main",
        "1:1",
        RunState::Done,
        None,
        Some("sent already"),
        1_500,
    );
    store
        .answer_inbound(
            &[answered],
            &[reply("sent already")],
            InboundEnd::Answered,
            1_600,
        )
        .await
        .unwrap();

    let ended = store.inbound_of_ended_runs(2_000).await.unwrap();
    let found: Vec<_> = ended
        .iter()
        .map(|(message, run)| (message.id, run.state, run.reply.as_deref()))
        .collect();
    assert_eq!(found, [(done, RunState::Done, Some("the reply"))]);
}
