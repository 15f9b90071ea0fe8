//! Arguments, media, message actions and channel failures.

use pretty_assertions::assert_eq;

use super::*;

#[tokio::test]
async fn arguments_are_checked_before_anything_is_sent() {
    let f = in_telegram_topic();
    let messenger = Recorder::new(vec![telegram(), irc()]);
    let tool = MessageTool::new(messenger.clone());
    let cases = [
        (
            json!({"message": "hi"}),
            "invalid arguments for message: missing field `action`",
        ),
        (
            json!({"action": 3}),
            "invalid arguments for message: action: invalid type: integer `3`, expected a string",
        ),
        (
            json!({"action": "frobnicate"}),
            "invalid arguments for message: action: unknown action \"frobnicate\"; use one of delete, edit, react, send",
        ),
        (
            json!({"action": "send"}),
            "invalid arguments for message: send requires message or media",
        ),
        (
            json!({"action": "send", "message": "   "}),
            "invalid arguments for message: send requires message or media",
        ),
        (
            json!({"action": "send", "message": "hi", "buttons": []}),
            "invalid arguments for message: buttons is not a parameter of this tool (it takes action, channel, target, accountId, message, media, replyTo, threadId, messageId, emoji, remove)",
        ),
        (
            json!({"action": "send", "message": "hi", "messageId": "5"}),
            "invalid arguments for message: messageId is for react, edit and delete; to answer a message with send, use replyTo",
        ),
        (
            json!({"action": "send", "message": "hi", "target": "1", "to": "2"}),
            "invalid arguments for message: target \"1\" and to \"2\" name different chats; give target only",
        ),
        (
            json!({"action": "send", "message": "hi", "target": 1.5}),
            "invalid arguments for message: target: invalid type: floating point `1.5`, expected a string or an integer id",
        ),
        (
            json!({"action": "send", "message": "hi", "remove": "yes"}),
            "invalid arguments for message: remove: invalid type: string \"yes\", expected a boolean",
        ),
        (
            json!({"action": "react", "messageId": "5"}),
            "invalid arguments for message: emoji required for action react (\"\" removes the bot's reactions)",
        ),
        (
            json!({"action": "react", "emoji": "", "remove": true}),
            "invalid arguments for message: emoji required to remove a reaction",
        ),
        (
            json!({"action": "edit", "message": "new"}),
            "invalid arguments for message: messageId required for action edit",
        ),
        (
            json!({"action": "edit", "messageId": "5"}),
            "invalid arguments for message: message required for action edit (the new text)",
        ),
        (
            json!({"action": "edit", "messageId": "5", "message": "x", "media": "https://x/y.png"}),
            "invalid arguments for message: media cannot be edited; edit changes a message's text (send a new message for media)",
        ),
        (
            json!({"action": "delete"}),
            "invalid arguments for message: messageId required for action delete",
        ),
        (
            json!({"action": "send", "media": "data:image/png;base64,AAAA"}),
            "invalid arguments for message: media: data: URLs are not supported; write the file into the workspace and give its path",
        ),
        (
            json!({"action": "send", "media": "ftp://host/file"}),
            "invalid arguments for message: media: give an http(s) URL or the path of a file in the workspace",
        ),
        (
            json!({"action": "send", "media": "/etc/hostname"}),
            "invalid arguments for message: media: path '/etc/hostname' is outside the workspace",
        ),
        (
            json!({"action": "send", "media": "missing.png"}),
            "invalid arguments for message: media: cannot read 'missing.png': No such file or directory (os error 2)",
        ),
    ];
    for (args, expected) in cases {
        let got = error(&tool, &f.cx, args.clone()).await;
        let got = got
            .split(&format!(" {}", f.workspace.path().display()))
            .next()
            .unwrap_or(&got);
        assert_eq!(got, expected, "{args}");
    }
    assert_eq!(messenger.calls(), [], "nothing was sent");
}

#[tokio::test]
async fn media_is_a_url_or_a_workspace_file() {
    let f = in_telegram_topic();
    std::fs::create_dir(f.workspace.path().join("out")).unwrap();
    std::fs::write(f.workspace.path().join("out/chart.png"), b"png").unwrap();
    let messenger = Recorder::new(vec![telegram()]);
    let tool = MessageTool::new(messenger.clone());
    call(
        &tool,
        &f.cx,
        json!({"action": "send", "media": "out/chart.png", "message": "Chart"}),
    )
    .await
    .unwrap();
    call(
        &tool,
        &f.cx,
        json!({"action": "send", "media": "https://example.com/a.jpg"}),
    )
    .await
    .unwrap();
    let payloads: Vec<ReplyPayload> = messenger
        .calls()
        .into_iter()
        .map(|c| match c {
            Call::Send(s) => s.payload,
            other => panic!("{other:?}"),
        })
        .collect();
    let file = f
        .workspace
        .path()
        .canonicalize()
        .unwrap()
        .join("out/chart.png");
    assert_eq!(
        payloads,
        [
            ReplyPayload {
                text: "Chart".into(),
                media: vec![MediaRef::Path(file)],
                reply_to_id: None,
            },
            ReplyPayload {
                text: String::new(),
                media: vec![MediaRef::Url("https://example.com/a.jpg".into())],
                reply_to_id: None,
            },
        ]
    );
}

