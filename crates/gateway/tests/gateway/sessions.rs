//! `sessions.*` and `chat.inject` on real sessions run against the fake LLM: reading, previewing,
//! listing, patching, resolving, resetting, deleting, creating, sending, injecting, the
//! `sessions.changed` subscription and the scope checks.

use pretty_assertions::assert_eq;
use rustyclaw_testkit::fake_llm::Turn;
use serde_json::{Value, json};

use super::harness::{Client, Gateway, TOKEN, connect_params};

fn is_final(frame: &Value, run_id: &str) -> bool {
    frame["event"] == "chat"
        && frame["payload"]["runId"] == run_id
        && ["final", "error", "aborted"].contains(&frame["payload"]["state"].as_str().unwrap_or(""))
}

/// Runs one chat turn on `key` and waits for its final event.
async fn chat(client: &mut Client, key: &str, message: &str, run_id: &str) {
    let ack = client
        .request(
            "chat.send",
            json!({"sessionKey": key, "message": message, "idempotencyKey": run_id}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let frames = client.events_until(|f| is_final(f, run_id)).await;
    let last = frames.last().unwrap();
    assert_eq!(last["payload"]["state"], "final", "{last}");
}

fn ok(response: &Value) -> &Value {
    assert_eq!(response["ok"], true, "{response}");
    &response["payload"]
}

fn texts(messages: &Value) -> Vec<(String, String)> {
    messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let text = match &m["content"] {
                Value::String(s) => s.clone(),
                blocks => blocks
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|b| b["text"].as_str())
                    .collect::<Vec<_>>()
                    .join(""),
            };
            (m["role"].as_str().unwrap().to_owned(), text)
        })
        .collect()
}

#[tokio::test]
async fn get_preview_and_list_show_the_real_transcript() {
    let gateway = Gateway::start().await;
    gateway.fake.push(Turn::text("Paris is the capital."));
    let (mut client, _) = Client::connect(&gateway).await;
    let key = "agent:main:geo";
    chat(
        &mut client,
        key,
        "What is the capital of France?",
        "run-geo",
    )
    .await;

    let got = client.request("sessions.get", json!({"key": key})).await;
    let got = ok(&got);
    assert_eq!(
        texts(&got["messages"]),
        vec![
            ("user".into(), "What is the capital of France?".into()),
            ("assistant".into(), "Paris is the capital.".into()),
        ]
    );

    let preview = client
        .request(
            "sessions.preview",
            json!({"keys": [key, "agent:main:nothing-here"], "limit": 1, "maxChars": 20}),
        )
        .await;
    let previews = &ok(&preview)["previews"];
    assert_eq!(
        previews[0],
        json!({"key": key, "status": "ok", "items": [{"role": "assistant", "text": "Paris is the capita…"}]})
    );
    assert_eq!(previews[1]["status"], "missing");

    let listed = client
        .request(
            "sessions.list",
            json!({"includeDerivedTitles": true, "includeLastMessage": true}),
        )
        .await;
    let listed = ok(&listed);
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["defaults"]["model"], "fake-model");
    assert_eq!(listed["defaults"]["modelProvider"], "fake");
    let row = &listed["sessions"][0];
    assert_eq!(row["key"], key);
    assert_eq!(row["kind"], "direct");
    assert_eq!(row["agentId"], "main");
    assert_eq!(row["sessionId"], got["sessionId"]);
    assert_eq!(row["derivedTitle"], "What is the capital of France?");
    assert_eq!(row["lastMessagePreview"], "Paris is the capital.");
    assert_eq!(row["status"], "done");

    let searched = client
        .request("sessions.list", json!({"search": "nomatch"}))
        .await;
    assert_eq!(ok(&searched)["count"], 0);
    let searched = client
        .request("sessions.list", json!({"search": "GEO"}))
        .await;
    assert_eq!(ok(&searched)["count"], 1);
}

