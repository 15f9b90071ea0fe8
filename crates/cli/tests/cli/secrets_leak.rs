//! The leak test: a unique canary API key, configured three ways (plain config value, env
//! SecretRef, vault exec SecretRef), goes through full turns with trace logging — a successful
//! turn with tool calls, a 401 and a 403 whose bodies quote the key back (as some
//! OpenAI-compatible proxies do, also Base64-encoded in a Basic credential), and a 500 quoting it
//! too — and must then appear nowhere except in the auth header the fake provider received: not
//! in stdout or stderr of any command, not in any file of the state directory (database, WAL,
//! logs, workspace, vault), not in the exported transcript, and not in any other byte the client
//! sent.

use std::path::Path;
use std::time::Duration;

use base64::Engine;

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use serde_json::json;

use super::credentials::vault_provider;
use super::rc;

const PASSPHRASE_VAR: &str = "RUSTYCLAW_CREDENTIALS_PASSPHRASE";
/// The variable the env setup reads; also the provider's own rotation variable for id `fake`,
/// so both the SecretRef path and the provider's env-key path see the canary.
const KEY_VAR: &str = "FAKE_API_KEY";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    PlainConfig,
    EnvRef,
    Vault,
}

/// A string that cannot occur by chance: `<prefix>-<32 random hex>`.
fn canary(prefix: &str) -> (String, String) {
    let random = uuid::Uuid::new_v4().simple().to_string();
    (format!("{prefix}-{random}"), random)
}

/// A proxy's Basic credential for the key: Base64 of `user:<key>`.
fn basic(key: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("user:{key}"))
}

/// Every form in which a canary could leak: whole, its random part, a 16-character piece
/// (a truncated or partially masked key is still a leak), and a piece of its Basic credential.
fn needles(canary: &str, random: &str) -> Vec<String> {
    vec![
        canary.to_owned(),
        random.to_owned(),
        random[8..24].to_owned(),
        basic(canary)[12..32].to_owned(),
    ]
}

fn assert_clean(what: &str, haystack: &[u8], needles: &[String]) {
    let text = String::from_utf8_lossy(haystack);
    for needle in needles {
        assert!(
            !text.contains(needle.as_str()),
            "secret {needle:?} leaked into {what}"
        );
    }
}

/// Every file under `dir`, recursively, with its bytes.
fn all_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

