//! The chat channel methods (`channels.status`, `channels.logout`, `send`, `message.action`,
//! and the channels of `health`) against a scripted host: the shapes OpenClaw's clients read,
//! the requests the host gets, failures mapped to upstream's errors, and the scopes.

use std::sync::Arc;
use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_gateway::channels::{
    AccountState, ActionRequest, ChannelControl, ChannelControlError, IssueKind, MessageAction,
    Probe, SendRequest, StatusIssue, StatusRequest,
};
use rustyclaw_protocol::origin::{AccountId, ChannelId, ChatId, MessageId};
use rustyclaw_protocol::reply::MediaRef;
use rustyclaw_protocol::session_entry::ThreadId;
use serde_json::{Value, json};

use super::fake_channels::{FakeChannels, irc, receipt, running_account, telegram};
use super::harness::{Client, Gateway, TOKEN, connect_params};

async fn start(fake: &Arc<FakeChannels>) -> Gateway {
    let control: Arc<dyn ChannelControl> = fake.clone();
    Gateway::start_with(|options| options.channels = Some(control)).await
}

async fn connect_with(gateway: &Gateway, scopes: &[&str]) -> Client {
    let mut client = Client::open(gateway).await;
    let response = client
        .request("connect", connect_params(TOKEN, scopes))
        .await;
    assert_eq!(response["ok"], true, "{response}");
    client
}

/// Telegram with a running default account and a disabled `work` account; IRC configured but
/// not running, with a problem the host reports.
fn two_channels() -> Arc<FakeChannels> {
    let mut work = running_account("work");
    work.name = Some("Work bot".into());
    work.enabled = false;
    work.state = AccountState::Stopped;
    let mut irc_default = running_account("default");
    irc_default.state = AccountState::Stopped;
    irc_default.mode = Some("irc".into());
    irc_default.identity = None;
    irc_default.credential_source = None;
    irc_default.last_error = Some("nick in use".into());
    irc_default.issues = vec![StatusIssue {
        kind: IssueKind::Config,
        message: "channels.irc.nickserv.passwordFile cannot be read".into(),
        fix: Some("check the file".into()),
    }];
    FakeChannels::with(vec![
        telegram(vec![running_account("default"), work]),
        irc(vec![irc_default]),
    ])
}

fn error_of(response: &Value) -> (&str, &str) {
    assert_eq!(response["ok"], false, "{response}");
    (
        response["error"]["code"].as_str().unwrap(),
        response["error"]["message"].as_str().unwrap(),
    )
}

