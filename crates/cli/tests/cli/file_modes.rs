//! What rustyclaw writes under the state directory is readable by the user only: the config
//! and its backup, the database with its write-ahead files, and the log files, each 0600 in a
//! directory created 0700. A config the user made readable keeps its mode; its backup does not.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use serde_json::json;

use super::{fake_llm_config, rc, start_gateway};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn log_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

#[tokio::test]
async fn a_fresh_state_dir_its_config_backup_database_and_logs_are_private() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let state = dir.root().join("fresh-state");
    let config_path = state.join("openclaw.json");
    let run = |args: &[&str]| {
        rc(&dir)
            .env("OPENCLAW_STATE_DIR", &state)
            .env("OPENCLAW_CONFIG_PATH", &config_path)
            .args(args.iter().copied())
    };

    // The first write creates the state directory and the config.
    let out = run(&["config", "set", "gateway.mode", "local"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&config_path), 0o600);

    // The user opens the config up; an edit keeps that, but the backup stays private.
    std::fs::set_permissions(&config_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(&["config", "set", "gateway.port", "19555"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert_eq!(mode(&config_path), 0o644);
    assert_eq!(mode(&state.join("openclaw.json.bak")), 0o600);

    // The second command found the state directory and logged to it.
    assert_eq!(mode(&state.join("logs")), 0o700);
    let logs = log_files(&state);
    assert!(!logs.is_empty());
    for file in &logs {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }

    // A turn creates the database.
    let workspace = state.join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    let config = json!({
        "models": {"providers": {"fake": {
            "baseUrl": fake.base_url(),
            "api": "openai-completions",
            "apiKey": "sk-file-modes-0000",
            "models": [{"id": "fake-model"}]
        }}},
        "agents": {"defaults": {
            "workspace": workspace.display().to_string(),
            "model": {"primary": "fake/fake-model"}
        }}
    });
    std::fs::write(&config_path, config.to_string()).unwrap();
    fake.push(Turn::text("hello"));
    let out = run(&["agent", "--local", "-m", "hi"]).run().await.unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert_eq!(mode(&state.join("state.sqlite")), 0o600);
}

#[tokio::test]
async fn the_write_ahead_files_of_a_running_gateway_are_private() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let config = fake_llm_config(&dir, &fake, "file-modes-token");
    dir.write_config(&config.to_string()).unwrap();
    let (_server, _url) = start_gateway(&dir, &["--port", "0"]).await;
    let db = dir.state_dir().join("state.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", db.display());
        assert_eq!(mode(Path::new(&file)), 0o600, "{file}");
    }
    for file in log_files(dir.state_dir()) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}