async fn leak_check(setup: Setup) {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let (key, key_random) = canary("sk-canary");
    let (passphrase, pass_random) = canary("pp-canary");
    let key_needles = needles(&key, &key_random);
    let mut all_needles = key_needles.clone();
    all_needles.extend(needles(&passphrase, &pass_random));

    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();
    let api_key = match setup {
        Setup::PlainConfig => json!(key),
        Setup::EnvRef => json!({"source": "env", "provider": "default", "id": KEY_VAR}),
        Setup::Vault => {
            let out = rc(&dir)
                .env(PASSPHRASE_VAR, &passphrase)
                .args(["-vvv", "credentials", "set", "fake"])
                .stdin(format!("{key}\n"))
                .run()
                .await
                .unwrap();
            assert!(out.success(), "{}", out.stderr_str());
            outputs.push(("credentials set stdout".into(), out.stdout));
            outputs.push(("credentials set stderr".into(), out.stderr));
            json!({"source": "exec", "provider": "rustyclaw-vault", "id": "fake"})
        }
    };
    let mut config = json!({
        "models": {"providers": {"fake": {
            "baseUrl": fake.base_url(),
            "api": "openai-completions",
            "apiKey": api_key,
            "models": [{"id": "fake-model", "contextWindow": 64000}]
        }}},
        "agents": {"defaults": {
            "workspace": dir.workspace().display().to_string(),
            "model": {"primary": "fake/fake-model"}
        }},
        "logging": {"level": "trace"}
    });
    if setup == Setup::Vault {
        config["secrets"] = json!({"providers": {"rustyclaw-vault": vault_provider(&dir)}});
    }
    dir.write_config(&config.to_string()).unwrap();

    // Every command runs with everything logged, to the console and to the log file.
    let run = |args: &[&str]| {
        let mut cmd = rc(&dir)
            .env("RUSTYCLAW_LOG", "trace")
            .env(PASSPHRASE_VAR, &passphrase)
            .arg("-vvv")
            .args(args);
        if setup == Setup::EnvRef {
            cmd = cmd.env(KEY_VAR, &key);
        }
        cmd
    };

    // 1. A successful turn with tool calls; `env` shows what a command run by the agent sees.
    fake.push(Turn::tool_calls([
        ToolCall::new(
            "call_1",
            "write",
            json!({"path": "notes.md", "content": "buy milk\n"}),
        ),
        ToolCall::new("call_2", "exec", json!({"command": "env; echo done"})),
    ]));
    fake.push(Turn::text("All done."));
    let out = run(&["agent", "--local", "-m", "write a note and show the env"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{setup:?}: {}", out.stderr_str());
    assert_eq!(out.stdout_str().trim(), "All done.");
    outputs.push(("turn stdout".into(), out.stdout));
    outputs.push(("turn stderr".into(), out.stderr));

    // 2. The provider rejects the key, quoting it back.
    fake.push(Turn::error(401).message(&format!(
        "invalid api key: Incorrect API key provided: {key}"
    )));
    let out = run(&["agent", "--local", "-m", "again"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1), "{setup:?}: {}", out.stderr_str());
    assert!(
        out.stderr_str()
            .contains("invalid api key: Incorrect API key provided: [REDACTED]"),
        "{setup:?}: {}",
        out.stderr_str()
    );
    outputs.push(("401 stdout".into(), out.stdout));
    outputs.push(("401 stderr".into(), out.stderr));

    // 2b. A proxy refuses with a body of its own shape, quoting the header it got.
    fake.push(Turn::error(403).body(json!(format!(
        "forbidden: Authorization: Bearer {key} (as Basic {})",
        basic(&key)
    ))));
    let out = run(&["agent", "--local", "-m", "once more"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1), "{setup:?}: {}", out.stderr_str());
    assert!(
        out.stderr_str().contains("Bearer [REDACTED]"),
        "{setup:?}: {}",
        out.stderr_str()
    );
    outputs.push(("403 stdout".into(), out.stdout));
    outputs.push(("403 stderr".into(), out.stderr));

    // 3. The provider fails (three times: the first try and two retries), naming the key.
    for _ in 0..3 {
        fake.push(
            Turn::error(500)
                .message(&format!("upstream exploded handling {key}"))
                .retry_after(Duration::ZERO),
        );
    }
    let out = run(&["agent", "--local", "-m", "and again"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1), "{setup:?}: {}", out.stderr_str());
    outputs.push(("500 stdout".into(), out.stdout));
    outputs.push(("500 stderr".into(), out.stderr));

    // The transcript as OpenClaw JSONL and as JSON, and the other read-only commands.
    let export = run(&["sessions", "export", "agent:main:main"])
        .run()
        .await
        .unwrap();
    assert!(export.success(), "{}", export.stderr_str());
    assert!(
        export.stdout_str().contains("All done."),
        "the export holds the transcript"
    );
    assert!(
        export
            .stdout_str()
            .contains("Incorrect API key provided: [REDACTED]"),
        "the export holds the failed turn, scrubbed: {}",
        export.stdout_str()
    );
    outputs.push(("sessions export stdout".into(), export.stdout));
    outputs.push(("sessions export stderr".into(), export.stderr));
    // Doctor's model probe is refused with the key quoted back: its report must not show it.
    fake.push(Turn::error(401).message(&format!(
        "invalid api key: Incorrect API key provided: {key}"
    )));
    for args in [
        &["sessions", "show", "agent:main:main", "--json"][..],
        &["status", "--json"],
        &["doctor", "--json"],
        &["models", "list", "--json"],
        &["config", "get"],
    ] {
        let out = run(args).run().await.unwrap();
        outputs.push((format!("{args:?} stdout"), out.stdout));
        outputs.push((format!("{args:?} stderr"), out.stderr));
    }

    for (what, bytes) in &outputs {
        assert_clean(what, bytes, &all_needles);
    }
    let files = all_files(dir.state_dir());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("state.sqlite"))
            && names.iter().any(|n| n.contains("logs/")),
        "{names:?}"
    );
    for (name, bytes) in &files {
        // A plain config holds the key by the user's choice; nothing else may.
        let config_file = name.ends_with("openclaw.json") || name.ends_with("openclaw.json.bak");
        if setup == Setup::PlainConfig && config_file {
            continue;
        }
        assert_clean(name, bytes, &all_needles);
    }
    let log_text: String = files
        .iter()
        .filter(|(n, _)| n.contains("logs/"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(log_text.contains("TRACE"), "trace logging reached the file");

    // What the provider saw: the key in the auth header of every request, and nowhere else.
    let requests = fake.requests();
    // The turns' requests, then doctor's model probe.
    assert_eq!(requests.len(), 8, "{setup:?}");
    for request in &requests {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {key}").as_str()),
            "{setup:?}: the key must reach the provider, or this test proves nothing"
        );
        let mut seen = format!("{} {}\n", request.method, request.path).into_bytes();
        for (name, value) in &request.headers {
            if name != "authorization" {
                seen.extend_from_slice(format!("{name}: {value}\n").as_bytes());
            }
        }
        seen.extend_from_slice(&request.raw_body);
        assert_clean("the request as the provider saw it", &seen, &all_needles);
    }
    let tool_results = requests[1].raw_body.clone();
    assert!(
        String::from_utf8_lossy(&tool_results).contains("done"),
        "the exec tool ran"
    );
}

#[tokio::test]
async fn a_key_in_the_config_leaks_nowhere() {
    leak_check(Setup::PlainConfig).await;
}

#[tokio::test]
async fn a_key_from_the_environment_leaks_nowhere() {
    leak_check(Setup::EnvRef).await;
}

#[tokio::test]
async fn a_key_from_the_vault_leaks_nowhere() {
    leak_check(Setup::Vault).await;
}
