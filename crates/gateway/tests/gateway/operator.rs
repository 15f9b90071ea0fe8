//! Exec approvals over the protocol, the tool and command catalogues, presence, and `wake`.

use pretty_assertions::assert_eq;
use rustyclaw_testkit::fake_llm::Turn;
use serde_json::{Value, json};

use super::harness::{Client, Gateway, TOKEN, connect_params};

async fn connect_with(gateway: &Gateway, scopes: &[&str]) -> Client {
    let mut client = Client::open(gateway).await;
    let response = client
        .request("connect", connect_params(TOKEN, scopes))
        .await;
    assert_eq!(response["ok"], true, "{response}");
    client
}

#[tokio::test]
async fn an_approval_request_reaches_approvers_and_their_decision_returns() {
    let gateway = Gateway::start().await;
    let mut approver = connect_with(&gateway, &["operator.approvals"]).await;
    let mut requester = connect_with(&gateway, &["operator.approvals"]).await;

    requester
        .send(
            json!({"type": "req", "id": "ask-1", "method": "exec.approval.request", "params": {
                "id": "appr-1", "command": "rm -rf /srv/build", "cwd": "/srv", "agentId": "main",
                "sessionKey": "agent:main:main", "twoPhase": true, "timeoutMs": 60000
            }}),
        )
        .await;
    let accepted = requester.response("ask-1").await;
    assert_eq!(accepted["payload"]["status"], "accepted");
    assert_eq!(accepted["payload"]["id"], "appr-1");

    let seen = approver
        .events_until(|e| e["event"] == "exec.approval.requested")
        .await;
    let requested = seen.last().unwrap();
    assert_eq!(requested["payload"]["id"], "appr-1");
    assert_eq!(
        requested["payload"]["request"]["command"],
        "rm -rf /srv/build"
    );
    // The requester did not say; the host policy (no approvals file: full/off) is reported.
    assert_eq!(requested["payload"]["request"]["security"], "full");

    let listed = approver.request("exec.approval.list", json!({})).await;
    let ids: Vec<&Value> = listed["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids, vec!["appr-1"]);
    let got = approver
        .request("exec.approval.get", json!({"id": "appr-1"}))
        .await;
    assert_eq!(got["payload"]["request"]["cwd"], "/srv");

    let bad = approver
        .request(
            "exec.approval.resolve",
            json!({"id": "appr-1", "decision": "maybe"}),
        )
        .await;
    assert_eq!(bad["error"]["message"], "invalid decision");
    let resolved = approver
        .request(
            "exec.approval.resolve",
            json!({"id": "appr", "decision": "deny"}),
        )
        .await;
    assert_eq!(
        resolved["payload"],
        json!({"ok": true}),
        "a unique prefix resolves"
    );

    let last = requester.response("ask-1").await;
    assert_eq!(last["payload"]["decision"], "deny");
    assert_eq!(last["payload"]["id"], "appr-1");
    let seen = approver
        .events_until(|e| e["event"] == "exec.approval.resolved")
        .await;
    let event = &seen.last().unwrap()["payload"];
    assert_eq!(event["decision"], "deny");
    assert_eq!(event["resolvedBy"], "cli");

    let again = approver
        .request(
            "exec.approval.resolve",
            json!({"id": "appr-1", "decision": "deny"}),
        )
        .await;
    assert_eq!(again["error"]["message"], "unknown or expired approval id");
    let listed = approver.request("exec.approval.list", json!({})).await;
    assert_eq!(listed["payload"], json!([]));
}

#[tokio::test]
async fn approval_methods_and_events_need_the_approvals_scope() {
    let gateway = Gateway::start().await;
    let mut reader = connect_with(&gateway, &["operator.read"]).await;
    let refused = reader.request("exec.approval.list", json!({})).await;
    assert_eq!(
        refused["error"]["details"]["missingScope"],
        "operator.approvals"
    );
    let refused = reader.request("exec.approvals.get", json!({})).await;
    assert_eq!(
        refused["error"]["details"]["missingScope"],
        "operator.admin"
    );

    let mut requester = connect_with(&gateway, &["operator.write"]).await;
    let refused = requester
        .request("exec.approval.request", json!({"command": "ls"}))
        .await;
    assert_eq!(
        refused["error"]["details"]["missingScope"],
        "operator.approvals"
    );
}

#[tokio::test]
async fn an_unanswered_request_expires_with_a_null_decision() {
    let gateway = Gateway::start().await;
    let mut requester = connect_with(&gateway, &["operator.approvals"]).await;
    let open = requester
        .request(
            "exec.approval.request",
            json!({"command": "ls", "timeoutMs": 200}),
        )
        .await;
    // The requester itself counts as an approver, so the request waits and expires.
    assert_eq!(open["payload"]["decision"], Value::Null);
    assert!(
        open["payload"]["expiresAtMs"].as_i64().unwrap()
            > open["payload"]["createdAtMs"].as_i64().unwrap()
    );
}

#[tokio::test]
async fn the_approvals_file_is_read_and_replaced_with_a_base_hash() {
    let gateway = Gateway::start().await;
    let (mut admin, _) = Client::connect(&gateway).await;
    let first = admin.request("exec.approvals.get", json!({})).await;
    let snapshot = &first["payload"];
    assert_eq!(snapshot["exists"], false);
    assert_eq!(snapshot["file"], json!({"version": 1}));
    assert_eq!(snapshot["resolvedDefaults"]["security"], "full");

    let file = json!({"version": 1, "defaults": {"security": "allowlist", "ask": "on-miss"},
        "agents": {"main": {"allowlist": [{"pattern": "/usr/bin/uname"}]}}});
    let set = admin
        .request(
            "exec.approvals.set",
            json!({"file": file, "baseHash": snapshot["hash"]}),
        )
        .await;
    assert_eq!(set["ok"], true, "{set}");
    assert_eq!(set["payload"]["exists"], true);
    assert_eq!(set["payload"]["resolvedDefaults"]["ask"], "on-miss");
    let path = set["payload"]["path"].as_str().unwrap();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        written["agents"]["main"]["allowlist"][0]["pattern"],
        "/usr/bin/uname"
    );

    // The old hash no longer matches: a second editor cannot overwrite the first.
    let stale = admin
        .request(
            "exec.approvals.set",
            json!({"file": {"version": 1}, "baseHash": snapshot["hash"]}),
        )
        .await;
    assert!(
        stale["error"]["message"]
            .as_str()
            .unwrap()
            .contains("changed since last load"),
        "{stale}"
    );
    let missing = admin
        .request("exec.approvals.set", json!({"file": {"version": 1}}))
        .await;
    assert!(
        missing["error"]["message"]
            .as_str()
            .unwrap()
            .contains("base hash required")
    );
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(kept, written);
}

