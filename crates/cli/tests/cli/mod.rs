mod agent;
mod agent_gateway;
mod approvals;
mod channels;
mod channels_blocks;
mod channels_faults;
mod channels_group_thread;
mod channels_irc;
mod channels_streaming;
mod channels_telegram;
mod channels_telegram_emulator;
mod chat;
mod clawhub;
mod colour;
mod config_cmd;
mod config_coverage;
mod config_hardening;
mod control_ui;
mod control_ui_openclaw;
mod credentials;
mod devices;
mod doctor;
mod doctor_probes;
mod file_modes;
mod gateway;
mod gateway_hardening;
mod gateway_restart;
mod guards;
mod logging;
mod lost_runs;
mod memory;
mod memory_recall;
mod official_cli;
mod official_tui;
mod onboard;
mod onboard_again;
mod onboard_wizard;
mod pairing;
mod sandbox;
mod sandbox_cgroups;
mod sandbox_gateway;
mod secrets_leak;
mod sessions;
mod skill_installers;
mod skills;
mod tools;

use rustyclaw_testkit::fake_llm::FakeLlm;
use rustyclaw_testkit::{RustyClaw, TempStateDir};

/// The binary under test, in a fresh state dir.
pub fn rc(dir: &TempStateDir) -> RustyClaw {
    RustyClaw::new(env!("CARGO_BIN_EXE_rustyclaw")).state_dir(dir)
}

/// The captured OpenClaw conformance data, beside the repository.
pub fn conformance(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/openclaw-2026.9.6")
        .join(name)
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn version_and_help_describe_the_tool() {
    let dir = TempStateDir::new().unwrap();
    let out = rc(&dir).arg("--version").run().await.unwrap();
    assert!(out.success());
    assert_eq!(
        out.stdout_str().trim(),
        format!("rustyclaw {}", env!("CARGO_PKG_VERSION"))
    );
    let out = rc(&dir).arg("--help").run().await.unwrap();
    let help = out.stdout_str();
    for expected in ["onboard", "doctor", "config", "Quick tour", "openclaw.json"] {
        assert!(help.contains(expected), "help lacks {expected}: {help}");
    }
}

#[tokio::test]
async fn completions_are_generated_for_bash() {
    let dir = TempStateDir::new().unwrap();
    let out = rc(&dir).args(["completions", "bash"]).run().await.unwrap();
    assert!(out.success());
    assert!(
        out.stdout_str().contains("complete -F _rustyclaw"),
        "{}",
        out.stdout_str()
    );
}

#[tokio::test]
async fn user_mistakes_get_one_line_and_a_hint_not_a_backtrace() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config("{ gateway: { port: 1 ").unwrap();
    let out = rc(&dir).arg("status").run().await.unwrap();
    assert_eq!(out.code(), Some(2));
    let err = out.stderr_str();
    assert!(
        err.starts_with("error: ") && err.contains("openclaw.json:1:"),
        "{err}"
    );
    assert!(err.contains("hint: "), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

/// The API key every fake-LLM config carries (a canary: tests check it never leaks).
pub const FAKE_API_KEY: &str = "sk-fake-gateway-0000";

/// A config answering with the fake LLM (`fake/fake-model`), token auth with `token`, and the
/// state dir's workspace (created here); tests adjust the returned JSON before writing it.
pub fn fake_llm_config(
    dir: &TempStateDir,
    fake: &rustyclaw_testkit::fake_llm::FakeLlm,
    token: &str,
) -> serde_json::Value {
    std::fs::create_dir_all(dir.workspace()).unwrap();
    serde_json::json!({
        "gateway": {"auth": {"mode": "token", "token": token}},
        "models": {"providers": {"fake": {
            "baseUrl": fake.base_url(),
            "api": "openai-completions",
            "apiKey": FAKE_API_KEY,
            "models": [{"id": "fake-model", "contextWindow": 64000}]
        }}},
        "agents": {"defaults": {
            "workspace": dir.workspace().display().to_string(),
            "model": {"primary": "fake/fake-model"}
        }}
    })
}

/// Starts `rustyclaw gateway run <args>` over `dir` and waits until it listens; returns the
/// process and its WebSocket URL.
pub async fn start_gateway(
    dir: &TempStateDir,
    args: &[&str],
) -> (rustyclaw_testkit::bin::RunningChild, String) {
    let server = rc(dir)
        .args(["gateway", "run"])
        .args(args.iter().copied())
        .spawn()
        .unwrap();
    let line = server
        .wait_for_line(
            rustyclaw_testkit::bin::Stream::Stdout,
            |l| l.contains("gateway listening on ws://"),
            std::time::Duration::from_secs(20),
        )
        .await
        .unwrap();
    let url = line.split_whitespace().last().unwrap().to_owned();
    (server, url)
}

/// Waits until stdout holds `n` "listening" lines (one per start).
pub async fn wait_for_starts(server: &rustyclaw_testkit::bin::RunningChild, n: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while server
        .stdout()
        .matches("gateway listening on ws://")
        .count()
        < n
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no restart: {}",
            server.stderr()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// `rustyclaw gateway call <method>` against the gateway at `url` with `token`; the parsed
/// payload (the call must succeed).
pub async fn gateway_call(
    dir: &TempStateDir,
    url: &str,
    token: &str,
    method: &str,
    params: serde_json::Value,
) -> serde_json::Value {
    let out = rc(dir)
        .args([
            "gateway", "call", method, "--url", url, "--token", token, "--params",
        ])
        .arg(params.to_string())
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{method}: {}", out.stderr_str());
    serde_json::from_str(&out.stdout_str()).unwrap()
}

/// Writes a config whose only model is the fake LLM's `fake/fake-model`, with `api_key` (a
/// literal or a `${VAR}` reference), and creates the agent's workspace.
pub fn write_fake_model_config(dir: &TempStateDir, fake: &FakeLlm, api_key: &str) {
    let config = serde_json::json!({
        "models": {"providers": {"fake": {
            "baseUrl": fake.base_url(),
            "api": "openai-completions",
            "apiKey": api_key,
            "models": [{"id": "fake-model", "contextWindow": 64000}]
        }}},
        "agents": {"defaults": {
            "workspace": dir.workspace().display().to_string(),
            "model": {"primary": "fake/fake-model"}
        }}
    });
    dir.write_config(&config.to_string()).unwrap();
    std::fs::create_dir_all(dir.workspace()).unwrap();
}