#[tokio::test]
async fn patch_sets_and_clears_fields_and_resolve_finds_the_label() {
    let gateway = Gateway::start().await;
    gateway.fake.push(Turn::text("Noted."));
    let (mut client, _) = Client::connect(&gateway).await;
    let key = "agent:main:work";
    chat(&mut client, key, "remember this", "run-work").await;

    let patched = client
        .request(
            "sessions.patch",
            json!({"key": key, "label": "Work", "thinkingLevel": "high", "model": "fake/fake-model"}),
        )
        .await;
    let patched = ok(&patched);
    assert_eq!(patched["key"], key);
    assert_eq!(patched["entry"]["label"], "Work");
    assert_eq!(patched["entry"]["thinkingLevel"], "high");
    assert_eq!(patched["entry"]["modelOverride"], "fake-model");
    assert_eq!(
        patched["resolved"],
        json!({"modelProvider": "fake", "model": "fake-model"})
    );

    let listed = client
        .request("sessions.list", json!({"label": "Work"}))
        .await;
    let row = &ok(&listed)["sessions"][0];
    assert_eq!(row["key"], key);
    assert_eq!(row["label"], "Work");
    assert_eq!(row["displayName"], "Work");
    assert_eq!(row["thinkingLevel"], "high");

    let resolved = client
        .request("sessions.resolve", json!({"label": "Work"}))
        .await;
    assert_eq!(
        *ok(&resolved),
        json!({"ok": true, "key": key, "agentId": "main", "displayName": "Work"})
    );
    let by_id = client
        .request(
            "sessions.resolve",
            json!({"sessionId": patched["entry"]["sessionId"]}),
        )
        .await;
    assert_eq!(ok(&by_id)["key"], key);

    // A second session cannot take the label.
    let taken = client
        .request(
            "sessions.patch",
            json!({"key": "agent:main:other", "label": "Work"}),
        )
        .await;
    assert_eq!(taken["error"]["message"], "label already in use: Work");
    let bad = client
        .request(
            "sessions.patch",
            json!({"key": key, "thinkingLevel": "extreme"}),
        )
        .await;
    assert_eq!(
        bad["error"]["message"],
        "invalid thinkingLevel (use off|minimal|low|medium|high|xhigh)"
    );
    let unknown_model = client
        .request("sessions.patch", json!({"key": key, "model": "nope/none"}))
        .await;
    assert_eq!(unknown_model["ok"], false);
    assert_eq!(unknown_model["error"]["code"], "INVALID_REQUEST");

    let cleared = client
        .request(
            "sessions.patch",
            json!({"key": key, "label": null, "thinkingLevel": null, "model": null}),
        )
        .await;
    let entry = &ok(&cleared)["entry"];
    assert!(entry.get("label").is_none(), "{entry}");
    assert!(entry.get("thinkingLevel").is_none(), "{entry}");
    assert!(entry.get("modelOverride").is_none(), "{entry}");
    let gone = client
        .request("sessions.resolve", json!({"label": "Work"}))
        .await;
    assert_eq!(
        gone["error"]["message"],
        "No session found with label: Work"
    );

    // The patch survives the next run (the runtime reloads the session from the store).
    client
        .request(
            "sessions.patch",
            json!({"key": key, "verboseLevel": "full"}),
        )
        .await;
    gateway.fake.push(Turn::text("Still here."));
    chat(&mut client, key, "again", "run-work-2").await;
    let got = client.request("sessions.get", json!({"key": key})).await;
    assert_eq!(ok(&got)["entry"]["verboseLevel"], "full");
    assert_eq!(texts(&ok(&got)["messages"]).len(), 4);
}

#[tokio::test]
async fn reset_starts_a_new_transcript_and_delete_removes_the_session() {
    let gateway = Gateway::start().await;
    gateway.fake.push(Turn::text("First reply."));
    let (mut client, _) = Client::connect(&gateway).await;
    let key = "agent:main:scratch";
    chat(&mut client, key, "hello", "run-scratch").await;
    let before = client.request("sessions.get", json!({"key": key})).await;
    let old_id = ok(&before)["sessionId"].as_str().unwrap().to_owned();
    client
        .request("sessions.patch", json!({"key": key, "label": "Scratch"}))
        .await;

    let reset = client
        .request("sessions.reset", json!({"key": key, "reason": "new"}))
        .await;
    let entry = &ok(&reset)["entry"];
    assert_ne!(entry["sessionId"], old_id);
    assert_eq!(entry["label"], "Scratch", "settings carry over");
    let history = client
        .request("chat.history", json!({"sessionKey": key}))
        .await;
    assert_eq!(ok(&history)["messages"], json!([]));
    assert_eq!(ok(&history)["sessionId"], entry["sessionId"]);
    // The next run writes to the new transcript.
    gateway.fake.push(Turn::text("Fresh start."));
    chat(&mut client, key, "again", "run-scratch-2").await;
    let history = client
        .request("chat.history", json!({"sessionKey": key}))
        .await;
    assert_eq!(
        texts(&ok(&history)["messages"]),
        vec![
            ("user".into(), "again".into()),
            ("assistant".into(), "Fresh start.".into())
        ]
    );

    let main = client
        .request("sessions.delete", json!({"key": "agent:main:main"}))
        .await;
    assert_eq!(
        main["error"]["message"],
        "Cannot delete the main session (agent:main:main)."
    );
    let deleted = client.request("sessions.delete", json!({"key": key})).await;
    assert_eq!(
        *ok(&deleted),
        json!({"ok": true, "key": key, "deleted": true, "archived": []})
    );
    let listed = client.request("sessions.list", json!({})).await;
    assert_eq!(ok(&listed)["count"], 0);
    let again = client.request("sessions.delete", json!({"key": key})).await;
    assert_eq!(ok(&again)["deleted"], false);
}