#[tokio::test]
async fn status_reports_every_account_as_openclaw_does() {
    let fake = two_channels();
    let gateway = start(&fake).await;
    let (mut client, _) = Client::connect(&gateway).await;
    // The harness validates every answer against upstream's schema.
    let response = client.request("channels.status", json!({})).await;
    let status = &response["payload"];
    assert_eq!(status["channelOrder"], json!(["telegram", "irc"]));
    assert_eq!(
        status["channelLabels"],
        json!({"telegram": "Telegram", "irc": "IRC"})
    );
    assert_eq!(
        status["channelDetailLabels"],
        json!({"telegram": "Telegram Bot", "irc": "IRC"})
    );
    assert_eq!(
        status["channelMeta"][0],
        json!({"id": "telegram", "label": "Telegram", "detailLabel": "Telegram Bot",
               "systemImage": "paperplane"})
    );
    assert_eq!(
        status["channelDefaultAccountId"],
        json!({"telegram": "default", "irc": "default"})
    );
    let telegram = status["channelAccounts"]["telegram"].as_array().unwrap();
    assert_eq!(telegram.len(), 2);
    let default = &telegram[0];
    for (key, value) in [
        ("accountId", json!("default")),
        ("enabled", json!(true)),
        ("configured", json!(true)),
        ("running", json!(true)),
        ("connected", json!(true)),
        ("mode", json!("polling")),
        ("identity", json!("@rusty_bot")),
        ("tokenSource", json!("config")),
        ("lastError", Value::Null),
        ("lastStopAt", Value::Null),
        ("lastOutboundAt", Value::Null),
        ("reconnectAttempts", json!(0)),
    ] {
        assert_eq!(default[key], value, "{key} in {default}");
    }
    assert!(default["lastInboundAt"].is_u64(), "{default}");
    assert!(default["lastTransportActivityAt"].is_u64(), "{default}");
    assert!(default.get("healthState").is_none(), "healthy: {default}");
    assert!(default.get("probe").is_none(), "no probe asked: {default}");
    let work = &telegram[1];
    assert_eq!(work["name"], "Work bot");
    assert_eq!(work["enabled"], false);
    assert_eq!(work["running"], false);
    assert_eq!(work["stateReason"], "disabled");
    assert!(work.get("connected").is_none(), "{work}");

    let irc = &status["channelAccounts"]["irc"][0];
    assert_eq!(irc["running"], false);
    assert_eq!(irc["healthState"], "not-running");
    assert_eq!(irc["lastError"], "nick in use");
    assert_eq!(
        status["channels"]["telegram"],
        json!({"configured": true, "running": true, "lastStartAt": default["lastStartAt"],
               "lastStopAt": null, "lastError": null, "lastProbeAt": null,
               "mode": "polling", "tokenSource": "config"})
    );
    assert_eq!(
        status["statusIssues"],
        json!([
            {"channel": "irc", "accountId": "default", "kind": "config",
             "message": "channels.irc.nickserv.passwordFile cannot be read",
             "fix": "check the file"},
            {"channel": "irc", "accountId": "default", "kind": "runtime",
             "message": "Channel is enabled and configured, but its runtime is not running.",
             "fix": "restart the channel or gateway"},
        ])
    );
    assert!(status.get("partial").is_none(), "{status}");
    // The connect snapshot's health asked too, the same way.
    assert_eq!(
        fake.status_requests.lock().unwrap().last(),
        Some(&StatusRequest {
            channel: None,
            probe: None
        })
    );
}

#[tokio::test]
async fn a_probe_is_asked_of_the_host_within_the_time_allowed() {
    let fake = two_channels();
    {
        let mut channels = fake.channels.lock().unwrap();
        channels[1].accounts[0].probe = Some(Probe::Failed {
            error: "connection refused".into(),
            elapsed: Duration::from_millis(3),
        });
        channels[1].accounts[0].last_error = None;
        let mut slow = running_account("slow");
        slow.probe = Some(Probe::TimedOut {
            after: Duration::from_secs(5),
        });
        channels[0].accounts.push(slow);
    }
    let gateway = start(&fake).await;
    let (mut client, _) = Client::connect(&gateway).await;
    let response = client
        .request("channels.status", json!({"probe": true, "timeoutMs": 5000}))
        .await;
    let status = &response["payload"];
    assert_eq!(
        fake.status_requests.lock().unwrap().last().unwrap().probe,
        Some(Duration::from_secs(5))
    );
    let default = &status["channelAccounts"]["telegram"][0];
    assert_eq!(
        default["probe"],
        json!({"ok": true, "elapsedMs": 42, "bot": {"username": "rusty_bot"}})
    );
    assert!(default["lastProbeAt"].is_u64(), "{default}");
    assert_eq!(status["channels"]["telegram"]["probe"], default["probe"]);
    let irc = &status["channelAccounts"]["irc"][0];
    assert_eq!(
        irc["probe"],
        json!({"ok": false, "error": "connection refused", "elapsedMs": 3})
    );
    assert_eq!(irc["lastError"], "connection refused");
    let slow = &status["channelAccounts"]["telegram"][2];
    assert_eq!(slow["probe"]["timedOut"], true);
    assert_eq!(status["partial"], true);
    assert_eq!(
        status["warnings"],
        json!(["telegram:slow probe timed out after 5000ms"])
    );

    // Upstream's bounds: at least a second, at most thirty; thirty when probing without one.
    client
        .request("channels.status", json!({"probe": true, "timeoutMs": 10}))
        .await;
    client
        .request("channels.status", json!({"probe": true}))
        .await;
    let requests = fake.status_requests.lock().unwrap();
    let asked: Vec<Option<Duration>> = requests.iter().rev().take(2).map(|r| r.probe).collect();
    assert_eq!(
        asked,
        vec![Some(Duration::from_secs(30)), Some(Duration::from_secs(1))]
    );
}

