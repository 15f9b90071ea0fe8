//! Telegram end to end against the npm `telegram-test-api` emulator, a Bot API server that is
//! not ours: the real `rustyclaw gateway run` polls it as it would Telegram, and the test plays
//! the user through the emulator's client API. An unknown DM sender is paired (no run), the
//! approved sender is answered in HTML, a group answers only when the bot is mentioned (in the
//! forum topic it was asked in), a reply of ~9,000 characters arrives as ordered chunks, and
//! the agent's `message` tool posts into the group. Offsets, files, reactions, rate limits and
//! crashes, which the emulator does not model, are tested against the test kit's fake Bot API
//! (`channels_telegram.rs`, `channels_faults.rs`).

use std::time::{Duration, Instant};

use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use rustyclaw_testkit::{TelegramTestApi, TempStateDir};
use serde_json::{Value, json};

use super::channels_telegram::pairing_code;
use super::{fake_llm_config, free_port, rc, start_gateway};

const TOKEN: &str = "4242:emulator-token";
/// The bot the emulator's `getMe` describes.
const BOT: &str = "TestNameBot";
const ALICE: i64 = 4242;
const GROUP: i64 = -100_777;
const FORUM: i64 = -100_888;

/// A message from Alice in `chat` (`private`, `supergroup`), as the emulator's client sends it.
fn from_alice(chat: i64, kind: &str, text: &str) -> Value {
    let mut message = json!({
        "from": {"id": ALICE, "is_bot": false, "first_name": "Alice", "username": "alice"},
        "chat": {"id": chat, "type": kind},
        "text": text,
    });
    if kind != "private" {
        message["chat"]["title"] = json!("Team");
    }
    if let Some(at) = text.find(&format!("@{BOT}")) {
        message["entities"] = json!([{"type": "mention", "offset": at, "length": BOT.len() + 1}]);
    }
    message
}