#[tokio::test]
async fn create_and_send_run_the_session() {
    let gateway = Gateway::start().await;
    gateway.fake.push(Turn::text("Task accepted."));
    gateway.fake.push(Turn::text("Second answer."));
    let (mut client, _) = Client::connect(&gateway).await;

    let created = client
        .request(
            "sessions.create",
            json!({"label": "Project", "task": "Plan the project", "idempotencyKey": "create-1"}),
        )
        .await;
    let created = ok(&created);
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("agent:main:dashboard:"), "{key}");
    assert_eq!(created["entry"]["label"], "Project");
    // A bare key (the official TUI's `/new`) is the agent's.
    let bare = client
        .request(
            "sessions.create",
            json!({"key": "tui-1234", "agentId": "main"}),
        )
        .await;
    assert_eq!(ok(&bare)["key"], "agent:main:tui-1234");
    assert_eq!(created["runStarted"], true);
    assert_eq!(created["runId"], "create-1");
    client.events_until(|f| is_final(f, "create-1")).await;

    let sent = client
        .request(
            "sessions.send",
            json!({"key": key, "message": "And then?", "idempotencyKey": "send-1"}),
        )
        .await;
    assert_eq!(*ok(&sent), json!({"runId": "send-1", "status": "started"}));
    let frames = client.events_until(|f| is_final(f, "send-1")).await;
    let last = frames.last().unwrap();
    assert_eq!(
        last["payload"]["message"]["content"][0]["text"],
        "Second answer."
    );
    let got = client.request("sessions.get", json!({"key": key})).await;
    assert_eq!(
        texts(&ok(&got)["messages"]),
        vec![
            ("user".into(), "Plan the project".into()),
            ("assistant".into(), "Task accepted.".into()),
            ("user".into(), "And then?".into()),
            ("assistant".into(), "Second answer.".into()),
        ]
    );
    // Nothing runs now, so an abort finds nothing in flight.
    let aborted = client
        .request("sessions.abort", json!({"key": key, "runId": "send-1"}))
        .await;
    assert_eq!(ok(&aborted)["aborted"], false);
}

#[tokio::test]
async fn chat_inject_is_stored_and_sent_as_a_final_chat_event() {
    let gateway = Gateway::start().await;
    gateway.fake.push(Turn::text("Hi."));
    let (mut client, _) = Client::connect(&gateway).await;
    let key = "agent:main:notes";
    chat(&mut client, key, "hello", "run-notes").await;

    let injected = client
        .request(
            "chat.inject",
            json!({"sessionKey": key, "message": "The build is green.", "label": "CI"}),
        )
        .await;
    let message_id = ok(&injected)["messageId"].as_str().unwrap().to_owned();
    let frames = client
        .events_until(|f| {
            f["event"] == "chat"
                && f["payload"]["state"] == "final"
                && f["payload"]["runId"] == format!("inject-{message_id}")
        })
        .await;
    let event = &frames.last().unwrap()["payload"];
    assert_eq!(event["sessionKey"], key);
    assert_eq!(event["message"]["provider"], "openclaw");
    assert_eq!(event["message"]["model"], "gateway-injected");
    assert_eq!(
        event["message"]["content"][0]["text"],
        "[CI]\n\nThe build is green."
    );
    let history = client
        .request("chat.history", json!({"sessionKey": key}))
        .await;
    let texts = texts(&ok(&history)["messages"]);
    assert_eq!(
        texts.last().unwrap(),
        &(
            "assistant".to_owned(),
            "[CI]\n\nThe build is green.".to_owned()
        )
    );

    // The model sees the note in the next turn.
    gateway.fake.push(Turn::text("Great."));
    chat(&mut client, key, "status?", "run-notes-2").await;
    let request = format!("{:?}", gateway.fake.requests().last().unwrap().messages());
    assert!(request.contains("The build is green."), "{request}");

    let missing = client
        .request(
            "chat.inject",
            json!({"sessionKey": "agent:main:none", "message": "x"}),
        )
        .await;
    assert_eq!(missing["error"]["message"], "session not found");
}