#[tokio::test]
async fn a_channel_filter_reaches_the_host_and_bad_params_name_the_field() {
    let fake = two_channels();
    let gateway = start(&fake).await;
    let (mut client, _) = Client::connect(&gateway).await;
    let response = client
        .request("channels.status", json!({"channel": " Telegram "}))
        .await;
    assert_eq!(response["payload"]["channelOrder"], json!(["telegram"]));
    assert_eq!(
        fake.status_requests.lock().unwrap().last().unwrap().channel,
        Some(ChannelId::new("telegram"))
    );
    let configured_elsewhere = client
        .request("channels.status", json!({"channel": "discord"}))
        .await;
    assert_eq!(configured_elsewhere["payload"]["channelOrder"], json!([]));

    let unknown = client
        .request("channels.status", json!({"channel": "nope"}))
        .await;
    assert_eq!(
        error_of(&unknown),
        ("INVALID_REQUEST", "unknown channel: nope")
    );
    let bad = client
        .request("channels.status", json!({"probe": "yes"}))
        .await;
    assert_eq!(
        error_of(&bad),
        (
            "INVALID_REQUEST",
            "invalid channels.status params: at /probe: must be boolean"
        )
    );
    let extra = client
        .request("channels.status", json!({"deep": true}))
        .await;
    assert_eq!(
        error_of(&extra),
        (
            "INVALID_REQUEST",
            "invalid channels.status params: at root: unexpected property 'deep'"
        )
    );
}

#[tokio::test]
async fn without_channels_lists_are_empty_and_sends_are_refused() {
    let gateway = Gateway::start().await;
    let (mut client, hello) = Client::connect(&gateway).await;
    assert_eq!(hello["snapshot"]["health"]["channels"], json!({}));
    let status = client
        .request("channels.status", json!({"probe": true}))
        .await;
    let status = &status["payload"];
    assert_eq!(status["channelOrder"], json!([]));
    assert_eq!(status["channelAccounts"], json!({}));
    assert_eq!(status["channels"], json!({}));
    assert_eq!(status["statusIssues"], json!([]));

    let named = client
        .request(
            "send",
            json!({"to": "123", "message": "hi", "channel": "telegram", "idempotencyKey": "k1"}),
        )
        .await;
    let (code, message) = error_of(&named);
    assert_eq!(code, "INVALID_REQUEST");
    assert!(
        message.starts_with("no channel telegram: no chat channel is configured"),
        "{message}"
    );
    let unnamed = client
        .request(
            "send",
            json!({"to": "123", "message": "hi", "idempotencyKey": "k2"}),
        )
        .await;
    let (_, message) = error_of(&unnamed);
    assert!(
        message.starts_with("Channel is required (no configured channels detected)."),
        "{message}"
    );
    let action = client
        .request(
            "message.action",
            json!({"channel": "telegram", "action": "react", "idempotencyKey": "k3",
                   "params": {"target": "123", "messageId": "5", "emoji": "👍"}}),
        )
        .await;
    assert!(error_of(&action).1.starts_with("no channel telegram"));
    let logout = client
        .request("channels.logout", json!({"channel": "telegram"}))
        .await;
    assert!(error_of(&logout).1.starts_with("no channel telegram"));
}

