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

mod actions;
mod routing;
