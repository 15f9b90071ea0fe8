//! OpenClaw's own Control UI, from the conformance install, served by `rustyclaw gateway run`
//! through `gateway.controlUi.root` and driven in headless Chromium: it logs in with the token
//! in the URL fragment, sends a message and shows the fake model's reply.

use std::path::PathBuf;
use std::time::Duration;

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::browser::Browser;
use rustyclaw_testkit::conformance::OfficialCli;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};

use super::{fake_llm_config, start_gateway};

const TOKEN: &str = "control-ui-conformance-token-7731";

/// `dist/control-ui` of the installed `openclaw` package.
fn openclaw_control_ui() -> PathBuf {
    let cli = OfficialCli::from_env().unwrap();
    let dir = cli.cli().parent().unwrap().join("dist/control-ui");
    assert!(
        dir.join("index.html").is_file(),
        "no Control UI build at {}",
        dir.display()
    );
    dir
}

#[tokio::test]
async fn openclaw_control_ui_chats_with_rustyclaw() {
    let browser = Browser::from_env().unwrap();
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text_deltas([
        "Hello from ",
        "rustyclaw's fake model.",
    ]));
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["gateway"]["controlUi"] =
        serde_json::json!({"root": openclaw_control_ui().display().to_string()});
    dir.write_config(&config.to_string()).unwrap();
    let (server, url) = start_gateway(&dir, &["--port", "0"]).await;
    let http = url.replacen("ws://", "http://", 1);
    let reply = "Hello from rustyclaw's fake model.";
    let run = browser
        .run(
            "openclaw-control-ui",
            &[
                ("URL", http.trim_end_matches('/')),
                ("TOKEN", TOKEN),
                ("REPLY", reply),
            ],
            Duration::from_secs(180),
        )
        .await
        .unwrap();
    assert!(run.fact("chat").is_some(), "the reply was shown");
    // What each page of OpenClaw's navigation showed (the table in docs/protocol.md).
    for view in run.facts().iter().filter(|f| f["fact"] == "view") {
        eprintln!("OpenClaw Control UI page: {view}");
    }
    let logs = server.stdout() + &server.stderr();
    assert!(
        !logs.contains(TOKEN),
        "the token reached the gateway's logs"
    );
}
