use super::rc;
use rustyclaw_testkit::TempStateDir;

#[tokio::test]
async fn commands_log_json_lines_to_the_state_dir_without_secrets() {
    let dir = TempStateDir::new().unwrap();
    std::fs::create_dir_all(dir.state_dir()).unwrap();
    dir.write_config("{}").unwrap();
    let out = rc(&dir)
        .args(["config", "set", "gateway.auth.token", "tok-do-not-log-me"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert!(!out.stderr_str().contains("tok-do-not-log-me"));

    let logs = dir.state_dir().join("logs");
    let files: Vec<_> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("rustyclaw.") && name.ends_with(".jsonl"),
        "{name}"
    );
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("config edited"))
        .unwrap_or_else(|| panic!("no log line in {text}"));
    let event: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(event["level"], "INFO");
    assert_eq!(event["fields"]["path"], "gateway.auth.token");
    assert!(!text.contains("tok-do-not-log-me"), "secret in log: {text}");
}

#[tokio::test]
async fn nothing_is_created_for_read_only_commands_on_a_fresh_machine() {
    let dir = TempStateDir::new().unwrap();
    let fresh = dir.root().join("never-created");
    let out = rc(&dir)
        .env("OPENCLAW_STATE_DIR", &fresh)
        .env("OPENCLAW_CONFIG_PATH", fresh.join("openclaw.json"))
        .args(["doctor"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stdout_str());
    assert!(!fresh.exists(), "doctor created {}", fresh.display());
}
