//! The client handle and the supervisor task that keeps a connection up.
//!
//! [`IrcClient::start`] spawns one task that connects, registers, runs the connection, and when
//! it ends reports [`IrcEvent::Disconnected`] and tries again after a backoff delay, until
//! [`IrcClient::shutdown`] (or a failure reconnecting cannot fix). Sends go through a bounded
//! channel that the connection drains only as fast as flood control allows, so a caller
//! sending faster than the server accepts waits instead of filling memory.

use std::sync::{Mutex, PoisonError};

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::backoff::BackoffState;
use super::config::IrcConfig;
use super::connection::{self, Links, Outgoing};
use super::error::SendError;
use super::event::IrcEvent;
use super::message::Message;
use super::transport::{Connector, TlsSetupError};
use crate::text::irc_payload_budget;

/// Events buffered for a slow reader before the connection waits for it.
const EVENT_BUFFER: usize = 256;
/// Messages waiting for flood control before senders wait.
const SEND_BUFFER: usize = 64;

/// A running IRC client: send with [`privmsg`](Self::privmsg) and [`notice`](Self::notice),
/// read what happens from the event receiver [`start`](Self::start) returned. Dropping the
/// handle stops the client as [`shutdown`](Self::shutdown) does, without waiting.
#[derive(Debug)]
pub struct IrcClient {
    outgoing: mpsc::Sender<Outgoing>,
    nick: watch::Receiver<Option<String>>,
    heard: watch::Receiver<Option<Instant>>,
    shutdown: watch::Sender<Option<String>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl IrcClient {
    /// Starts connecting in the background (needs a tokio runtime). The receiver yields the
    /// client's events and ends once the client has stopped. Fails only when TLS cannot be set
    /// up (no root certificates, an invalid server name); connection failures are events.
    pub fn start(config: IrcConfig) -> Result<(Self, mpsc::Receiver<IrcEvent>), TlsSetupError> {
        let connector = Connector::new(&config)?;
        let (events_tx, events_rx) = mpsc::channel(EVENT_BUFFER);
        let (outgoing_tx, outgoing_rx) = mpsc::channel(SEND_BUFFER);
        let (nick_tx, nick_rx) = watch::channel(None);
        let (heard_tx, heard_rx) = watch::channel(None);
        let (shutdown_tx, shutdown_rx) = watch::channel(None);
        let supervisor = Supervisor {
            config,
            connector,
            events: events_tx,
            outgoing: outgoing_rx,
            shutdown: shutdown_rx,
            nick: nick_tx,
            heard: heard_tx,
        };
        let task = tokio::spawn(supervisor.run());
        let client = Self {
            outgoing: outgoing_tx,
            nick: nick_rx,
            heard: heard_rx,
            shutdown: shutdown_tx,
            task: Mutex::new(Some(task)),
        };
        Ok((client, events_rx))
    }

    /// Our nick while registered, `None` while not connected. The payload budget of a message
    /// depends on it: [`irc_payload_budget`].
    pub fn nick(&self) -> Option<String> {
        self.nick.borrow().clone()
    }

    /// When the current connection last received anything from the server (the tokio clock),
    /// `None` while not connected. A healthy connection hears something at least every
    /// `timeouts.idle + timeouts.pong` (the client sends a `PING` after `idle` of silence and
    /// gives up `pong` later), so an adapter can show that a quiet connection is alive without
    /// waiting for a message.
    pub fn last_heard(&self) -> Option<Instant> {
        *self.heard.borrow()
    }

    /// Sends `text` to a channel or nick; returns once the line is written to the socket (IRC
    /// has no delivery receipt). `text` must be one line within the payload budget: cut replies
    /// with `text::irc_lines` first.
    pub async fn privmsg(&self, target: &str, text: &str) -> Result<(), SendError> {
        self.send("PRIVMSG", target, text).await
    }

    /// Sends a `NOTICE`, as [`privmsg`](Self::privmsg) does.
    pub async fn notice(&self, target: &str, text: &str) -> Result<(), SendError> {
        self.send("NOTICE", target, text).await
    }

    async fn send(&self, command: &str, target: &str, text: &str) -> Result<(), SendError> {
        if target.is_empty()
            || target.starts_with(':')
            || target.contains(|c: char| c == ' ' || c == ',' || c.is_control())
        {
            return Err(SendError::InvalidTarget {
                target: target.to_owned(),
            });
        }
        if text.contains(['\r', '\n', '\0']) {
            return Err(SendError::ForbiddenCharacter);
        }
        let nick = self.nick().ok_or(SendError::NotConnected)?;
        let budget = irc_payload_budget(&nick, target);
        if text.len() > budget {
            return Err(SendError::TooLong {
                bytes: text.len(),
                budget,
            });
        }
        let line = Message::new(command, &[target, text])
            .to_line()
            .map_err(|_| SendError::TooLong {
                bytes: text.len(),
                budget,
            })?;
        let (done, sent) = oneshot::channel();
        self.outgoing
            .send(Outgoing { line, done })
            .await
            .map_err(|_| SendError::NotConnected)?;
        sent.await.unwrap_or(Err(SendError::Disconnected))
    }

    /// Sends `QUIT :<message>` (when connected), stops reconnecting and waits for the client's
    /// task to end. Calling it again does nothing.
    pub async fn shutdown(&self, quit_message: &str) {
        self.shutdown.send_replace(Some(quit_message.to_owned()));
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

struct Supervisor {
    config: IrcConfig,
    connector: Connector,
    events: mpsc::Sender<IrcEvent>,
    outgoing: mpsc::Receiver<Outgoing>,
    shutdown: watch::Receiver<Option<String>>,
    nick: watch::Sender<Option<String>>,
    heard: watch::Sender<Option<Instant>>,
}

impl Supervisor {
    async fn run(mut self) {
        let mut backoff = BackoffState::new(self.config.backoff, fastrand::Rng::new());
        loop {
            if self.stopping() {
                return;
            }
            let (reason, registered_at) = match self.connector.connect(&self.config).await {
                Err(reason) => (reason, None),
                Ok(socket) => {
                    let links = Links {
                        events: &self.events,
                        outgoing: &mut self.outgoing,
                        shutdown: &mut self.shutdown,
                        nick: &self.nick,
                        heard: &self.heard,
                    };
                    let ended = connection::run(&self.config, socket, links).await;
                    (ended.reason, ended.registered_at)
                }
            };
            self.nick.send_replace(None);
            self.heard.send_replace(None);
            // What was queued for the connection that ended is not sent on the next one: the
            // caller learns it failed and decides.
            while let Ok(outgoing) = self.outgoing.try_recv() {
                let _ = outgoing.done.send(Err(SendError::Disconnected));
            }
            if registered_at.is_some_and(|at| at.elapsed() >= self.config.backoff.stable_after) {
                backoff.reset();
            }
            let retry_in =
                (reason.is_retryable() && !self.stopping()).then(|| backoff.next_delay());
            tracing::info!(host = %self.config.host, error = %reason, ?retry_in, "IRC connection ended");
            let delay = retry_in;
            let _ = self
                .events
                .send(IrcEvent::Disconnected { reason, retry_in })
                .await;
            let Some(delay) = delay else { return };
            if !self.wait(Instant::now() + delay).await {
                return;
            }
        }
    }

    fn stopping(&self) -> bool {
        self.shutdown.borrow().is_some() || self.shutdown.has_changed().is_err()
    }

    /// Waits until `deadline`, refusing sends meanwhile; false when shut down during the wait.
    async fn wait(&mut self, deadline: Instant) -> bool {
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return true,
                changed = self.shutdown.changed() => {
                    if changed.is_err() || self.shutdown.borrow().is_some() {
                        return false;
                    }
                }
                received = self.outgoing.recv() => match received {
                    Some(outgoing) => {
                        let _ = outgoing.done.send(Err(SendError::NotConnected));
                    }
                    None => return false,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::irc::ConnectionError;

    #[tokio::test]
    async fn sends_are_refused_while_not_connected_and_validated() {
        // Port 1 on loopback refuses connections: the client never registers.
        let mut config = IrcConfig::new("127.0.0.1", 1, None, "claw");
        config.backoff.initial = std::time::Duration::from_secs(60);
        let (client, mut events) = IrcClient::start(config).unwrap();
        assert_eq!(
            client.privmsg("#room", "hi").await,
            Err(SendError::NotConnected)
        );
        assert!(matches!(
            client.privmsg("#room", "a\r\nQUIT").await,
            Err(SendError::ForbiddenCharacter)
        ));
        assert!(matches!(
            client.privmsg("#a b", "x").await,
            Err(SendError::InvalidTarget { .. })
        ));
        match events.recv().await {
            Some(IrcEvent::Disconnected {
                reason: ConnectionError::Connect { .. },
                retry_in: Some(_),
            }) => {}
            other => panic!("{other:?}"),
        }
        client.shutdown("bye").await;
        assert!(events.recv().await.is_none());
    }
}
