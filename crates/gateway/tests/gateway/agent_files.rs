//! `agents.files.*` (the prompt's workspace files, read and edited over the protocol, with the
//! hash that refuses an edit of a file changed meanwhile) and `usage.cost` (tokens per day and
//! model, summed from the transcripts), and the environment and plugin lists.

use pretty_assertions::assert_eq;
use rustyclaw_testkit::fake_llm::{Turn, Usage};
use serde_json::{Value, json};

use super::harness::{Client, Gateway};

#[tokio::test]
async fn workspace_files_are_listed_read_and_written_with_a_conflict_check() {
    let gateway = Gateway::start().await;
    let (mut client, _) = Client::connect(&gateway).await;
    let list = client
        .request("agents.files.list", json!({"agentId": "main"}))
        .await;
    let payload = &list["payload"];
    let names: Vec<&str> = payload["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "AGENTS.md",
            "SOUL.md",
            "TOOLS.md",
            "IDENTITY.md",
            "USER.md",
            "HEARTBEAT.md",
            "BOOTSTRAP.md",
            "MEMORY.md"
        ]
    );
    let workspace = std::path::PathBuf::from(payload["workspace"].as_str().unwrap());
    assert_eq!(payload["files"][1]["missing"], true);
    assert_eq!(payload["files"][7]["expectedAbsent"], true);

    let set = client
        .request(
            "agents.files.set",
            json!({"agentId": "main", "name": "SOUL.md", "content": "Warm, brief.\n"}),
        )
        .await;
    assert_eq!(set["ok"], true, "{set}");
    assert_eq!(
        std::fs::read_to_string(workspace.join("SOUL.md")).unwrap(),
        "Warm, brief.\n"
    );
    let read = client
        .request(
            "agents.files.get",
            json!({"agentId": "main", "name": "SOUL.md"}),
        )
        .await;
    let file = &read["payload"]["file"];
    assert_eq!(file["content"], "Warm, brief.\n");
    assert_eq!(file["missing"], false);
    let hash = file["hash"].as_str().unwrap().to_owned();

    // Someone else edits the file: a write based on the old hash is refused, nothing is lost.
    std::fs::write(workspace.join("SOUL.md"), "Edited elsewhere.\n").unwrap();
    let stale = client
        .request(
            "agents.files.set",
            json!({"agentId": "main", "name": "SOUL.md", "content": "mine\n", "expectedHash": hash}),
        )
        .await;
    assert_eq!(stale["ok"], false, "{stale}");
    assert_eq!(stale["error"]["details"]["type"], "agent_file_conflict");
    assert_eq!(
        std::fs::read_to_string(workspace.join("SOUL.md")).unwrap(),
        "Edited elsewhere.\n"
    );

    // Only the prompt's files, never another path.
    for name in ["../openclaw.json", "notes.md", "/etc/passwd"] {
        let refused = client
            .request("agents.files.get", json!({"agentId": "main", "name": name}))
            .await;
        assert_eq!(refused["ok"], false, "{name}: {refused}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("unsupported file")
        );
    }
    let unknown = client
        .request("agents.files.list", json!({"agentId": "nobody"}))
        .await;
    assert_eq!(unknown["ok"], false);
}

#[tokio::test]
async fn usage_cost_sums_the_day_per_model() {
    let gateway = Gateway::start().await;
    gateway
        .fake
        .push(Turn::text("one").with_usage(Usage::new(100, 20)));
    gateway
        .fake
        .push(Turn::text("two").with_usage(Usage::new(300, 40)));
    let (mut client, _) = Client::connect(&gateway).await;
    for (n, text) in ["first", "second"].iter().enumerate() {
        let key = format!("u-{n}");
        client
            .request(
                "chat.send",
                json!({"sessionKey": "agent:main:usage", "message": text, "idempotencyKey": key}),
            )
            .await;
        client
            .events_until(|f: &Value| {
                f["event"] == "chat"
                    && f["payload"]["runId"] == key.as_str()
                    && f["payload"]["state"] == "final"
            })
            .await;
    }
    let answer = client.request("usage.cost", json!({"days": 7})).await;
    let payload = &answer["payload"];
    assert_eq!(payload["days"], 7);
    assert_eq!(payload["daily"].as_array().unwrap().len(), 7);
    assert_eq!(payload["totals"]["input"], 400);
    assert_eq!(payload["totals"]["output"], 60);
    assert_eq!(payload["totals"]["calls"], 2);
    let today = payload["daily"].as_array().unwrap().last().unwrap();
    assert_eq!(today["totalTokens"], payload["totals"]["totalTokens"]);
    assert_eq!(payload["byModel"][0]["model"], "fake-model");
    let bad = client
        .request("usage.cost", json!({"startDate": "yesterday"}))
        .await;
    assert_eq!(bad["ok"], false);
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("startDate")
    );
}

#[tokio::test]
async fn the_gateway_host_is_the_one_environment_and_no_plugin_is_loaded() {
    let gateway = Gateway::start().await;
    let (mut client, _) = Client::connect(&gateway).await;
    // Both answers are validated against upstream's schema by the harness.
    let environments = client.request("environments.list", json!({})).await;
    let list = environments["payload"]["environments"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{environments}");
    assert_eq!(list[0]["id"], "gateway");
    assert_eq!(list[0]["status"], "available");
    let profiles = client
        .request("environments.list", json!({"projection": "profiles"}))
        .await;
    assert_eq!(profiles["payload"]["environments"], json!([]));
    let plugins = client.request("plugins.list", json!({})).await;
    assert_eq!(
        plugins["payload"],
        json!({"plugins": [], "diagnostics": [], "mutationAllowed": false})
    );
}