/// Waits for the bot's messages to `chat` until `done` says they are complete; returns them.
async fn bot_messages(
    emulator: &TelegramTestApi,
    chat: i64,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut messages = Vec::new();
    while !done(&messages) {
        assert!(
            Instant::now() < deadline,
            "the bot did not answer in {chat}: {messages:#?}"
        );
        messages.extend(emulator.bot_messages(TOKEN, chat).await.unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    messages
}

fn text_of(message: &Value) -> &str {
    message["text"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn pairing_groups_topics_long_replies_and_the_message_tool_over_the_emulator() {
    let emulator = TelegramTestApi::start().await.unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let mut config = fake_llm_config(&dir, &fake, "gateway-token-emulator");
    config["gateway"]["port"] = json!(free_port());
    config["tools"] = json!({"alsoAllow": ["message"]});
    config["channels"] = json!({"telegram": {
        "botToken": TOKEN,
        "apiRoot": emulator.api_root(),
        "groupAllowFrom": [ALICE.to_string()],
        // The emulator knows no reactions or typing; the gateway would only log their failure.
        "ackReaction": "",
        "groups": {
            GROUP.to_string(): {"requireMention": true},
            FORUM.to_string(): {"requireMention": true}
        }
    }});
    dir.write_config(&config.to_string()).unwrap();
    let (_gateway, _url) = start_gateway(&dir, &[]).await;

    // An unknown sender gets a pairing code, and no run happens.
    emulator
        .send(TOKEN, from_alice(ALICE, "private", "hello?"))
        .await
        .unwrap();
    let sent = bot_messages(&emulator, ALICE, |m| !m.is_empty()).await;
    let pairing = text_of(&sent[0]).to_owned();
    assert!(pairing.contains("Your Telegram user id: 4242"), "{pairing}");
    assert!(fake.requests().is_empty(), "no run for an unpaired sender");
    let code = pairing_code(&pairing, "telegram");
    let out = rc(&dir)
        .args(["pairing", "approve", "telegram", &code])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());

    // Approved, the next message is answered by the model, in Telegram's HTML.
    fake.push(Turn::text("Hello **Alice** & co!"));
    emulator
        .send(TOKEN, from_alice(ALICE, "private", "hi again"))
        .await
        .unwrap();
    let sent = bot_messages(&emulator, ALICE, |m| !m.is_empty()).await;
    assert_eq!(
        text_of(&sent[0]),
        "Hello <b>Alice</b> &amp; co!",
        "{sent:#?}"
    );
    assert_eq!(sent[0]["parse_mode"], "HTML");

    // In a group, a message without a mention runs nothing; one with a mention is answered
    // there, threaded under it.
    emulator
        .send(TOKEN, from_alice(GROUP, "supergroup", "just chatting"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(fake.requests().len(), 1, "no run without a mention");
    fake.push(Turn::text("Here in the group."));
    emulator
        .send(
            TOKEN,
            from_alice(GROUP, "supergroup", &format!("@{BOT} what did I say?")),
        )
        .await
        .unwrap();
    let sent = bot_messages(&emulator, GROUP, |m| !m.is_empty()).await;
    assert_eq!(text_of(&sent[0]), "Here in the group.");
    assert!(
        sent[0]["reply_parameters"]["message_id"].is_number(),
        "{sent:#?}"
    );
    let asked = fake
        .requests()
        .last()
        .map(|r| serde_json::to_string(r.messages()).unwrap());
    assert!(
        asked.unwrap_or_default().contains("just chatting"),
        "the earlier line is context"
    );

    // A forum topic is answered in that topic.
    fake.push(Turn::text("Topic answer."));
    let mut in_topic = from_alice(FORUM, "supergroup", &format!("@{BOT} in the topic"));
    in_topic["chat"]["is_forum"] = json!(true);
    in_topic["message_thread_id"] = json!(77);
    in_topic["is_topic_message"] = json!(true);
    emulator.send(TOKEN, in_topic).await.unwrap();
    let sent = bot_messages(&emulator, FORUM, |m| !m.is_empty()).await;
    assert_eq!(text_of(&sent[0]), "Topic answer.");
    assert_eq!(sent[0]["message_thread_id"], 77, "{sent:#?}");

    // A reply of ~9,000 characters arrives as ordered chunks within Telegram's 4,096.
    let long: String = (0..180)
        .map(|n| format!("Line {n:03} of a long answer, padded to fifty chars.\n"))
        .collect();
    assert!(long.len() >= 9_000, "{}", long.len());
    fake.push(Turn::text(&long));
    emulator
        .send(TOKEN, from_alice(ALICE, "private", "tell me everything"))
        .await
        .unwrap();
    let chunks = bot_messages(&emulator, ALICE, |m| {
        m.last()
            .is_some_and(|last| text_of(last).contains("Line 179"))
    })
    .await;
    assert!(chunks.len() >= 3, "{} chunks", chunks.len());
    assert!(
        chunks
            .iter()
            .all(|c| text_of(c).encode_utf16().count() <= 4_096)
    );
    let joined: Vec<&str> = chunks.iter().flat_map(|c| text_of(c).lines()).collect();
    let numbered: Vec<&str> = joined
        .into_iter()
        .filter(|l| l.starts_with("Line "))
        .collect();
    assert_eq!(numbered.len(), 180, "every line arrives once");
    for (n, line) in numbered.iter().enumerate() {
        assert!(
            line.starts_with(&format!("Line {n:03}")),
            "out of order at {n}: {line}"
        );
    }

    // The agent's message tool posts into the group from the DM.
    fake.push(Turn::tool_calls([ToolCall::new(
        "call-post",
        "message",
        json!({"action": "send", "channel": "telegram", "target": GROUP.to_string(),
               "message": "Heads-up from the **agent**."}),
    )]));
    fake.push(Turn::text("Posted in the group."));
    emulator
        .send(
            TOKEN,
            from_alice(ALICE, "private", "tell the group about the deploy"),
        )
        .await
        .unwrap();
    let posted = bot_messages(&emulator, GROUP, |m| !m.is_empty()).await;
    assert_eq!(text_of(&posted[0]), "Heads-up from the <b>agent</b>.");
    let reply = bot_messages(&emulator, ALICE, |m| !m.is_empty()).await;
    assert_eq!(text_of(&reply[0]), "Posted in the group.");
    fake.assert_no_violations().unwrap();
}
