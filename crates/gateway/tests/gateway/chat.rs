//! `chat.send` streams cumulative deltas and a final reply; `chat.history` reads it back;
//! idempotency keys are honoured; `agent` answers twice.

use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_protocol::gateway::{ChatEvent, ChatState};
use rustyclaw_testkit::fake_llm::Turn;
use serde_json::{Value, json};

use super::harness::{Client, Gateway, TOKEN, connect_params};

fn chat_events(frames: &[Value], run_id: &str) -> Vec<ChatEvent> {
    frames
        .iter()
        .filter(|f| f["event"] == "chat" && f["payload"]["runId"] == run_id)
        .map(|f| serde_json::from_value(f["payload"].clone()).unwrap())
        .collect()
}

fn is_terminal_chat(frame: &Value, run_id: &str) -> bool {
    frame["event"] == "chat"
        && frame["payload"]["runId"] == run_id
        && ["final", "error", "aborted"].contains(&frame["payload"]["state"].as_str().unwrap_or(""))
}

#[tokio::test]
async fn chat_send_streams_cumulative_deltas_then_the_final_reply() {
    let gateway = Gateway::start().await;
    gateway
        .fake
        .push(Turn::text_deltas(["Hello", " from", " the fake", " LLM."]));
    let (mut client, _) = Client::connect(&gateway).await;
    let ack = client
        .request(
            "chat.send",
            json!({"sessionKey": "agent:main:ws-test", "message": "hello", "idempotencyKey": "run-1"}),
        )
        .await;
    assert_eq!(
        ack["payload"],
        json!({"runId": "run-1", "status": "started"})
    );
    let frames = client.events_until(|f| is_terminal_chat(f, "run-1")).await;

    let chat = chat_events(&frames, "run-1");
    let deltas: Vec<String> = chat
        .iter()
        .filter(|e| e.state == ChatState::Delta)
        .map(|e| e.message.as_ref().unwrap().text())
        .collect();
    assert!(!deltas.is_empty());
    // Cumulative: each delta's text extends the previous one.
    for pair in deltas.windows(2) {
        assert!(
            pair[1].starts_with(&pair[0]) && pair[1].len() > pair[0].len(),
            "{pair:?}"
        );
    }
    let last = chat.last().unwrap();
    assert_eq!(last.state, ChatState::Final);
    assert_eq!(
        last.message.as_ref().unwrap().text(),
        "Hello from the fake LLM."
    );
    assert_eq!(deltas.last().unwrap(), "Hello from the fake LLM.");
    assert_eq!(last.session_key, "agent:main:ws-test");
    // The agent stream carries every model delta; chat deltas are throttled (150 ms), and the
    // text held back is flushed before the final event.
    let agent_deltas = frames
        .iter()
        .filter(|f| f["event"] == "agent" && f["payload"]["stream"] == "assistant")
        .count();
    assert_eq!(agent_deltas, 4);
    assert!(deltas.len() < agent_deltas, "{deltas:?}");
    // Event seq is per connection, starting at 1, without gaps.
    let seqs: Vec<u64> = frames.iter().map(|f| f["seq"].as_u64().unwrap()).collect();
    let expected: Vec<u64> = (seqs[0]..seqs[0] + seqs.len() as u64).collect();
    assert_eq!(seqs, expected);

    // History afterwards: the user message and the reply, as transcript messages.
    let history = client
        .request("chat.history", json!({"sessionKey": "agent:main:ws-test"}))
        .await;
    let messages = history["payload"]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{history}");
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(
        messages[1]["content"][0]["text"],
        "Hello from the fake LLM."
    );
    assert!(history["payload"]["sessionId"].is_string());

    // sessions.list shows the session.
    let sessions = client.request("sessions.list", json!({})).await;
    let keys: Vec<&str> = sessions["payload"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"agent:main:ws-test"), "{keys:?}");
}

