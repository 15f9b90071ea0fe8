use serde_json::Value;

use super::{free_port, rc};
use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};

#[tokio::test]
async fn non_interactive_onboarding_writes_a_working_setup() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let base_url = fake.base_url();
    let provider_id = format!("custom-127-0-0-1-{}", fake.addr().port());
    let port = free_port().to_string();
    let out = rc(&dir)
        .args([
            "onboard",
            "--non-interactive",
            "--auth-choice",
            "custom-api-key",
            "--custom-base-url",
            &base_url,
            "--custom-model-id",
            "fake-model",
            "--custom-api-key",
            "sk-onboard-secret",
            "--gateway-port",
            &port,
            "--json",
        ])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let summary: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(summary["model"], format!("{provider_id}/fake-model"));

    let text = dir.read_config().unwrap();
    assert!(
        !text.contains("sk-onboard-secret"),
        "the key goes to the vault: {text}"
    );
    let config: Value = jsonc(&text);
    assert_eq!(
        config["models"]["providers"][&provider_id]["apiKey"],
        serde_json::json!({"source": "exec", "provider": "rustyclaw-vault", "id": provider_id})
    );
    let resolver = &config["secrets"]["providers"]["rustyclaw-vault"];
    assert_eq!(resolver["source"], "exec");
    assert!(std::path::Path::new(resolver["command"].as_str().unwrap()).is_absolute());
    assert_eq!(
        summary["credentialStore"].as_str(),
        dir.state_dir().join("credentials/vault.json").to_str()
    );
    let out = rc(&dir)
        .args(["credentials", "list", "--json"])
        .run()
        .await
        .unwrap();
    let list: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(list["credentials"][0]["name"], provider_id.as_str());
    assert_eq!(
        config["gateway"]["port"].as_u64(),
        Some(port.parse().unwrap())
    );
    assert_eq!(config["gateway"]["auth"]["mode"], "token");
    assert_eq!(
        config["gateway"]["auth"]["token"].as_str().map(str::len),
        Some(64)
    );
    assert_eq!(
        config["agents"]["defaults"]["model"]["primary"],
        format!("{provider_id}/fake-model")
    );
    assert_eq!(
        config["models"]["providers"][&provider_id]["api"],
        "openai-completions"
    );
    for file in [
        "AGENTS.md",
        "SOUL.md",
        "USER.md",
        "IDENTITY.md",
        "TOOLS.md",
        "HEARTBEAT.md",
    ] {
        assert!(dir.workspace().join(file).is_file(), "{file} not seeded");
    }
    assert!(dir.state_dir().join("state.sqlite").is_file());

    // The result passes doctor, whose model probe reaches the endpoint with the stored key (the
    // sandbox check may warn on hosts without bubblewrap).
    fake.push(Turn::text("OK"));
    let out = rc(&dir).args(["doctor", "--json"]).run().await.unwrap();
    let report: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(report["ok"], true, "{report:#}");
    let statuses: Vec<(&str, &str)> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    for (name, status) in &statuses {
        if *name != "sandbox" {
            assert_eq!(*status, "ok", "{name}: {report:#}");
        }
    }
    assert!(out.success());
    let probe = fake.requests().pop().expect("doctor sent the probe");
    assert_eq!(
        probe.header("authorization"),
        Some("Bearer sk-onboard-secret"),
        "the probe used the key from the credential store"
    );
    assert!(
        !out.stdout_str().contains("sk-onboard-secret"),
        "{}",
        out.stdout_str()
    );
}

#[tokio::test]
async fn onboarding_keeps_an_existing_config_and_its_comments() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config("// my notes\n{\n  logging: { level: 'debug' }, // keep me\n}\n")
        .unwrap();
    let out = rc(&dir)
        .args([
            "onboard",
            "--non-interactive",
            "--auth-choice",
            "ollama",
            "--gateway-auth",
            "password",
            "--gateway-password",
            "pw-123",
        ])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let text = dir.read_config().unwrap();
    assert!(
        text.contains("// my notes") && text.contains("// keep me"),
        "{text}"
    );
    let config = jsonc(&text);
    assert_eq!(config["logging"]["level"], "debug");
    assert_eq!(config["gateway"]["auth"]["mode"], "password");
    assert_eq!(config["models"]["providers"]["ollama"]["api"], "ollama");
    assert!(dir.state_dir().join("openclaw.json.bak").is_file());
}

#[tokio::test]
async fn plaintext_mode_keeps_the_key_in_the_config() {
    let dir = TempStateDir::new().unwrap();
    let out = rc(&dir)
        .args([
            "onboard",
            "--non-interactive",
            "--auth-choice",
            "openai-api-key",
            "--openai-api-key",
            "sk-plain-by-choice",
            "--secret-input-mode",
            "plaintext",
        ])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let config = jsonc(&dir.read_config().unwrap());
    assert_eq!(
        config["models"]["providers"]["openai"]["apiKey"],
        "sk-plain-by-choice"
    );
    assert!(config.get("secrets").is_none());
    assert!(!dir.state_dir().join("credentials").exists());
}

#[tokio::test]
async fn keys_from_the_environment_are_stored_as_references() {
    let dir = TempStateDir::new().unwrap();
    let out = rc(&dir)
        .env("OPENAI_API_KEY", "sk-from-env")
        .args([
            "onboard",
            "--non-interactive",
            "--auth-choice",
            "openai-api-key",
        ])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let text = dir.read_config().unwrap();
    assert!(
        !text.contains("sk-from-env"),
        "the key itself must not be written: {text}"
    );
    let config = jsonc(&text);
    assert_eq!(
        config["models"]["providers"]["openai"]["apiKey"],
        serde_json::json!({"source": "env", "provider": "default", "id": "OPENAI_API_KEY"})
    );
}

#[tokio::test]
async fn onboarding_refuses_incomplete_flags_without_writing() {
    let dir = TempStateDir::new().unwrap();
    let out = rc(&dir)
        .args([
            "onboard",
            "--non-interactive",
            "--auth-choice",
            "custom-api-key",
        ])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    assert!(
        out.stderr_str().contains("--custom-base-url"),
        "{}",
        out.stderr_str()
    );
    assert!(!dir.config_path().exists());

    let out = rc(&dir)
        .args([
            "onboard",
            "--non-interactive",
            "--auth-choice",
            "openai-api-key",
        ])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    assert!(
        out.stderr_str().contains("OPENAI_API_KEY"),
        "{}",
        out.stderr_str()
    );

    let out = rc(&dir).arg("onboard").run().await.unwrap();
    assert_eq!(out.code(), Some(2), "no TTY and no --non-interactive");
    assert!(out.stderr_str().contains("--non-interactive"));
}

pub fn jsonc(text: &str) -> Value {
    Value::Object(rustyclaw_config::parse_document(text, std::path::Path::new("test")).unwrap())
}
