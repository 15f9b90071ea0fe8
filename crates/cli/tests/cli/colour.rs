//! Colour only for a person at a terminal: piped output is plain text, and `NO_COLOR` turns
//! colour off in a terminal too. Also the words of a failed model call: a refused connection
//! is a network failure, not a timeout, and with no fallback nothing "fails over".

use std::time::Duration;

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::tui::Tui;

use super::{free_port, rc};

const ESC: u8 = 0x1b;

fn unreachable_model(dir: &TempStateDir) {
    std::fs::create_dir_all(dir.workspace()).unwrap();
    let config = serde_json::json!({
        "models": {"providers": {"down": {
            "baseUrl": format!("http://127.0.0.1:{}/v1", free_port()),
            "api": "openai-completions",
            "models": [{"id": "m"}]
        }}},
        "agents": {"defaults": {
            "workspace": dir.workspace().display().to_string(),
            "model": {"primary": "down/m"}
        }}
    });
    dir.write_config(&config.to_string()).unwrap();
}

async fn in_terminal(dir: &TempStateDir, extra_env: &[(&str, &str)]) -> Vec<u8> {
    let mut env: Vec<(String, String)> = dir
        .env()
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.to_string_lossy().into_owned()))
        .collect();
    env.extend(
        extra_env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let mut tui = Tui::start_program(
        env!("CARGO_BIN_EXE_rustyclaw"),
        ["agent", "--local", "-m", "hi"],
        env,
        dir.root(),
    )
    .unwrap();
    tui.wait_exit(Duration::from_secs(60)).await;
    let raw = tui.raw();
    tui.close().await;
    raw
}

#[tokio::test]
async fn output_is_plain_unless_a_terminal_asks_for_colour() {
    let dir = TempStateDir::new().unwrap();
    unreachable_model(&dir);

    let out = rc(&dir)
        .args(["agent", "--local", "-m", "hi"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1));
    let stderr = out.stderr_str();
    assert!(!out.stderr.contains(&ESC), "colour in a pipe: {stderr:?}");
    assert!(stderr.contains("could not reach down"), "{stderr}");
    assert!(stderr.contains("no fallback left to try"), "{stderr}");
    for wrong in ["timeout", "failing over"] {
        assert!(!stderr.contains(wrong), "{wrong:?} in {stderr}");
    }

    let coloured = in_terminal(&dir, &[]).await;
    assert!(
        coloured.contains(&ESC),
        "a terminal gets colour: {:?}",
        String::from_utf8_lossy(&coloured)
    );
    let plain = in_terminal(&dir, &[("NO_COLOR", "1")]).await;
    let text = String::from_utf8_lossy(&plain);
    assert!(text.contains("could not reach down"), "{text}");
    assert!(!plain.contains(&ESC), "NO_COLOR in a terminal: {text:?}");
}
