//! A message's origin through the runtime: recorded on the session as its delivery route, and
//! handed back with the outcome so the reply finds its chat.

use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_agent::{
    AccountId, ChannelId, Chat, ChatId, Inbound, MessageId, MessageOrigin, Op, PeerId,
    ReplyPayload, RunStatus, Sender,
};
use rustyclaw_protocol::SessionKey;
use rustyclaw_protocol::session_entry::{ChatType, DeliveryContext, ThreadId};
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};

use super::harness::Harness;

fn telegram_key() -> SessionKey {
    SessionKey::parse("agent:main:telegram:group:-100").unwrap()
}

/// A message in a Telegram forum topic, as an adapter would describe it.
fn from_telegram(text: &str, message_id: &str) -> Inbound {
    let mut inbound = Harness::inbound(&telegram_key(), text);
    inbound.origin = MessageOrigin {
        channel: Some(ChannelId::new("telegram")),
        account_id: Some(AccountId::new("bot1")),
        chat: Some(Chat {
            kind: ChatType::Group,
            id: ChatId::new("telegram:-100"),
        }),
        thread_id: Some(ThreadId::Number(5)),
        sender: Some(Sender {
            id: PeerId::new("42"),
            name: Some("Ada".into()),
        }),
        message_id: Some(MessageId::new(message_id)),
        reply_to_id: None,
    };
    inbound
}

#[tokio::test]
async fn a_telegram_message_is_answered_in_its_chat_and_becomes_the_sessions_route() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("Hi Ada."));
    fake.push(Turn::text("Hello from the UI."));
    let mut h = Harness::start(&fake).await;
    let inbound = from_telegram("hello", "777");
    let origin = inbound.origin.clone();
    let run_id = inbound.run_id.clone();
    h.runtime.submit(Op::Message(inbound)).unwrap();
    let (outcome, _) = h.wait(&run_id).await;

    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    assert_eq!(outcome.origin, origin);
    assert_eq!(
        outcome.payloads,
        [ReplyPayload::text(
            "Hi Ada.".into(),
            Some(MessageId::new("777"))
        )]
    );
    let route = DeliveryContext {
        channel: Some("telegram".into()),
        to: Some("telegram:-100".into()),
        account_id: Some("bot1".into()),
        thread_id: Some(ThreadId::Number(5)),
        ..DeliveryContext::default()
    };
    let entry = h.store.get_session(&telegram_key()).await.unwrap().unwrap();
    assert_eq!(entry.delivery_context.as_ref(), Some(&route));
    assert_eq!(entry.last_channel.as_deref(), Some("telegram"));
    assert_eq!(entry.last_to.as_deref(), Some("telegram:-100"));
    assert_eq!(entry.last_account_id.as_deref(), Some("bot1"));
    assert_eq!(entry.last_thread_id, Some(ThreadId::Number(5)));
    assert_eq!(entry.channel.as_deref(), Some("telegram"));
    assert_eq!(entry.chat_type, Some(ChatType::Group));
    let stored_origin = entry.origin.unwrap();
    assert_eq!(stored_origin.provider.as_deref(), Some("telegram"));
    assert_eq!(stored_origin.from.as_deref(), Some("42"));

    // The Control UI chatting in the same session neither takes the route nor gets a reply-to.
    let mut webchat = Harness::inbound(&telegram_key(), "and you?");
    webchat.origin = MessageOrigin::from_channel(ChannelId::new("webchat"));
    let run_id = webchat.run_id.clone();
    h.runtime.submit(Op::Message(webchat)).unwrap();
    let (outcome, _) = h.wait(&run_id).await;
    assert_eq!(outcome.payloads[0].reply_to_id, None);
    let entry = h.store.get_session(&telegram_key()).await.unwrap().unwrap();
    assert_eq!(entry.delivery_context, Some(route));
    assert_eq!(entry.last_channel.as_deref(), Some("telegram"));
}

#[tokio::test]
async fn a_collected_batch_is_answered_to_its_last_message() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text_deltas(["slow ", "reply"]).chunk_delay(Duration::from_millis(300)));
    fake.push(Turn::text("Got both."));
    let mut h = Harness::start(&fake).await;
    let first = from_telegram("first", "1");
    let second = from_telegram("second", "2");
    let mut third = from_telegram("third", "3");
    third.origin.chat = Some(Chat {
        kind: ChatType::Group,
        id: ChatId::new("telegram:-200"),
    });
    let (r1, r2, r3) = (
        first.run_id.clone(),
        second.run_id.clone(),
        third.run_id.clone(),
    );
    h.runtime.submit(Op::Message(first)).unwrap();
    fake.wait_for_requests(1, Duration::from_secs(5))
        .await
        .unwrap();
    h.runtime.submit(Op::Message(second)).unwrap();
    h.runtime.submit(Op::Message(third)).unwrap();
    let (o1, _) = h.wait(&r1).await;
    assert_eq!(o1.payloads[0].reply_to_id, Some(MessageId::new("1")));
    for run in [r2, r3] {
        let (outcome, _) = h.wait(&run).await;
        assert_eq!(outcome.reply_text().as_deref(), Some("Got both."));
        assert_eq!(outcome.origin.message_id, Some(MessageId::new("3")));
        assert_eq!(outcome.payloads[0].reply_to_id, Some(MessageId::new("3")));
    }
    let entry = h.store.get_session(&telegram_key()).await.unwrap().unwrap();
    assert_eq!(entry.last_to.as_deref(), Some("telegram:-200"));
}
