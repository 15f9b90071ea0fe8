//! Flood control seen from outside: a burst goes at once, the rest one per interval.

use std::time::{Duration, Instant};

use rustyclaw_channels::irc::{FloodControl, IrcEvent};
use rustyclaw_testkit::Ngircd;

use super::support::{config, connect, next};

#[tokio::test]
async fn sends_are_paced_by_the_token_bucket() {
    let mut server = Ngircd::start().await.unwrap();
    let (_bob, mut bob_events, _) = connect(config(&server, "bob", &[])).await;
    let mut alice_config = config(&server, "alice", &[]);
    let interval = Duration::from_millis(800);
    alice_config.flood = FloodControl {
        burst: 2,
        interval,
        burst_bytes: 0,
        bytes_per_second: 0,
    };
    let (alice, _alice_events, _) = connect(alice_config).await;

    let start = Instant::now();
    let mut sent = Vec::new();
    for n in 0..5 {
        alice.privmsg("bob", &format!("line {n}")).await.unwrap();
        sent.push(start.elapsed());
    }
    // Two at once, then never faster than one per interval. Only the burst has an upper bound,
    // and a loose one (a whole interval): the test proves pacing, not speed on a loaded machine.
    assert!(sent[1] < interval, "{sent:?}");
    for (n, at) in sent.iter().enumerate().skip(2) {
        let due = interval * (n as u32 - 1);
        assert!(
            *at >= due - Duration::from_millis(20),
            "line {n} at {at:?}: {sent:?}"
        );
    }
    // All arrive, in order.
    for n in 0..5 {
        let text = format!("line {n}");
        next(
            &mut bob_events,
            |e| matches!(e, IrcEvent::Message(m) if m.text == text),
        )
        .await;
    }
    server.stop().await.unwrap();
}