#[tokio::test]
async fn sessions_changed_reaches_only_subscribed_connections() {
    let gateway = Gateway::start().await;
    let (mut watcher, _) = Client::connect(&gateway).await;
    let (mut other, _) = Client::connect(&gateway).await;
    let subscribed = watcher.request("sessions.subscribe", json!({})).await;
    assert_eq!(*ok(&subscribed), json!({"subscribed": true}));

    let key = "agent:main:watched";
    other
        .request("sessions.patch", json!({"key": key, "label": "first"}))
        .await;
    let frames = watcher
        .events_until(|f| f["event"] == "sessions.changed")
        .await;
    let event = &frames.last().unwrap()["payload"];
    assert_eq!(event["sessionKey"], key);
    assert_eq!(event["reason"], "patch");
    assert_eq!(event["label"], "first");
    assert!(event["ts"].as_u64().unwrap() > 0);

    // `other` was not subscribed when the first change went out; now it is.
    other.request("sessions.subscribe", json!({})).await;
    other
        .request("sessions.patch", json!({"key": key, "label": "second"}))
        .await;
    let frames = other
        .events_until(|f| f["event"] == "sessions.changed")
        .await;
    let changes: Vec<&Value> = frames
        .iter()
        .filter(|f| f["event"] == "sessions.changed")
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["payload"]["label"], "second");

    // A run's end is a change too; after unsubscribing nothing more arrives.
    gateway.fake.push(Turn::text("Done."));
    other.request("sessions.unsubscribe", json!({})).await;
    let ack = watcher
        .request(
            "chat.send",
            json!({"sessionKey": key, "message": "go", "idempotencyKey": "run-w"}),
        )
        .await;
    assert_eq!(ack["ok"], true);
    let frames = watcher
        .events_until(|f| f["event"] == "sessions.changed" && f["payload"]["reason"] == "run")
        .await;
    let run = &frames.last().unwrap()["payload"];
    assert_eq!(run["status"], "done");
    assert_eq!(run["sessionKey"], key);
    let listed = other.request("sessions.list", json!({})).await;
    assert_eq!(ok(&listed)["count"], 1);
    assert!(
        other
            .events
            .iter()
            .all(|f| f["event"] != "sessions.changed"),
        "{:?}",
        other.events
    );
}

#[tokio::test]
async fn read_only_clients_can_read_but_not_change_sessions() {
    let gateway = Gateway::start().await;
    let (mut admin, _) = Client::connect(&gateway).await;
    admin
        .request(
            "sessions.patch",
            json!({"key": "agent:main:ro", "label": "RO"}),
        )
        .await;
    let mut reader = Client::open(&gateway).await;
    let hello = reader
        .request("connect", connect_params(TOKEN, &["operator.read"]))
        .await;
    assert_eq!(hello["ok"], true);
    let resolved = reader
        .request("sessions.resolve", json!({"key": "agent:main:ro"}))
        .await;
    assert_eq!(ok(&resolved)["key"], "agent:main:ro");
    for (method, params) in [
        (
            "sessions.patch",
            json!({"key": "agent:main:ro", "label": "x"}),
        ),
        ("sessions.delete", json!({"key": "agent:main:ro"})),
        (
            "chat.inject",
            json!({"sessionKey": "agent:main:ro", "message": "x"}),
        ),
    ] {
        let denied = reader.request(method, params).await;
        assert_eq!(denied["error"]["code"], "FORBIDDEN", "{method}");
        assert_eq!(denied["error"]["details"]["code"], "MISSING_SCOPE");
        assert_eq!(denied["error"]["details"]["missingScope"], "operator.admin");
    }
    let denied = reader
        .request(
            "sessions.send",
            json!({"key": "agent:main:ro", "message": "x"}),
        )
        .await;
    assert_eq!(denied["error"]["details"]["missingScope"], "operator.write");
}

