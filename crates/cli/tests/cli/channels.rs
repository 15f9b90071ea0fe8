//! `rustyclaw channels` and `rustyclaw message send`: accounts added, listed and removed in the
//! config file (comments kept, secrets never printed), and status, logout and send through a
//! running `rustyclaw gateway run`.

use pretty_assertions::assert_eq;
use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::FakeLlm;
use serde_json::{Value, json};

use super::onboard::jsonc as json5_of;
use super::{fake_llm_config, free_port, rc, start_gateway};

const TOKEN: &str = "123456:telegram-secret-canary";
const IRC_PASSWORD: &str = "irc-secret-canary";

async fn channels(dir: &TempStateDir, args: &[&str]) -> rustyclaw_testkit::bin::Output {
    rc(dir).arg("channels").args(args).run().await.unwrap()
}

fn json_of(out: &rustyclaw_testkit::bin::Output) -> Value {
    serde_json::from_str(&out.stdout_str()).unwrap_or_else(|e| panic!("{e}: {}", out.stdout_str()))
}

/// No output of `out` shows a secret.
fn assert_no_secret(out: &rustyclaw_testkit::bin::Output) {
    for secret in [TOKEN, IRC_PASSWORD] {
        assert!(
            !out.stdout_str().contains(secret) && !out.stderr_str().contains(secret),
            "{secret} printed:\n{}\n{}",
            out.stdout_str(),
            out.stderr_str()
        );
    }
}

#[tokio::test]
async fn accounts_are_added_listed_and_removed_in_the_config() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config("// mine\n{\n  gateway: { port: 18999 }, // keep\n}\n")
        .unwrap();
    let out = channels(&dir, &["list"]).await;
    assert!(out.success(), "{}", out.stderr_str());
    assert!(
        out.stdout_str()
            .contains("- no configured chat channels (run `rustyclaw channels add"),
        "{}",
        out.stdout_str()
    );

    let out = channels(
        &dir,
        &[
            "add",
            "--channel",
            "telegram",
            "--token",
            TOKEN,
            "--name",
            "Main bot",
        ],
    )
    .await;
    assert!(out.success(), "{}", out.stderr_str());
    assert!(
        out.stdout_str()
            .starts_with("Added telegram account default in "),
        "{}",
        out.stdout_str()
    );
    assert_no_secret(&out);
    let out = channels(
        &dir,
        &[
            "add",
            "irc",
            "--host",
            "irc.example.org",
            "--nick",
            "rusty",
            "--channels",
            "#ops, #dev",
            "--password",
            IRC_PASSWORD,
        ],
    )
    .await;
    assert!(out.success(), "{}", out.stderr_str());
    let out = channels(
        &dir,
        &[
            "add",
            "--channel",
            "telegram",
            "--account",
            "work",
            "--token",
            TOKEN,
        ],
    )
    .await;
    assert!(out.success(), "{}", out.stderr_str());
    let text = dir.read_config().unwrap();
    assert!(
        text.contains("// mine") && text.contains("// keep"),
        "{text}"
    );
    let written: Value = json5_of(&text);
    assert_eq!(
        written["channels"],
        json!({
            "telegram": {"botToken": TOKEN, "name": "Main bot",
                         "accounts": {"work": {"botToken": TOKEN}}},
            "irc": {"host": "irc.example.org", "nick": "rusty", "channels": ["#ops", "#dev"],
                    "password": IRC_PASSWORD},
        })
    );

    let out = channels(&dir, &["list"]).await;
    assert!(out.success(), "{}", out.stderr_str());
    assert_no_secret(&out);
    let listed = out.stdout_str();
    for line in [
        "Chat channels:",
        "- Telegram default (Main bot): configured, enabled, default, token=present",
        "- Telegram work (Main bot): configured, enabled, token=present",
        "- IRC default: configured, enabled, default, server=irc.example.org:6697 (tls), \
         nick=rusty, channels=#ops,#dev, password=present",
    ] {
        assert!(
            listed.lines().any(|l| l == line),
            "{line} missing:\n{listed}"
        );
    }
    let out = channels(&dir, &["list", "--json"]).await;
    assert_no_secret(&out);
    let listed = json_of(&out);
    assert_eq!(
        listed["chat"]["telegram"]["accounts"],
        json!(["default", "work"])
    );
    assert_eq!(listed["chat"]["telegram"]["label"], "Telegram");
    assert_eq!(listed["chat"]["telegram"]["defaultAccount"], "default");
    assert_eq!(listed["chat"]["irc"]["accounts"], json!(["default"]));

    // Disabling keeps the settings; --delete removes them.
    let out = channels(
        &dir,
        &["remove", "--channel", "telegram", "--account", "work"],
    )
    .await;
    assert!(out.success(), "{}", out.stderr_str());
    assert!(
        out.stdout_str()
            .starts_with("Disabled telegram account work")
    );
    let out = channels(&dir, &["list"]).await;
    assert!(
        out.stdout_str()
            .contains("- Telegram work (Main bot): configured, disabled, token=present"),
        "{}",
        out.stdout_str()
    );
    let out = channels(
        &dir,
        &[
            "remove",
            "--channel",
            "telegram",
            "--account",
            "work",
            "--delete",
        ],
    )
    .await;
    assert!(out.success(), "{}", out.stderr_str());
    let out = channels(&dir, &["remove", "irc", "--delete"]).await;
    assert!(out.success(), "{}", out.stderr_str());
    let written = json5_of(&dir.read_config().unwrap());
    assert_eq!(
        written["channels"],
        json!({"telegram": {"botToken": TOKEN, "name": "Main bot"}})
    );
    assert_eq!(written["gateway"]["port"], 18999);
}

