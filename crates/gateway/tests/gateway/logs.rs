//! `logs.tail` paging through a real file.

use std::io::Write;

use serde_json::json;

use super::harness::{Client, Gateway};

#[tokio::test]
async fn tail_pages_with_cursor_and_detects_reset() {
    let logs = tempfile::tempdir().unwrap();
    let base = logs.path().join("rustyclaw.jsonl");
    // The CLI's logger rotates daily: the newest dated file is the one read.
    let old = logs.path().join("rustyclaw.2026-01-01.jsonl");
    let current = logs.path().join("rustyclaw.2026-01-02.jsonl");
    std::fs::write(&old, "{\"old\":true}\n").unwrap();
    std::fs::write(&current, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n").unwrap();
    let gateway = Gateway::start_with(|o| o.log_file = Some(base.clone())).await;
    let (mut client, _) = Client::connect(&gateway).await;

    let res = client.request("logs.tail", json!({"limit": 2})).await;
    assert_eq!(res["ok"], true, "{res}");
    let page = &res["payload"];
    assert_eq!(page["file"], current.display().to_string());
    assert_eq!(page["lines"], json!(["{\"n\":2}", "{\"n\":3}"]));
    assert_eq!(page["truncated"], true);
    let size = std::fs::metadata(&current).unwrap().len();
    assert_eq!(page["size"], size);
    assert_eq!(page["cursor"], size);

    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&current)
        .unwrap();
    f.write_all(b"{\"n\":4}\n").unwrap();
    let res = client
        .request("logs.tail", json!({"cursor": page["cursor"]}))
        .await;
    assert_eq!(res["payload"]["lines"], json!(["{\"n\":4}"]));
    assert!(res["payload"].get("reset").is_none());
    let cursor = res["payload"]["cursor"].clone();

    // Truncated (rotated in place): the old cursor is past the end.
    std::fs::write(&current, "{\"n\":\"fresh\"}\n").unwrap();
    let res = client.request("logs.tail", json!({"cursor": cursor})).await;
    assert_eq!(res["payload"]["reset"], true);
    assert_eq!(res["payload"]["lines"], json!(["{\"n\":\"fresh\"}"]));

    let res = client.request("logs.tail", json!({"limit": 5001})).await;
    assert_eq!(
        res["error"]["message"],
        "invalid logs.tail params: at /limit: must be <= 5000"
    );
}

#[tokio::test]
async fn tail_without_a_log_file_is_unavailable() {
    let gateway = Gateway::start().await;
    let (mut client, _) = Client::connect(&gateway).await;
    let res = client.request("logs.tail", json!({})).await;
    assert_eq!(res["error"]["code"], "UNAVAILABLE");
}
