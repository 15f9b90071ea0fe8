//! Telegram end to end: the real `rustyclaw gateway run`, the testkit fake LLM and the testkit
//! fake Bot API (real paths, long polling with offsets, forum topics, files). An unknown DM
//! sender is paired (and no run happens), the approved sender is answered, a group answers
//! only when mentioned (in the topic it was asked in), a long reply arrives as ordered chunks,
//! and a photo reaches the model as an image.

use std::time::{Duration, Instant};

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use rustyclaw_testkit::fake_telegram::{BotMessage, FakeChat, FakeTelegram, FakeUser, Inbound};
use serde_json::{Value, json};

use super::{fake_llm_config, free_port, rc, start_gateway};

const TOKEN: &str = "telegram-e2e-token-1234";
const GROUP: i64 = -100_777;
const FORUM: i64 = -100_888;

/// A gateway config with the Telegram channel pointed at `telegram`.
pub(crate) fn telegram_config(
    dir: &TempStateDir,
    fake: &FakeLlm,
    telegram: &FakeTelegram,
) -> Value {
    let mut config = fake_llm_config(dir, fake, TOKEN);
    config["gateway"]["port"] = json!(free_port());
    // The model looks at pictures, and may post with the message tool (outside the default
    // `coding` profile, as upstream's).
    config["models"]["providers"]["fake"]["models"][0]["input"] = json!(["text", "image"]);
    config["tools"] = json!({"alsoAllow": ["message"]});
    config["channels"] = json!({"telegram": {
        "botToken": telegram.token(),
        "apiRoot": telegram.base_url(),
        "groupAllowFrom": ["4242"],
        "groups": {
            GROUP.to_string(): {"requireMention": true},
            FORUM.to_string(): {"requireMention": true}
        }
    }});
    config
}

