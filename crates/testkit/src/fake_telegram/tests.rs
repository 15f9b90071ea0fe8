//! The fake at the wire level, with a plain HTTP client: the encodings the real API accepts,
//! its error answers, and the polling details a client library would hide.

use serde_json::{Value, json};

use super::{FakeChat, FakeTelegram, FakeUser, Inbound};

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn post_form(telegram: &FakeTelegram, method: &str, form: &str) -> (u16, Value) {
    let response = http()
        .post(format!(
            "{}/bot{}/{method}",
            telegram.base_url(),
            telegram.token()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn form_and_query_parameters_work_like_json() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let alice = FakeUser::new(7, "Alice");
    let chat = FakeChat::private(&alice);
    let asked = telegram.push_message(Inbound::text(&chat, &alice, "/start now"));
    let reply = format!(
        "chat_id=7&text=hi+there&reply_parameters=%7B%22message_id%22%3A{}%7D",
        asked.message_id
    );
    let (status, body) = post_form(&telegram, "sendMessage", &reply).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["text"], "hi there");
    assert_eq!(
        body["result"]["reply_to_message"]["message_id"],
        asked.message_id
    );
    assert_eq!(
        body["result"]["reply_to_message"]["entities"][0]["type"],
        "bot_command"
    );

    let response = http()
        .get(format!(
            "{}/bot{}/getUpdates?offset=-1",
            telegram.base_url(),
            telegram.token()
        ))
        .send()
        .await
        .expect("send");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["result"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn wrong_tokens_unknown_methods_and_missing_chats_answer_as_telegram() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let response = http()
        .post(format!("{}/bot1:wrong/getMe", telegram.base_url()))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 401);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );
    let (status, body) = post_form(&telegram, "getMeNot", "").await;
    assert_eq!(
        (status, body["description"].clone()),
        (404, json!("Not Found"))
    );
    let (status, body) = post_form(&telegram, "sendMessage", "chat_id=5&text=x").await;
    assert_eq!(
        (status, body["description"].clone()),
        (400, json!("Bad Request: chat not found"))
    );
    // Method names are case-insensitive on Telegram.
    let (status, _) = post_form(&telegram, "getme", "").await;
    assert_eq!(status, 200);
    assert_eq!(telegram.calls().len(), 4);
}

#[tokio::test]
async fn allowed_updates_filter_and_persist() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let alice = FakeUser::new(7, "Alice");
    let chat = FakeChat::private(&alice);
    telegram.push_text(&chat, &alice, "one");
    telegram.push_callback_query(&chat, &alice, 1, "data");
    let (_, body) = post_form(
        &telegram,
        "getUpdates",
        "allowed_updates=%5B%22callback_query%22%5D",
    )
    .await;
    let kinds: Vec<bool> = body["result"]
        .as_array()
        .expect("array")
        .iter()
        .map(|update| update.get("callback_query").is_some())
        .collect();
    assert_eq!(kinds, vec![true]);
    let (_, body) = post_form(&telegram, "getUpdates", "").await;
    assert_eq!(
        body["result"].as_array().map(Vec::len),
        Some(1),
        "the filter persists"
    );
}
