//! The HTTP API on the gateway port: `/v1/models`, `/v1/chat/completions` (off by default;
//! non-streaming and SSE), bearer auth and its share of the failed-auth lockout.

use pretty_assertions::assert_eq;
use rustyclaw_testkit::fake_llm::{Turn, Usage};
use serde_json::{Value, json};

use super::harness::{Gateway, TOKEN};

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

fn url(gateway: &Gateway, path: &str) -> String {
    format!("http://{}{path}", gateway.addr)
}

async fn completions_gateway(extra: Value) -> Gateway {
    let mut section = json!({"http": {"endpoints": {"chatCompletions": {"enabled": true}}}});
    if let (Some(section), Value::Object(extra)) = (section.as_object_mut(), extra) {
        section.extend(extra);
    }
    Gateway::start_configured(section, |_| {}).await
}

#[tokio::test]
async fn models_lists_agents_as_openai_models() {
    let gateway = Gateway::start().await;
    let response = http()
        .get(url(&gateway, "/v1/models"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let model = |id: &str| json!({"id": id, "object": "model", "created": 0, "owned_by": "openclaw", "permission": []});
    assert_eq!(
        body,
        json!({"object": "list", "data": [model("openclaw"), model("openclaw/default"), model("openclaw/main")]})
    );

    let one = http()
        .get(url(&gateway, "/v1/models/openclaw/main"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    assert_eq!(one.json::<Value>().await.unwrap(), model("openclaw/main"));

    let missing = http()
        .get(url(&gateway, "/v1/models/openclaw/nobody"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn missing_or_wrong_bearer_is_401() {
    let gateway = Gateway::start().await;
    for request in [
        http().get(url(&gateway, "/v1/models")),
        http().get(url(&gateway, "/v1/models")).bearer_auth("wrong"),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"error": {"message": "Unauthorized", "type": "unauthorized"}})
        );
    }
}

#[tokio::test]
async fn chat_completions_is_off_by_default() {
    let gateway = Gateway::start().await;
    let response = http()
        .post(url(&gateway, "/v1/chat/completions"))
        .bearer_auth(TOKEN)
        .json(&json!({"model": "openclaw", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(gateway.fake.requests().len(), 0);
}

#[tokio::test]
async fn chat_completions_runs_an_agent_turn() {
    let gateway = completions_gateway(json!({})).await;
    gateway
        .fake
        .push(Turn::text("Hello from the agent.").with_usage(Usage::new(12, 5)));
    let response = http()
        .post(url(&gateway, "/v1/chat/completions"))
        .bearer_auth(TOKEN)
        .json(&json!({
            "model": "openclaw/main",
            "messages": [
                {"role": "system", "content": "Answer politely."},
                {"role": "user", "content": "Say hello"}
            ]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "openclaw/main");
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl_"));
    assert_eq!(
        body["choices"],
        json!([{
            "index": 0,
            "message": {"role": "assistant", "content": "Hello from the agent."},
            "finish_reason": "stop"
        }])
    );
    assert_eq!(body["usage"]["prompt_tokens"], 12);
    assert_eq!(body["usage"]["completion_tokens"], 5);
    assert_eq!(body["usage"]["total_tokens"], 17);
    // The model saw the user's text and the system instructions in the turn's message.
    let requests = gateway.fake.requests();
    let last_user = requests[0]
        .messages()
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .unwrap()
        .to_string();
    assert!(last_user.contains("Say hello"), "{last_user}");
    assert!(last_user.contains("Answer politely."), "{last_user}");
}

#[tokio::test]
async fn chat_completions_streams_sse_chunks_then_done() {
    let gateway = completions_gateway(json!({})).await;
    gateway
        .fake
        .push(Turn::text_deltas(["Streamed", " reply", " here."]));
    let response = http()
        .post(url(&gateway, "/v1/chat/completions"))
        .bearer_auth(TOKEN)
        .json(&json!({
            "model": "openclaw",
            "stream": true,
            "messages": [{"role": "user", "content": "stream please"}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let text = response.text().await.unwrap();
    let data: Vec<&str> = text
        .split("\n\n")
        .filter_map(|event| event.trim().strip_prefix("data: "))
        .collect();
    assert_eq!(data.last(), Some(&"[DONE]"), "{text}");
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk")
    );
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant"})
    );
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "Streamed reply here.");
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
}

#[tokio::test]
async fn user_field_keeps_a_stable_session_and_requests_are_stateless_without_it() {
    let gateway = completions_gateway(json!({})).await;
    for reply in ["one", "two", "three"] {
        gateway.fake.push(Turn::text(reply));
    }
    let ask = |text: &str, user: Option<&str>| {
        let mut body =
            json!({"model": "openclaw", "messages": [{"role": "user", "content": text}]});
        if let Some(user) = user {
            body["user"] = json!(user);
        }
        http()
            .post(url(&gateway, "/v1/chat/completions"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    };
    assert_eq!(ask("first", Some("alice")).await.unwrap().status(), 200);
    assert_eq!(ask("second", Some("alice")).await.unwrap().status(), 200);
    assert_eq!(ask("third", None).await.unwrap().status(), 200);
    let requests = gateway.fake.requests();
    let user_turns = |i: usize| {
        requests[i]
            .messages()
            .iter()
            .filter(|m| m["role"] == "user")
            .count()
    };
    // Alice's second request continues her session; the anonymous one starts fresh.
    assert_eq!(user_turns(1), 2);
    assert_eq!(user_turns(2), 1);
}

#[tokio::test]
async fn wrong_bearers_lock_the_client_out_with_429() {
    let gateway = completions_gateway(json!({
        "auth": {"mode": "token", "token": TOKEN,
                 "rateLimit": {"maxAttempts": 2, "windowMs": 60000, "lockoutMs": 60000, "exemptLoopback": false}}
    }))
    .await;
    for _ in 0..2 {
        let response = http()
            .get(url(&gateway, "/v1/models"))
            .bearer_auth("guess")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
    let locked = http()
        .get(url(&gateway, "/v1/models"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), 429);
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        locked.json::<Value>().await.unwrap()["error"]["type"],
        "rate_limited"
    );
}

async fn invoke_tool(gateway: &Gateway, body: Value) -> (u16, Value) {
    let response = http()
        .post(url(gateway, "/tools/invoke"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn tools_invoke_runs_a_policy_allowed_tool_in_the_workspace() {
    let gateway = Gateway::start().await;
    std::fs::write(
        gateway._dir.path().join("workspace").join("notes.txt"),
        "first line\nsecond line\n",
    )
    .unwrap();
    let (status, body) = invoke_tool(
        &gateway,
        json!({"tool": "read", "args": {"path": "notes.txt"}, "sessionKey": "main"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true);
    let text = body["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("second line"), "{text}");

    // A tool error is the tool's own message, not a transport failure.
    let (status, body) = invoke_tool(
        &gateway,
        json!({"tool": "read", "args": {"path": "missing.txt"}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["ok"], false);
    assert_eq!(body["error"]["type"], "tool_error");
}

#[tokio::test]
async fn tools_invoke_hides_the_http_deny_list_and_unknown_tools() {
    let gateway = Gateway::start().await;
    for tool in ["exec", "apply_patch", "no_such_tool"] {
        let (status, body) = invoke_tool(
            &gateway,
            json!({"tool": tool, "args": {"command": "echo hi"}}),
        )
        .await;
        assert_eq!(status, 404, "{tool}: {body}");
        assert_eq!(
            body,
            json!({"ok": false, "error": {"type": "not_found", "message": format!("Tool not available: {tool}")}})
        );
    }
    let (status, body) = invoke_tool(&gateway, json!({"args": {}})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], "tools.invoke requires body.tool");
}

#[tokio::test]
async fn gateway_tools_allow_and_deny_adjust_the_http_list() {
    let gateway = Gateway::start_configured(
        json!({"tools": {"allow": ["exec"], "deny": ["read"]}}),
        |_| {},
    )
    .await;
    let (status, body) = invoke_tool(
        &gateway,
        json!({"tool": "exec", "args": {"command": "echo hi"}, "dryRun": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["details"]["dryRun"], true);
    assert_eq!(body["result"]["details"]["tool"], "exec");
    let (status, _) = invoke_tool(&gateway, json!({"tool": "read", "args": {"path": "x"}})).await;
    assert_eq!(status, 404);
}
