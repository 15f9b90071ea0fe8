use pretty_assertions::assert_eq;
use rustyclaw_protocol::origin::MessageId;

use super::*;
use crate::irc::Prefix;

fn incoming(target: MessageTarget, text: &str) -> IncomingMessage {
    IncomingMessage {
        from: Prefix::parse("Alice!~alice@192.0.2.7"),
        target,
        text: text.to_owned(),
        is_action: false,
        is_notice: false,
    }
}

fn receive(incoming: &IncomingMessage) -> Option<ReceivedMessage> {
    received_message(incoming, "claw", 1_700_000_000_000, || {
        MessageId::new("m-1")
    })
}

#[test]
fn a_direct_message_is_a_chat_with_the_sender() {
    let got = receive(&incoming(MessageTarget::Direct, "hello there")).unwrap();
    assert_eq!(
        got,
        ReceivedMessage {
            message_id: MessageId::new("m-1"),
            chat: Chat {
                kind: ChatType::Direct,
                id: ChatId::new("Alice"),
            },
            thread_id: None,
            sender: Some(Sender {
                id: PeerId::new("Alice"),
                name: Some("Alice".to_owned()),
            }),
            sender_aliases: vec!["Alice!~alice@192.0.2.7".to_owned()],
            reply_to_id: None,
            text: "hello there".to_owned(),
            attachments: Vec::new(),
            mentions_bot: false,
            replies_to_bot: false,
            received_ms: 1_700_000_000_000,
        }
    );
}

#[test]
fn a_channel_message_is_a_group_chat_keeping_the_channel_spelling() {
    let got = receive(&incoming(
        MessageTarget::Channel("#RustyClaw".into()),
        "Claw: what time is it?",
    ))
    .unwrap();
    assert_eq!(
        got.chat,
        Chat {
            kind: ChatType::Group,
            id: ChatId::new("#RustyClaw"),
        }
    );
    // The address stays in the text, as OpenClaw keeps it.
    assert_eq!(got.text, "Claw: what time is it?");
    assert!(got.mentions_bot);
}

#[test]
fn notices_our_own_lines_and_blank_text_are_not_messages() {
    let mut notice = incoming(MessageTarget::Direct, "fyi");
    notice.is_notice = true;
    assert_eq!(receive(&notice), None);
    let mut own = incoming(MessageTarget::Channel("#room".into()), "echo");
    own.from = Prefix::parse("CLAW!~claw@host");
    assert_eq!(receive(&own), None);
    assert_eq!(receive(&incoming(MessageTarget::Direct, "  \t ")), None);
}

#[test]
fn an_action_reads_as_the_sender_doing_it() {
    let mut action = incoming(MessageTarget::Channel("#room".into()), "pokes claw");
    action.is_action = true;
    let got = receive(&action).unwrap();
    assert_eq!(got.text, "* Alice pokes claw");
    assert!(got.mentions_bot);
}

#[test]
fn mentions_are_whole_nicks_in_irc_case() {
    for text in [
        "claw: hi",
        "claw, hi",
        "hi claw",
        "thanks CLAW!",
        "(claw) look",
        "@claw yes",
        "claw's answer",
    ] {
        assert!(mentions_nick(text, "claw"), "{text:?}");
    }
    for text in [
        "clawbot: hi",
        "claw_ hi",
        "the claw-bot",
        "clawclaw",
        "cla w",
        "",
    ] {
        assert!(!mentions_nick(text, "claw"), "{text:?}");
    }
    // `{}|^` are the lower case of `[]\~`.
    assert!(mentions_nick("ping Claw{1}", "claw[1]"));
    assert!(!mentions_nick("anything", ""));
}

/// A journal that answers the first `failures` stores with `Failed`, then `Stored`; returns
/// how many stores it saw once the sink closes.
fn journal(
    mut batches: tokio::sync::mpsc::Receiver<(
        InboundBatch,
        tokio::sync::oneshot::Sender<StoreOutcome>,
    )>,
    failures: usize,
) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut seen = 0;
        while let Some((batch, outcome)) = batches.recv().await {
            assert_eq!((batch.messages.len(), batch.next_offset), (1, None));
            seen += 1;
            let answer = if seen > failures {
                StoreOutcome::Stored
            } else {
                StoreOutcome::Failed
            };
            outcome.send(answer).unwrap();
        }
        seen
    })
}

#[tokio::test(start_paused = true)]
async fn a_store_the_journal_fails_is_tried_again_then_given_up() {
    let message = receive(&incoming(MessageTarget::Direct, "hi")).unwrap();

    let (sink, batches) = InboundSink::new(1);
    let seen = journal(batches, 2);
    store(&sink, message.clone()).await.unwrap();
    drop(sink);
    assert_eq!(seen.await.unwrap(), 3);

    // A journal that keeps failing gets the first try and one per retry delay, no more.
    let (sink, batches) = InboundSink::new(1);
    let seen = journal(batches, usize::MAX);
    store(&sink, message.clone()).await.unwrap();
    drop(sink);
    assert_eq!(seen.await.unwrap(), STORE_RETRY_DELAYS.len() + 1);

    let (sink, batches) = InboundSink::new(1);
    drop(batches);
    assert_eq!(store(&sink, message).await, Err(SinkClosed));
}
