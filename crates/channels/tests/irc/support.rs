//! Shared helpers: client set-up against a test server and bounded waits for events.

use std::time::Duration;

use rustyclaw_channels::irc::{Backoff, ChannelJoin, IrcClient, IrcConfig, IrcEvent};
use rustyclaw_testkit::Ngircd;
use tokio::sync::mpsc::Receiver;

/// The longest any single wait in these tests may take.
pub const WAIT: Duration = Duration::from_secs(15);

/// A plain-text client config for `server`, joining `channels`, reconnecting fast.
pub fn config(server: &Ngircd, nick: &str, channels: &[&str]) -> IrcConfig {
    let mut config = IrcConfig::new("127.0.0.1", server.port(), None, nick);
    config.channels = channels
        .iter()
        .map(|name| ChannelJoin {
            name: (*name).to_owned(),
            key: None,
        })
        .collect();
    config.backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(500),
        stable_after: Duration::from_secs(60),
    };
    config
}

/// Starts a client and waits until it is registered and has joined all its channels; returns
/// the client, its events and the nick it got.
pub async fn connect(config: IrcConfig) -> (IrcClient, Receiver<IrcEvent>, String) {
    let channels: Vec<String> = config.channels.iter().map(|c| c.name.clone()).collect();
    let (client, mut events) = IrcClient::start(config).unwrap();
    let nick = match next(&mut events, |e| matches!(e, IrcEvent::Registered { .. })).await {
        IrcEvent::Registered { nick } => nick,
        _ => unreachable!(),
    };
    for channel in channels {
        next(
            &mut events,
            |e| matches!(e, IrcEvent::Joined { channel: c } if *c == channel),
        )
        .await;
    }
    (client, events, nick)
}

/// The next event matching `wanted`, skipping others; fails after [`WAIT`].
pub async fn next(events: &mut Receiver<IrcEvent>, wanted: impl Fn(&IrcEvent) -> bool) -> IrcEvent {
    let mut skipped = Vec::new();
    let found = tokio::time::timeout(WAIT, async {
        while let Some(event) = events.recv().await {
            if wanted(&event) {
                return Some(event);
            }
            skipped.push(format!("{event:?}"));
        }
        None
    })
    .await;
    match found {
        Ok(Some(event)) => event,
        Ok(None) => panic!("the event stream ended; skipped: {skipped:#?}"),
        Err(_) => panic!("no matching event within {WAIT:?}; skipped: {skipped:#?}"),
    }
}