#[tokio::test]
async fn tool_catalogue_and_effective_tools_follow_the_policy() {
    let gateway = Gateway::start().await;
    let (mut client, _) = Client::connect(&gateway).await;
    let catalog = client.request("tools.catalog", json!({})).await;
    let groups = catalog["payload"]["groups"].as_array().unwrap();
    let fs = groups.iter().find(|g| g["id"] == "fs").unwrap();
    let read = fs["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "read")
        .unwrap();
    assert_eq!(read["label"], "Read");
    assert_eq!(read["defaultProfiles"], json!(["coding", "full"]));
    assert!(!read["description"].as_str().unwrap().is_empty());

    let effective = client
        .request("tools.effective", json!({"sessionKey": "agent:main:main"}))
        .await;
    let payload = &effective["payload"];
    assert_eq!(payload["profile"], "coding");
    let ids: Vec<&str> = payload["groups"][0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"read") && ids.contains(&"exec"), "{ids:?}");

    let unknown = client
        .request(
            "tools.effective",
            json!({"sessionKey": "agent:main:main", "agentId": "ghost"}),
        )
        .await;
    assert_eq!(unknown["error"]["message"], "unknown agent id \"ghost\"");

    let commands = client.request("commands.list", json!({})).await;
    let names: Vec<&str> = commands["payload"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "new", "reset", "compact", "think", "model", "queue", "verbose", "status", "approve"
        ]
    );
}