#[tokio::test]
async fn a_repeated_idempotency_key_starts_no_second_run() {
    let gateway = Gateway::start().await;
    gateway
        .fake
        .push(Turn::text_deltas(["slow ", "reply"]).chunk_delay(Duration::from_millis(300)));
    let (mut client, _) = Client::connect(&gateway).await;
    let params =
        json!({"sessionKey": "agent:main:dup", "message": "once", "idempotencyKey": "same"});
    let first = client.request("chat.send", params.clone()).await;
    assert_eq!(first["payload"]["status"], "started");
    let again = client.request("chat.send", params.clone()).await;
    assert_eq!(
        again["payload"],
        json!({"runId": "same", "status": "in_flight"})
    );
    client.events_until(|f| is_terminal_chat(f, "same")).await;
    // The cache records the end shortly after the final event.
    let mut replay = Value::Null;
    for _ in 0..50 {
        replay = client.request("chat.send", params.clone()).await;
        if replay["payload"]["status"] != "in_flight" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(replay["payload"], json!({"runId": "same", "status": "ok"}));
    assert_eq!(
        gateway.fake.requests().len(),
        1,
        "one model call for three sends"
    );
}

#[tokio::test]
async fn agent_answers_accepted_then_the_outcome_with_the_same_id() {
    let gateway = Gateway::start().await;
    gateway.fake.push(Turn::text("Agent reply."));
    let (mut client, _) = Client::connect(&gateway).await;
    client
        .send(
            json!({"type": "req", "id": "a1", "method": "agent", "params": {
            "message": "hi", "sessionId": "test", "idempotencyKey": "agent-run"}}),
        )
        .await;
    let accepted = client.response("a1").await;
    assert_eq!(accepted["payload"]["status"], "accepted");
    assert_eq!(
        accepted["payload"]["sessionKey"],
        "agent:main:explicit:test"
    );
    assert_eq!(accepted["payload"]["runId"], "agent-run");
    let done = client.response("a1").await;
    assert_eq!(done["payload"]["status"], "ok", "{done}");
    assert_eq!(
        done["payload"]["result"]["payloads"][0]["text"],
        "Agent reply."
    );
    let waited = client
        .request(
            "agent.wait",
            json!({"runId": "agent-run", "timeoutMs": 1000}),
        )
        .await;
    assert_eq!(waited["payload"]["status"], "ok");
    let unknown = client
        .request("agent.wait", json!({"runId": "nope", "timeoutMs": 50}))
        .await;
    assert_eq!(unknown["payload"]["status"], "timeout");
}

#[tokio::test]
async fn read_methods_answer_from_config_and_store() {
    let gateway = Gateway::start().await;
    let (mut client, _) = Client::connect(&gateway).await;
    let models = client.request("models.list", json!({})).await;
    let ids: Vec<&str> = models["payload"]["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"fake-model"), "{models}");
    let agents = client.request("agents.list", json!({})).await;
    assert_eq!(agents["payload"]["defaultId"], "main");
    // Unnamed in the config, so unnamed here: clients would show "main (main)".
    assert!(
        agents["payload"]["agents"][0].get("name").is_none(),
        "{agents}"
    );
    assert_eq!(
        agents["payload"]["agents"][0]["model"]["primary"],
        "fake/fake-model"
    );
    let missing = client
        .request("chat.history", json!({"sessionKey": "agent:main:none"}))
        .await;
    assert_eq!(missing["payload"]["messages"], json!([]));
    let bad = client.request("chat.history", json!({})).await;
    assert_eq!(bad["error"]["code"], "INVALID_REQUEST");
}

#[tokio::test]
async fn status_shows_session_details_to_admins_only() {
    let gateway = Gateway::start().await;
    gateway.fake.push(Turn::text("stored"));
    let (mut admin, _) = Client::connect(&gateway).await;
    let params = json!({"sessionKey": "agent:main:seen", "message": "hi", "idempotencyKey": "s-1"});
    admin.request("chat.send", params).await;
    admin
        .events_until(|f| f["event"] == "chat" && f["payload"]["state"] == "final")
        .await;

    let full = admin.request("status", json!({})).await["payload"].clone();
    let sessions = &full["sessions"];
    assert_eq!(sessions["count"], 1, "{full}");
    assert_eq!(sessions["recent"][0]["key"], "agent:main:seen", "{full}");
    assert_eq!(sessions["paths"].as_array().unwrap().len(), 1, "{full}");
    // The default model by its id, as upstream names it.
    assert_eq!(sessions["defaults"]["model"], "fake-model", "{full}");
    assert!(full.get("cliProjection").is_none(), "{full}");
    assert_eq!(full["heartbeat"]["agents"][0]["enabled"], false, "{full}");

    // A read-only client gets counts, no paths, keys or model.
    let mut reader = Client::open(&gateway).await;
    let hello = reader
        .request("connect", connect_params(TOKEN, &["operator.read"]))
        .await;
    assert_eq!(hello["ok"], true, "{hello}");
    let read = reader
        .request("status", json!({"includeCliProjection": true}))
        .await["payload"]
        .clone();
    let sessions = &read["sessions"];
    assert_eq!(sessions["count"], 1, "{read}");
    assert_eq!(sessions["paths"], json!([]), "{read}");
    assert_eq!(sessions["recent"], json!([]), "{read}");
    assert_eq!(sessions["defaults"]["model"], Value::Null, "{read}");
    assert_eq!(sessions["byAgent"][0]["path"], "[redacted]", "{read}");
    assert!(!read.to_string().contains("agent:main:seen"), "{read}");
    // The agent list the official `openclaw status` asks for.
    assert_eq!(
        read["cliProjection"]["agents"],
        json!({"defaultId": "main", "ownership": "sole", "selectionRequired": false,
               "rows": [{"id": "main"}]}),
        "{read}"
    );
}

#[tokio::test]
async fn a_run_starts_only_after_the_client_has_read_the_answer_to_its_send() {
    let gateway = Gateway::start().await;
    gateway.fake.push(Turn::text("Quick."));
    let (mut client, _) = Client::connect(&gateway).await;
    let send = json!({"type": "req", "id": "send-1", "method": "chat.send", "params": {
        "sessionKey": "agent:main:order", "message": "hi", "idempotencyKey": "order-1"}});
    client.send(send).await;
    // The client reads the answer and the ping after it, then reads nothing for 150 ms: its
    // pong goes out only when it reads again.
    let pause = Duration::from_millis(150);
    let seen = client
        .arrivals_until(pause, |f| {
            f["event"] == "chat" && f["payload"]["state"] == "final"
        })
        .await;
    let labels: Vec<&str> = seen.iter().map(|(label, ..)| label.as_str()).collect();
    let at = |label: &str| labels.iter().position(|l| *l == label).unwrap();
    assert!(
        at("res send-1") < at("ping") && at("ping") < at("agent lifecycle"),
        "{labels:?}"
    );
    // The run started once the pong came back, not when the answer was written (the official
    // TUI, handling the run's start before its answer, would wait forever).
    let pinged_at = seen[at("ping")].1;
    let started = seen[at("agent lifecycle")].2["payload"]["data"]["startedAt"]
        .as_u64()
        .unwrap();
    assert!(
        started >= pinged_at + 150 - 5,
        "the run started {} ms after the ping was read",
        started as i64 - pinged_at as i64
    );
}

#[tokio::test]
async fn chat_abort_stops_a_streaming_run() {
    let gateway = Gateway::start().await;
    let pieces: Vec<String> = (0..50).map(|i| format!("part{i} ")).collect();
    gateway.fake.push(
        Turn::text_deltas(pieces.iter().map(String::as_str)).chunk_delay(Duration::from_millis(50)),
    );
    let (mut client, _) = Client::connect(&gateway).await;
    let params =
        json!({"sessionKey": "agent:main:stop", "message": "long", "idempotencyKey": "long-run"});
    client.request("chat.send", params).await;
    // Wait for the first text, then abort.
    client
        .events_until(|f| f["event"] == "chat" && f["payload"]["state"] == "delta")
        .await;
    let abort = client
        .request(
            "chat.abort",
            json!({"sessionKey": "agent:main:stop", "runId": "long-run"}),
        )
        .await;
    assert_eq!(
        abort["payload"],
        json!({"ok": true, "aborted": true, "runIds": ["long-run"]})
    );
    let frames = client
        .events_until(|f| is_terminal_chat(f, "long-run"))
        .await;
    let last = chat_events(&frames, "long-run").pop().unwrap();
    assert_eq!(last.state, ChatState::Aborted);
    // Throttled: far fewer chat deltas than model deltas, each still cumulative.
    let deltas = frames
        .iter()
        .filter(|f| f["event"] == "chat" && f["payload"]["state"] == "delta")
        .count();
    let agent_deltas = frames
        .iter()
        .filter(|f| f["event"] == "agent" && f["payload"]["stream"] == "assistant")
        .count();
    assert!(deltas <= agent_deltas, "{deltas} {agent_deltas}");
}

#[tokio::test]
async fn chat_input_is_normalised_and_a_null_byte_refused_as_upstream() {
    let gateway = Gateway::start().await;
    gateway.fake.push(Turn::text("Noted."));
    let (mut client, _) = Client::connect(&gateway).await;
    let refused = client
        .request(
            "chat.send",
            json!({"sessionKey": "agent:main:main", "message": "a\u{0}b", "idempotencyKey": "nul"}),
        )
        .await;
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(refused["error"]["code"], "INVALID_REQUEST", "{refused}");
    assert_eq!(
        refused["error"]["message"], "message must not contain null bytes",
        "{refused}"
    );

    // Decomposed accents are composed; terminal escapes and other controls are dropped; tabs
    // and line breaks stay. The model and the transcript see the cleaned text.
    let ack = client
        .request(
            "chat.send",
            json!({"sessionKey": "agent:main:main",
                   "message": "cafe\u{301}\tok\n\u{1b}[2Jcleared\u{7}",
                   "idempotencyKey": "clean"}),
        )
        .await;
    assert_eq!(ack["payload"]["status"], "started", "{ack}");
    client.events_until(|f| is_terminal_chat(f, "clean")).await;
    let history = client
        .request("chat.history", json!({"sessionKey": "agent:main:main"}))
        .await;
    let sent = &history["payload"]["messages"][0]["content"];
    let text = sent
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| sent[0]["text"].as_str().unwrap().to_owned());
    assert_eq!(text, "caf\u{e9}\tok\n[2Jcleared");
    let asked = gateway.fake.requests()[0].body.clone().unwrap().to_string();
    assert!(!asked.contains("\\u001b"), "{asked}");
    assert_eq!(gateway.fake.request_count(), 1, "the refused message ran");
}

#[tokio::test]
async fn chat_send_takes_attachments_and_saves_them_for_the_run() {
    use base64::Engine;
    let gateway = Gateway::start().await;
    gateway.fake.push(Turn::text("Got your notes."));
    let (mut client, _) = Client::connect(&gateway).await;
    let content = base64::engine::general_purpose::STANDARD.encode("buy milk\n");
    let ack = client
        .request(
            "chat.send",
            json!({
                "sessionKey": "agent:main:files",
                "message": "",
                "idempotencyKey": "with-file",
                "attachments": [{"mimeType": "text/plain", "fileName": "notes.txt", "content": content}],
            }),
        )
        .await;
    assert_eq!(ack["payload"]["status"], "started", "{ack}");
    client
        .events_until(|f| is_terminal_chat(f, "with-file"))
        .await;
    let body = gateway.fake.requests()[0].body.clone().unwrap();
    let prompt = body["messages"].to_string();
    assert!(prompt.contains("media/inbound/webchat/"), "{prompt}");
    let saved = std::fs::read_dir(gateway._dir.path().join("media/inbound/webchat"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect::<Vec<_>>();
    assert_eq!(saved.len(), 1);
    assert_eq!(std::fs::read_to_string(&saved[0]).unwrap(), "buy milk\n");

    let bad = client
        .request(
            "chat.send",
            json!({"sessionKey": "agent:main:files", "message": "x", "idempotencyKey": "bad-file",
                   "attachments": [{"mimeType": "image/png", "content": "not base64!"}]}),
        )
        .await;
    assert_eq!(bad["ok"], false);
    assert_eq!(
        bad["error"]["message"],
        "attachments[0]: content is not valid base64"
    );
}
