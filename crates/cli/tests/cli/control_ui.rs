//! rustyclaw's own Control UI, embedded in the binary, driven in headless Chromium against
//! `rustyclaw gateway run` and the fake model (`ui/tests/scenarios/control-ui.mjs`): a
//! streamed reply whose HTML stays text, a tool card, a stopped reply, an exec approval
//! answered from the page, the other views and a phone-sized screen. Screenshots are kept in
//! `target/ui-artifacts/control-ui/`.

use std::time::Duration;

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::browser::Browser;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use serde_json::json;

use super::{fake_llm_config, start_gateway};

const TOKEN: &str = "control-ui-browser-token-5150";

#[tokio::test]
async fn the_control_ui_chats_streams_stops_and_approves_in_a_browser() {
    let browser = Browser::from_env().unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text_deltas([
        "Hello **there**. ",
        "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">",
    ]));
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_notes",
        "read",
        json!({"path": "notes.md"}),
    )]));
    fake.push(Turn::text("Your notes say: buy milk."));
    let story: Vec<String> = std::iter::once("Once upon a time ".to_owned())
        .chain((0..40).map(|n| format!("part {n} of a very long story. ")))
        .collect();
    fake.push(Turn::text_deltas(story).chunk_delay(Duration::from_millis(300)));
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_uname",
        "exec",
        json!({"command": "uname -s"}),
    )]));
    fake.push(Turn::text("It ran."));
    fake.push(Turn::text("I see a small picture."));
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["models"]["providers"]["fake"]["models"][0]["input"] = json!(["text", "image"]);
    config["tools"] =
        json!({"exec": {"host": "gateway", "security": "allowlist", "ask": "on-miss"}});
    dir.write_config(&config.to_string()).unwrap();
    std::fs::write(dir.workspace().join("notes.md"), "buy milk\n").unwrap();
    let (server, url) = start_gateway(&dir, &["--port", "0"]).await;
    let http = url.replacen("ws://", "http://", 1);
    let run = browser
        .run(
            "control-ui",
            &[("URL", http.trim_end_matches('/')), ("TOKEN", TOKEN)],
            Duration::from_secs(240),
        )
        .await
        .unwrap();
    for fact in [
        "streamed",
        "tool-card",
        "aborted",
        "approved",
        "thinking-set",
        "image-sent",
        "views",
        "phone",
    ] {
        assert!(
            run.fact(fact).is_some(),
            "the scenario did not reach {fact}"
        );
    }
    let logs = server.stdout() + &server.stderr();
    assert!(
        !logs.contains(TOKEN),
        "the token reached the gateway's logs"
    );
    assert_eq!(fake.pending_turns(), 0);
}