#[tokio::test]
async fn send_goes_through_the_host_and_answers_with_the_platform_ids() {
    let fake = two_channels();
    fake.script_send(Ok(receipt("-100777", &["41", "42"])));
    let gateway = start(&fake).await;
    let (mut client, _) = Client::connect(&gateway).await;
    let params = json!({
        "to": "Telegram:@mychat", "message": "hello *there*", "channel": "Telegram",
        "accountId": "work", "mediaUrls": ["https://example.com/a.png", "/tmp/b.pdf"],
        "replyToId": "17", "threadId": "9", "silent": true, "idempotencyKey": "send-1"
    });
    let sent = client.request("send", params.clone()).await;
    assert_eq!(
        sent["payload"],
        json!({"runId": "send-1", "messageId": "42", "channel": "telegram",
               "chatId": "-100777"})
    );
    assert_eq!(
        *fake.sends.lock().unwrap(),
        vec![SendRequest {
            channel: ChannelId::new("telegram"),
            account: Some(AccountId::new("work")),
            to: ChatId::new("@mychat"),
            text: "hello *there*".into(),
            media: vec![
                MediaRef::Url("https://example.com/a.png".into()),
                MediaRef::Path("/tmp/b.pdf".into()),
            ],
            reply_to: Some(MessageId::new("17")),
            thread: Some(ThreadId::Number(9)),
            silent: true,
        }]
    );
    // The same key within the idempotency window answers the same, without sending again.
    let again = client.request("send", params).await;
    assert_eq!(again["payload"], sent["payload"]);
    assert_eq!(fake.sends.lock().unwrap().len(), 1);

    // No channel named: the only configured one (IRC's account is configured too, so two).
    let unnamed = client
        .request(
            "send",
            json!({"to": "1", "message": "x", "idempotencyKey": "send-2"}),
        )
        .await;
    assert_eq!(
        error_of(&unnamed),
        (
            "INVALID_REQUEST",
            "Channel is required when multiple channels are configured: telegram, irc. Pass \
             --channel <channel> to choose one."
        )
    );
    fake.channels.lock().unwrap().truncate(1);
    let picked = client
        .request(
            "send",
            json!({"to": "1", "message": "x", "idempotencyKey": "send-3"}),
        )
        .await;
    assert_eq!(picked["payload"]["channel"], "telegram", "{picked}");
    assert_eq!(picked["payload"]["messageId"], "1001");
}

