//! The official `openclaw tui`, interactive in a pseudo-terminal, against `rustyclaw gateway
//! run` with the fake LLM: a conversation of five turns, each reply on the screen and the TUI
//! idle again after it, the footer showing the model and the session's tokens, and no
//! "unknown method" anywhere.

use std::time::Duration;

use rustyclaw_testkit::conformance::OfficialCli;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn, Usage};
use rustyclaw_testkit::{TempStateDir, Tui};

use super::{fake_llm_config, start_gateway};

const TOKEN: &str = "tui-conformance-token-4242";

#[tokio::test]
async fn the_official_tui_holds_a_five_turn_conversation() {
    let cli = OfficialCli::from_env().unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    for n in 1..=5u64 {
        fake.push(
            Turn::text_deltas([format!("Reply number {n} "), "from the fake.".to_owned()])
                .with_usage(Usage::new(1_000 * n, 20)),
        );
    }
    let config = fake_llm_config(&dir, &fake, TOKEN);
    dir.write_config(&config.to_string()).unwrap();
    let (_server, url) = start_gateway(&dir, &["--port", "0"]).await;
    let state = TempStateDir::new().unwrap();
    state
        .write_config(r#"{ "update": { "checkOnStart": false }, "discovery": { "mdns": { "mode": "off" } } }"#)
        .unwrap();
    let mut tui = Tui::start(&cli, &state, ["tui", "--url", &url, "--token", TOKEN]).unwrap();
    let idle = |screen: &str| screen.contains("gateway connected | idle");
    tui.wait_for("the TUI connected and idle", Duration::from_secs(60), idle)
        .await
        .unwrap();
    for n in 1..=5 {
        tui.submit(&format!("message number {n}")).await.unwrap();
        let reply = format!("Reply number {n} from the fake.");
        // The footer: the model, and the tokens the gateway reported for the session.
        let tokens = format!("fake-model | deliver:off | tokens {n}.0k/64k");
        let shown = tui
            .wait_for(
                &format!("reply {n}, idle, {tokens}"),
                // A bound for a loaded CI machine (the Node TUI starts slowly), not a timing.
                Duration::from_secs(120),
                |s| s.contains(&reply) && idle(s) && s.contains(&tokens),
            )
            .await;
        if let Err(error) = shown {
            panic!("turn {n}: {error}");
        }
    }
    // With tool activity shown (`/verbose on`), a turn that reads a file: the TUI gets the
    // `tool` stream (it declares `tool-events`) and shows the call, then the reply.
    std::fs::write(dir.workspace().join("notes.md"), "buy milk\n").unwrap();
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_notes",
        "read",
        serde_json::json!({"path": "notes.md"}),
    )]));
    fake.push(Turn::text("Your notes say: buy milk."));
    tui.submit("/verbose on").await.unwrap();
    // The footer says so once the session has it (the typed command alone also reads
    // "verbose"; a turn sent before the setting lands shows no tool activity).
    tui.wait_for("verbose on", Duration::from_secs(30), |s| {
        s.contains("| verbose on |") && idle(s)
    })
    .await
    .unwrap();
    tui.submit("what is in my notes?").await.unwrap();
    let screen = tui
        .wait_for("the tool and the reply", Duration::from_secs(60), |s| {
            s.contains("Your notes say: buy milk.") && idle(s)
        })
        .await
        .unwrap();
    assert!(
        screen.contains("Read") && screen.contains("from notes.md"),
        "the tool call is shown: {screen}"
    );
    let transcript = tui.close().await;
    assert!(!transcript.contains("unknown method"), "{transcript}");
    assert_eq!(fake.pending_turns(), 0);
}
