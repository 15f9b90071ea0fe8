//! `rustyclaw tools`: the policy chain's verdict on every tool, with the step that removed it.

use rustyclaw_testkit::TempStateDir;

use super::rc;

const CONFIG: &str = r#"{
  tools: { deny: ["process"], byProvider: { openai: { deny: ["web_fetch"] } } },
  agents: {
    defaults: { model: { primary: "openai/gpt-5" }, sandbox: { mode: "non-main" } },
    list: [{ id: "main", tools: { sandbox: { tools: { deny: ["write"] } } } }],
  },
}"#;

#[tokio::test]
async fn tools_explains_each_verdict_per_session_and_model() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config(CONFIG).unwrap();

    let out = rc(&dir).args(["tools"]).run().await.unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let text = out.stdout_str();
    assert!(
        text.contains("process         denied by tools.allow"),
        "{text}"
    );
    assert!(
        text.contains("web_fetch       denied by tools.byProvider.allow"),
        "{text}"
    );
    assert!(
        text.contains("write           allowed"),
        "main is not sandboxed: {text}"
    );

    let out = rc(&dir)
        .args([
            "tools",
            "--session",
            "agent:main:explicit:work",
            "--model",
            "anthropic/claude-sonnet-4-5",
            "--json",
        ])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let json: serde_json::Value = serde_json::from_str(&out.stdout_str()).unwrap();
    let verdict = |name: &str| {
        json["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(verdict("write")["deniedBy"], "tools.sandbox.tools");
    assert_eq!(
        verdict("web_fetch")["allowed"],
        true,
        "anthropic has no byProvider rule"
    );
    assert_eq!(json["model"], "anthropic/claude-sonnet-4-5");

    let out = rc(&dir)
        .args(["tools", "--agent", "nope"])
        .run()
        .await
        .unwrap();
    assert!(!out.success());
    assert!(out.stderr_str().contains("--agent"), "{}", out.stderr_str());
}