#[tokio::test]
async fn send_failures_map_to_upstream_errors() {
    let fake = two_channels();
    let gateway = start(&fake).await;
    let (mut client, _) = Client::connect(&gateway).await;
    let send = |key: &str| json!({"to": "123", "message": "hi", "channel": "telegram", "idempotencyKey": key});

    fake.script_send(Err(ChannelControlError::RetryAfter {
        wait: Duration::from_secs(7),
        message: "Too Many Requests: retry after 7".into(),
    }));
    let limited = client.request("send", send("f1")).await;
    assert_eq!(
        limited["error"],
        json!({"code": "UNAVAILABLE", "message": "Too Many Requests: retry after 7",
               "retryable": true, "retryAfterMs": 7000})
    );
    // A failed send may be tried again with the same key.
    let retried = client.request("send", send("f1")).await;
    assert_eq!(retried["ok"], true, "{retried}");

    fake.script_send(Err(ChannelControlError::Permanent {
        message: "Forbidden: bot was blocked by the user".into(),
    }));
    let blocked = client.request("send", send("f2")).await;
    assert_eq!(
        blocked["error"],
        json!({"code": "UNAVAILABLE", "message": "Forbidden: bot was blocked by the user",
               "retryable": false})
    );
    fake.script_send(Err(ChannelControlError::NotReady {
        channel: ChannelId::new("telegram"),
        account: AccountId::new("default"),
        reason: "not running".into(),
    }));
    let not_ready = client.request("send", send("f3")).await;
    assert_eq!(
        error_of(&not_ready),
        (
            "UNAVAILABLE",
            "telegram account default is not available: not running"
        )
    );
    fake.script_send(Err(ChannelControlError::UnknownChannel {
        channel: ChannelId::new("matrix"),
    }));
    let unknown = client
        .request(
            "send",
            json!({"to": "1", "message": "x", "channel": "matrix", "idempotencyKey": "f4"}),
        )
        .await;
    assert_eq!(
        error_of(&unknown),
        ("INVALID_REQUEST", "unsupported channel: matrix")
    );
    fake.script_send(Err(ChannelControlError::UnknownAccount {
        channel: ChannelId::new("telegram"),
        account: AccountId::new("nobody"),
    }));
    let account = client.request("send", send("f5")).await;
    assert_eq!(
        error_of(&account),
        ("INVALID_REQUEST", "unknown telegram account: nobody")
    );

    let sends_before = fake.sends.lock().unwrap().len();
    for (params, expected) in [
        (
            json!({"message": "hi", "idempotencyKey": "v1"}),
            "invalid send params: must have required property 'to'",
        ),
        (
            json!({"to": "1", "idempotencyKey": "v2", "channel": "telegram"}),
            "invalid send params: text or media is required",
        ),
        (
            json!({"to": "1", "message": "hi"}),
            "invalid send params: must have required property 'idempotencyKey'",
        ),
        (
            json!({"to": "1", "message": "hi", "idempotencyKey": "v3", "mediaUrls": "a"}),
            "invalid send params: at /mediaUrls: must be array",
        ),
        (
            json!({"to": "1", "message": "hi", "idempotencyKey": "v4", "channel": "webchat"}),
            "unsupported channel: webchat (internal-only). Use `chat.send` for WebChat UI \
             messages or choose a deliverable channel.",
        ),
        (
            json!({"to": "1", "message": "hi", "idempotencyKey": "v5", "gifPlayback": true}),
            "invalid send params: gifPlayback is not supported by this gateway",
        ),
    ] {
        let response = client.request("send", params).await;
        assert_eq!(error_of(&response), ("INVALID_REQUEST", expected));
    }
    assert_eq!(fake.sends.lock().unwrap().len(), sends_before);
}

