//! `config.*` over the protocol against the real config file of a running gateway.

use rustyclaw_config::redact::REDACTED_SENTINEL;
use serde_json::{Value, json};

use super::harness::{Client, Gateway, TOKEN, connect_params};

fn config_file(gateway: &Gateway) -> std::path::PathBuf {
    gateway._dir.path().join("openclaw.json")
}

async fn get(client: &mut Client) -> Value {
    let res = client.request("config.get", json!({})).await;
    assert_eq!(res["ok"], true, "{res}");
    res["payload"].clone()
}

#[tokio::test]
async fn get_is_redacted_and_hashed() {
    let gateway = Gateway::start().await;
    let (mut client, _) = Client::connect(&gateway).await;
    let snapshot = get(&mut client).await;
    let text = snapshot.to_string();
    assert!(!text.contains(TOKEN), "the token leaked: {text}");
    assert!(
        !text.contains("sk-fake-test-key-0000"),
        "the API key leaked"
    );
    let raw = std::fs::read_to_string(config_file(&gateway)).unwrap();
    assert_eq!(snapshot["hash"], rustyclaw_config::hash_text(&raw));
    assert_eq!(snapshot["exists"], true);
    assert_eq!(snapshot["valid"], true);
    assert_eq!(
        snapshot["config"]["gateway"]["auth"]["token"],
        REDACTED_SENTINEL
    );
    assert_eq!(
        snapshot["parsed"]["models"]["providers"]["fake"]["apiKey"],
        REDACTED_SENTINEL
    );
    assert!(
        snapshot["raw"]
            .as_str()
            .unwrap()
            .contains(REDACTED_SENTINEL)
    );
    assert_eq!(
        snapshot["config"]["agents"]["defaults"]["model"]["primary"],
        "fake/fake-model"
    );
    assert_eq!(
        snapshot["path"],
        config_file(&gateway).display().to_string()
    );
}