#[tokio::test]
async fn a_session_patched_while_a_turn_runs_keeps_the_patch() {
    let gateway = Gateway::start().await;
    let deltas: Vec<String> = (0..20).map(|i| format!("w{i} ")).collect();
    gateway.fake.push(
        Turn::text_deltas(deltas)
            .chunk_delay(std::time::Duration::from_millis(40))
            .with_usage(rustyclaw_testkit::fake_llm::Usage::new(1234, 56)),
    );
    let (mut client, _) = Client::connect(&gateway).await;
    let key = "agent:main:busy";
    let ack = client
        .request(
            "chat.send",
            json!({"sessionKey": key, "message": "talk for a while", "idempotencyKey": "busy-run"}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    gateway
        .fake
        .wait_for_requests(1, std::time::Duration::from_secs(10))
        .await
        .unwrap();

    // Mid-turn: accepted (not "busy"), and answered with the entry as it will read.
    let patched = client
        .request(
            "sessions.patch",
            json!({"key": key, "label": "Patched mid-turn", "thinkingLevel": "high"}),
        )
        .await;
    let patched = ok(&patched);
    assert_eq!(patched["entry"]["label"], "Patched mid-turn");

    client.events_until(|f| is_final(f, "busy-run")).await;
    // The turn's own saves (its usage, its status) did not undo the patch, nor the patch
    // theirs.
    let mut row = Value::Null;
    for _ in 0..50 {
        let listed = client.request("sessions.list", json!({})).await;
        row = ok(&listed)["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .cloned()
            .unwrap();
        if row["status"] == "done" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(row["label"], "Patched mid-turn", "{row}");
    assert_eq!(row["thinkingLevel"], "high", "{row}");
    assert!(row["inputTokens"].as_u64().unwrap_or(0) >= 1234, "{row}");

    // And the next turn runs with it: the model is asked with high thinking.
    gateway.fake.push(Turn::text("Again."));
    let ack = client
        .request(
            "chat.send",
            json!({"sessionKey": key, "message": "again", "idempotencyKey": "busy-run-2"}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    client.events_until(|f| is_final(f, "busy-run-2")).await;
    let listed = client.request("sessions.list", json!({})).await;
    let row = ok(&listed)["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .cloned()
        .unwrap();
    assert_eq!(row["label"], "Patched mid-turn", "{row}");
}

#[tokio::test]
async fn inject_and_reset_during_a_turn_take_their_place_in_the_sessions_lane() {
    let gateway = Gateway::start().await;
    let slow = || {
        let deltas: Vec<String> = (0..15).map(|i| format!("w{i} ")).collect();
        Turn::text_deltas(deltas).chunk_delay(std::time::Duration::from_millis(40))
    };
    gateway.fake.push(slow());
    let (mut client, _) = Client::connect(&gateway).await;
    let key = "agent:main:lane-ops";
    let ack = client
        .request(
            "chat.send",
            json!({"sessionKey": key, "message": "talk for a while", "idempotencyKey": "lane-1"}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    gateway
        .fake
        .wait_for_requests(1, std::time::Duration::from_secs(10))
        .await
        .unwrap();

    // Mid-turn, a note is injected: it waits for the turn instead of failing as "busy", and
    // lands after the turn's reply, where the turn's own saves cannot overwrite it.
    let injected = client
        .request(
            "chat.inject",
            json!({"sessionKey": key, "message": "a note from the operator"}),
        )
        .await;
    ok(&injected);
    let history = client
        .request("chat.history", json!({"sessionKey": key}))
        .await;
    let said = texts(&ok(&history)["messages"]);
    let roles: Vec<&str> = said.iter().map(|(role, _)| role.as_str()).collect();
    assert_eq!(roles, ["user", "assistant", "assistant"], "{said:?}");
    assert!(said[1].1.starts_with("w0 w1"), "{said:?}");
    assert_eq!(said[2].1, "a note from the operator");

    // The next turn sees the note.
    gateway.fake.push(Turn::text("Noted."));
    chat(&mut client, key, "did you see it?", "lane-2").await;
    let asked = gateway.fake.requests();
    assert!(
        asked
            .last()
            .unwrap()
            .messages()
            .iter()
            .any(|m| m.to_string().contains("a note from the operator")),
        "the note did not reach the model"
    );

    // A reset mid-turn stops the turn; the stopped turn cannot write the old session back.
    let before = ok(&client.request("sessions.get", json!({"key": key})).await).clone();
    let old_id = before["sessionId"].clone();
    gateway.fake.push(slow());
    let ack = client
        .request(
            "chat.send",
            json!({"sessionKey": key, "message": "talk again", "idempotencyKey": "lane-3"}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    gateway
        .fake
        .wait_for_requests(3, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let reset = client.request("sessions.reset", json!({"key": key})).await;
    let fresh = ok(&reset)["entry"]["sessionId"].clone();
    assert_ne!(fresh, old_id, "{reset}");
    client.events_until(|f| is_final(f, "lane-3")).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let after = client.request("sessions.get", json!({"key": key})).await;
    assert_eq!(ok(&after)["sessionId"], fresh, "{after}");
    let history = client
        .request("chat.history", json!({"sessionKey": key}))
        .await;
    assert_eq!(ok(&history)["messages"], json!([]), "{history}");
}
