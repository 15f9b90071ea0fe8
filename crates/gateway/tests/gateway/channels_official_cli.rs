//! Conformance with OpenClaw's own CLI: the pinned official `openclaw` (installed by
//! `scripts/conformance-deps.sh`) runs `channels status` and `message send` against the gateway
//! with a scripted host, and what it prints is checked.

use std::sync::Arc;
use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_gateway::channels::{ChannelControl, SendRequest};
use rustyclaw_protocol::origin::{ChannelId, ChatId, MessageId};
use rustyclaw_protocol::reply::MediaRef;
use rustyclaw_protocol::session_entry::ThreadId;
use rustyclaw_testkit::bin::Output;
use rustyclaw_testkit::conformance::OfficialCli;
use serde_json::{Value, json};

use super::fake_channels::{FakeChannels, receipt, running_account, telegram};
use super::harness::{Gateway, TOKEN};

/// Runs the official CLI against `gateway`; the run must succeed.
async fn openclaw(cli: &OfficialCli, gateway: &Gateway, args: &[&str]) -> String {
    let url = gateway.url();
    let env = [
        ("OPENCLAW_GATEWAY_URL", url.as_str()),
        ("OPENCLAW_GATEWAY_TOKEN", TOKEN),
    ];
    let out: Output = cli.run(args, &env, Duration::from_secs(60)).await.unwrap();
    let stdout = out.stdout_str().into_owned();
    assert!(
        out.status.success(),
        "openclaw {}: {stdout}\n{}",
        args.join(" "),
        out.stderr_str()
    );
    stdout
}

fn parse(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test]
async fn the_official_cli_reads_channel_status_and_sends_messages() {
    let cli = OfficialCli::from_env().unwrap();
    let fake = FakeChannels::with(vec![telegram(vec![running_account("default")])]);
    let control: Arc<dyn ChannelControl> = fake.clone();
    let gateway = Gateway::start_with(|options| options.channels = Some(control)).await;

    let status = parse(&openclaw(&cli, &gateway, &["channels", "status", "--json"]).await);
    assert_eq!(status["channelOrder"], json!(["telegram"]));
    assert_eq!(status["channelLabels"]["telegram"], "Telegram");
    assert_eq!(status["channelDefaultAccountId"]["telegram"], "default");
    let account = &status["channelAccounts"]["telegram"][0];
    assert_eq!(account["accountId"], "default");
    assert_eq!(account["running"], true);
    assert_eq!(account["connected"], true);
    assert_eq!(account["mode"], "polling");
    assert_eq!(status["statusIssues"], json!([]));

    // The text view: one line per account, the probe's verdict at its end.
    let text = openclaw(&cli, &gateway, &["channels", "status", "--probe"]).await;
    assert!(text.contains("Gateway reachable."), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("- Telegram default: "))
        .unwrap_or_else(|| panic!("no account line: {text}"));
    for bit in [
        "enabled, configured, running, connected",
        "mode:polling",
        "bot:@rusty_bot",
        "works",
    ] {
        assert!(line.contains(bit), "{bit} missing from {line}");
    }
    assert!(!text.contains("Warnings:"), "{text}");

    let sent = parse(
        &openclaw(
            &cli,
            &gateway,
            &[
                "message",
                "send",
                "--channel",
                "telegram",
                "--target",
                "123",
                "--message",
                "hi",
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(sent["action"], "send");
    assert_eq!(sent["channel"], "telegram");
    assert_eq!(sent["messageId"], "1001");
    assert_eq!(sent["payload"]["ok"], true);
    assert_eq!(sent["payload"]["chatId"], "123");

    fake.script_send(Ok(receipt("123", &["41", "42"])));
    let text = openclaw(
        &cli,
        &gateway,
        &[
            "message",
            "send",
            "--channel",
            "telegram",
            "--target",
            "123",
            "--message",
            "with *everything*",
            "--reply-to",
            "5",
            "--thread-id",
            "77",
            "--media",
            "https://example.com/a.png",
            "--media",
            "/tmp/b.png",
            "--silent",
        ],
    )
    .await;
    assert!(
        text.contains("✅ Sent via telegram. Message ID: 42"),
        "{text}"
    );

    let expected = |text: &str, media, reply_to: Option<&str>, thread, silent| SendRequest {
        channel: ChannelId::new("telegram"),
        account: None,
        to: ChatId::new("123"),
        text: text.to_owned(),
        media,
        reply_to: reply_to.map(MessageId::new),
        thread,
        silent,
    };
    assert_eq!(
        *fake.sends.lock().unwrap(),
        vec![
            expected("hi", Vec::new(), None, None, false),
            expected(
                "with *everything*",
                vec![
                    MediaRef::Url("https://example.com/a.png".into()),
                    MediaRef::Path("/tmp/b.png".into()),
                ],
                Some("5"),
                Some(ThreadId::Number(77)),
                true,
            ),
        ]
    );
}