/// Waits until the bot has sent a message into `chat` beyond the first `seen`, and returns
/// all of that chat's messages.
pub(crate) async fn wait_for_sent(
    telegram: &FakeTelegram,
    chat: i64,
    seen: usize,
) -> Vec<BotMessage> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sent: Vec<BotMessage> = telegram
            .outbox()
            .into_iter()
            .filter(|m| m.chat_id == chat)
            .collect();
        if sent.len() > seen {
            return sent;
        }
        assert!(
            Instant::now() < deadline,
            "nothing sent to {chat}; calls: {:#?}",
            telegram
                .calls()
                .iter()
                .map(|c| c.method.clone())
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sent_to(telegram: &FakeTelegram, chat: i64) -> Vec<BotMessage> {
    telegram
        .outbox()
        .into_iter()
        .filter(|m| m.chat_id == chat)
        .collect()
}

/// The pairing code in the bot's pairing message (the argument of the approve command it
/// shows).
pub(crate) fn pairing_code(text: &str, channel: &str) -> String {
    let after = text
        .split(&format!("pairing approve {channel} "))
        .nth(1)
        .expect(text);
    let code: String = after
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    assert_eq!(code.len(), 8, "{text}");
    code
}

/// The text of every user message in the model's last request.
fn last_user_text(fake: &FakeLlm) -> String {
    let requests = fake.requests();
    let body = requests.last().and_then(|r| r.body.clone()).unwrap();
    let last = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .cloned()
        .unwrap();
    match &last["content"] {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

#[tokio::test]
async fn pairing_groups_topics_chunks_and_photos_over_telegram() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let telegram = FakeTelegram::start().await.unwrap();
    let config = telegram_config(&dir, &fake, &telegram);
    dir.write_config(&config.to_string()).unwrap();
    let (_server, _url) = start_gateway(&dir, &[]).await;
    let alice = FakeUser::new(4242, "Alice").with_username("alice");
    let dm = FakeChat::private(&alice);

    // An unknown sender gets a pairing code, and no run happens.
    telegram.push_text(&dm, &alice, "hello?");
    let sent = wait_for_sent(&telegram, dm.id, 0).await;
    let pairing = sent[0].text.clone().unwrap();
    assert!(pairing.contains("Your Telegram user id: 4242"), "{pairing}");
    let code = pairing_code(&pairing, "telegram");
    assert!(fake.requests().is_empty(), "no run for an unpaired sender");

    // Approved from the CLI, the next message is answered by the model in that chat.
    let out = rc(&dir)
        .args(["pairing", "approve", "telegram", &code])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    // The first sender approved becomes the command owner, as upstream's CLI does.
    assert!(
        out.stdout_str()
            .contains("Made telegram:4242 the command owner"),
        "{}",
        out.stdout_str()
    );
    let written = std::fs::read_to_string(dir.config_path()).unwrap();
    assert!(written.contains("telegram:4242"), "{written}");
    fake.push(Turn::text("Hello **Alice**!"));
    telegram.push_text(&dm, &alice, "hi again");
    let sent = wait_for_sent(&telegram, dm.id, 1).await;
    let reply = &sent[1];
    assert_eq!(
        reply.text.as_deref(),
        Some("Hello <b>Alice</b>!"),
        "{reply:?}"
    );
    assert_eq!(reply.parse_mode.as_deref(), Some("HTML"));
    assert!(last_user_text(&fake).contains("hi again"));

    // A group message without a mention is context only; with one it is answered there.
    let group = FakeChat::supergroup(GROUP, "Team");
    telegram.add_chat(&group);
    let requests = fake.requests().len();
    telegram.push_text(&group, &alice, "just chatting");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(fake.requests().len(), requests, "no run without a mention");
    fake.push(Turn::text("Here in the group."));
    let bot = telegram.bot().username.clone();
    telegram.push_text(&group, &alice, &format!("@{bot} what did I say?"));
    let sent = wait_for_sent(&telegram, GROUP, 0).await;
    assert_eq!(sent[0].text.as_deref(), Some("Here in the group."));
    // The mention was acknowledged with upstream's default reaction.
    let reactions = telegram.calls_to("setMessageReaction");
    assert!(
        reactions
            .iter()
            .any(|call| call.int_param("chat_id") == Some(GROUP)
                && call
                    .json_param("reaction")
                    .is_some_and(|r| r.to_string().contains("👀"))),
        "{reactions:#?}"
    );
    let asked = last_user_text(&fake);
    assert!(
        asked.contains("just chatting") && asked.contains("Alice: @"),
        "the pending group line is context: {asked}"
    );

    // `/activation always` (from a sender allowed to use commands, no mention needed) makes
    // every message of the group run.
    telegram.push_text(&group, &alice, "/activation always");
    let sent = wait_for_sent(&telegram, GROUP, 1).await;
    assert!(
        sent[1]
            .text
            .as_deref()
            .unwrap_or_default()
            .starts_with("Group activation: always"),
        "{sent:#?}"
    );
    fake.push(Turn::text("Always listening."));
    telegram.push_text(&group, &alice, "anyone there?");
    let sent = wait_for_sent(&telegram, GROUP, 2).await;
    assert_eq!(sent[2].text.as_deref(), Some("Always listening."));

    // A forum topic is answered in that topic.
    let forum = FakeChat::forum(FORUM, "Forum");
    telegram.add_chat(&forum);
    fake.push(Turn::text("Topic answer."));
    telegram.push_message(
        Inbound::text(&forum, &alice, &format!("@{bot} in the topic")).in_topic(77, "Ops"),
    );
    let sent = wait_for_sent(&telegram, FORUM, 0).await;
    assert_eq!(
        (sent[0].text.as_deref(), sent[0].message_thread_id),
        (Some("Topic answer."), Some(77))
    );

    // A reply of ~9,000 characters arrives as ordered chunks within Telegram's limit.
    let long: String = (0..190)
        .map(|n| format!("Line {n:03} of a long answer, padded to fifty chars.\n"))
        .collect();
    assert!(long.len() > 9_000);
    fake.push(Turn::text(&long));
    telegram.push_text(&dm, &alice, "tell me everything");
    let deadline = Instant::now() + Duration::from_secs(30);
    let chunks = loop {
        let sent = sent_to(&telegram, dm.id);
        let joined: String = sent[2..]
            .iter()
            .filter_map(|m| m.text.clone())
            .collect::<Vec<_>>()
            .join("\n");
        if joined.contains("Line 189") {
            break sent[2..].to_vec();
        }
        assert!(
            Instant::now() < deadline,
            "the long reply did not arrive: {sent:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(chunks.len() >= 3, "{} chunks", chunks.len());
    let mut last_line = -1;
    for chunk in &chunks {
        let text = chunk.text.clone().unwrap();
        assert!(text.encode_utf16().count() <= 4096);
        for line in text.lines().filter(|l| l.starts_with("Line ")) {
            let n: i32 = line[5..8].parse().unwrap();
            assert_eq!(n, last_line + 1, "chunks out of order");
            last_line = n;
        }
    }
    assert_eq!(last_line, 189);

    // A photo reaches the model as an image.
    let png: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0,
        0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
    ];
    let file = telegram.add_file("cat.png", png.to_vec());
    fake.push(Turn::text("A cat."));
    telegram.push_message(Inbound::photo(&dm, &alice, &file).with_caption("what is this?"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sent_to(&telegram, dm.id)
        .iter()
        .any(|m| m.text.as_deref() == Some("A cat."))
    {
        assert!(Instant::now() < deadline, "no answer to the photo");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let request = fake.requests().last().and_then(|r| r.body.clone()).unwrap();
    let user = request["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .cloned()
        .unwrap();
    let image = user["content"]
        .as_array()
        .and_then(|parts| parts.iter().find(|p| p["type"] == "image_url"))
        .unwrap_or_else(|| panic!("no image in {user}"));
    assert!(
        image["image_url"]["url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,"),
        "{image}"
    );

    // The agent's message tool posts into another allowed chat.
    fake.push(Turn::tool_calls([ToolCall::new(
        "call-post",
        "message",
        json!({"action": "send", "channel": "telegram", "target": GROUP.to_string(),
               "message": "Posted for **Alice** from the DM."}),
    )]));
    fake.push(Turn::text("I posted it in the team group."));
    let group_seen = sent_to(&telegram, GROUP).len();
    telegram.push_text(&dm, &alice, "please tell the team I'm late");
    let sent = wait_for_sent(&telegram, GROUP, group_seen).await;
    assert_eq!(
        sent.last().and_then(|m| m.text.as_deref()),
        Some("Posted for <b>Alice</b> from the DM.")
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sent_to(&telegram, dm.id)
        .iter()
        .any(|m| m.text.as_deref() == Some("I posted it in the team group."))
    {
        assert!(Instant::now() < deadline, "no answer after the post");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let receipt = fake.requests().last().and_then(|r| r.body.clone()).unwrap()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "tool")
        .cloned()
        .unwrap();
    assert!(
        receipt["content"]
            .as_str()
            .unwrap_or_default()
            .contains("\"ok\": true"),
        "{receipt}"
    );
    fake.assert_no_violations().unwrap();
}

#[tokio::test]
async fn a_channel_added_to_the_config_of_a_running_gateway_connects_and_a_removed_one_stops() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let telegram = FakeTelegram::start().await.unwrap();
    let mut config = telegram_config(&dir, &fake, &telegram);
    let channels = config["channels"].take();
    config.as_object_mut().unwrap().remove("channels");
    dir.write_config(&config.to_string()).unwrap();
    let (_server, _url) = start_gateway(&dir, &[]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(telegram.calls().is_empty());

    // Edited on disk: the running gateway applies it in place and the bot starts polling.
    config["channels"] = channels;
    config["channels"]["telegram"]["allowFrom"] = json!(["4242"]);
    dir.write_config(&config.to_string()).unwrap();
    telegram
        .wait_for_calls("getUpdates", 1, Duration::from_secs(30))
        .await
        .unwrap();
    let alice = FakeUser::new(4242, "Alice");
    let dm = FakeChat::private(&alice);
    fake.push(Turn::text("Connected without a restart."));
    telegram.push_text(&dm, &alice, "hello");
    let sent = wait_for_sent(&telegram, dm.id, 0).await;
    assert_eq!(
        sent[0].text.as_deref(),
        Some("Connected without a restart.")
    );

    // An access rule changes without a reconnect: with alice off allowFrom, she is asked to
    // pair, and the bot did not call getMe again.
    let connects = telegram.calls_to("getMe").len();
    config["channels"]["telegram"]["allowFrom"] = json!([]);
    dir.write_config(&config.to_string()).unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    telegram.push_text(&dm, &alice, "still there?");
    let sent = wait_for_sent(&telegram, dm.id, 1).await;
    assert!(
        sent[1]
            .text
            .as_deref()
            .unwrap_or_default()
            .contains("Pairing code"),
        "{sent:#?}"
    );
    assert_eq!(
        telegram.calls_to("getMe").len(),
        connects,
        "the account reconnected"
    );

    // Disabled: it stops polling.
    config["channels"]["telegram"]["enabled"] = json!(false);
    dir.write_config(&config.to_string()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let before = telegram.calls_to("getUpdates").len();
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        if telegram.calls_to("getUpdates").len() == before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the disabled account still polls"
        );
    }
}

/// The status of every account, and sends, as `rustyclaw` and the official `openclaw` CLI see
/// them through the gateway of a real Telegram and IRC set-up.
#[tokio::test]
async fn channels_status_and_message_send_through_both_clis() {
    use rustyclaw_testkit::conformance::OfficialCli;

    let server = rustyclaw_testkit::Ngircd::start().await.unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let telegram = FakeTelegram::start().await.unwrap();
    let mut config = telegram_config(&dir, &fake, &telegram);
    config["channels"]["irc"] = json!({
        "host": "127.0.0.1", "port": server.port(), "tls": false, "nick": "claw",
        "channels": ["#ops"]
    });
    config["channels"]["telegram"]["accounts"] =
        json!({"broken": {"tokenFile": "/nonexistent/token"}});
    dir.write_config(&config.to_string()).unwrap();
    let (_gateway, url) = start_gateway(&dir, &[]).await;
    telegram
        .wait_for_calls("getUpdates", 1, Duration::from_secs(30))
        .await
        .unwrap();

    // rustyclaw's own CLI, through the gateway.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        let out = rc(&dir)
            .args(["channels", "status", "--json", "--probe"])
            .run()
            .await
            .unwrap();
        assert!(out.success(), "{}", out.stderr_str());
        let status: Value = serde_json::from_str(&out.stdout_str()).unwrap();
        if status["channelAccounts"]["irc"][0]["connected"] == true {
            break status;
        }
        assert!(Instant::now() < deadline, "IRC never connected: {status:#}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let accounts = &status["channelAccounts"]["telegram"];
    let default = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["accountId"] == "default")
        .unwrap();
    assert_eq!(
        (&default["running"], &default["connected"], &default["mode"]),
        (&json!(true), &json!(true), &json!("polling")),
        "{status:#}"
    );
    let broken = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["accountId"] == "broken")
        .unwrap();
    assert_eq!(broken["running"], false, "{broken:#}");
    let issues = status["statusIssues"].to_string();
    assert!(issues.contains("/nonexistent/token"), "{issues}");
    let text = serde_json::to_string(&status).unwrap();
    assert!(
        !text.contains(telegram.token()),
        "a token leaked into the status"
    );

    // The official CLI sees the same.
    let cli = OfficialCli::from_env().unwrap();
    let env = [
        ("OPENCLAW_GATEWAY_URL", url.as_str()),
        ("OPENCLAW_GATEWAY_TOKEN", TOKEN),
    ];
    let out = cli
        .run(
            &["channels", "status", "--json"],
            &env,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert!(out.status.success(), "{}", out.stderr_str());
    let official: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(official["channelOrder"], status["channelOrder"]);
    for channel in ["telegram", "irc"] {
        let ours: Vec<(Value, Value)> = status["channelAccounts"][channel]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["accountId"].clone(), a["running"].clone()))
            .collect();
        let theirs: Vec<(Value, Value)> = official["channelAccounts"][channel]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["accountId"].clone(), a["running"].clone()))
            .collect();
        assert_eq!(ours, theirs, "{channel}");
    }
    let text = cli
        .run(&["channels", "status"], &env, Duration::from_secs(60))
        .await
        .unwrap();
    let text = text.stdout_str();
    assert!(text.contains("- Telegram default: "), "{text}");
    assert!(text.contains("- IRC default: "), "{text}");

    // Sends: rustyclaw's CLI to the Telegram group, the official one to the IRC channel.
    let group = FakeChat::supergroup(GROUP, "Team");
    telegram.add_chat(&group);
    let out = rc(&dir)
        .args(["message", "send", "--channel", "telegram", "--target"])
        .arg(GROUP.to_string())
        .args(["-m", "From the **CLI**."])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let sent = wait_for_sent(&telegram, GROUP, 0).await;
    assert_eq!(sent[0].text.as_deref(), Some("From the <b>CLI</b>."));
    let out = cli
        .run(
            &[
                "message",
                "send",
                "--channel",
                "telegram",
                "--target",
                &GROUP.to_string(),
                "--message",
                "From openclaw.",
                "--json",
            ],
            &env,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        out.stdout_str(),
        out.stderr_str()
    );
    let sent = wait_for_sent(&telegram, GROUP, 1).await;
    assert_eq!(sent[1].text.as_deref(), Some("From openclaw."));
}

#[tokio::test]
async fn a_burst_of_messages_runs_as_one_turn_answered_once() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let telegram = FakeTelegram::start().await.unwrap();
    let mut config = telegram_config(&dir, &fake, &telegram);
    config["channels"]["telegram"]["allowFrom"] = json!(["4242"]);
    config["messages"] = json!({"inbound": {"debounceMs": 1500}});
    dir.write_config(&config.to_string()).unwrap();
    let (_server, _url) = start_gateway(&dir, &[]).await;
    let alice = FakeUser::new(4242, "Alice");
    let dm = FakeChat::private(&alice);

    fake.push(Turn::text("All three, at once."));
    for part in ["first part", "second part", "third part"] {
        telegram.push_text(&dm, &alice, part);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent = wait_for_sent(&telegram, dm.id, 0).await;
    assert_eq!(sent[0].text.as_deref(), Some("All three, at once."));
    let asked = last_user_text(&fake);
    assert!(
        asked.contains("first part\nsecond part\nthird part"),
        "{asked}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fake.requests().len(), 1, "one turn for the burst");
    assert_eq!(sent_to(&telegram, dm.id).len(), 1, "answered once");
}

#[tokio::test]
async fn media_lines_of_a_reply_are_sent_as_photos_from_the_workspace_only() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let telegram = FakeTelegram::start().await.unwrap();
    let mut config = telegram_config(&dir, &fake, &telegram);
    config["channels"]["telegram"]["allowFrom"] = json!(["4242"]);
    dir.write_config(&config.to_string()).unwrap();
    std::fs::write(dir.workspace().join("chart.png"), b"\x89PNG\r\n\x1a\nfake").unwrap();
    let (_server, _url) = start_gateway(&dir, &[]).await;
    let alice = FakeUser::new(4242, "Alice");
    let dm = FakeChat::private(&alice);

    fake.push(Turn::text(
        "Here is the chart.\nMEDIA: chart.png\nMEDIA: /etc/passwd",
    ));
    telegram.push_text(&dm, &alice, "send me the chart");
    let deadline = Instant::now() + Duration::from_secs(30);
    while telegram.calls_to("sendPhoto").is_empty() {
        assert!(
            Instant::now() < deadline,
            "no photo: {:#?}",
            telegram.outbox()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let texts: String = sent_to(&telegram, dm.id)
        .iter()
        .filter_map(|m| m.text.clone())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(texts.contains("Here is the chart."), "{texts}");
    assert!(
        texts.contains("passwd was not sent: it is outside the workspace"),
        "{texts}"
    );
    assert!(!texts.contains("MEDIA:"), "{texts}");
    assert!(
        telegram.calls().iter().all(|c| c.files.iter().all(|f| !f
            .file_name
            .as_deref()
            .unwrap_or_default()
            .contains("passwd"))),
        "/etc/passwd was uploaded"
    );
}
