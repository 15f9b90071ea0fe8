//! `rustyclaw gateway run` applies a config written over the protocol: `config.patch` through
//! `rustyclaw gateway call`, the gateway restarts in-process on the same port, and the next
//! `models.list` shows the patched model list. `logs.tail` reads the gateway's own log file.

use std::time::{Duration, Instant};

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::FakeLlm;
use serde_json::{Value, json};

use super::{FAKE_API_KEY, fake_llm_config, rc, start_gateway, wait_for_starts};

const TOKEN: &str = "e2e-restart-token-456";

async fn call(dir: &TempStateDir, url: &str, method: &str, params: Value) -> Value {
    super::gateway_call(dir, url, TOKEN, method, params).await
}

fn model_ids(list: &Value) -> Vec<String> {
    list["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn config_patch_restarts_the_gateway_with_the_new_config() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["models"]["mode"] = json!("replace");
    dir.write_config(&config.to_string()).unwrap();
    let (server, url) = start_gateway(&dir, &["--port", "0"]).await;

    let before = call(&dir, &url, "models.list", json!({})).await;
    assert!(
        !model_ids(&before).contains(&"second-model".to_owned()),
        "{before}"
    );

    let snapshot = call(&dir, &url, "config.get", json!({})).await;
    assert!(!snapshot.to_string().contains(TOKEN));
    // Object arrays merge by `id`: this adds a model and keeps `fake-model`.
    let patch = json!({"models": {"providers": {"fake": {
        "models": [{"id": "second-model", "contextWindow": 8000}]
    }}}});
    let written = call(
        &dir,
        &url,
        "config.patch",
        json!({"raw": patch.to_string(), "baseHash": snapshot["hash"]}),
    )
    .await;
    assert_eq!(written["restart"]["reason"], "config.patch", "{written}");

    wait_for_starts(&server, 2).await;
    let after = call(&dir, &url, "models.list", json!({})).await;
    let ids = model_ids(&after);
    assert!(
        ids.contains(&"second-model".to_owned()) && ids.contains(&"fake-model".to_owned()),
        "{after}"
    );
    let file = std::fs::read_to_string(dir.config_path()).unwrap();
    assert!(file.contains(FAKE_API_KEY) && file.contains(TOKEN));

    // The gateway's log file records the restart and `logs.tail` reads it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let tail = call(&dir, &url, "logs.tail", json!({"limit": 200})).await;
        let file = tail["file"].as_str().unwrap().to_owned();
        assert!(
            file.starts_with(&dir.state_dir().join("logs").display().to_string()),
            "{file}"
        );
        let lines = tail["lines"].as_array().unwrap();
        if lines.iter().any(|l| {
            l.as_str()
                .unwrap()
                .contains("gateway restarting with the new config")
        }) {
            break;
        }
        assert!(Instant::now() < deadline, "no restart in the log: {tail}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let pid = rustix::process::Pid::from_raw(i32::try_from(server.id().unwrap()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let output = server.wait().await.unwrap();
    assert!(output.success(), "{}", output.stderr_str());
}

#[tokio::test]
async fn an_edit_of_the_config_file_is_applied_and_a_loosening_announced() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["models"]["mode"] = json!("replace");
    config["gateway"]["reload"] = json!({"debounceMs": 50});
    dir.write_config(&config.to_string()).unwrap();
    let (server, url) = start_gateway(&dir, &["--port", "0"]).await;

    // Saved the way editors do: a new file renamed over the old one.
    config["models"]["providers"]["fake"]["models"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "edited-model", "contextWindow": 8000}));
    config["agents"]["defaults"]["sandbox"] = json!({"mode": "off"});
    let staged = dir.config_path().with_extension("json.tmp");
    std::fs::write(&staged, config.to_string()).unwrap();
    std::fs::rename(&staged, dir.config_path()).unwrap();

    wait_for_starts(&server, 2).await;
    let after = call(&dir, &url, "models.list", json!({})).await;
    assert!(
        model_ids(&after).contains(&"edited-model".to_owned()),
        "{after}"
    );
    let out = rc(&dir).args(["audit", "--json"]).run().await.unwrap();
    assert!(
        out.stdout_str().contains("config.weakened") && out.stdout_str().contains("file"),
        "{}",
        out.stdout_str()
    );

    // gateway.reload.mode "off" leaves edits for the next start.
    config["gateway"]["reload"] = json!({"mode": "off"});
    std::fs::write(dir.config_path(), config.to_string()).unwrap();
    wait_for_starts(&server, 3).await;
    config["models"]["providers"]["fake"]["models"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "ignored-model", "contextWindow": 8000}));
    std::fs::write(dir.config_path(), config.to_string()).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        server
            .stdout()
            .matches("gateway listening on ws://")
            .count(),
        3,
        "restarted with reload off"
    );

    let pid = rustix::process::Pid::from_raw(i32::try_from(server.id().unwrap()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let output = server.wait().await.unwrap();
    assert!(output.success(), "{}", output.stderr_str());
}
