//! The policy chain decides what the model sees and what it can call, per agent, provider and
//! session.

use rustyclaw_agent::{Op, RunStatus};
use rustyclaw_protocol::SessionKey;
use rustyclaw_testkit::fake_llm::{FakeLlm, RecordedRequest, ToolCall, Turn};
use serde_json::json;

use super::harness::{Harness, NotesTool};

/// The tool names offered in a recorded chat-completions request.
fn offered(request: &RecordedRequest) -> Vec<String> {
    request.body.as_ref().unwrap()["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn system_prompt(request: &RecordedRequest) -> String {
    request.body.as_ref().unwrap()["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn provider_and_agent_policies_hide_tools_and_refuse_their_calls() {
    let fake = FakeLlm::start().await.unwrap();
    // The model calls exec although it was not offered; the call must not run.
    fake.push(Turn::tool_calls([ToolCall::new(
        "c1",
        "exec",
        json!({"command": "touch escaped.txt"}),
    )]));
    fake.push(Turn::text("done"));
    let mut h = Harness::start_with(
        &fake,
        json!({
            "tools": {"byProvider": {"FAKE": {"deny": ["group:runtime"]}}},
            "agents": {"list": [{"id": "main", "tools": {"deny": ["web_*"]}}]}
        }),
    )
    .await;
    let (outcome, _) = h.send("go").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);

    let requests = fake.requests();
    let tools = offered(&requests[0]);
    for hidden in ["exec", "process", "web_fetch"] {
        assert!(
            !tools.iter().any(|t| t == hidden),
            "{hidden} offered: {tools:?}"
        );
        assert!(
            !system_prompt(&requests[0]).contains(&format!("- {hidden}:")),
            "{hidden} listed in the prompt"
        );
    }
    for kept in ["read", "write", "edit", "session_status"] {
        assert!(tools.iter().any(|t| t == kept), "{kept} missing: {tools:?}");
    }
    assert!(!h.workspace().join("escaped.txt").exists());
    let result = &requests[1].body.as_ref().unwrap()["messages"];
    let tool_message = result
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap();
    assert!(
        tool_message["content"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{tool_message}"
    );
}

#[tokio::test]
async fn the_sandbox_policy_applies_to_sandboxed_sessions_only() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("main"));
    fake.push(Turn::text("other"));
    let mut h = Harness::start_with(
        &fake,
        json!({
            "agents": {"defaults": {"sandbox": {"mode": "non-main"}}},
            "tools": {"sandbox": {"tools": {"deny": ["read", "web_fetch"]}}}
        }),
    )
    .await;
    let (outcome, _) = h.send("hi").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    let other = SessionKey::parse("agent:main:explicit:work").unwrap();
    let inbound = Harness::inbound(&other, "hi");
    let run_id = inbound.run_id.clone();
    h.runtime.submit(Op::Message(inbound)).unwrap();
    let (outcome, _) = h.wait(&run_id).await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);

    let requests = fake.requests();
    let main_tools = offered(&requests[0]);
    let other_tools = offered(&requests[1]);
    assert!(main_tools.iter().any(|t| t == "read"), "{main_tools:?}");
    assert!(!other_tools.iter().any(|t| t == "read"), "{other_tools:?}");
    assert!(
        !other_tools.iter().any(|t| t == "web_fetch"),
        "{other_tools:?}"
    );
    assert!(other_tools.iter().any(|t| t == "exec"), "{other_tools:?}");
}

#[tokio::test]
async fn a_run_time_tool_is_hidden_and_refused_by_the_policy_like_a_built_in_one() {
    let notes = NotesTool::new("notes__search", |_| "a note".to_owned());
    let fake = FakeLlm::start().await.unwrap();
    // The model calls the tool although it was not offered; the call must not run.
    fake.push(Turn::tool_calls([ToolCall::new(
        "c1",
        "notes__search",
        json!({"query": "x"}),
    )]));
    fake.push(Turn::text("done"));
    let mut h =
        Harness::start_with_tools(&fake, json!({"tools": {"deny": ["notes__*"]}}), |tools| {
            NotesTool::register(&notes, tools)
        })
        .await;
    let (outcome, _) = h.send("go").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);

    let requests = fake.requests();
    let tools = offered(&requests[0]);
    assert!(!tools.iter().any(|t| t == "notes__search"), "{tools:?}");
    assert!(tools.iter().any(|t| t == "read"), "{tools:?}");
    assert!(!system_prompt(&requests[0]).contains("notes__search"));
    assert_eq!(notes.calls(), 0, "a denied tool never runs");
    let tool_message = requests[1].body.as_ref().unwrap()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap()
        .clone();
    assert!(
        tool_message["content"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{tool_message}"
    );

    // The plugin group covers it for one agent only.
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("ok"));
    let mut h = Harness::start_with_tools(
        &fake,
        json!({"agents": {"list": [{"id": "main", "tools": {"deny": ["group:plugins"]}}]}}),
        |tools| NotesTool::register(&notes, tools),
    )
    .await;
    let (outcome, _) = h.send("go").await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    let tools = offered(&fake.requests()[0]);
    assert!(!tools.iter().any(|t| t == "notes__search"), "{tools:?}");
    assert!(tools.iter().any(|t| t == "exec"), "{tools:?}");
}
