//! The agent decides each session's sandbox from the agent's policy and hands it to the tools.

use rustyclaw_agent::RunStatus;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use serde_json::json;

use super::harness::Harness;

#[tokio::test]
async fn workspace_access_none_gives_the_tools_a_scratch_workspace() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_1",
        "write",
        json!({"path": "notes.txt", "content": "scratch"}),
    )]));
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_2",
        "exec",
        json!({"command": "cat notes.txt"}),
    )]));
    fake.push(Turn::text("done"));
    let extra = json!({"agents": {"defaults": {"sandbox": {"workspaceAccess": "none"}}}});
    let mut h = Harness::start_with(&fake, extra).await;
    let (outcome, _) = h.send("take notes").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    // Scope `agent` (the default) names the scratch workspace after the agent.
    let scratch = h.dir.path().join("sandboxes").join("agent_3amain");
    assert_eq!(
        std::fs::read_to_string(scratch.join("notes.txt")).unwrap(),
        "scratch"
    );
    assert!(!h.workspace().join("notes.txt").exists());
    let fed_back = fake.requests()[2].body.clone().unwrap().to_string();
    assert!(
        fed_back.contains("scratch"),
        "exec ran in the scratch workspace"
    );
}

#[tokio::test]
async fn a_read_only_workspace_refuses_writes_and_mode_off_lifts_it() {
    let fake = FakeLlm::start().await.unwrap();
    let write = || {
        Turn::tool_calls([ToolCall::new(
            "call_1",
            "write",
            json!({"path": "x.txt", "content": "x"}),
        )])
    };
    fake.push(write());
    fake.push(Turn::text("ok"));
    let extra = json!({"agents": {"defaults": {"sandbox": {"workspaceAccess": "ro"}}}});
    let mut h = Harness::start_with(&fake, extra).await;
    let (outcome, _) = h.send("write").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    let fed_back = fake.requests()[1].body.clone().unwrap().to_string();
    assert!(fed_back.contains("read-only"), "{fed_back}");
    assert!(!h.workspace().join("x.txt").exists());

    let fake = FakeLlm::start().await.unwrap();
    fake.push(write());
    fake.push(Turn::text("ok"));
    let extra =
        json!({"agents": {"defaults": {"sandbox": {"workspaceAccess": "ro", "mode": "off"}}}});
    let mut h = Harness::start_with(&fake, extra).await;
    let (outcome, _) = h.send("write").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    assert!(
        h.workspace().join("x.txt").exists(),
        "an unsandboxed session writes"
    );
}