/// A loopback port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn dashboard_prints_the_address_and_keeps_the_token_for_the_browser() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let port = free_port();
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["gateway"]["port"] = json!(port);
    dir.write_config(&config.to_string()).unwrap();

    // No gateway yet: a clear failure, in JSON too.
    let out = super::rc(&dir)
        .args(["dashboard", "--json"])
        .run()
        .await
        .unwrap();
    assert!(!out.success());
    let answer: serde_json::Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(answer["ok"], false);
    assert!(
        answer["reason"]
            .as_str()
            .unwrap()
            .contains("rustyclaw gateway run")
    );

    let (_server, _url) = start_gateway(&dir, &[]).await;
    let out = super::rc(&dir)
        .args(["dashboard", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let answer: serde_json::Value = serde_json::from_str(&out.stdout_str()).unwrap();
    let http = format!("http://127.0.0.1:{port}/");
    assert_eq!(answer["httpUrl"], http);
    assert_eq!(answer["url"], format!("{http}#token={TOKEN}"));
    assert_eq!(answer["wsUrl"], format!("ws://127.0.0.1:{port}"));
    assert_eq!(answer["tokenIncluded"], true);

    // The terminal gets the clean address only.
    let out = super::rc(&dir)
        .args(["dashboard", "--no-open"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert!(out.stdout_str().contains(&format!("Control UI: {http}")));
    assert!(!out.stdout_str().contains(TOKEN) && !out.stderr_str().contains(TOKEN));
}

#[tokio::test]
async fn a_browser_on_another_host_pairs_and_is_approved_from_the_first() {
    let browser = Browser::from_env().unwrap();
    let netns = rustyclaw_testkit::netns::NetNs::create().unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("Hello, far away browser."));
    let port = free_port();
    let remote_origin = format!("http://{}:{port}", netns.host_addr());
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["gateway"]["port"] = json!(port);
    config["gateway"]["bind"] = json!("lan");
    config["gateway"]["controlUi"] = json!({"allowedOrigins": [remote_origin]});
    dir.write_config(&config.to_string()).unwrap();
    let (server, _url) = start_gateway(&dir, &[]).await;
    let foreign = format!(
        "http://{}:{}/",
        netns.host_addr(),
        serve_a_foreign_page().await
    );
    let local = format!("http://127.0.0.1:{port}");
    let reply = "Hello, far away browser.";
    let remote_env = [
        ("URL", remote_origin.as_str()),
        ("TOKEN", TOKEN),
        ("REPLY", reply),
        ("FOREIGN_URL", foreign.as_str()),
    ];
    let local_env = [("URL", local.as_str()), ("TOKEN", TOKEN)];
    let (remote, approver) = tokio::join!(
        browser.run_in(
            Some(netns.name()),
            "control-ui-remote",
            &remote_env,
            Duration::from_secs(240)
        ),
        browser.run("control-ui-approve", &local_env, Duration::from_secs(240)),
    );
    let remote = remote.unwrap();
    approver.unwrap();
    let refused = remote.fact("foreign-origin-refused").unwrap();
    assert!(
        refused["outcome"]
            .as_str()
            .unwrap()
            .contains("origin not allowed"),
        "{refused}"
    );
    let requested = remote.fact("pairing-requested").unwrap();
    assert!(
        requested["command"]
            .as_str()
            .unwrap()
            .starts_with("rustyclaw devices approve "),
        "{requested}"
    );
    assert!(remote.fact("remote-chat").is_some());
    // The device is paired, seen from the guest's address.
    let out = super::rc(&dir)
        .args(["devices", "list", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let listed: serde_json::Value = serde_json::from_str(&out.stdout_str()).unwrap();
    let paired = listed["paired"].as_array().unwrap();
    assert!(
        paired
            .iter()
            .any(|d| d["clientId"] == "openclaw-control-ui" && d["remoteIp"] == netns.guest_addr()),
        "{listed:#}"
    );
    let logs = server.stdout() + &server.stderr();
    assert!(
        !logs.contains(TOKEN),
        "the token reached the gateway's logs"
    );
}

/// Serves a blank page on every interface, on a port of its own: a web page of an origin the
/// gateway does not allow. Returns the port.
async fn serve_a_foreign_page() -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let body = "<!doctype html><title>another site</title><p>another site</p>";
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn a_chat_sender_is_approved_from_the_channels_view() {
    use rustyclaw_testkit::fake_telegram::{FakeChat, FakeTelegram, FakeUser};
    let browser = Browser::from_env().unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let telegram = FakeTelegram::start().await.unwrap();
    let mut config = super::channels_telegram::telegram_config(&dir, &fake, &telegram);
    config["gateway"]["auth"]["token"] = json!(TOKEN);
    let port = config["gateway"]["port"].as_u64().unwrap();
    dir.write_config(&config.to_string()).unwrap();
    let (_server, _url) = start_gateway(&dir, &[]).await;
    let alice = FakeUser::new(4242, "Alice").with_username("alice");
    let dm = FakeChat::private(&alice);
    telegram.push_text(&dm, &alice, "hello?");
    super::channels_telegram::wait_for_sent(&telegram, dm.id, 0).await;

    let url = format!("http://127.0.0.1:{port}");
    browser
        .run(
            "control-ui-channels",
            &[("URL", url.as_str()), ("TOKEN", TOKEN), ("SENDER", "Alice")],
            Duration::from_secs(180),
        )
        .await
        .unwrap();
    // Approved with a notice, which the channel delivers; then Alice is answered.
    let sent = super::channels_telegram::wait_for_sent(&telegram, dm.id, 1).await;
    assert!(
        sent[1]
            .text
            .as_deref()
            .unwrap_or_default()
            .contains("access approved"),
        "{sent:?}"
    );
    fake.push(Turn::text("Hello Alice."));
    telegram.push_text(&dm, &alice, "hi again");
    let sent = super::channels_telegram::wait_for_sent(&telegram, dm.id, 2).await;
    assert_eq!(sent[2].text.as_deref(), Some("Hello Alice."));
}

#[tokio::test]
async fn the_dashboard_link_pairs_one_browser_once() {
    let browser = Browser::from_env().unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let port = free_port();
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["gateway"]["port"] = json!(port);
    dir.write_config(&config.to_string()).unwrap();
    let (server, _url) = start_gateway(&dir, &[]).await;
    let out = super::rc(&dir)
        .args(["dashboard", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let answer: serde_json::Value = serde_json::from_str(&out.stdout_str()).unwrap();
    let link = answer["browserUrl"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("http://127.0.0.1:{port}/#bootstrapToken=")),
        "{link}"
    );
    assert!(!link.contains(TOKEN));
    assert!(answer["browserBootstrapExpiresAtMs"].as_u64().unwrap() > 0);
    let run = browser
        .run(
            "control-ui-handoff",
            &[("BROWSER_URL", link.as_str())],
            Duration::from_secs(120),
        )
        .await
        .unwrap();
    assert!(run.fact("reloaded-signed-in").is_some());
    assert!(run.fact("link-used-once").is_some());
    // The browser is paired as the owner's Control UI.
    let out = super::rc(&dir)
        .args(["devices", "list", "--json"])
        .run()
        .await
        .unwrap();
    let listed: serde_json::Value = serde_json::from_str(&out.stdout_str()).unwrap();
    let ui = listed["paired"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["clientId"] == "openclaw-control-ui")
        .unwrap_or_else(|| panic!("{listed:#}"))
        .clone();
    assert!(
        ui["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("operator.admin")),
        "{ui}"
    );
    let token = link
        .split("bootstrapToken=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let logs = server.stdout() + &server.stderr();
    assert!(
        !logs.contains(token),
        "the one-time token reached the gateway's logs"
    );
}

#[tokio::test]
async fn memory_is_searched_and_a_skill_given_its_key_in_the_browser() {
    let browser = Browser::from_env().unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let port = free_port();
    let hub = rustyclaw_testkit::fake_clawhub::FakeClawHub::start()
        .await
        .unwrap();
    hub.publish(rustyclaw_testkit::fake_clawhub::FakeSkill::new(
        "steipete",
        "brew-timer",
        "1.0.0",
        "Time a tea brew",
        "Set a timer.\n",
    ));
    let downloads = rustyclaw_testkit::fake_downloads::FakeDownloads::start()
        .await
        .unwrap();
    let tool_zip =
        rustyclaw_testkit::fake_clawhub::FakeSkill::new("o", "ui-tool", "1.0.0", "x", "x\n")
            .with_file("bin/ui-tool", "#!/bin/sh\necho ui\n", 0o755)
            .archive();
    let tool_url = downloads.publish("ui-tool.zip", tool_zip);
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["gateway"]["port"] = json!(port);
    config["env"] = json!({"vars": {"OPENCLAW_CLAWHUB_URL": hub.url()}});
    dir.write_config(&config.to_string()).unwrap();
    let ws = dir.workspace();
    let tooled = json!({"openclaw": {"requires": {"bins": ["ui-tool"]}, "install": [
        {"id": "dl", "kind": "download", "url": tool_url, "bins": ["ui-tool"], "label": "Download ui-tool"}
    ]}});
    let tooled = format!("name: tooled\ndescription: Needs a program\nmetadata: {tooled}");
    std::fs::create_dir_all(ws.join("memory")).unwrap();
    std::fs::write(
        ws.join("memory/2026-01-15.md"),
        "# Notes\n\n- likes oat milk in coffee\n",
    )
    .unwrap();
    for (name, frontmatter) in [
        ("notes", "name: notes\ndescription: Take notes"),
        (
            "keyed",
            "name: keyed\ndescription: Needs a key\nmetadata: {\"openclaw\": {\"primaryEnv\": \"KEYED_TOKEN\", \"requires\": {\"env\": [\"KEYED_TOKEN\"]}}}",
        ),
        ("tooled", tooled.as_str()),
    ] {
        std::fs::create_dir_all(ws.join("skills").join(name)).unwrap();
        std::fs::write(
            ws.join("skills").join(name).join("SKILL.md"),
            format!("---\n{frontmatter}\n---\nBody\n"),
        )
        .unwrap();
    }
    let (_server, _url) = start_gateway(&dir, &[]).await;
    let url = format!("http://127.0.0.1:{port}");
    let run = browser
        .run(
            "control-ui-memory-skills",
            &[("URL", url.as_str()), ("TOKEN", TOKEN)],
            Duration::from_secs(180),
        )
        .await
        .unwrap();
    assert!(
        run.facts().iter().any(|f| f["fact"] == "skill-ready"),
        "{:?}",
        run.facts()
    );
    // The key the page saved is in the config, where the next turn reads it.
    let written = std::fs::read_to_string(dir.config_path()).unwrap();
    assert!(written.contains("key-from-the-browser-1234"), "{written}");
    assert!(
        run.facts()
            .iter()
            .any(|f| f["fact"] == "dependency-installed"),
        "{:?}",
        run.facts()
    );
    assert!(dir.state_dir().join("tools/.bin/ui-tool").exists());
}
