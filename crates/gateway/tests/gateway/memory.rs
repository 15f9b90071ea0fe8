//! `memory.search`: an agent's memory searched over the protocol, as the Control UI and
//! `openclaw memory search` through a gateway do.

use serde_json::json;

use super::harness::{Client, Gateway};

#[tokio::test]
async fn memory_search_finds_notes_and_refuses_bad_params() {
    let gateway = Gateway::start().await;
    let (mut client, _) = Client::connect(&gateway).await;
    let workspace = gateway._dir.path().join("workspace");
    std::fs::create_dir_all(workspace.join("memory")).unwrap();
    std::fs::write(
        workspace.join("MEMORY.md"),
        "# Memory\n\nThe spare key is under the blue pot.\n",
    )
    .unwrap();
    std::fs::write(
        workspace.join("memory/2026-01-02.md"),
        "- fixed the bike brakes\n",
    )
    .unwrap();

    let found = client
        .request("memory.search", json!({"query": "spare key"}))
        .await;
    assert_eq!(found["ok"], true, "{found}");
    let payload = &found["payload"];
    assert_eq!(payload["agentId"], "main");
    assert_eq!(payload["searchMode"], "fts");
    assert_eq!(payload["provider"], "none");
    assert_eq!(payload["results"][0]["path"], "MEMORY.md");
    assert_eq!(payload["results"][0]["startLine"], 1);
    assert!(
        payload["results"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("blue pot")
    );

    let none = client
        .request("memory.search", json!({"query": "zeppelin"}))
        .await;
    assert_eq!(none["payload"]["results"], json!([]));

    for (params, message) in [
        (json!({"query": "  "}), "query must be a non-empty string"),
        (json!({"query": "x", "agentId": "ghost"}), "unknown agentId"),
        (
            json!({"query": "x", "maxResults": "many"}),
            "maxResults and minScore must be finite numbers",
        ),
    ] {
        let refused = client.request("memory.search", params).await;
        assert_eq!(refused["ok"], false);
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains(message),
            "{refused}"
        );
    }
}
