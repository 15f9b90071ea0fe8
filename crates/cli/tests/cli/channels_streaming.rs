//! Telegram's preview streaming end to end: the real gateway, the fake LLM streaming slowly and
//! the fake Bot API. In `progress` mode (the default) a slow run shows a status draft — the
//! label, then the model's preamble once it calls a tool — deleted when the run ends, whether
//! it answered or failed, and a fast run shows none; in `partial` mode the answer grows in the
//! preview, which is deleted when the reply arrives; `off` sends the reply alone; a draft
//! Telegram rate-limits waits out `retry_after`. The reply itself always arrives as a message
//! of its own.

use std::time::{Duration, Instant};

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::bin::RunningChild;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use rustyclaw_testkit::fake_telegram::{
    BotMessage, FakeChat, FakeTelegram, FakeUser, Fault, FaultRule,
};
use serde_json::{Value, json};

use super::channels_telegram::{telegram_config, wait_for_sent};
use super::start_gateway;

/// A gateway whose Telegram account streams with `streaming` (left out when `None`), and a DM
/// whose sender is allowed without pairing.
struct Chat {
    fake: FakeLlm,
    telegram: FakeTelegram,
    alice: FakeUser,
    dm: FakeChat,
    _gateway: RunningChild,
    _dir: TempStateDir,
}

async fn chat(streaming: Option<Value>) -> Chat {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let telegram = FakeTelegram::start().await.unwrap();
    let mut config = telegram_config(&dir, &fake, &telegram);
    config["channels"]["telegram"]["allowFrom"] = json!(["4242"]);
    if let Some(streaming) = streaming {
        config["channels"]["telegram"]["streaming"] = streaming;
    }
    dir.write_config(&config.to_string()).unwrap();
    std::fs::write(dir.workspace().join("notes.md"), "hello\n").unwrap();
    let (gateway, _url) = start_gateway(&dir, &[]).await;
    let alice = FakeUser::new(4242, "Alice");
    let dm = FakeChat::private(&alice);
    Chat {
        fake,
        telegram,
        alice,
        dm,
        _gateway: gateway,
        _dir: dir,
    }
}

impl Chat {
    /// The bot's messages in the DM, as they now stand (deleted ones included).
    fn sent(&self) -> Vec<BotMessage> {
        self.telegram
            .outbox()
            .into_iter()
            .filter(|m| m.chat_id == self.dm.id)
            .collect()
    }