#[tokio::test]
async fn message_actions_send_react_edit_and_delete() {
    let fake = two_channels();
    let gateway = start(&fake).await;
    let (mut client, _) = Client::connect(&gateway).await;
    let action = |action: &str, params: Value, key: &str| json!({"channel": "telegram", "action": action, "params": params, "idempotencyKey": key});

    fake.script_send(Ok(receipt("123", &["7", "8"])));
    let sent = client
        .request(
            "message.action",
            action(
                "send",
                json!({"target": "123", "message": "hi", "media": ["/tmp/x.png"],
                       "replyTo": "3", "threadId": "topic-a"}),
                "a1",
            ),
        )
        .await;
    let payload = &sent["payload"];
    assert_eq!(payload["ok"], true, "{sent}");
    assert_eq!(payload["messageId"], "8");
    assert_eq!(payload["chatId"], "123");
    assert_eq!(payload["receipt"]["platformMessageIds"], json!(["7", "8"]));
    assert_eq!(payload["receipt"]["primaryPlatformMessageId"], "7");
    assert_eq!(payload["receipt"]["threadId"], "topic-a");
    assert_eq!(payload["receipt"]["replyToId"], "3");
    let request = fake.sends.lock().unwrap()[0].clone();
    assert_eq!(request.to, ChatId::new("123"));
    assert_eq!(request.media, vec![MediaRef::Path("/tmp/x.png".into())]);
    assert_eq!(request.thread, Some(ThreadId::Text("topic-a".into())));
    assert_eq!(request.reply_to, Some(MessageId::new("3")));

    let reacted = client
        .request(
            "message.action",
            action(
                "react",
                json!({"target": "123", "messageId": "8", "emoji": "👍"}),
                "a2",
            ),
        )
        .await;
    assert_eq!(reacted["payload"], json!({"ok": true, "added": "👍"}));
    let removed = client
        .request(
            "message.action",
            action(
                "react",
                json!({"target": "123", "messageId": 8, "emoji": "👍", "remove": true}),
                "a3",
            ),
        )
        .await;
    assert_eq!(removed["payload"], json!({"ok": true, "removed": true}));
    let cleared = client
        .request(
            "message.action",
            action(
                "react",
                json!({"target": "123", "messageId": "8", "emoji": ""}),
                "a3b",
            ),
        )
        .await;
    assert_eq!(cleared["payload"], json!({"ok": true, "removed": true}));
    let edited = client
        .request(
            "message.action",
            action(
                "edit",
                json!({"target": "123", "messageId": "8", "message": "hey"}),
                "a4",
            ),
        )
        .await;
    assert_eq!(
        edited["payload"],
        json!({"ok": true, "messageId": "8", "chatId": "123"})
    );
    let deleted = client
        .request(
            "message.action",
            json!({"channel": "telegram", "action": "delete", "accountId": "work",
                   "params": {"target": "123", "messageId": "8"}, "idempotencyKey": "a5"}),
        )
        .await;
    assert_eq!(deleted["payload"], json!({"ok": true, "deleted": true}));
    let chat = ChatId::new("123");
    let message = MessageId::new("8");
    let telegram = ChannelId::new("telegram");
    let expected = |account: Option<&str>, action| ActionRequest {
        channel: telegram.clone(),
        account: account.map(AccountId::new),
        chat: chat.clone(),
        message: message.clone(),
        action,
    };
    assert_eq!(
        *fake.actions.lock().unwrap(),
        vec![
            expected(
                None,
                MessageAction::React {
                    emoji: "👍".into()
                }
            ),
            expected(
                None,
                MessageAction::RemoveReaction {
                    emoji: "👍".into()
                }
            ),
            expected(None, MessageAction::ClearReactions),
            expected(None, MessageAction::Edit { text: "hey".into() }),
            expected(Some("work"), MessageAction::Delete),
        ]
    );

    fake.script_action(Err(ChannelControlError::Unsupported {
        channel: ChannelId::new("irc"),
        operation: "react".into(),
    }));
    let irc = client
        .request(
            "message.action",
            json!({"channel": "irc", "action": "react", "idempotencyKey": "a6",
                   "params": {"target": "#ops", "messageId": "1", "emoji": "x"}}),
        )
        .await;
    assert_eq!(
        error_of(&irc),
        (
            "INVALID_REQUEST",
            "Message action react not supported for channel irc."
        )
    );
    let pin = client
        .request(
            "message.action",
            action("pin", json!({"target": "123", "messageId": "8"}), "a7"),
        )
        .await;
    assert_eq!(
        error_of(&pin),
        (
            "INVALID_REQUEST",
            "Message action pin not supported for channel telegram."
        )
    );
    let conflict = client
        .request(
            "message.action",
            json!({"channel": "telegram", "action": "delete", "accountId": "a",
                   "params": {"target": "1", "messageId": "2", "accountId": "b"},
                   "idempotencyKey": "a8"}),
        )
        .await;
    assert_eq!(
        error_of(&conflict),
        (
            "INVALID_REQUEST",
            "message.action accountId does not match params.accountId"
        )
    );
    let no_params = client
        .request(
            "message.action",
            json!({"channel": "telegram", "action": "delete", "idempotencyKey": "a9"}),
        )
        .await;
    assert_eq!(
        error_of(&no_params),
        (
            "INVALID_REQUEST",
            "invalid message.action params: must have required property 'params'"
        )
    );
}

