//! Block streaming end to end over a real `ngircd`: with `streaming.block.enabled`, what the
//! model writes before a tool call is sent when the call starts, the answer leaves paragraph by
//! paragraph while the model is still writing it, and the final reply sends only what the
//! blocks did not — every line arrives once, in order.

use std::time::{Duration, Instant};

use rustyclaw_channels::irc::IrcEvent;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use rustyclaw_testkit::{Ngircd, TempStateDir};
use serde_json::json;

use super::channels_irc::{BOT, user};
use super::{fake_llm_config, free_port, start_gateway};

const TOKEN: &str = "irc-blocks-token-1234";

#[tokio::test]
async fn a_reply_leaves_in_blocks_while_it_is_written_and_nothing_twice() {
    let server = Ngircd::start().await.unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["gateway"]["port"] = json!(free_port());
    config["agents"]["defaults"]["blockStreamingChunk"] = json!({"minChars": 30, "maxChars": 300});
    config["channels"] = json!({"irc": {
        "host": "127.0.0.1",
        "port": server.port(),
        "tls": false,
        "nick": BOT,
        "dmPolicy": "open",
        "allowFrom": ["*"],
        "streaming": {"block": {"enabled": true, "coalesce": {"idleMs": 100}}}
    }});
    dir.write_config(&config.to_string()).unwrap();
    std::fs::write(dir.workspace().join("notes.md"), "all quiet").unwrap();
    let (alice, mut events) = user(&server, "alice").await;
    let (_gateway, _url) = start_gateway(&dir, &[]).await;

    fake.push(
        Turn::tool_calls([ToolCall::new("call-1", "read", json!({"path": "notes.md"}))])
            .with_text("Let me read the notes first."),
    );
    let paragraphs = [
        "The first paragraph says the notes are quiet.",
        "The second paragraph says nothing broke overnight.",
        "The third paragraph is the last one, sent with the final reply.",
    ];
    fake.push(
        Turn::text_deltas([
            format!("{}\n\n", paragraphs[0]),
            format!("{}\n\n", paragraphs[1]),
            paragraphs[2].to_owned(),
        ])
        .chunk_delay(Duration::from_millis(700)),
    );
    // The bot registers shortly after the gateway starts; ask until it answers.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines: Vec<(Instant, String)> = Vec::new();
    let mut asked = false;
    while !lines.iter().any(|(_, l)| l.contains("third paragraph")) {
        assert!(
            Instant::now() < deadline,
            "the bot did not answer: {lines:#?}"
        );
        if !asked {
            asked = alice.privmsg(BOT, "anything in the notes?").await.is_ok();
        }
        match tokio::time::timeout(Duration::from_secs(3), events.recv()).await {
            Ok(Some(IrcEvent::Message(message))) if message.from.nick == BOT => {
                lines.push((Instant::now(), message.text));
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("the user's connection ended"),
            // Nothing yet: the first DM may have gone before the bot was on the server.
            Err(_) if lines.is_empty() && fake.requests().is_empty() => asked = false,
            Err(_) => {}
        }
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    while let Ok(Some(IrcEvent::Message(message))) =
        tokio::time::timeout(Duration::from_millis(200), events.recv()).await
    {
        if message.from.nick == BOT {
            lines.push((Instant::now(), message.text));
        }
    }
    let texts: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    let mut expected = vec!["Let me read the notes first."];
    expected.extend(paragraphs);
    assert_eq!(texts, expected, "each line once, in order");
    // The paragraphs left as they were written (about 0.7 s apart), not all at the end.
    let first = lines[1].0;
    let second = lines[2].0;
    assert!(
        second.duration_since(first) >= Duration::from_millis(400),
        "blocks came together: {:?}",
        second.duration_since(first)
    );
    fake.assert_no_violations().unwrap();
    alice.shutdown("bye").await;
}