#[tokio::test]
async fn add_and_remove_refuse_what_they_cannot_do() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config("{}").unwrap();
    for (args, message) in [
        (
            &["add", "--channel", "telegram"][..],
            "error: telegram needs a bot token",
        ),
        (
            &[
                "add",
                "--channel",
                "telegram",
                "--host",
                "x",
                "--token",
                TOKEN,
            ][..],
            "error: --host is not an option of telegram",
        ),
        (
            &["add", "--channel", "irc", "--host", "x"][..],
            "error: irc needs a server and a nick",
        ),
        (
            &["add", "--channel", "discord", "--token", TOKEN][..],
            "error: rustyclaw does not run a discord channel",
        ),
        (
            &[
                "add",
                "--channel",
                "telegram",
                "--account",
                " ",
                "--token",
                TOKEN,
            ][..],
            "error: --account must not be blank",
        ),
        (
            &["add", "--channel", "telegram", "--use-env"][..],
            "error: --use-env: TELEGRAM_BOT_TOKEN not set",
        ),
        (
            &["remove", "--channel", "telegram"][..],
            "error: no telegram account default in the config",
        ),
    ] {
        let out = channels(&dir, args).await;
        assert_eq!(out.code(), Some(2), "{args:?}: {}", out.stdout_str());
        assert!(
            out.stderr_str().starts_with(message),
            "{args:?}: {}",
            out.stderr_str()
        );
        assert_no_secret(&out);
    }
    assert_eq!(dir.read_config().unwrap(), "{}");

    // With the variable set, --use-env writes no credential: the environment provides it.
    let out = rc(&dir)
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .args(["channels", "add", "--channel", "telegram", "--use-env"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert_eq!(
        json5_of(&dir.read_config().unwrap())["channels"],
        json!({"telegram": {"enabled": true}})
    );
}

#[tokio::test]
async fn status_send_and_logout_go_through_the_running_gateway() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let gateway_token = "channels-gateway-token";
    dir.write_config(&fake_llm_config(&dir, &fake, gateway_token).to_string())
        .unwrap();
    let (_server, url) = start_gateway(&dir, &["--port", "0"]).await;
    let via = ["--url", url.as_str(), "--token", gateway_token];

    let out = rc(&dir)
        .args(["channels", "status"])
        .args(via)
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let text = out.stdout_str();
    assert!(text.starts_with("Gateway reachable.\n"), "{text}");
    assert!(
        text.contains("- no configured chat channels"),
        "no channel is configured: {text}"
    );
    let out = rc(&dir)
        .args(["channels", "status", "--probe", "--json"])
        .args(via)
        .run()
        .await
        .unwrap();
    let status = json_of(&out);
    assert_eq!(status["channelOrder"], json!([]));
    assert_eq!(status["channelAccounts"], json!({}));

    let out = rc(&dir)
        .args(["message", "send", "--target", "123", "-m", "hi"])
        .args(via)
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    assert!(
        out.stderr_str().starts_with(
            "error: send failed: INVALID_REQUEST: Channel is required (no configured channels \
             detected)."
        ),
        "{}",
        out.stderr_str()
    );
    let out = rc(&dir)
        .args([
            "message",
            "send",
            "--channel",
            "telegram",
            "--target",
            "123",
            "-m",
            "hi",
        ])
        .args(via)
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    let err = out.stderr_str();
    assert!(
        err.starts_with("error: send failed: ") && err.contains("telegram"),
        "{err}"
    );
    let out = rc(&dir)
        .args(["channels", "logout", "--channel", "telegram"])
        .args(via)
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    assert!(
        out.stderr_str()
            .starts_with("error: channels.logout failed: "),
        "{}",
        out.stderr_str()
    );
}

