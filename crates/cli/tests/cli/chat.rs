//! `rustyclaw chat` in a pseudo-terminal, typed at as a person would: replies stream, tool calls
//! show as they start, Ctrl-C stops a reply and the chat goes on, `/` commands reach the agent,
//! input history is kept (privately) across chats, Ctrl-D leaves. In this process when no gateway
//! runs, through the gateway when one does.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use rustyclaw_testkit::tui::Tui;
use serde_json::json;

use super::{fake_llm_config, free_port, start_gateway};

const WAIT: Duration = Duration::from_secs(30);

fn chat(dir: &TempStateDir) -> Tui {
    Tui::start_program(
        env!("CARGO_BIN_EXE_rustyclaw"),
        ["chat"],
        dir.env(),
        dir.root(),
    )
    .unwrap()
}

async fn expect(tui: &Tui, text: &str) -> String {
    tui.wait_for(text, WAIT, |screen| screen.contains(text))
        .await
        .unwrap()
}

fn setup(dir: &TempStateDir, fake: &FakeLlm) {
    let mut config = fake_llm_config(dir, fake, "chat-token");
    config["gateway"]["port"] = free_port().into();
    dir.write_config(&config.to_string()).unwrap();
    std::fs::write(dir.workspace().join("notes.md"), "buy milk\n").unwrap();
}

#[tokio::test]
async fn a_chat_in_this_process_streams_shows_tools_stops_on_ctrl_c_and_keeps_history() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    setup(&dir, &fake);
    fake.push(Turn::text_deltas(["Hello ", "from the ", "chat."]));
    fake.push(Turn::tool_calls([ToolCall::new(
        "c1",
        "read",
        json!({"path": "notes.md"}),
    )]));
    fake.push(Turn::text("Your notes say: buy milk."));
    let words: Vec<String> = (0..200).map(|i| format!("word{i} ")).collect();
    fake.push(Turn::text_deltas(words).chunk_delay(Duration::from_millis(50)));

    let mut tui = chat(&dir);
    expect(&tui, "turns run in this process").await;
    expect(&tui, "main> ").await;
    tui.submit("hi").await.unwrap();
    expect(&tui, "Hello from the chat.").await;
    tui.submit("what is in my notes?").await.unwrap();
    expect(&tui, "→ read").await;
    expect(&tui, "Your notes say: buy milk.").await;

    // A long reply, stopped halfway.
    tui.submit("tell me a long story").await.unwrap();
    expect(&tui, "word3 ").await;
    tui.type_keys(b"\x03").await.unwrap();
    let screen = expect(&tui, "(stopped)").await;
    assert!(!screen.contains("word199"), "the reply went on: {screen}");

    // The chat goes on: a command of the agent, and the chat's own help.
    tui.submit("/status").await.unwrap();
    expect(&tui, "fake/fake-model").await;
    tui.submit("/help").await.unwrap();
    expect(&tui, "/quit").await;
    tui.type_keys(b"\x04").await.unwrap();
    assert_eq!(tui.wait_exit(WAIT).await, Some(0), "{}", tui.transcript());
    tui.close().await;

    let history = dir.state_dir().join("chat_history");
    let text = std::fs::read_to_string(&history).unwrap();
    assert!(text.contains("what is in my notes?"), "{text}");
    assert_eq!(
        std::fs::metadata(&history).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // The next chat offers it under the up arrow.
    let mut tui = chat(&dir);
    expect(&tui, "main> ").await;
    tui.type_keys(b"\x1b[A").await.unwrap();
    expect(&tui, "main> /help").await;
    tui.type_keys(b"\x1b[A").await.unwrap();
    expect(&tui, "main> /status").await;
    tui.type_keys(b"\x15").await.unwrap();
    tui.wait_for("a cleared line", WAIT, |s| s.trim_end().ends_with("main>"))
        .await
        .unwrap();
    tui.type_keys(b"\x04").await.unwrap();
    assert_eq!(tui.wait_exit(WAIT).await, Some(0), "{}", tui.screen());
    tui.close().await;
}

#[tokio::test]
async fn a_chat_goes_through_a_running_gateway() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    setup(&dir, &fake);
    let (mut server, url) = start_gateway(&dir, &[]).await;
    fake.push(Turn::tool_calls([ToolCall::new(
        "c1",
        "read",
        json!({"path": "notes.md"}),
    )]));
    fake.push(Turn::text_deltas([
        "Through ",
        "the gateway: ",
        "buy milk.",
    ]));
    let words: Vec<String> = (0..200).map(|i| format!("word{i} ")).collect();
    fake.push(Turn::text_deltas(words).chunk_delay(Duration::from_millis(50)));
    fake.push(Turn::text("Still here."));

    let mut tui = chat(&dir);
    expect(&tui, &format!("through the gateway at {url}")).await;
    tui.submit("what is in my notes?").await.unwrap();
    expect(&tui, "→ read").await;
    expect(&tui, "Through the gateway: buy milk.").await;
    tui.submit("tell me a long story").await.unwrap();
    expect(&tui, "word3 ").await;
    tui.type_keys(b"\x03").await.unwrap();
    expect(&tui, "(stopped)").await;
    tui.submit("are you there?").await.unwrap();
    expect(&tui, "Still here.").await;
    tui.submit("/quit").await.unwrap();
    assert_eq!(tui.wait_exit(WAIT).await, Some(0), "{}", tui.transcript());
    tui.close().await;

    // The gateway stored the conversation in the main session.
    let out = super::rc(&dir)
        .args(["sessions", "show", "agent:main:main"])
        .run()
        .await
        .unwrap();
    assert!(
        out.stdout_str().contains("Still here."),
        "{}",
        out.stdout_str()
    );
    server.kill().await.unwrap();
}
