//! Skills in a turn: the catalog of the system prompt, reading a skill kept outside the
//! workspace, skills added between turns, slash commands (prompted and dispatched to a tool),
//! and `skills.entries` variables given to the turn's commands only.

use rustyclaw_agent::{EventKind, RunStatus};
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use serde_json::{Value, json};

use super::harness::Harness;

fn write_skill(root: &std::path::Path, folder: &str, frontmatter: &str, body: &str) {
    let dir = root.join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("SKILL.md"),
        format!("---\n{frontmatter}\n---\n{body}"),
    )
    .unwrap();
}

fn system_prompt(request: &rustyclaw_testkit::fake_llm::RecordedRequest) -> String {
    let body: Value = request.body.clone().unwrap();
    body["messages"][0]["content"].as_str().unwrap().to_owned()
}

fn user_text(request: &rustyclaw_testkit::fake_llm::RecordedRequest) -> String {
    let body: Value = request.body.clone().unwrap();
    body["messages"][1]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn eligible_skills_reach_the_prompt_and_their_files_can_be_read() {
    let fake = FakeLlm::start().await.unwrap();
    let mut h = Harness::start_with(&fake, json!({})).await;
    let managed = h.dir.path().join("skills");
    write_skill(
        &managed,
        "brew-log",
        "name: brew-log\ndescription: Keep a log of home brews & tastings",
        "Append each brew to brews.md.\n",
    );
    write_skill(
        &managed,
        "needs-bin",
        "name: needs-bin\ndescription: Needs a missing program\nmetadata: {\"openclaw\": {\"requires\": {\"bins\": [\"no-such-program-here\"]}}}",
        "x",
    );
    write_skill(
        &managed,
        "hidden",
        "name: hidden\ndescription: Only by command\ndisable-model-invocation: true",
        "x",
    );
    let skill_file = managed.join("brew-log/SKILL.md");
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_r",
        "read",
        json!({"path": skill_file.display().to_string()}),
    )]));
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_x",
        "read",
        json!({"path": h.dir.path().join("openclaw.json").display().to_string()}),
    )]));
    fake.push(Turn::text("Logged."));
    let (outcome, events) = h.send("I brewed a stout").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    let system = system_prompt(&fake.requests()[0]);
    assert!(system.contains("## Skills"), "{system}");
    assert!(system.contains("<name>brew-log</name>"), "{system}");
    assert!(system.contains("home brews &amp; tastings"), "{system}");
    assert!(
        system.contains(&format!("<location>{}</location>", skill_file.display())),
        "{system}"
    );
    assert!(
        !system.contains("needs-bin"),
        "an ineligible skill stays out"
    );
    assert!(
        !system.contains("<name>hidden</name>"),
        "disable-model-invocation stays out"
    );
    let finished: Vec<(bool, String)> = events
        .iter()
        .filter_map(|e| match e {
            EventKind::ToolFinished {
                is_error, output, ..
            } => Some((*is_error, output.clone())),
            _ => None,
        })
        .collect();
    assert!(
        !finished[0].0 && finished[0].1.contains("Append each brew"),
        "{finished:?}"
    );
    assert!(
        finished[1].0,
        "outside the skills and the workspace stays unreadable: {finished:?}"
    );
    fake.assert_no_violations().unwrap();
}

#[tokio::test]
async fn a_skill_added_between_turns_is_seen_by_the_next_one() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("one"));
    fake.push(Turn::text("two"));
    let mut h = Harness::start(&fake).await;
    h.send("first").await;
    assert!(!system_prompt(&fake.requests()[0]).contains("## Skills"));
    write_skill(
        &h.workspace().join("skills"),
        "fresh",
        "name: fresh\ndescription: Added while running",
        "x",
    );
    h.send("second").await;
    assert!(system_prompt(&fake.requests()[1]).contains("<name>fresh</name>"));
}

#[tokio::test]
async fn a_skill_command_asks_the_model_to_follow_the_skill() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("Following it."));
    let mut h = Harness::start(&fake).await;
    write_skill(
        &h.workspace().join("skills"),
        "release-notes",
        "name: Release Notes\ndescription: Draft release notes",
        "x",
    );
    let (outcome, _) = h.send("/release_notes for v2.1").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    let text = user_text(&fake.requests()[0]);
    assert!(text.contains("\"Release Notes\" skill"), "{text}");
    assert!(text.contains("release-notes/SKILL.md"), "{text}");
    assert!(text.ends_with("for v2.1"), "{text}");

    let (outcome, _) = h.send("/skill nope").await;
    assert!(outcome.reply_text().unwrap().contains("No skill \"nope\""));
    assert_eq!(
        fake.requests().len(),
        1,
        "an unknown skill reaches no model"
    );
}

#[tokio::test]
async fn a_tool_dispatched_command_skips_the_model() {
    let fake = FakeLlm::start().await.unwrap();
    let mut h = Harness::start(&fake).await;
    write_skill(
        &h.workspace().join("skills"),
        "shout",
        "name: shout\ndescription: Run a command\ncommand-dispatch: tool\ncommand-tool: session_status",
        "x",
    );
    let (outcome, _) = h.send("/skill shout now").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    let reply = outcome.reply_text().unwrap();
    assert!(
        reply.contains("agent:main:main"),
        "session_status answered: {reply}"
    );
    assert!(fake.requests().is_empty(), "no model call");
}

#[tokio::test]
async fn skill_variables_reach_the_turns_commands_only_while_the_skill_is_usable() {
    let fake = FakeLlm::start().await.unwrap();
    let extra = json!({"skills": {"entries": {
        "weatherish": {"env": {"WEATHER_UNITS": "metric"}, "apiKey": "wk-secret-value"},
        "off": {"enabled": false, "env": {"OFF_VAR": "leaked"}}
    }}});
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_x",
        "exec",
        json!({"command": "echo units=$WEATHER_UNITS key=$WEATHER_KEY off=$OFF_VAR"}),
    )]));
    fake.push(Turn::text("done"));
    let mut h = Harness::start_with(&fake, extra).await;
    let skills = h.workspace().join("skills");
    write_skill(
        &skills,
        "weatherish",
        "name: weatherish\ndescription: Weather\nmetadata: {\"openclaw\": {\"primaryEnv\": \"WEATHER_KEY\"}}",
        "x",
    );
    write_skill(&skills, "off", "name: off\ndescription: Disabled", "x");
    let (outcome, events) = h.send("weather?").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    let output = events
        .iter()
        .find_map(|e| match e {
            EventKind::ToolFinished { output, .. } => Some(output.clone()),
            _ => None,
        })
        .unwrap();
    assert!(output.contains("units=metric"), "{output}");
    assert!(output.contains("key=wk-secret-value"), "{output}");
    assert!(
        output.contains("off= ") || output.trim_end().ends_with("off="),
        "{output}"
    );
    // The key is in no request the model saw but the command's own output.
    let system = system_prompt(&fake.requests()[0]);
    assert!(!system.contains("wk-secret-value"));
}