#[tokio::test]
async fn status_falls_back_to_the_config_without_a_gateway() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config(&format!(
        "{{channels: {{telegram: {{botToken: '{TOKEN}'}}}}}}"
    ))
    .unwrap();
    let url = format!("ws://127.0.0.1:{}", free_port());
    let out = channels(&dir, &["status", "--url", &url]).await;
    assert!(out.success(), "{}", out.stderr_str());
    assert!(
        out.stderr_str()
            .starts_with("Gateway not reachable: cannot connect"),
        "{}",
        out.stderr_str()
    );
    let text = out.stdout_str();
    assert!(
        text.starts_with("Gateway not reachable; showing config-only status."),
        "{text}"
    );
    assert!(
        text.contains("- Telegram default: configured, enabled, default, token=present"),
        "{text}"
    );
    assert_no_secret(&out);
    let out = channels(&dir, &["status", "--url", &url, "--json"]).await;
    let status = json_of(&out);
    assert_eq!(status["gatewayReachable"], false);
    assert_eq!(status["configOnly"], true);
    assert_eq!(status["configuredChannels"], json!(["telegram"]));
}

#[tokio::test]
async fn a_dry_run_shows_the_request() {
    let dir = TempStateDir::new().unwrap();
    let out = rc(&dir)
        .current_dir(dir.state_dir())
        .args([
            "message",
            "send",
            "--channel",
            "Telegram",
            "-t",
            "@mychat",
            "-m",
            "hello",
            "--media",
            "photo.png",
            "--media",
            "https://example.com/a.pdf",
            "--reply-to",
            "17",
            "--thread-id",
            "9",
            "--silent",
            "--dry-run",
            "--json",
        ])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let shown = json_of(&out);
    let payload = &shown["payload"];
    assert_eq!(shown["dryRun"], true);
    assert_eq!(payload["channel"], "telegram");
    assert_eq!(payload["to"], "@mychat");
    assert_eq!(payload["message"], "hello");
    let photo = dir.state_dir().join("photo.png").display().to_string();
    assert_eq!(
        payload["mediaUrls"],
        json!([photo, "https://example.com/a.pdf"])
    );
    assert_eq!(payload["replyToId"], "17");
    assert_eq!(payload["threadId"], "9");
    assert_eq!(payload["silent"], true);
    assert!(payload["idempotencyKey"].is_string());

    let out = rc(&dir)
        .args(["message", "send", "-t", "1", "--dry-run"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr_str().starts_with("error: nothing to send"));
}
