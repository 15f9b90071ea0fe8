//! Every way of waiting for a run gets its outcome under a flood of other runs' events: the
//! `chat.send` ack then `agent.wait`, `sessions.send`, `agent`'s second answer, and the
//! OpenAI-compatible endpoint, streamed (read only after the others ended) and not.

use std::time::Duration;

use rustyclaw_testkit::fake_llm::Turn;
use serde_json::{Value, json};

use super::harness::{Client, Gateway, TOKEN};

/// Deltas of every run; six runs are well past the runtime's 8,192-event broadcast buffer.
const DELTAS: usize = 2_000;

fn numbers_in(text: &str) -> usize {
    text.split_whitespace()
        .filter(|word| word.parse::<usize>().is_ok())
        .count()
}

#[tokio::test]
async fn every_waiter_gets_its_run_under_a_flood_of_other_runs_events() {
    let gateway = Gateway::start_configured(
        json!({"http": {"endpoints": {"chatCompletions": {"enabled": true}}}}),
        |_| {},
    )
    .await;
    let deltas: Vec<String> = (0..DELTAS).map(|i| format!("{i} ")).collect();
    for _ in 0..6 {
        gateway.fake.push(Turn::text_deltas(deltas.clone()));
    }
    let http = reqwest::Client::new();
    let url = format!("http://{}/v1/chat/completions", gateway.addr);
    let ask = |stream: bool, user: &str| {
        http.post(&url).bearer_auth(TOKEN).json(&json!({
            "model": "openclaw", "stream": stream, "user": user,
            "messages": [{"role": "user", "content": "count"}]}))
    };
    // Headers arrive at once; the body is read only after everything else ended.
    let streamed = ask(true, "streamer").send().await.unwrap();
    assert_eq!(streamed.status(), 200);
    let completed = tokio::spawn(ask(false, "completer").send());

    let (mut client, _) = Client::connect(&gateway).await;
    let sent = client
        .request(
            "chat.send",
            json!({"sessionKey": "agent:main:flood-1", "message": "count", "idempotencyKey": "send-1"}),
        )
        .await;
    assert_eq!(sent["payload"]["status"], "started", "{sent}");
    let sent = client
        .request(
            "sessions.send",
            json!({"key": "agent:main:flood-2", "message": "count", "idempotencyKey": "send-2"}),
        )
        .await;
    assert_eq!(sent["ok"], true, "{sent}");
    client
        .send(
            json!({"type": "req", "id": "a1", "method": "agent", "params": {
            "message": "count", "sessionKey": "agent:main:flood-3", "idempotencyKey": "agent-1"}}),
        )
        .await;
    assert_eq!(client.response("a1").await["payload"]["status"], "accepted");
    let done = client.response("a1").await;
    assert_eq!(done["payload"]["status"], "ok", "{done}");
    let reply = done["payload"]["result"]["payloads"][0]["text"]
        .as_str()
        .unwrap();
    assert_eq!(numbers_in(reply), DELTAS);
    for run in ["send-1", "send-2"] {
        let waited = client
            .request("agent.wait", json!({"runId": run, "timeoutMs": 60_000}))
            .await;
        assert_eq!(waited["payload"]["status"], "ok", "{run}: {waited}");
    }

    let completed = tokio::time::timeout(Duration::from_secs(60), completed)
        .await
        .expect("the non-streamed completion never ended")
        .unwrap()
        .unwrap();
    assert_eq!(completed.status(), 200);
    let body: Value = completed.json().await.unwrap();
    let content = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert_eq!(numbers_in(content), DELTAS);

    let sse = tokio::time::timeout(Duration::from_secs(60), streamed.text())
        .await
        .expect("the streamed completion never ended")
        .unwrap();
    assert!(
        sse.trim_end().ends_with("data: [DONE]"),
        "{}",
        &sse[sse.len().saturating_sub(300)..]
    );
    let streamed_text: String = sse
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter_map(|data| serde_json::from_str::<Value>(data).ok())
        .filter_map(|chunk| {
            chunk["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(numbers_in(&streamed_text), DELTAS);
}
