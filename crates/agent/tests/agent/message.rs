//! The `message` tool in a run: offered when the host provides chat channels, acting in the
//! conversation the turn answers, and refusing what a channel cannot do.
//!
//! The channels are a recording double of the tools' own `Messenger` trait: the real messenger
//! is the host's, tested end to end against real chat servers; here the subject is the runtime
//! (the turn's origin reaching the tool, the receipt reaching the model).

use std::sync::{Arc, Mutex};

use pretty_assertions::assert_eq;
use rustyclaw_agent::{
    AccountId, ChannelId, Chat, ChatId, EventKind, Inbound, MessageId, MessageOrigin, Op, PeerId,
    ReplyPayload, RunStatus, Sender,
};
use rustyclaw_protocol::SessionKey;
use rustyclaw_protocol::session_entry::{ChatType, ThreadId};
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use rustyclaw_tools::Messenger;
use rustyclaw_tools::messenger::{
    ChannelSupport, Conversation, DeleteRequest, EditRequest, MessageAction, MessengerFuture,
    ReactRequest, SendReceipt, SendRequest,
};
use serde_json::{Value, json};

use super::harness::Harness;

/// Telegram (every action) and IRC (send only); records what it is asked to do.
#[derive(Default)]
struct Channels {
    sent: Mutex<Vec<SendRequest>>,
    other: Mutex<Vec<String>>,
}

impl Channels {
    fn sent(&self) -> Vec<SendRequest> {
        self.sent.lock().unwrap().clone()
    }

    fn other(&self) -> Vec<String> {
        self.other.lock().unwrap().clone()
    }

    fn record(&self, what: String) -> MessengerFuture<'_, ()> {
        self.other.lock().unwrap().push(what);
        Box::pin(async { Ok(()) })
    }
}

impl Messenger for Channels {
    fn channels(&self) -> Vec<ChannelSupport> {
        vec![
            ChannelSupport {
                channel: ChannelId::new("telegram"),
                actions: MessageAction::ALL.to_vec(),
            },
            ChannelSupport {
                channel: ChannelId::new("irc"),
                actions: vec![MessageAction::Send],
            },
        ]
    }

    fn send(&self, request: SendRequest) -> MessengerFuture<'_, SendReceipt> {
        let receipt = SendReceipt {
            chat: ChatId::new("-100"),
            message_ids: vec![MessageId::new("4242")],
        };
        self.sent.lock().unwrap().push(request);
        Box::pin(async move { Ok(receipt) })
    }

    fn react(&self, request: ReactRequest) -> MessengerFuture<'_, ()> {
        self.record(format!("react {request:?}"))
    }

    fn edit(&self, request: EditRequest) -> MessengerFuture<'_, ()> {
        self.record(format!("edit {request:?}"))
    }

    fn delete(&self, request: DeleteRequest) -> MessengerFuture<'_, ()> {
        self.record(format!("delete {request:?}"))
    }
}

/// rustyclaw's default profile is `coding`, which leaves messaging out as upstream's does;
/// upstream's documented remedy adds the tool.
fn allow_message() -> Value {
    json!({"tools": {"alsoAllow": ["message"]}})
}

fn telegram_key() -> SessionKey {
    SessionKey::parse("agent:main:telegram:group:-100:topic:5").unwrap()
}

/// A message in topic 5 of a Telegram group, received by account `bot1`.
fn from_telegram(text: &str) -> Inbound {
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
        message_id: Some(MessageId::new("777")),
        reply_to_id: None,
    };
    inbound
}

