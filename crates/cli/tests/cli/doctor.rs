use super::rc;
use rustyclaw_testkit::TempStateDir;
use serde_json::Value;

#[tokio::test]
async fn doctor_explains_a_broken_config_and_where() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config("{\n  gateway: { prot: 1, auth: { token: '${NOT_SET_ANYWHERE}' } },\n  agents: { list: [{ id: 'Bad Id' }] },\n}\n").unwrap();
    let out = rc(&dir).args(["doctor", "--json"]).run().await.unwrap();
    assert_eq!(out.code(), Some(1), "a failed check fails the command");
    let report: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(report["ok"], false);
    let config = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "config")
        .unwrap();
    assert_eq!(config["status"], "fail");
    let details = config["details"].to_string();
    assert!(
        details.contains("gateway.prot") && details.contains("did you mean \\\"port\\\""),
        "{details}"
    );
    assert!(
        details.contains("gateway.auth.token") && details.contains("NOT_SET_ANYWHERE"),
        "{details}"
    );

    let out = rc(&dir).arg("doctor").run().await.unwrap();
    let text = out.stdout_str();
    assert!(
        text.contains("[FAIL] config") && text.contains("fix:"),
        "{text}"
    );
}

#[tokio::test]
async fn doctor_reports_semantic_errors_with_paths() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config("{ agents: { list: [{ id: 'Bad Id' }] }, gateway: { bind: 'custom' } }")
        .unwrap();
    let out = rc(&dir).args(["doctor"]).run().await.unwrap();
    let text = out.stdout_str();
    assert!(
        text.contains("agents.list[0].id") && text.contains("invalid agent id"),
        "{text}"
    );
    assert!(text.contains("gateway.customBindHost"), "{text}");
}

#[tokio::test]
async fn doctor_on_a_fresh_machine_warns_but_passes() {
    let dir = TempStateDir::new().unwrap();
    let out = rc(&dir).args(["doctor", "--json"]).run().await.unwrap();
    assert!(out.success(), "{}", out.stdout_str());
    let report: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for expected in [
        "config",
        "state-dir",
        "database",
        "sandbox",
        "gateway",
        "gateway.auth",
        "workspace",
        "model",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(
        !dir.state_dir().join("state.sqlite").exists(),
        "doctor must not create the database"
    );
}