#[tokio::test]
async fn patch_writes_keeps_comments_and_secrets_and_asks_to_apply_it() {
    let gateway = Gateway::start().await;
    let path = config_file(&gateway);
    // A commented file, as a human would keep it.
    let original = std::fs::read_to_string(&path).unwrap();
    let commented = format!("// my gateway\n{original}\n");
    std::fs::write(&path, &commented).unwrap();
    let (mut client, _) = Client::connect(&gateway).await;
    let hash = get(&mut client).await["hash"].clone();
    let patch = json!({
        "gateway": {"auth": {"token": REDACTED_SENTINEL}},
        "agents": {"defaults": {"model": {"primary": "fake/other-model"}}},
        "messages": null
    });
    let res = client
        .request(
            "config.patch",
            json!({"raw": patch.to_string(), "baseHash": hash}),
        )
        .await;
    assert_eq!(res["ok"], true, "{res}");
    let payload = &res["payload"];
    assert_eq!(payload["changed"], true);
    // Models and messages apply without a restart: upstream leaves `restart` out.
    assert_eq!(payload["restart"], Value::Null, "{payload}");
    assert_eq!(
        payload["config"]["gateway"]["auth"]["token"],
        REDACTED_SENTINEL
    );
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.starts_with("// my gateway"), "{written}");
    assert!(written.contains("fake/other-model"));
    assert!(written.contains(TOKEN), "the stored token was kept");
    assert!(
        !written.contains(REDACTED_SENTINEL),
        "the sentinel is never written"
    );
    assert!(!written.contains("debounceMs"), "null deleted `messages`");
    let backup = std::fs::read_to_string(path.with_file_name("openclaw.json.bak")).unwrap();
    assert_eq!(backup, commented);
    let request = tokio::time::timeout(
        std::time::Duration::from_secs(1),
        gateway.state.restart_requested(),
    )
    .await
    .unwrap();
    assert_eq!(request.reason, "config.patch");

    // The next writes coalesce into the pending request; one that moves the listener
    // says the gateway restarts.
    let hash = get(&mut client).await["hash"].clone();
    let res = client
        .request(
            "config.apply",
            json!({"raw": written.replace("other-model", "third-model"), "baseHash": hash}),
        )
        .await;
    assert_eq!(res["ok"], true, "{res}");
    assert_eq!(res["payload"]["restart"], Value::Null, "{res}");
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("third-model")
    );
    let hash = get(&mut client).await["hash"].clone();
    let res = client
        .request(
            "config.patch",
            json!({"raw": r#"{gateway:{bind:"lan"}}"#, "baseHash": hash}),
        )
        .await;
    assert_eq!(res["ok"], true, "{res}");
    assert_eq!(res["payload"]["restart"]["reason"], "config.patch", "{res}");
    assert_eq!(res["payload"]["restart"]["coalesced"], true, "{res}");
}

#[tokio::test]
async fn stale_missing_and_invalid_writes_leave_the_file_untouched() {
    let gateway = Gateway::start().await;
    let path = config_file(&gateway);
    let before = std::fs::read_to_string(&path).unwrap();
    let (mut client, _) = Client::connect(&gateway).await;
    let raw = json!({"gateway": {"port": 19999}}).to_string();

    let res = client
        .request(
            "config.patch",
            json!({"raw": raw, "baseHash": "0".repeat(64)}),
        )
        .await;
    assert_eq!(res["error"]["code"], "INVALID_REQUEST");
    assert_eq!(
        res["error"]["message"],
        "config changed since last load; re-run config.get and retry"
    );
    let res = client.request("config.set", json!({"raw": raw})).await;
    assert_eq!(
        res["error"]["message"],
        "config base hash required; re-run config.get and retry"
    );

    let hash = get(&mut client).await["hash"].clone();
    let bad = json!({"gateway": {"port": "not-a-port"}}).to_string();
    let res = client
        .request("config.set", json!({"raw": bad, "baseHash": hash}))
        .await;
    assert_eq!(res["error"]["code"], "INVALID_REQUEST");
    let message = res["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("invalid config: gateway.port"),
        "{message}"
    );
    assert_eq!(res["error"]["details"]["issues"][0]["path"], "gateway.port");

    let orphan = json!({"models": {"providers": {"n": {"apiKey": REDACTED_SENTINEL}}}}).to_string();
    let res = client
        .request("config.patch", json!({"raw": orphan, "baseHash": hash}))
        .await;
    let message = res["error"]["message"].as_str().unwrap();
    assert!(message.contains("models.providers.n.apiKey"), "{message}");

    let res = client
        .request("config.patch", json!({"raw": "[1, 2]", "baseHash": hash}))
        .await;
    assert_eq!(
        res["error"]["message"],
        "config.patch raw must be an object"
    );
    let res = client
        .request("config.set", json!({"baseHash": hash}))
        .await;
    assert_eq!(
        res["error"]["message"],
        "invalid config.set params: must have required property 'raw'"
    );

    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert!(!path.with_file_name("openclaw.json.bak").exists());
}

#[tokio::test]
async fn noop_patch_writes_nothing_and_the_fourth_write_is_rate_limited() {
    let gateway = Gateway::start().await;
    let path = config_file(&gateway);
    let before = std::fs::read_to_string(&path).unwrap();
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let (mut client, _) = Client::connect(&gateway).await;
    let hash = get(&mut client).await["hash"].clone();
    let same =
        json!({"agents": {"defaults": {"model": {"primary": "fake/fake-model"}}}}).to_string();
    for _ in 0..3 {
        let res = client
            .request("config.patch", json!({"raw": same, "baseHash": hash}))
            .await;
        assert_eq!(res["ok"], true, "{res}");
        assert_eq!(res["payload"]["changed"], false);
        assert_eq!(res["payload"]["restart"], Value::Null);
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
    let res = client
        .request("config.patch", json!({"raw": same, "baseHash": hash}))
        .await;
    assert_eq!(res["ok"], false);
    assert_eq!(res["error"]["code"], "UNAVAILABLE");
    assert!(
        res["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("rate limit exceeded for config.patch"),
        "{res}"
    );
    let retry = res["error"]["retryAfterMs"].as_u64().unwrap();
    assert!(retry > 50_000 && retry <= 60_000, "{retry}");
    // No restart was asked for by writes that changed nothing.
    let pending = tokio::time::timeout(
        std::time::Duration::from_millis(100),
        gateway.state.restart_requested(),
    )
    .await;
    assert!(pending.is_err());
}

#[tokio::test]
async fn schema_and_lookup() {
    let gateway = Gateway::start().await;
    let (mut client, _) = Client::connect(&gateway).await;
    let res = client.request("config.schema", json!({})).await;
    assert_eq!(res["ok"], true, "{res}");
    assert_eq!(
        res["payload"]["uiHints"]["gateway.auth.token"]["sensitive"],
        true
    );
    assert!(res["payload"]["schema"]["properties"]["gateway"].is_object());

    let res = client
        .request("config.schema.lookup", json!({"path": "gateway.auth"}))
        .await;
    assert_eq!(res["ok"], true, "{res}");
    let children = res["payload"]["children"].as_array().unwrap();
    let token = children.iter().find(|c| c["key"] == "token").unwrap();
    assert_eq!(token["path"], "gateway.auth.token");
    assert_eq!(token["hint"]["sensitive"], true);
    assert!(children.iter().any(|c| c["key"] == "mode"));

    let res = client
        .request(
            "config.schema.lookup",
            json!({"path": "models.providers.fake"}),
        )
        .await;
    assert_eq!(res["payload"]["schema"]["type"], "object", "{res}");
    assert!(
        res["payload"]["children"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["key"] == "baseUrl")
    );
    let res = client
        .request("config.schema.lookup", json!({"path": "gateway.nope"}))
        .await;
    assert_eq!(res["error"]["message"], "config schema path not found");
}

#[tokio::test]
async fn reads_need_read_and_writes_need_admin() {
    let gateway = Gateway::start().await;
    let mut client = Client::open(&gateway).await;
    let res = client
        .request("connect", connect_params(TOKEN, &["operator.read"]))
        .await;
    assert_eq!(res["ok"], true, "{res}");
    let snapshot = client.request("config.get", json!({})).await;
    assert_eq!(snapshot["ok"], true, "{snapshot}");
    let res = client
        .request(
            "config.patch",
            json!({"raw": "{}", "baseHash": snapshot["payload"]["hash"]}),
        )
        .await;
    assert_eq!(res["error"]["code"], "FORBIDDEN");
    assert_eq!(res["error"]["details"]["missingScope"], "operator.admin");
}
