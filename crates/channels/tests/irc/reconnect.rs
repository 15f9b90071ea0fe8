//! The server goes away and comes back: the client reconnects, re-registers and rejoins alone.

use rustyclaw_channels::irc::{IrcEvent, SendError};
use rustyclaw_testkit::Ngircd;

use super::support::{config, connect, next};

#[tokio::test]
async fn reconnects_and_rejoins_after_a_server_restart() {
    let mut server = Ngircd::start().await.unwrap();
    let (alice, mut events, _) = connect(config(&server, "alice", &["#test"])).await;

    server.stop().await.unwrap();
    let event = next(&mut events, |e| matches!(e, IrcEvent::Disconnected { .. })).await;
    assert!(
        matches!(
            event,
            IrcEvent::Disconnected {
                retry_in: Some(_),
                ..
            }
        ),
        "{event:?}"
    );
    assert_eq!(
        alice.privmsg("#test", "lost").await,
        Err(SendError::NotConnected)
    );

    server.restart().await.unwrap();
    next(
        &mut events,
        |e| matches!(e, IrcEvent::Registered { nick } if nick == "alice"),
    )
    .await;
    next(
        &mut events,
        |e| matches!(e, IrcEvent::Joined { channel } if channel == "#test"),
    )
    .await;

    // Alice is really back in the channel: a message to it reaches her.
    let (bob, _bob_events, _) = connect(config(&server, "bob", &["#test"])).await;
    bob.privmsg("#test", "welcome back").await.unwrap();
    next(
        &mut events,
        |e| matches!(e, IrcEvent::Message(m) if m.text == "welcome back"),
    )
    .await;
    alice.privmsg("#test", "thanks").await.unwrap();

    alice.shutdown("").await;
    bob.shutdown("").await;
    server.stop().await.unwrap();
}
