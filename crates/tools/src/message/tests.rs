//! The `message` tool's arguments, defaults and errors, against a messenger that records what it
//! is asked (the real one is the host's, tested there against real chat servers).

use std::sync::{Arc, Mutex};

use pretty_assertions::assert_eq;
use rustyclaw_config::ToolsConfig;
use rustyclaw_protocol::origin::{AccountId, ChannelId, Chat, ChatId, MessageId, MessageOrigin};
use rustyclaw_protocol::reply::{MediaRef, ReplyPayload};
use rustyclaw_protocol::session_entry::{ChatType, ThreadId};
use rustyclaw_protocol::{AgentId, SessionKey};
use rustyclaw_sandbox::{Sandbox, SandboxSetup};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::MessageTool;
use crate::context::{SessionSandbox, SessionStatus, ToolContext};
use crate::messenger::{
    ChannelSupport, Conversation, DeleteRequest, EditRequest, MessageAction, Messenger,
    MessengerError, MessengerFuture, ReactRequest, Reaction, SendReceipt, SendRequest,
};
use crate::registry::{Shadowing, ToolRegistry};
use crate::services::ToolServices;
use crate::tool::{DynTool, ToolError, ToolOutput};

#[derive(Debug, Clone, PartialEq)]
enum Call {
    Send(SendRequest),
    React(ReactRequest),
    Edit(EditRequest),
    Delete(DeleteRequest),
}

/// Records every request; answers with `failure` when set.
struct Recorder {
    channels: Vec<ChannelSupport>,
    calls: Mutex<Vec<Call>>,
    failure: Option<MessengerError>,
}

impl Recorder {
    fn new(channels: Vec<ChannelSupport>) -> Arc<Self> {
        Arc::new(Recorder {
            channels,
            calls: Mutex::default(),
            failure: None,
        })
    }

    fn failing(channels: Vec<ChannelSupport>, failure: MessengerError) -> Arc<Self> {
        Arc::new(Recorder {
            channels,
            calls: Mutex::default(),
            failure: Some(failure),
        })
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn answer<T: Send + 'static>(&self, call: Call, ok: T) -> MessengerFuture<'_, T> {
        self.calls.lock().unwrap().push(call);
        let result = match &self.failure {
            Some(failure) => Err(failure.clone()),
            None => Ok(ok),
        };
        Box::pin(async move { result })
    }
}

impl Messenger for Recorder {
    fn channels(&self) -> Vec<ChannelSupport> {
        self.channels.clone()
    }

    fn send(&self, request: SendRequest) -> MessengerFuture<'_, SendReceipt> {
        let receipt = SendReceipt {
            chat: request.to.chat.clone(),
            message_ids: vec![MessageId::new("900"), MessageId::new("901")],
        };
        self.answer(Call::Send(request), receipt)
    }

    fn react(&self, request: ReactRequest) -> MessengerFuture<'_, ()> {
        self.answer(Call::React(request), ())
    }

    fn edit(&self, request: EditRequest) -> MessengerFuture<'_, ()> {
        self.answer(Call::Edit(request), ())
    }

    fn delete(&self, request: DeleteRequest) -> MessengerFuture<'_, ()> {
        self.answer(Call::Delete(request), ())
    }
}

fn telegram() -> ChannelSupport {
    ChannelSupport {
        channel: ChannelId::new("telegram"),
        actions: MessageAction::ALL.to_vec(),
    }
}

fn irc() -> ChannelSupport {
    ChannelSupport {
        channel: ChannelId::new("irc"),
        actions: vec![MessageAction::Send],
    }
}

/// A message in topic 5 of Telegram group -100, received by account `bot1`.
fn telegram_origin() -> MessageOrigin {
    MessageOrigin {
        channel: Some(ChannelId::new("telegram")),
        account_id: Some(AccountId::new("bot1")),
        chat: Some(Chat {
            kind: ChatType::Group,
            id: ChatId::new("-100"),
        }),
        thread_id: Some(ThreadId::Number(5)),
        sender: None,
        message_id: Some(MessageId::new("777")),
        reply_to_id: None,
    }
}

struct Fixture {
    _state: tempfile::TempDir,
    workspace: tempfile::TempDir,
    cx: ToolContext,
}

fn fixture(origin: MessageOrigin, key: &str) -> Fixture {
    let state = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let sandbox = Arc::new(Sandbox::new(SandboxSetup::for_host(
        None,
        state.path().to_path_buf(),
        None,
    )));
    let services = ToolServices::new(&ToolsConfig::default(), sandbox).unwrap();
    let cx = ToolContext {
        workspace: workspace.path().to_path_buf(),
        session_key: SessionKey::parse(key).unwrap(),
        sandbox: SessionSandbox::off(),
        agent_id: AgentId::main(),
        cancel: CancellationToken::new(),
        services: Arc::new(services),
        status: SessionStatus::default(),
        origin,
        skills: Default::default(),
    };
    Fixture {
        _state: state,
        workspace,
        cx,
    }
}

