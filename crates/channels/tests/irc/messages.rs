//! Channel messages, DMs, actions and notices between two clients through ngircd.

use pretty_assertions::assert_eq;
use rustyclaw_channels::irc::{IncomingMessage, IrcEvent, MessageTarget};
use rustyclaw_testkit::Ngircd;

use super::support::{config, connect, next};

async fn message(events: &mut tokio::sync::mpsc::Receiver<IrcEvent>) -> IncomingMessage {
    match next(events, |e| matches!(e, IrcEvent::Message(_))).await {
        IrcEvent::Message(message) => message,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn channel_messages_and_dms_reach_the_other_client() {
    let mut server = Ngircd::start().await.unwrap();
    let (alice, mut alice_events, _) = connect(config(&server, "alice", &["#test"])).await;
    let (bob, mut bob_events, _) = connect(config(&server, "bob", &["#test"])).await;

    bob.privmsg("#test", "hello channel").await.unwrap();
    let got = message(&mut alice_events).await;
    assert_eq!(got.target, MessageTarget::Channel("#test".into()));
    assert_eq!(got.from.nick, "bob");
    assert!(got.from.user.is_some() && got.from.host.is_some());
    assert_eq!(
        (got.text.as_str(), got.is_action, got.is_notice),
        ("hello channel", false, false)
    );

    bob.privmsg("#test", "\u{1}ACTION waves\u{1}")
        .await
        .unwrap();
    let got = message(&mut alice_events).await;
    assert_eq!((got.text.as_str(), got.is_action), ("waves", true));

    alice.privmsg("bob", "psst").await.unwrap();
    let got = message(&mut bob_events).await;
    assert_eq!(got.target, MessageTarget::Direct);
    assert_eq!(
        (got.from.nick.as_str(), got.text.as_str()),
        ("alice", "psst")
    );

    alice.notice("bob", "fyi").await.unwrap();
    let got = message(&mut bob_events).await;
    assert!(got.is_notice);
    assert_eq!(got.text, "fyi");

    // A CTCP request other than ACTION is not a message; the DM after it is.
    alice.privmsg("bob", "\u{1}VERSION\u{1}").await.unwrap();
    alice.privmsg("bob", "after version").await.unwrap();
    assert_eq!(message(&mut bob_events).await.text, "after version");

    // Alice's own channel message does not come back to her as an event.
    alice.privmsg("#test", "mine").await.unwrap();
    bob.privmsg("#test", "theirs").await.unwrap();
    assert_eq!(message(&mut alice_events).await.text, "theirs");

    alice.shutdown("bye").await;
    bob.shutdown("bye").await;
    assert!(
        alice_events
            .recv()
            .await
            .is_some_and(|e| matches!(e, IrcEvent::Disconnected { retry_in: None, .. }))
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn lines_over_the_budget_are_refused_before_sending() {
    let mut server = Ngircd::start().await.unwrap();
    let (alice, _events, nick) = connect(config(&server, "alice", &[])).await;
    let budget = rustyclaw_channels::text::irc_payload_budget(&nick, "#test");
    let error = alice
        .privmsg("#test", &"x".repeat(budget + 1))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        rustyclaw_channels::irc::SendError::TooLong {
            bytes: budget + 1,
            budget
        }
    );
    alice.shutdown("").await;
    server.stop().await.unwrap();
}