/// What the model was told about each tool call, from the last request.
fn tool_texts(fake: &FakeLlm) -> Vec<String> {
    let last = fake.requests().last().unwrap().body.clone().unwrap();
    last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| match &m["content"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

fn finished(events: &[EventKind]) -> Vec<(String, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            EventKind::ToolFinished { name, is_error, .. } => Some((name.clone(), *is_error)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_model_posts_into_the_chat_it_answers_and_reads_the_receipt() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_m",
        "message",
        json!({"action": "send", "message": "Build passed ✅"}),
    )]));
    fake.push(Turn::text("NO_REPLY"));
    let channels = Arc::new(Channels::default());
    let mut h = Harness::start_with_messenger(&fake, allow_message(), channels.clone()).await;
    let inbound = from_telegram("tell the group when the build passes");
    let run_id = inbound.run_id.clone();
    h.runtime.submit(Op::Message(inbound)).unwrap();
    let (outcome, events) = h.wait(&run_id).await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);

    // Offered with the actions the channels have.
    let first = fake.requests()[0].body.clone().unwrap();
    let message = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["function"]["name"] == "message")
        .expect("message offered");
    assert_eq!(
        message["function"]["description"],
        "Send/manage channel messages. Supports actions: delete, edit, react, send."
    );
    assert_eq!(
        message["function"]["parameters"]["properties"]["action"]["enum"],
        json!(["delete", "edit", "react", "send"])
    );

    // The turn's conversation: its channel, account, chat and topic.
    assert_eq!(
        channels.sent(),
        [SendRequest {
            to: Conversation {
                channel: ChannelId::new("telegram"),
                account: Some(AccountId::new("bot1")),
                chat: ChatId::new("telegram:-100"),
                thread: Some(ThreadId::Number(5)),
            },
            payload: ReplyPayload::text("Build passed ✅".into(), None),
        }]
    );
    assert_eq!(finished(&events), [("message".to_owned(), false)]);
    let receipt: Value = serde_json::from_str(&tool_texts(&fake)[0]).unwrap();
    assert_eq!(
        receipt,
        json!({"ok": true, "channel": "telegram", "chatId": "-100", "messageId": "4242"})
    );
    // The model answered NO_REPLY: nothing more for the channel to deliver.
    assert_eq!(outcome.payloads, []);
    fake.assert_no_violations().unwrap();
    fake.assert_script_consumed().unwrap();
}

#[tokio::test]
async fn an_action_the_channel_cannot_do_is_an_error_the_model_sees() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::tool_calls([
        ToolCall::new(
            "call_edit",
            "message",
            json!({"action": "edit", "channel": "irc", "target": "#ops", "messageId": "1", "message": "fixed"}),
        ),
        ToolCall::new(
            "call_poll",
            "message",
            json!({"action": "poll", "pollQuestion": "Lunch?", "pollOption": ["Pizza", "Sushi"]}),
        ),
    ]));
    fake.push(Turn::text(
        "IRC cannot edit messages, and polls are not available.",
    ));
    let channels = Arc::new(Channels::default());
    let mut h = Harness::start_with_messenger(&fake, allow_message(), channels.clone()).await;
    let inbound = from_telegram("fix the last IRC message and start a lunch poll");
    let run_id = inbound.run_id.clone();
    h.runtime.submit(Op::Message(inbound)).unwrap();
    let (outcome, events) = h.wait(&run_id).await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);

    assert_eq!(
        finished(&events),
        [("message".to_owned(), true), ("message".to_owned(), true)]
    );
    assert_eq!(
        tool_texts(&fake),
        [
            "Message action edit not supported for channel irc. Supported there: send.",
            "Message action poll not supported for channel telegram. Supported there: delete, edit, react, send.",
        ]
    );
    assert!(channels.sent().is_empty());
    assert!(channels.other().is_empty(), "{:?}", channels.other());
    fake.assert_no_violations().unwrap();
}

#[tokio::test]
async fn there_is_no_message_tool_without_channels_or_outside_its_profiles() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("Hi."));
    fake.push(Turn::text("Hi again."));
    // Every tool allowed, but no channels.
    let mut plain = Harness::start_with(&fake, json!({"tools": {"profile": "full"}})).await;
    plain.send("hi").await;
    // Channels, but the default profile (`coding`) leaves messaging out, as upstream's does.
    let mut coding =
        Harness::start_with_messenger(&fake, json!({}), Arc::new(Channels::default())).await;
    coding.send("hi").await;
    for request in fake.requests() {
        let tools = request.tool_names();
        assert!(!tools.contains(&"message"), "{tools:?}");
        assert!(tools.contains(&"read"), "{tools:?}");
    }
}