fn in_telegram_topic() -> Fixture {
    fixture(telegram_origin(), "agent:main:telegram:group:-100:topic:5")
}

async fn call(tool: &MessageTool, cx: &ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
    tool.call_json(args, cx).await
}

/// The model-visible text of a failed call.
async fn error(tool: &MessageTool, cx: &ToolContext, args: Value) -> String {
    match call(tool, cx, args).await {
        Ok(output) => panic!("expected an error, got {output:?}"),
        Err(error) => {
            assert!(!error.is_fatal(), "{error}");
            error.to_string()
        }
    }
}

fn text(output: &ToolOutput) -> &str {
    match &output.content[0] {
        rustyclaw_protocol::transcript::ContentBlock::Text(t) => &t.text,
        other => panic!("not text: {other:?}"),
    }
}

#[test]
fn the_schema_offers_what_the_running_channels_can_do() {
    let both = MessageTool::new(Recorder::new(vec![telegram(), irc()]));
    assert_eq!(
        both.description(),
        "Send/manage channel messages. Supports actions: delete, edit, react, send."
    );
    assert_eq!(
        both.parameters(),
        json!({
            "type": "object",
            "properties": {
                "action": {
                    "type": "string",
                    "enum": ["delete", "edit", "react", "send"],
                    "description": "Select one action. For action=\"send\", provide message or another send payload; fields for other actions do not count as send content."
                },
                "channel": { "type": "string" },
                "target": {
                    "type": "string",
                    "description": "Recipient/channel: E.164 for WhatsApp/Signal, Telegram chat id/@username, Discord/Slack/Mattermost <channelId|user:ID|channel:ID>, or iMessage handle/chat_id"
                },
                "accountId": { "type": "string" },
                "message": {
                    "type": "string",
                    "description": "Text for action=\"send\". A send needs message or another send payload such as media, attachments, or presentation."
                },
                "media": { "type": "string", "description": "Media URL/path." },
                "replyTo": { "type": "string" },
                "threadId": { "type": "string" },
                "messageId": {
                    "type": "string",
                    "description": "Target read/react/edit/delete/pin/unpin id; reactions default current inbound."
                },
                "emoji": {
                    "type": "string",
                    "description": "Unicode emoji; channels may also support custom emoji."
                },
                "remove": { "type": "boolean" }
            },
            "required": ["action"]
        })
    );

    let irc_only = MessageTool::new(Recorder::new(vec![irc()]));
    assert_eq!(
        irc_only.description(),
        "Send/manage channel messages. Supports actions: send."
    );
    let schema = irc_only.parameters();
    assert_eq!(schema["properties"]["action"]["enum"], json!(["send"]));
    assert!(schema["properties"].get("messageId").is_none());
    assert!(schema["properties"].get("emoji").is_none());
}

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

#[test]
fn the_tool_exists_only_with_a_messenger() {
    let state = tempfile::tempdir().unwrap();
    let sandbox = Arc::new(Sandbox::new(SandboxSetup::for_host(
        None,
        state.path().to_path_buf(),
        None,
    )));
    let config = ToolsConfig::default();
    let plain = ToolServices::new(&config, sandbox).unwrap();
    let mut registry = crate::builtin_registry(&config);
    crate::register_service_tools(&mut registry, &plain);
    assert!(!registry.contains("message"));

    let messenger: Arc<dyn Messenger> = Recorder::new(vec![telegram()]);
    let with = plain.with_messenger(Arc::clone(&messenger));
    crate::register_service_tools(&mut registry, &with);
    assert!(registry.contains("message"));
    assert_eq!(
        registry.origin("message"),
        Some(&crate::ToolOrigin::Builtin)
    );
    // A config change keeps the channels.
    let after = with.reconfigured(&config).unwrap();
    assert!(Arc::ptr_eq(after.messenger().unwrap(), &messenger));

    // A plugin that took the name keeps it.
    let mut taken = ToolRegistry::new();
    taken
        .register_dyn(
            "chat-plugin",
            Arc::new(MessageTool::new(Arc::clone(&messenger))) as Arc<dyn DynTool>,
            Shadowing::Refuse,
        )
        .unwrap();
    crate::register_service_tools(&mut taken, &after);
    assert!(matches!(
        taken.origin("message"),
        Some(crate::ToolOrigin::Plugin { .. })
    ));
}
