//! Agent group threads (`broadcast`) end to end over a real `ngircd`: a message that
//! @-mentions one participant runs only that one (and passes the room's mention gate without
//! naming the bot); one that addresses both runs both, each in its own session, their replies
//! labelled with their names; a follow-up round shows a participant its sibling's reply within
//! the turn budget, and a participant that passes sends nothing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustyclaw_channels::irc::IrcEvent;
use rustyclaw_testkit::fake_llm::{FakeLlm, FakeLlmOptions, RecordedRequest, Responder, Turn};
use rustyclaw_testkit::{Ngircd, TempStateDir};
use serde_json::json;

use super::channels_irc::{BOT, lines_from_bot, user};
use super::{fake_llm_config, free_port, start_gateway};

const TOKEN: &str = "irc-thread-token-1234";

/// What each participant answers, in order (`NO_REPLY` once its script is spent).
type Scripts = Arc<Mutex<Vec<(&'static str, Vec<&'static str>)>>>;

/// Which participant a request comes from: its workspace's IDENTITY.md says.
fn participant(request: &RecordedRequest) -> &'static str {
    let system = request
        .messages()
        .first()
        .map(|m| m.to_string())
        .unwrap_or_default();
    if system.contains("AGENT-REVIEWER") {
        "reviewer"
    } else if system.contains("AGENT-WRITER") {
        "writer"
    } else {
        "other"
    }
}

/// The text of the last message of a request (the turn's input).
fn last_text(request: &RecordedRequest) -> String {
    request
        .messages()
        .last()
        .map(|m| m["content"].to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn participants_answer_in_their_own_sessions_within_the_rounds_and_turns() {
    let server = Ngircd::start().await.unwrap();
    let dir = TempStateDir::new().unwrap();
    // Each participant answers from its own script, whatever order the turns run in.
    let scripts: Scripts = Arc::new(Mutex::new(vec![
        (
            "writer",
            vec!["A haiku: spring rain on the roof.", "Here is the draft."],
        ),
        (
            "reviewer",
            vec![
                "Looks good; @writer should add a title.",
                "Also: the second line scans badly.",
            ],
        ),
    ]));
    let responder_scripts = scripts.clone();
    let fake = FakeLlm::start_with(FakeLlmOptions {
        responder: Some(Responder::new(move |request| {
            let who = participant(request);
            let mut scripts = responder_scripts.lock().unwrap();
            let next = scripts
                .iter_mut()
                .find(|(agent, _)| *agent == who)
                .filter(|(_, texts)| !texts.is_empty())
                .map(|(_, texts)| texts.remove(0));
            Turn::text(next.unwrap_or("NO_REPLY")).into()
        })),
        ..FakeLlmOptions::default()
    })
    .await
    .unwrap();
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["gateway"]["port"] = json!(free_port());
    let mut agents = Vec::new();
    for id in ["reviewer", "writer"] {
        let workspace = dir.root().join(format!("workspace-{id}"));
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::write(
            workspace.join("IDENTITY.md"),
            format!("You are AGENT-{}.", id.to_uppercase()),
        )
        .unwrap();
        agents.push(
            json!({"id": id, "workspace": workspace.display().to_string(),
            "identity": {"name": id[..1].to_uppercase() + &id[1..]}}),
        );
    }
    config["agents"]["list"] = json!(agents);
    config["broadcast"] = json!({
        "strategy": "parallel",
        "irc:#ops": {"agents": ["reviewer", "writer"], "maxRounds": 2, "maxTurns": 3}
    });
    config["channels"] = json!({"irc": {
        "host": "127.0.0.1",
        "port": server.port(),
        "tls": false,
        "nick": BOT,
        "channels": ["#ops"],
        "groupPolicy": "open",
        "groups": {"#ops": {"requireMention": true}}
    }});
    dir.write_config(&config.to_string()).unwrap();
    let (alice, mut events) = user(&server, "alice").await;
    let (_gateway, _url) = start_gateway(&dir, &[]).await;
    // Nothing names the bot, but @Writer names a participant: only the writer runs. The bot
    // joins #ops shortly after the gateway starts and does not see what was said before, so
    // say it until it answers.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut lines = Vec::new();
    while lines.len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "no answer in #ops: {lines:#?}"
        );
        if lines.is_empty() {
            alice
                .privmsg("#ops", "@Writer a haiku please")
                .await
                .unwrap();
        }
        let until = tokio::time::Instant::now() + Duration::from_secs(4);
        while lines.len() < 2 {
            match tokio::time::timeout_at(until, events.recv()).await {
                Ok(Some(IrcEvent::Message(message))) if message.from.nick == BOT => {
                    lines.push(message.text);
                }
                Ok(Some(_)) => {}
                _ => break,
            }
        }
    }
    assert_eq!(lines, ["Writer", "A haiku: spring rain on the roof."]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        fake.requests().len(),
        1,
        "only the mentioned participant ran"
    );
    assert_eq!(participant(&fake.requests()[0]), "writer");

    // Both addressed: round 1 runs both; of the budget of 3 turns per message one is left for
    // round 2, and it goes to the first participant in configured order, the reviewer, who
    // reads the writer's reply.
    alice
        .privmsg("#ops", "@reviewer @writer review the haiku")
        .await
        .unwrap();
    let lines = lines_from_bot(&mut events, true, |l| {
        l.iter().any(|line| line.contains("scans badly"))
    })
    .await;
    let text = lines.join("\n");
    assert!(
        text.contains("Reviewer\nLooks good; @writer should add a title."),
        "{text}"
    );
    assert!(text.contains("Writer\nHere is the draft."), "{text}");
    assert!(
        text.ends_with("Reviewer\nAlso: the second line scans badly."),
        "{text}"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let requests = fake.requests();
    assert_eq!(requests.len(), 4, "1 + 2 turns in round 1 + 1 in round 2");
    let digest = &requests[3];
    assert_eq!(participant(digest), "reviewer");
    let input = last_text(digest);
    assert!(input.contains("Group thread round 2."), "{input}");
    assert!(
        input.contains("Writer (writer):\\nHere is the draft."),
        "{input}"
    );
    assert!(
        !input.contains("Looks good"),
        "its own reply is not in the digest: {input}"
    );

    // Each participant has its own session: the writer's second turn carries its first
    // exchange, the reviewer's first turn never saw it.
    let writer_second = requests[1..3]
        .iter()
        .find(|r| participant(r) == "writer")
        .unwrap();
    let reviewer_first = requests[1..3]
        .iter()
        .find(|r| participant(r) == "reviewer")
        .unwrap();
    let writer_history = serde_json::to_string(writer_second.messages()).unwrap();
    let reviewer_history = serde_json::to_string(reviewer_first.messages()).unwrap();
    assert!(writer_history.contains("spring rain"), "{writer_history}");
    assert!(
        !reviewer_history.contains("spring rain"),
        "{reviewer_history}"
    );
    fake.assert_no_violations().unwrap();
    alice.shutdown("bye").await;
}
