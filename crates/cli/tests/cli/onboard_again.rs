//! Onboarding on a machine that already has a setup, and without flags: a second run starts
//! from the config's values and says what it changes; the model is found in the documented
//! order (a provider key in the environment, then a reachable Ollama).

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::FakeLlm;
use serde_json::Value;

use super::onboard::jsonc;
use super::{free_port, rc};

async fn onboard_json(dir: &TempStateDir, env: &[(&str, &str)], args: &[&str]) -> Value {
    let mut command = rc(dir).args(["onboard", "--non-interactive", "--json"]);
    for (k, v) in env {
        command = command.env(k, v);
    }
    let out = command.args(args.iter().copied()).run().await.unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    serde_json::from_str(&out.stdout_str()).unwrap()
}

#[tokio::test]
async fn a_second_run_keeps_the_token_port_and_model_and_lists_what_changes() {
    let dir = TempStateDir::new().unwrap();
    let port = free_port().to_string();
    // Ollama's address is pointed at a closed port so this machine's own Ollama (if any)
    // plays no part.
    let closed = format!("127.0.0.1:{}", free_port());
    let env = [
        ("OPENAI_API_KEY", "sk-first"),
        ("OLLAMA_HOST", closed.as_str()),
    ];
    let first = onboard_json(&dir, &env, &["--gateway-port", &port]).await;
    assert_eq!(first["model"], "openai/gpt-5.1");
    let config = jsonc(&dir.read_config().unwrap());
    let token = config["gateway"]["auth"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Again with nothing asked: nothing changes, not even with another key in the environment.
    let env = [
        ("ANTHROPIC_API_KEY", "sk-other"),
        ("OLLAMA_HOST", closed.as_str()),
    ];
    let second = onboard_json(&dir, &env, &[]).await;
    assert_eq!(second["changes"], serde_json::json!([]), "{second:#}");
    assert_eq!(second["modelSource"], "kept");
    assert_eq!(second["model"], "openai/gpt-5.1");
    assert_eq!(second["gateway"]["tokenKept"], true);
    assert_eq!(second["gateway"]["port"].to_string(), port);
    let config = jsonc(&dir.read_config().unwrap());
    assert_eq!(config["gateway"]["auth"]["token"], token.as_str());
    assert_eq!(config["gateway"]["port"].to_string(), port);

    // Moving the port is said, and the token still is not rotated.
    let moved = free_port().to_string();
    let out = rc(&dir)
        .env("OLLAMA_HOST", &closed)
        .args(["onboard", "--non-interactive", "--gateway-port", &moved])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let stdout = out.stdout_str();
    assert!(
        stdout.contains(&format!("gateway.port: {port} → {moved}")),
        "{stdout}"
    );
    assert!(stdout.contains("Gateway token: kept"), "{stdout}");
    assert!(
        !stdout.contains(&token),
        "the token is never printed: {stdout}"
    );
    let config = jsonc(&dir.read_config().unwrap());
    assert_eq!(config["gateway"]["auth"]["token"], token.as_str());

    // Asking for a new token is a change, shown without its value.
    let third = onboard_json(&dir, &[], &["--gateway-token", "a-new-token-of-mine"]).await;
    let changes = third["changes"].to_string();
    assert!(
        changes.contains("gateway.auth.token: (secret) → (new secret)"),
        "{changes}"
    );
    assert!(!changes.contains("a-new-token-of-mine"), "{changes}");
}

#[tokio::test]
async fn without_a_key_a_running_ollama_is_found_and_its_first_model_taken() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let host = fake.addr().to_string();
    let summary = onboard_json(&dir, &[("OLLAMA_HOST", host.as_str())], &[]).await;
    assert_eq!(summary["modelSource"], "ollama", "{summary:#}");
    assert_eq!(summary["model"], "ollama/fake-model");
    let config = jsonc(&dir.read_config().unwrap());
    assert_eq!(
        config["models"]["providers"]["ollama"]["baseUrl"],
        format!("http://{host}")
    );
    assert_eq!(config["models"]["providers"]["ollama"]["api"], "ollama");
    let listing = fake.requests();
    assert_eq!(listing.len(), 1);
    assert_eq!(listing[0].path, "/api/tags");
}

#[tokio::test]
async fn with_nothing_found_onboarding_says_where_it_looked() {
    let dir = TempStateDir::new().unwrap();
    let closed = format!("127.0.0.1:{}", free_port());
    let out = rc(&dir)
        .env("OLLAMA_HOST", &closed)
        .args(["onboard", "--non-interactive"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let stdout = out.stdout_str();
    for expected in [
        "Model: none found",
        "OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, OPENROUTER_API_KEY",
        &format!("no Ollama at http://{closed}"),
        "Connection refused",
    ] {
        assert!(stdout.contains(expected), "{expected:?} missing: {stdout}");
    }
    let config = jsonc(&dir.read_config().unwrap());
    assert!(config["agents"]["defaults"].get("model").is_none());
}
