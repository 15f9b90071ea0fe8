//! Telegram faults end to end, with the real gateway, the fake LLM and the fake Bot API
//! scripting what the real API does on a bad day: a 429 with `retry_after` is waited out, a
//! long poll that hangs is cut and polled again without losing the update, and SIGKILL at the
//! worst moments never loses a message nor answers one twice — a reply stored but not sent is
//! sent once after the restart, an update fetched but not stored is fetched again and answered
//! once, and a run cut off is reported to its sender instead of being replayed.

use std::time::{Duration, Instant};

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::bin::{RunningChild, Stream};
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use rustyclaw_testkit::fake_telegram::{FakeChat, FakeTelegram, FakeUser, Fault, FaultRule};
use serde_json::json;

use super::channels_telegram::telegram_config;
use super::rc;

/// A gateway over `dir` polling with a 1 s long poll (so a hanging poll is cut after 11 s).
async fn gateway(dir: &TempStateDir) -> RunningChild {
    let server = rc(dir)
        .env("RUSTYCLAW_TELEGRAM_POLL_TIMEOUT", "1")
        .args(["gateway", "run"])
        .spawn()
        .unwrap();
    server
        .wait_for_line(
            Stream::Stdout,
            |l| l.contains("gateway listening on ws://"),
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    server
}

struct Setup {
    dir: TempStateDir,
    fake: FakeLlm,
    telegram: FakeTelegram,
    alice: FakeUser,
    dm: FakeChat,
}

/// Alice may DM the bot (no pairing needed).
async fn setup() -> Setup {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let telegram = FakeTelegram::start().await.unwrap();
    let mut config = telegram_config(&dir, &fake, &telegram);
    config["channels"]["telegram"]["allowFrom"] = json!(["4242"]);
    dir.write_config(&config.to_string()).unwrap();
    let alice = FakeUser::new(4242, "Alice");
    let dm = FakeChat::private(&alice);
    Setup {
        dir,
        fake,
        telegram,
        alice,
        dm,
    }
}

/// The texts the bot has sent to `chat`.
fn texts(telegram: &FakeTelegram, chat: i64) -> Vec<String> {
    telegram
        .outbox()
        .into_iter()
        .filter(|m| m.chat_id == chat)
        .filter_map(|m| m.text)
        .collect()
}

/// Waits until `check` holds, failing with `what` after `within`.
async fn until(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_rate_limited_reply_is_delivered_after_the_wait() {
    let s = setup().await;
    let _gateway = gateway(&s.dir).await;
    s.telegram.script(FaultRule::next(
        "sendMessage",
        Fault::RateLimited { retry_after: 2 },
    ));
    s.fake.push(Turn::text("Worth the wait."));
    let asked = Instant::now();
    s.telegram.push_text(&s.dm, &s.alice, "hello");
    until("the reply", Duration::from_secs(30), || {
        texts(&s.telegram, s.dm.id) == ["Worth the wait."]
    })
    .await;
    let calls = s.telegram.calls_to("sendMessage");
    assert_eq!(calls.len(), 2, "one refused, one delivered");
    assert!(
        asked.elapsed() >= Duration::from_secs(2),
        "retry_after was honoured"
    );
}

#[tokio::test]
async fn a_hanging_long_poll_is_cut_and_no_update_is_lost() {
    let s = setup().await;
    let _gateway = gateway(&s.dir).await;
    // Let the first polls go through, then hang the next one.
    s.telegram
        .wait_for_calls("getUpdates", 2, Duration::from_secs(20))
        .await
        .unwrap();
    s.telegram
        .script(FaultRule::next("getUpdates", Fault::Hang));
    let polls = s.telegram.calls_to("getUpdates").len();
    s.telegram
        .wait_for_calls("getUpdates", polls + 1, Duration::from_secs(20))
        .await
        .unwrap();
    s.fake.push(Turn::text("Still here."));
    s.telegram.push_text(&s.dm, &s.alice, "are you there?");
    // The hung poll is cut 10 s after its 1 s timeout and the update fetched by the next.
    until(
        "the answer after the hung poll",
        Duration::from_secs(25),
        || texts(&s.telegram, s.dm.id) == ["Still here."],
    )
    .await;
}

#[tokio::test]
async fn a_reply_stored_but_not_sent_when_killed_is_sent_once_after_the_restart() {
    let s = setup().await;
    let mut gateway_process = gateway(&s.dir).await;
    // The send hangs: the reply is stored and marked sending when the gateway dies.
    s.telegram
        .script(FaultRule::next("sendMessage", Fault::Hang));
    s.fake.push(Turn::text("Exactly once."));
    s.telegram.push_text(&s.dm, &s.alice, "hi");
    s.telegram
        .wait_for_calls("sendMessage", 1, Duration::from_secs(30))
        .await
        .unwrap();
    gateway_process.kill().await.unwrap();
    assert!(texts(&s.telegram, s.dm.id).is_empty());

    let _gateway = gateway(&s.dir).await;
    until(
        "the reply after the restart",
        Duration::from_secs(30),
        || !texts(&s.telegram, s.dm.id).is_empty(),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(texts(&s.telegram, s.dm.id), ["Exactly once."]);
    assert_eq!(s.fake.requests().len(), 1, "the model ran once");
}

#[tokio::test]
async fn an_update_fetched_but_not_stored_when_killed_is_answered_once_after_the_restart() {
    let s = setup().await;
    let mut gateway_process = gateway(&s.dir).await;
    s.telegram
        .wait_for_calls("getUpdates", 1, Duration::from_secs(20))
        .await
        .unwrap();
    // The next poll is answered slowly (its answer is made after the wait); once it is
    // waiting, the update arrives, and the gateway dies before the answer carrying it lands.
    s.telegram.script(FaultRule::next(
        "getUpdates",
        Fault::Delay(Duration::from_secs(3)),
    ));
    until("a delayed poll", Duration::from_secs(20), || {
        s.telegram
            .calls_to("getUpdates")
            .last()
            .is_some_and(|call| matches!(call.fault, Some(Fault::Delay(_))))
    })
    .await;
    s.telegram.push_text(&s.dm, &s.alice, "did you get this?");
    gateway_process.kill().await.unwrap();
    assert!(s.fake.requests().is_empty());

    s.fake.push(Turn::text("Got it, once."));
    let _gateway = gateway(&s.dir).await;
    until(
        "the answer after the restart",
        Duration::from_secs(30),
        || !texts(&s.telegram, s.dm.id).is_empty(),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(texts(&s.telegram, s.dm.id), ["Got it, once."]);
    assert_eq!(s.fake.requests().len(), 1);
}

#[tokio::test]
async fn a_run_cut_off_by_a_kill_is_reported_not_replayed() {
    let s = setup().await;
    let mut gateway_process = gateway(&s.dir).await;
    s.fake
        .push(Turn::text("too late").response_delay(Duration::from_secs(60)));
    s.telegram
        .push_text(&s.dm, &s.alice, "delete the old backups");
    s.fake
        .wait_for_requests(1, Duration::from_secs(30))
        .await
        .unwrap();
    gateway_process.kill().await.unwrap();

    let _gateway = gateway(&s.dir).await;
    until("the interruption notice", Duration::from_secs(30), || {
        !texts(&s.telegram, s.dm.id).is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent = texts(&s.telegram, s.dm.id);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("was not run again"), "{sent:?}");
    assert_eq!(
        s.fake.requests().len(),
        1,
        "the cut-off run was not replayed"
    );
}
