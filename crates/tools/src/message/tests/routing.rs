//! Where a send goes: the current chat, its topic, or the chat the model names.

use pretty_assertions::assert_eq;

use super::*;

#[tokio::test]
async fn a_send_without_target_goes_to_the_current_chat_and_topic() {
    let f = in_telegram_topic();
    let messenger = Recorder::new(vec![telegram(), irc()]);
    let tool = MessageTool::new(messenger.clone());
    let output = call(&tool, &f.cx, json!({"action": "send", "message": "Done!"}))
        .await
        .unwrap();
    assert_eq!(
        messenger.calls(),
        [Call::Send(SendRequest {
            to: Conversation {
                channel: ChannelId::new("telegram"),
                account: Some(AccountId::new("bot1")),
                chat: ChatId::new("-100"),
                thread: Some(ThreadId::Number(5)),
            },
            payload: ReplyPayload::text("Done!".into(), None),
        })]
    );
    let receipt = json!({
        "ok": true,
        "channel": "telegram",
        "chatId": "-100",
        "messageId": "901",
        "messageIds": ["900", "901"],
    });
    assert_eq!(output.details, Some(receipt.clone()));
    assert_eq!(
        text(&output),
        serde_json::to_string_pretty(&receipt).unwrap()
    );
    assert_eq!(output.provenance, crate::Provenance::Trusted);
}

#[tokio::test]
async fn an_explicit_chat_leaves_the_topic_and_another_channel_the_account() {
    let f = in_telegram_topic();
    let messenger = Recorder::new(vec![telegram(), irc()]);
    let tool = MessageTool::new(messenger.clone());
    // Numeric ids are accepted as models send them.
    call(
        &tool,
        &f.cx,
        json!({"action": "send", "target": -200, "message": "hi", "replyTo": 12}),
    )
    .await
    .unwrap();
    call(
        &tool,
        &f.cx,
        json!({"action": "send", "channel": "IRC", "to": "#ops", "message": "deployed", "threadId": null}),
    )
    .await
    .unwrap();
    call(
        &tool,
        &f.cx,
        json!({"action": "send", "target": "-100", "threadId": "9", "accountId": "bot2", "message": "x"}),
    )
    .await
    .unwrap();
    let to: Vec<(Conversation, Option<MessageId>)> = messenger
        .calls()
        .into_iter()
        .map(|c| match c {
            Call::Send(s) => (s.to, s.payload.reply_to_id),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        to,
        [
            (
                Conversation {
                    channel: ChannelId::new("telegram"),
                    account: Some(AccountId::new("bot1")),
                    chat: ChatId::new("-200"),
                    thread: None,
                },
                Some(MessageId::new("12"))
            ),
            (
                Conversation {
                    channel: ChannelId::new("irc"),
                    account: None,
                    chat: ChatId::new("#ops"),
                    thread: None,
                },
                None
            ),
            (
                Conversation {
                    channel: ChannelId::new("telegram"),
                    account: Some(AccountId::new("bot2")),
                    chat: ChatId::new("-100"),
                    thread: Some(ThreadId::Number(9)),
                },
                None
            ),
        ]
    );
}

#[tokio::test]
async fn the_web_ui_on_a_channel_session_sends_to_the_chat_its_key_names() {
    let f = fixture(
        MessageOrigin::from_channel(ChannelId::new("webchat")),
        "agent:main:telegram:group:-100:topic:5",
    );
    let messenger = Recorder::new(vec![telegram()]);
    let tool = MessageTool::new(messenger.clone());
    call(
        &tool,
        &f.cx,
        json!({"action": "send", "message": "from the UI"}),
    )
    .await
    .unwrap();
    let Call::Send(sent) = &messenger.calls()[0] else {
        panic!()
    };
    assert_eq!(
        sent.to,
        Conversation {
            channel: ChannelId::new("telegram"),
            account: None,
            chat: ChatId::new("-100"),
            thread: Some(ThreadId::Number(5)),
        }
    );
}

#[tokio::test]
async fn without_a_chat_the_model_must_name_channel_and_target() {
    let f = fixture(
        MessageOrigin::from_channel(ChannelId::new("cli")),
        "agent:main:main",
    );
    let both = MessageTool::new(Recorder::new(vec![telegram(), irc()]));
    assert_eq!(
        error(
            &both,
            &f.cx,
            json!({"action": "send", "target": "42", "message": "hi"})
        )
        .await,
        "Channel is required when multiple channels are configured: telegram, irc. Pass channel to choose one."
    );
    let one = Recorder::new(vec![telegram()]);
    let tool = MessageTool::new(one.clone());
    assert_eq!(
        error(&tool, &f.cx, json!({"action": "send", "message": "hi"})).await,
        "Action send requires a target. This turn has no chat on telegram to default to: give target (a chat id or name on telegram)."
    );
    // The only channel is the default one.
    call(
        &tool,
        &f.cx,
        json!({"action": "send", "target": "42", "message": "hi"}),
    )
    .await
    .unwrap();
    assert_eq!(one.calls().len(), 1);
    let none = MessageTool::new(Recorder::new(Vec::new()));
    assert_eq!(
        error(
            &none,
            &f.cx,
            json!({"action": "send", "target": "42", "message": "hi"})
        )
        .await,
        "Channel is required (no configured channels detected)."
    );
    assert_eq!(
        error(
            &both,
            &f.cx,
            json!({"action": "send", "channel": "discord", "target": "42", "message": "hi"})
        )
        .await,
        "Channel is unavailable: discord. Available channels: telegram, irc."
    );
}
