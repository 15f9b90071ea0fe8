//! IRC end to end: the real `rustyclaw gateway run`, the testkit fake LLM and a real `ngircd`
//! with a user on it. An unknown DM sender is paired by mask (and no run happens), the
//! approved sender is answered, a channel answers only when the bot's nick is mentioned, and a
//! long reply arrives as ordered lines within IRC's limits.

use std::time::{Duration, Instant};

use rustyclaw_channels::irc::{ChannelJoin, IrcClient, IrcConfig, IrcEvent, MessageTarget};
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use rustyclaw_testkit::{Ngircd, TempStateDir};
use serde_json::json;
use tokio::sync::mpsc::Receiver;

use super::channels_telegram::pairing_code;
use super::{fake_llm_config, free_port, rc, start_gateway};

const TOKEN: &str = "irc-e2e-token-1234";
pub(super) const BOT: &str = "claw";

/// A user on `server`, joined to `#ops`.
pub(super) async fn user(server: &Ngircd, nick: &str) -> (IrcClient, Receiver<IrcEvent>) {
    let mut config = IrcConfig::new("127.0.0.1", server.port(), None, nick);
    config.channels = vec![ChannelJoin {
        name: "#ops".into(),
        key: None,
    }];
    let (client, mut events) = IrcClient::start(config).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let event = tokio::time::timeout_at(deadline.into(), events.recv())
            .await
            .expect("the user did not join #ops")
            .expect("the user's connection ended");
        if matches!(event, IrcEvent::Joined { ref channel } if channel == "#ops") {
            return (client, events);
        }
    }
}

/// The lines `BOT` sends the user (to `where_`), until `done` says the collection is complete.
pub(super) async fn lines_from_bot(
    events: &mut Receiver<IrcEvent>,
    to_channel: bool,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(&lines) {
        let event = tokio::time::timeout_at(deadline.into(), events.recv())
            .await
            .unwrap_or_else(|_| panic!("the bot did not answer; got {lines:#?}"))
            .expect("the user's connection ended");
        if let IrcEvent::Message(message) = event
            && message.from.nick == BOT
            && matches!(message.target, MessageTarget::Channel(_)) == to_channel
        {
            lines.push(message.text);
        }
    }
    lines
}

#[tokio::test]
async fn pairing_mentions_and_long_replies_over_irc() {
    let server = Ngircd::start().await.unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["gateway"]["port"] = json!(free_port());
    config["channels"] = json!({"irc": {
        "host": "127.0.0.1",
        "port": server.port(),
        "tls": false,
        "nick": BOT,
        "channels": ["#ops"],
        "groups": {"#ops": {"requireMention": true}}
    }});
    config["tools"] = json!({"alsoAllow": ["message"]});
    dir.write_config(&config.to_string()).unwrap();
    let (user, mut events) = user(&server, "alice").await;
    let (_gateway, _url) = start_gateway(&dir, &[]).await;

    // The bot registers shortly after the gateway starts; a DM before that is refused by the
    // server, so ask until the pairing message comes back.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines: Vec<String> = Vec::new();
    while !lines
        .iter()
        .any(|line| line.contains("pairing approve irc "))
    {
        assert!(Instant::now() < deadline, "no pairing message: {lines:#?}");
        if lines.is_empty() {
            let _ = user.privmsg(BOT, "hello?").await;
        }
        if let Ok(Some(IrcEvent::Message(message))) =
            tokio::time::timeout(Duration::from_secs(2), events.recv()).await
            && message.from.nick == BOT
        {
            lines.push(message.text);
        }
    }
    let pairing = lines.join("\n");
    assert!(pairing.contains("Your IRC id: alice!"), "{pairing}");
    assert!(fake.requests().is_empty(), "no run for an unpaired sender");
    let code = pairing_code(&pairing, "irc");
    let out = rc(&dir)
        .args(["pairing", "approve", "irc", &code])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());

    // Approved, the next DM is answered by the model.
    fake.push(Turn::text("Hello **alice**, welcome."));
    user.privmsg(BOT, "hi again").await.unwrap();
    let reply = lines_from_bot(&mut events, false, |l| !l.is_empty()).await;
    assert_eq!(reply, ["Hello alice, welcome."]);

    // In the channel, only a message that mentions the bot runs.
    let runs = fake.requests().len();
    user.privmsg("#ops", "just chatting").await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(fake.requests().len(), runs, "no run without a mention");
    // A reply of ~9,000 characters, 27 lines that each fill most of one IRC message, sent at
    // the flood-control pace (a burst, then about one line and 512 bytes a second: ~20 s).
    let long: String = (0..27)
        .map(|n| format!("Line {n:02}: {}\n", "word ".repeat(66)))
        .collect();
    fake.push(Turn::text(&long));
    user.privmsg("#ops", &format!("{BOT}: summarise please"))
        .await
        .unwrap();
    let lines = lines_from_bot(&mut events, true, |l| {
        l.iter().any(|line| line.starts_with("Line 26"))
    })
    .await;
    let numbered: Vec<&String> = lines.iter().filter(|l| l.starts_with("Line ")).collect();
    assert!(long.len() > 9_000, "{}", long.len());
    assert_eq!(numbered.len(), 27, "{lines:#?}");
    for (n, line) in numbered.iter().enumerate() {
        assert!(
            line.starts_with(&format!("Line {n:02}")),
            "out of order: {lines:#?}"
        );
        assert!(line.len() < 450, "{line}");
    }

    // The agent's message tool posts into the channel from a DM.
    fake.push(Turn::tool_calls([ToolCall::new(
        "call-post",
        "message",
        json!({"action": "send", "channel": "irc", "target": "#ops",
               "message": "Heads-up from the **agent**."}),
    )]));
    fake.push(Turn::text("Posted in #ops."));
    user.privmsg(BOT, "tell #ops about the deploy")
        .await
        .unwrap();
    let posted = lines_from_bot(&mut events, true, |l| !l.is_empty()).await;
    assert_eq!(posted, ["Heads-up from the agent."]);
    let reply = lines_from_bot(&mut events, false, |l| !l.is_empty()).await;
    assert_eq!(reply, ["Posted in #ops."]);
    fake.assert_no_violations().unwrap();
    user.shutdown("bye").await;
}