#[tokio::test]
async fn react_edit_and_delete_address_a_message() {
    let f = in_telegram_topic();
    let messenger = Recorder::new(vec![telegram()]);
    let tool = MessageTool::new(messenger.clone());
    let results = [
        json!({"action": "react", "emoji": "👍"}),
        json!({"action": "react", "emoji": "👍", "remove": true, "message_id": 778}),
        json!({"action": "react", "emoji": ""}),
        json!({"action": "edit", "messageId": "901", "message": "Fixed typo"}),
        json!({"action": "delete", "messageId": "901", "target": "-100"}),
    ];
    let mut answers = Vec::new();
    for args in results {
        answers.push(call(&tool, &f.cx, args).await.unwrap().details.unwrap());
    }
    assert_eq!(
        answers,
        [
            json!({"ok": true, "added": "👍"}),
            json!({"ok": true, "removed": true}),
            json!({"ok": true, "removed": true}),
            json!({"ok": true, "messageId": "901", "chatId": "-100"}),
            json!({"ok": true, "deleted": true}),
        ]
    );
    let here = Conversation {
        channel: ChannelId::new("telegram"),
        account: Some(AccountId::new("bot1")),
        chat: ChatId::new("-100"),
        thread: None,
    };
    assert_eq!(
        messenger.calls(),
        [
            // Without messageId, the reaction goes on the message being answered.
            Call::React(ReactRequest {
                conversation: here.clone(),
                message_id: MessageId::new("777"),
                reaction: Reaction::Add("👍".into()),
            }),
            Call::React(ReactRequest {
                conversation: here.clone(),
                message_id: MessageId::new("778"),
                reaction: Reaction::Remove("👍".into()),
            }),
            Call::React(ReactRequest {
                conversation: here.clone(),
                message_id: MessageId::new("777"),
                reaction: Reaction::ClearOwn,
            }),
            Call::Edit(EditRequest {
                conversation: here.clone(),
                message_id: MessageId::new("901"),
                text: "Fixed typo".into(),
            }),
            Call::Delete(DeleteRequest {
                conversation: here,
                message_id: MessageId::new("901"),
            }),
        ]
    );
    // In another chat there is no current message to react to.
    assert_eq!(
        error(
            &tool,
            &f.cx,
            json!({"action": "react", "emoji": "👍", "target": "-200"})
        )
        .await,
        "invalid arguments for message: messageId required for action react (there is no current message in that chat to default to)"
    );
}

#[tokio::test]
async fn an_action_the_channel_lacks_is_refused_not_pretended() {
    let f = fixture(
        MessageOrigin {
            channel: Some(ChannelId::new("irc")),
            chat: Some(Chat {
                kind: ChatType::Channel,
                id: ChatId::new("#ops"),
            }),
            ..MessageOrigin::default()
        },
        "agent:main:irc:channel:#ops",
    );
    let messenger = Recorder::new(vec![telegram(), irc()]);
    let tool = MessageTool::new(messenger.clone());
    assert_eq!(
        error(
            &tool,
            &f.cx,
            json!({"action": "edit", "messageId": "1", "message": "x"})
        )
        .await,
        "Message action edit not supported for channel irc. Supported there: send."
    );
    assert_eq!(
        error(
            &tool,
            &f.cx,
            json!({"action": "react", "messageId": "1", "emoji": "👍"})
        )
        .await,
        "Message action react not supported for channel irc. Supported there: send."
    );
    // Upstream actions rustyclaw's channels do not have at all.
    assert_eq!(
        error(
            &tool,
            &f.cx,
            json!({"action": "poll", "pollQuestion": "Lunch?"})
        )
        .await,
        "Message action poll not supported for channel irc. Supported there: send."
    );
    assert_eq!(
        error(
            &tool,
            &f.cx,
            json!({"action": "pin", "channel": "telegram", "messageId": "1"})
        )
        .await,
        "Message action pin not supported for channel telegram. Supported there: delete, edit, react, send."
    );
    let nowhere = fixture(MessageOrigin::default(), "agent:main:main");
    assert_eq!(
        error(&tool, &nowhere.cx, json!({"action": "kick"})).await,
        "Message action kick is not supported here; this tool does delete, edit, react, send."
    );
    assert_eq!(messenger.calls(), []);
}

#[tokio::test]
async fn a_channel_failure_reaches_the_model_with_what_was_delivered() {
    let f = in_telegram_topic();
    let tool = MessageTool::new(Recorder::failing(
        vec![telegram()],
        MessengerError::PartiallySent {
            channel: ChannelId::new("telegram"),
            sent: vec![MessageId::new("900")],
            reason: "429 Too Many Requests".into(),
        },
    ));
    match call(
        &tool,
        &f.cx,
        json!({"action": "send", "message": "long text"}),
    )
    .await
    {
        Err(ToolError::Failed {
            message, details, ..
        }) => {
            assert_eq!(
                message,
                "telegram delivered 1 message(s) before failing: 429 Too Many Requests"
            );
            assert_eq!(
                details,
                Some(json!({"ok": false, "channel": "telegram", "messageIds": ["900"]}))
            );
        }
        other => panic!("{other:?}"),
    }
    let tool = MessageTool::new(Recorder::failing(
        vec![telegram()],
        MessengerError::Rejected {
            channel: ChannelId::new("telegram"),
            reason: "Bad Request: message to edit not found".into(),
        },
    ));
    assert_eq!(
        error(
            &tool,
            &f.cx,
            json!({"action": "edit", "messageId": "5", "message": "x"})
        )
        .await,
        "telegram refused the request: Bad Request: message to edit not found"
    );
}
