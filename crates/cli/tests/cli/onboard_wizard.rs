//! The onboarding wizard in a pseudo-terminal, answered as a person would: invalid answers are
//! refused at the prompt, the endpoint's models are offered, a test completion is sent before
//! anything is written, and a second run starts from the saved answers.

use std::time::Duration;

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, FakeLlmOptions, Turn};
use rustyclaw_testkit::tui::Tui;

use super::free_port;
use super::onboard::jsonc;

const WAIT: Duration = Duration::from_secs(20);

fn wizard(dir: &TempStateDir) -> Tui {
    Tui::start_program(
        env!("CARGO_BIN_EXE_rustyclaw"),
        ["onboard"],
        dir.env(),
        dir.root(),
    )
    .unwrap()
}

async fn expect(tui: &Tui, text: &str) {
    tui.wait_for(text, WAIT, |screen| screen.contains(text))
        .await
        .unwrap();
}

/// Erases `n` characters of the answer being typed.
async fn erase(tui: &mut Tui, n: usize) {
    tui.type_keys(&vec![0x7f; n]).await.unwrap();
}

#[tokio::test]
async fn the_wizard_refuses_bad_answers_offers_the_models_and_tests_the_choice() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start_with(FakeLlmOptions {
        models: vec!["fake-model".into(), "other-model".into()],
        ..FakeLlmOptions::default()
    })
    .await
    .unwrap();
    fake.push(Turn::text("OK"));
    let port = free_port().to_string();

    let mut tui = wizard(&dir);
    expect(&tui, "Model provider:").await;
    tui.submit("Custom").await.unwrap();
    expect(&tui, "API base URL:").await;
    tui.submit("not a url").await.unwrap();
    expect(&tui, "enter an http:// or https:// URL").await;
    erase(&mut tui, "not a url".len()).await;
    tui.submit(&fake.base_url()).await.unwrap();
    expect(&tui, "API key").await;
    tui.submit("").await.unwrap();
    expect(&tui, "Model (2 offered):").await;
    tui.submit("other").await.unwrap();
    expect(&tui, "Test completion OK").await;
    expect(&tui, "Gateway port:").await;
    tui.submit("abc").await.unwrap();
    expect(&tui, "a port is a number from 1 to 65535").await;
    erase(&mut tui, 3).await;
    // The prompt shows its default greyed out, not as typed text: the whole port is typed.
    tui.submit(&port).await.unwrap();
    expect(&tui, "Listen on:").await;
    tui.submit("").await.unwrap();
    expect(&tui, "Agent workspace:").await;
    tui.submit("").await.unwrap();
    assert_eq!(tui.wait_exit(WAIT).await, Some(0), "{}", tui.transcript());
    let transcript = tui.close().await;
    assert!(transcript.contains("Config written"), "{transcript}");

    let provider = format!("custom-127-0-0-1-{}", fake.addr().port());
    let config = jsonc(&dir.read_config().unwrap());
    assert_eq!(
        config["agents"]["defaults"]["model"]["primary"],
        format!("{provider}/other-model")
    );
    assert_eq!(config["gateway"]["port"].to_string(), port);
    let token = config["gateway"]["auth"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let paths: Vec<String> = fake.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        ["/v1/models", "/v1/chat/completions"],
        "list, then test"
    );

    // A second run offers to keep everything; Enter all the way changes nothing.
    let mut tui = wizard(&dir);
    expect(&tui, &format!("Keep {provider}/other-model")).await;
    tui.submit("").await.unwrap();
    expect(&tui, "Gateway port:").await;
    tui.submit("").await.unwrap();
    expect(&tui, "Listen on:").await;
    tui.submit("").await.unwrap();
    expect(&tui, "Agent workspace:").await;
    tui.submit("").await.unwrap();
    expect(&tui, "No settings change.").await;
    assert_eq!(tui.wait_exit(WAIT).await, Some(0), "{}", tui.transcript());
    tui.close().await;
    let config = jsonc(&dir.read_config().unwrap());
    assert_eq!(config["gateway"]["auth"]["token"], token.as_str());
    assert_eq!(config["gateway"]["port"].to_string(), port);
    assert_eq!(fake.request_count(), 2, "keeping the model tests nothing");
}