#[tokio::test]
async fn presence_lists_connected_clients_and_announces_arrivals_and_departures() {
    let gateway = Gateway::start().await;
    let (mut watcher, hello) = Client::connect(&gateway).await;
    // The watcher is a CLI client: short-lived, never listed (upstream's ephemeral clients).
    let rows = hello["snapshot"]["presence"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["mode"], "gateway");
    // A terminal UI is long-lived: its arrival is announced with a fresh list.
    let mut tui = Client::open(&gateway).await;
    let mut params = connect_params(TOKEN, &["operator.read"]);
    params["client"]["id"] = json!("openclaw-tui");
    params["client"]["mode"] = json!("ui");
    params["client"]["instanceId"] = json!("tui-instance");
    assert_eq!(tui.request("connect", params).await["ok"], true);
    let seen = watcher.events_until(|e| e["event"] == "presence").await;
    let event = seen.last().unwrap();
    let rows = event["payload"]["presence"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(event["stateVersion"]["presence"].as_u64().unwrap() >= 1);
    let listed = watcher.request("system-presence", json!({})).await;
    let listed = listed["payload"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().any(|r| r["reason"] == "connect"
        && r["mode"] == "ui"
        && r["instanceId"] == "tui-instance"));

    // Another CLI call comes and goes without a presence event; the UI leaving is announced.
    let (other_cli, _) = Client::connect(&gateway).await;
    drop(other_cli);
    drop(tui);
    let seen = watcher.events_until(|e| e["event"] == "presence").await;
    let rows = seen.last().unwrap()["payload"]["presence"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(rows, 1);
    let presence_events = seen.iter().filter(|e| e["event"] == "presence").count();
    assert_eq!(presence_events, 1, "the CLI's visit was not announced");
}

#[tokio::test]
async fn wake_now_runs_a_turn_with_the_system_event() {
    let gateway = Gateway::start().await;
    let (mut client, _) = Client::connect(&gateway).await;
    gateway.fake.push(Turn::text("Noted the deploy."));
    let woke = client
        .request("wake", json!({"mode": "now", "text": "deploy finished"}))
        .await;
    assert_eq!(woke["payload"], json!({"ok": true}));
    client
        .events_until(|e| e["event"] == "chat" && e["payload"]["state"] == "final")
        .await;
    let request = gateway.fake.requests().pop().unwrap();
    assert!(
        request
            .body
            .unwrap()
            .to_string()
            .contains("System: deploy finished"),
        "request body"
    );

    // next-heartbeat waits for the session's next turn.
    let queued = client
        .request(
            "wake",
            json!({"mode": "next-heartbeat", "text": "backup done"}),
        )
        .await;
    assert_eq!(queued["payload"], json!({"ok": true}));
    gateway.fake.push(Turn::text("ok"));
    let sent = client
        .request(
            "chat.send",
            json!({"sessionKey": "agent:main:main", "message": "hello", "idempotencyKey": "w-1"}),
        )
        .await;
    assert_eq!(sent["ok"], true);
    client
        .events_until(|e| {
            e["event"] == "chat"
                && e["payload"]["state"] == "final"
                && e["payload"]["runId"] == "w-1"
        })
        .await;
    let body = gateway
        .fake
        .requests()
        .pop()
        .unwrap()
        .body
        .unwrap()
        .to_string();
    assert!(
        body.contains("System: backup done") && body.contains("hello"),
        "{body}"
    );

    let bad = client
        .request("wake", json!({"mode": "later", "text": "x"}))
        .await;
    assert!(bad["error"]["message"].as_str().unwrap().contains("/mode"));
    assert_eq!(
        client.request("last-heartbeat", json!({})).await["payload"],
        Value::Null
    );
    let usage = client.request("usage.status", json!({})).await;
    assert_eq!(usage["payload"]["providers"], json!([]));
}

/// An MCP server's tool as the MCP client will register it: known only at run time.
struct CalendarTool;

impl rustyclaw_tools::DynTool for CalendarTool {
    fn name(&self) -> &str {
        "calendar__next"
    }

    fn description(&self) -> String {
        "The next event in the user's calendar.".to_owned()
    }

    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {}})
    }

    fn call_json<'a>(
        &'a self,
        _args: Value,
        _cx: &'a rustyclaw_tools::ToolContext,
    ) -> rustyclaw_tools::ToolFuture<'a> {
        Box::pin(async { Ok(rustyclaw_tools::ToolOutput::text("Dentist at 9.")) })
    }
}

#[tokio::test]
async fn tools_registered_at_run_time_are_in_the_catalogue_and_offered() {
    let gateway = Gateway::start_with_tools(
        json!({}),
        |_| {},
        |tools| {
            tools
                .register_dyn(
                    rustyclaw_tools::policy::MCP_PLUGIN_ID,
                    std::sync::Arc::new(CalendarTool),
                    rustyclaw_tools::Shadowing::Refuse,
                )
                .unwrap();
        },
    )
    .await;
    let (mut client, _) = Client::connect(&gateway).await;
    let catalog = client.request("tools.catalog", json!({})).await;
    let groups = catalog["payload"]["groups"].as_array().unwrap();
    let plugin = groups
        .iter()
        .find(|g| g["id"] == format!("plugin:{}", rustyclaw_tools::policy::MCP_PLUGIN_ID))
        .unwrap_or_else(|| panic!("no plugin group: {catalog}"));
    assert_eq!(plugin["source"], "plugin");
    assert_eq!(plugin["tools"][0]["id"], "calendar__next");
    assert_eq!(
        plugin["tools"][0]["description"],
        "The next event in the user's calendar."
    );
    // Not listed again among the core tools.
    let core_ids: Vec<&str> = groups
        .iter()
        .filter(|g| g["source"] == "core")
        .flat_map(|g| g["tools"].as_array().unwrap())
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(!core_ids.contains(&"calendar__next"), "{core_ids:?}");

    // The default (coding) profile offers MCP tools, as upstream's does.
    let effective = client
        .request("tools.effective", json!({"sessionKey": "agent:main:main"}))
        .await;
    let offered: Vec<&str> = effective["payload"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tools"].as_array().unwrap())
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(offered.contains(&"calendar__next"), "{offered:?}");
}