    /// Waits until the bot's messages in the DM after the first `before` are `reply` and
    /// deleted previews; returns the previews.
    async fn reply_and_no_preview(&self, before: usize, reply: &str) -> Vec<BotMessage> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut sent = self.sent();
            let sent = sent.split_off(before.min(sent.len()));
            let (previews, kept): (Vec<BotMessage>, Vec<BotMessage>) =
                sent.iter().cloned().partition(|m| m.deleted);
            // The reply is never edited; a preview may have come to show the same text.
            if let [only] = kept.as_slice()
                && only.text.as_deref() == Some(reply)
                && only.edits == 0
            {
                return previews;
            }
            assert!(
                Instant::now() < deadline,
                "no reply {reply:?} alone, its previews deleted: {sent:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A turn streamed slowly: `deltas`, each `every` apart.
fn slow(deltas: &[&str], every: Duration) -> Turn {
    Turn::text_deltas(deltas.iter().copied())
        .chunk_delay(every)
        .into()
}

#[tokio::test]
async fn progress_drafts_come_with_slow_runs_only_and_are_deleted_at_the_end() {
    let c = chat(None).await;

    // A fast answer makes no draft.
    c.fake.push(Turn::text("Quick answer."));
    c.telegram.push_text(&c.dm, &c.alice, "hi");
    let sent = wait_for_sent(&c.telegram, c.dm.id, 0).await;
    assert_eq!(sent[0].text.as_deref(), Some("Quick answer."));
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(c.sent().len(), 1, "{:#?}", c.sent());
    assert!(c.telegram.calls_to("editMessageText").is_empty());
    assert!(c.telegram.calls_to("deleteMessage").is_empty());

    // A slow run: the draft says "Working", then shows the preamble the model wrote before
    // calling a tool, and goes when the answer comes.
    c.fake.push(
        Turn::text_deltas(["Let me ", "check the notes."])
            .with_tool_call(ToolCall::new("call-1", "read", json!({"path": "notes.md"})))
            .chunk_delay(Duration::from_millis(800)),
    );
    c.fake.push(slow(
        &["The notes ", "say ", "hello."],
        Duration::from_millis(500),
    ));
    c.telegram
        .push_text(&c.dm, &c.alice, "what do my notes say?");
    let previews = c.reply_and_no_preview(1, "The notes say hello.").await;
    let [draft] = previews.as_slice() else {
        panic!("one draft: {:#?}", c.sent());
    };
    let sends = c.telegram.calls_to("sendMessage");
    let first = sends
        .iter()
        .find(|call| call.str_param("text").as_deref() == Some("<b>Working</b>"))
        .unwrap_or_else(|| panic!("no Working draft: {sends:#?}"));
    assert_eq!(first.str_param("parse_mode").as_deref(), Some("HTML"));
    assert_eq!(draft.text.as_deref(), Some("Let me check the notes."));
    assert!(draft.edits >= 1, "{draft:?}");
    let deleted: Vec<i64> = c
        .telegram
        .calls_to("deleteMessage")
        .iter()
        .filter_map(|call| call.int_param("message_id"))
        .collect();
    assert_eq!(deleted, [draft.message_id]);
    let reply = c.sent().last().cloned().unwrap();
    assert_eq!(
        (reply.text.as_deref(), reply.deleted, reply.edits),
        (Some("The notes say hello."), false, 0)
    );

    // A run that fails after its draft appeared: the draft goes, the error arrives.
    c.fake.push(Turn::tool_calls([ToolCall::new(
        "call-2",
        "read",
        json!({"path": "notes.md"}),
    )]));
    c.fake
        .push(Turn::error(400).response_delay(Duration::from_millis(3_000)));
    c.telegram.push_text(&c.dm, &c.alice, "and again?");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sent = c.sent();
        let drafts = sent.iter().filter(|m| m.deleted).count();
        let failed = sent
            .iter()
            .any(|m| !m.deleted && m.text.as_deref().is_some_and(|t| t.starts_with("⚠️")));
        if drafts == 2 && failed {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no deleted draft and error: {sent:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c.fake.assert_no_violations().unwrap();
}

#[tokio::test]
async fn partial_previews_grow_with_the_answer_then_give_way_to_the_reply() {
    let c = chat(Some(json!({"mode": "partial"}))).await;
    let words = [
        "The answer ",
        "grows ",
        "one ",
        "word ",
        "at ",
        "a ",
        "time.",
    ];
    let answer = words.concat();
    c.fake.push(slow(&words, Duration::from_millis(600)));
    c.telegram.push_text(&c.dm, &c.alice, "tell me slowly");
    let previews = c.reply_and_no_preview(0, &answer).await;
    let [preview] = previews.as_slice() else {
        panic!("one preview: {:#?}", c.sent());
    };
    assert!(preview.edits >= 1, "{preview:?}");
    // What the preview showed grew with the answer.
    let sent = c
        .telegram
        .calls_to("sendMessage")
        .into_iter()
        .find_map(|call| call.str_param("text"))
        .unwrap();
    let mut shown = vec![sent];
    shown.extend(
        c.telegram
            .calls_to("editMessageText")
            .iter()
            .filter_map(|call| call.str_param("text")),
    );
    for pair in shown.windows(2) {
        assert!(pair[0].len() < pair[1].len(), "{shown:?}");
    }
    for text in &shown {
        assert!(answer.starts_with(text.as_str()), "{text:?} of {answer:?}");
    }
    let reply = c.sent().last().cloned().unwrap();
    assert_eq!(
        (reply.text.as_deref(), reply.deleted),
        (Some(answer.as_str()), false)
    );
}

#[tokio::test]
async fn with_streaming_off_only_the_reply_is_sent() {
    let c = chat(Some(json!({"mode": "off"}))).await;
    c.fake.push(slow(
        &["Slow ", "but ", "no ", "preview."],
        Duration::from_millis(700),
    ));
    c.telegram.push_text(&c.dm, &c.alice, "take your time");
    let sent = wait_for_sent(&c.telegram, c.dm.id, 0).await;
    assert_eq!(sent[0].text.as_deref(), Some("Slow but no preview."));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(c.sent().len(), 1, "{:#?}", c.sent());
    assert_eq!(c.telegram.calls_to("sendMessage").len(), 1);
    assert!(c.telegram.calls_to("editMessageText").is_empty());
    assert!(c.telegram.calls_to("deleteMessage").is_empty());
}

#[tokio::test]
async fn a_rate_limited_draft_waits_out_retry_after_and_is_still_deleted() {
    let c = chat(None).await;
    c.telegram.script(FaultRule::next(
        "sendMessage",
        Fault::RateLimited { retry_after: 2 },
    ));
    let words: Vec<String> = (1..=10).map(|n| format!("w{n} ")).collect();
    let answer = words.concat().trim_end().to_owned();
    let deltas: Vec<&str> = words.iter().map(String::as_str).collect();
    c.fake.push(slow(&deltas, Duration::from_millis(600)));
    c.telegram.push_text(&c.dm, &c.alice, "slowly, please");
    c.telegram
        .wait_for_calls("sendMessage", 1, Duration::from_secs(30))
        .await
        .unwrap();
    let refused = Instant::now();
    c.telegram
        .wait_for_calls("sendMessage", 2, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        refused.elapsed() >= Duration::from_millis(1_900),
        "the draft waited out retry_after"
    );
    let previews = c.reply_and_no_preview(0, &answer).await;
    assert_eq!(previews.len(), 1, "{:#?}", c.sent());
    assert_eq!(previews[0].text.as_deref(), Some("<b>Working</b>"));
    assert_eq!(c.telegram.calls_to("sendMessage").len(), 3);
}