#[tokio::test]
async fn logout_goes_through_the_host() {
    let fake = two_channels();
    let gateway = start(&fake).await;
    let (mut client, _) = Client::connect(&gateway).await;
    let done = client
        .request(
            "channels.logout",
            json!({"channel": "telegram", "accountId": ""}),
        )
        .await;
    assert_eq!(
        done["payload"],
        json!({"channel": "telegram", "accountId": "default", "cleared": true,
               "loggedOut": true, "envToken": false})
    );
    let unsupported = client
        .request(
            "channels.logout",
            json!({"channel": "irc", "accountId": "default"}),
        )
        .await;
    assert_eq!(
        error_of(&unsupported),
        ("INVALID_REQUEST", "channel irc does not support logout")
    );
    let missing = client.request("channels.logout", json!({})).await;
    assert_eq!(
        error_of(&missing),
        (
            "INVALID_REQUEST",
            "invalid channels.logout params: must have required property 'channel'"
        )
    );
    assert_eq!(
        *fake.logouts.lock().unwrap(),
        vec![
            (ChannelId::new("telegram"), None),
            (ChannelId::new("irc"), Some(AccountId::new("default"))),
        ]
    );
}

#[tokio::test]
async fn each_method_needs_its_scope() {
    let fake = two_channels();
    let gateway = start(&fake).await;
    let mut reader = connect_with(&gateway, &["operator.read"]).await;
    let status = reader.request("channels.status", json!({})).await;
    assert_eq!(status["ok"], true);
    let send = json!({"to": "1", "message": "x", "channel": "telegram", "idempotencyKey": "s"});
    for (method, params, scope) in [
        ("send", send.clone(), "operator.write"),
        (
            "message.action",
            json!({"channel": "telegram", "action": "delete", "idempotencyKey": "d",
                   "params": {"target": "1", "messageId": "2"}}),
            "operator.write",
        ),
        (
            "channels.logout",
            json!({"channel": "telegram"}),
            "operator.admin",
        ),
    ] {
        let denied = reader.request(method, params).await;
        assert_eq!(
            error_of(&denied),
            ("FORBIDDEN", format!("missing scope: {scope}").as_str()),
            "{method}"
        );
    }
    let mut writer = connect_with(&gateway, &["operator.write"]).await;
    assert_eq!(writer.request("send", send).await["ok"], true);
    let denied = writer
        .request("channels.logout", json!({"channel": "telegram"}))
        .await;
    assert_eq!(error_of(&denied).0, "FORBIDDEN");
    assert!(fake.logouts.lock().unwrap().is_empty());
    assert_eq!(fake.sends.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn health_carries_the_channels() {
    let fake = two_channels();
    let gateway = start(&fake).await;
    let (mut client, hello) = Client::connect(&gateway).await;
    assert_eq!(
        hello["snapshot"]["health"]["channelOrder"],
        json!(["telegram", "irc"])
    );
    let health = client.request("health", json!({})).await;
    let health = &health["payload"];
    assert_eq!(health["channelOrder"], json!(["telegram", "irc"]));
    assert_eq!(
        health["channelLabels"],
        json!({"telegram": "Telegram", "irc": "IRC"})
    );
    let telegram = &health["channels"]["telegram"];
    assert_eq!(telegram["accountId"], "default");
    assert_eq!(telegram["running"], true);
    assert_eq!(
        telegram["accounts"]["work"]["stateReason"], "disabled",
        "{telegram}"
    );
    assert!(telegram.get("probe").is_none());

    let probed = client.request("health", json!({"probe": true})).await;
    assert_eq!(
        probed["payload"]["channels"]["telegram"]["probe"]["bot"]["username"],
        "rusty_bot"
    );
    // Without admin, a successful probe's details are left out.
    let mut reader = connect_with(&gateway, &["operator.read"]).await;
    let probed = reader.request("health", json!({"probe": true})).await;
    assert!(
        probed["payload"]["channels"]["telegram"]
            .get("probe")
            .is_none(),
        "{probed}"
    );
}
