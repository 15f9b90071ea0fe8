//! One connection, from the first line sent to the reason it ended.
//!
//! A single task owns the socket: it reads lines, answers `PING`, drives registration, joins
//! the configured channels at the end of the MOTD, writes queued messages as the token bucket
//! allows, and watches for silence. Writes happen in the loop's handlers, never inside a
//! `select!` branch, so a cancelled branch never leaves half a line on the wire.

use secrecy::ExposeSecret as _;
use tokio::io::{AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until};

use super::config::IrcConfig;
use super::error::{ConnectionError, SendError};
use super::event::{IrcEvent, SessionState};
use super::line::{Line, LineBuffer};
use super::message::Message;
use super::queue::TokenBucket;
use super::register::{Progress, Registration};
use super::transport::Socket;

/// A `PRIVMSG`/`NOTICE` line waiting for its turn, and whom to tell once it is written.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) line: String,
    pub(crate) done: oneshot::Sender<Result<(), SendError>>,
}

/// The channels a connection shares with the client's handle.
pub(crate) struct Links<'a> {
    pub(crate) events: &'a mpsc::Sender<IrcEvent>,
    pub(crate) outgoing: &'a mut mpsc::Receiver<Outgoing>,
    pub(crate) shutdown: &'a mut watch::Receiver<Option<String>>,
    /// Our nick while registered, `None` otherwise.
    pub(crate) nick: &'a watch::Sender<Option<String>>,
    /// When the connection last received bytes from the server.
    pub(crate) heard: &'a watch::Sender<Option<Instant>>,
}

/// How a connection ended.
#[derive(Debug)]
pub(crate) struct Ended {
    pub(crate) reason: ConnectionError,
    /// When registration completed, if it did.
    pub(crate) registered_at: Option<Instant>,
}

/// Runs one connection on `socket` until it ends.
pub(crate) async fn run(config: &IrcConfig, socket: Box<dyn Socket>, links: Links<'_>) -> Ended {
    let mut session = Session {
        config,
        links,
        state: None,
        registered_at: None,
        joined: false,
    };
    let reason = session.run(socket).await;
    Ended {
        reason,
        registered_at: session.registered_at,
    }
}

struct Session<'c, 'l> {
    config: &'c IrcConfig,
    links: Links<'l>,
    /// Set once registered.
    state: Option<SessionState>,
    registered_at: Option<Instant>,
    joined: bool,
}

impl Session<'_, '_> {
    async fn run(&mut self, socket: Box<dyn Socket>) -> ConnectionError {
        let (mut reader, mut writer) = tokio::io::split(socket);
        let (mut registration, first) = Registration::start(self.config);
        if let Err(error) = self.write_all(&mut writer, &first).await {
            return error;
        }
        let started = Instant::now();
        let registration_deadline = started + self.config.timeouts.registration;
        let mut bucket = TokenBucket::new(&self.config.flood, started);
        let mut lines = LineBuffer::default();
        let mut read_buffer = vec![0_u8; 4096];
        let mut head: Option<Outgoing> = None;
        let mut last_heard = started;
        let mut ping_sent: Option<Instant> = None;
        let mut pings = 0_u64;

        loop {
            let now = Instant::now();
            let head_ready = head
                .as_ref()
                .map(|outgoing| bucket.ready_at(now, outgoing.line.len()));
            let watchdog = match ping_sent {
                None => last_heard + self.config.timeouts.idle,
                Some(sent) => sent + self.config.timeouts.pong,
            };
            let registered = self.state.is_some();
            tokio::select! {
                biased;
                changed = self.links.shutdown.changed() => {
                    let quit = match changed {
                        Ok(()) => self.links.shutdown.borrow().clone(),
                        // The handle is gone: nobody can send or read events any more.
                        Err(_) => Some(String::new()),
                    };
                    if let Some(text) = quit {
                        return self.quit(&mut reader, &mut writer, &text).await;
                    }
                }
                read = reader.read(&mut read_buffer) => {
                    let read = match read {
                        Ok(0) => return ConnectionError::Closed,
                        Ok(read) => read,
                        Err(error) => return ConnectionError::Io(error),
                    };
                    last_heard = Instant::now();
                    self.links.heard.send_replace(Some(last_heard));
                    ping_sent = None;
                    lines.extend(&read_buffer[..read]);
                    while let Some(line) = lines.next_line() {
                        let bytes = match line {
                            Line::Complete(bytes) => bytes,
                            Line::TooLong => {
                                tracing::warn!("dropped an IRC line longer than the limit");
                                continue;
                            }
                        };
                        let Ok(message) = Message::parse(&bytes) else {
                            tracing::debug!("ignored an IRC line that is not a message");
                            continue;
                        };
                        if let Err(error) = self.handle(&message, &mut registration, &mut writer).await {
                            return error;
                        }
                    }
                }
                received = self.links.outgoing.recv(), if registered && head.is_none() => {
                    match received {
                        Some(outgoing) => head = Some(outgoing),
                        None => return self.quit(&mut reader, &mut writer, "").await,
                    }
                }
                () = sleep_until(head_ready.unwrap_or(now)), if head_ready.is_some() => {
                    if let Some(outgoing) = head.take() {
                        let written = self.write_line(&mut writer, &outgoing.line).await;
                        bucket.take(Instant::now(), outgoing.line.len());
                        match written {
                            Ok(()) => {
                                let _ = outgoing.done.send(Ok(()));
                            }
                            Err(error) => {
                                let _ = outgoing.done.send(Err(SendError::Disconnected));
                                return error;
                            }
                        }
                    }
                }
                () = sleep_until(watchdog) => {
                    if ping_sent.is_some() {
                        return ConnectionError::PingTimeout { after: self.config.timeouts.pong };
                    }
                    pings += 1;
                    let ping = Message::new("PING", &[&format!("rustyclaw-{pings}")]);
                    if let Err(error) = self.write_all(&mut writer, &[ping]).await {
                        return error;
                    }
                    ping_sent = Some(Instant::now());
                }
                () = sleep_until(registration_deadline), if !registered => {
                    return ConnectionError::RegistrationTimeout {
                        after: self.config.timeouts.registration,
                    };
                }
            }
        }
    }

    /// Handles one server line.
    async fn handle(
        &mut self,
        message: &Message,
        registration: &mut Registration,
        writer: &mut (impl AsyncWrite + Unpin),
    ) -> Result<(), ConnectionError> {
        match message.command.as_str() {
            "PING" => {
                let pong = Message::new("PONG", &[message.param(0)]);
                return self.write_all(writer, &[pong]).await;
            }
            "ERROR" => {
                return Err(ConnectionError::ServerError {
                    message: message.param(0).to_owned(),
                });
            }
            _ => {}
        }
        let Some(state) = &mut self.state else {
            let mut send = Vec::new();
            match registration.on_message(message, &mut send) {
                Progress::Pending => {}
                Progress::Failed(error) => return Err(error),
                Progress::Registered { nick } => {
                    self.registered(nick, &mut send);
                    let event = IrcEvent::Registered {
                        nick: self
                            .state
                            .as_ref()
                            .map(|s| s.nick.clone())
                            .unwrap_or_default(),
                    };
                    let _ = self.links.events.send(event).await;
                }
            }
            return self.write_all(writer, &send).await;
        };
        if let Some(event) = state.interpret(message) {
            let _ = self.links.events.send(event).await;
        }
        if message.command == "NICK" {
            let nick = self.state.as_ref().map(|state| state.nick.clone());
            self.links.nick.send_replace(nick);
        }
        // Joining at the end of the MOTD (or its absence), as most clients do, so the server
        // has told us everything about itself first.
        if matches!(message.command.as_str(), "376" | "422") && !self.joined {
            self.joined = true;
            let joins = self.joins();
            return self.write_all(writer, &joins).await;
        }
        Ok(())
    }

    fn registered(&mut self, nick: String, send: &mut Vec<Message>) {
        tracing::info!(%nick, host = %self.config.host, "registered with the IRC server");
        self.links.nick.send_replace(Some(nick.clone()));
        self.state = Some(SessionState::new(nick));
        self.registered_at = Some(Instant::now());
        // With SASL the account is already logged in.
        if let (Some(nickserv), None) = (&self.config.nickserv, &self.config.sasl) {
            let password = nickserv.password.expose_secret();
            if let Some(email) = &nickserv.register_email {
                let register = format!("REGISTER {password} {email}");
                send.push(Message::new("PRIVMSG", &[&nickserv.service, &register]));
            }
            let identify = format!("IDENTIFY {password}");
            send.push(Message::new("PRIVMSG", &[&nickserv.service, &identify]));
        }
    }

    fn joins(&self) -> Vec<Message> {
        self.config
            .channels
            .iter()
            .map(|channel| match &channel.key {
                Some(key) => Message::new("JOIN", &[&channel.name, key.expose_secret()]),
                None => Message::new("JOIN", &[&channel.name]),
            })
            .collect()
    }

    /// Sends `QUIT`, then waits briefly for the server to close the connection, so the quit
    /// message reaches other users.
    async fn quit(
        &mut self,
        reader: &mut (impl tokio::io::AsyncRead + Unpin),
        writer: &mut (impl AsyncWrite + Unpin),
        text: &str,
    ) -> ConnectionError {
        let quit = if text.is_empty() {
            Message::new("QUIT", &[])
        } else {
            Message::new("QUIT", &[text])
        };
        if self.write_all(writer, &[quit]).await.is_ok() {
            let mut sink = [0_u8; 1024];
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), async {
                while let Ok(1..) = reader.read(&mut sink).await {}
            })
            .await;
        }
        ConnectionError::ShutDown
    }

    /// Serializes and writes control lines (not paced). A line that cannot be serialized (a
    /// configured channel name with a space, say) is skipped with a warning, never sent broken.
    async fn write_all(
        &self,
        writer: &mut (impl AsyncWrite + Unpin),
        messages: &[Message],
    ) -> Result<(), ConnectionError> {
        for message in messages {
            match message.to_line() {
                Ok(line) => self.write_line(writer, &line).await?,
                Err(error) => {
                    tracing::warn!(command = %message.command, %error, "IRC line not sent");
                }
            }
        }
        Ok(())
    }

    async fn write_line(
        &self,
        writer: &mut (impl AsyncWrite + Unpin),
        line: &str,
    ) -> Result<(), ConnectionError> {
        let after = self.config.timeouts.write;
        let write = async {
            writer.write_all(line.as_bytes()).await?;
            writer.flush().await
        };
        match tokio::time::timeout(after, write).await {
            Ok(result) => Ok(result?),
            Err(_elapsed) => Err(ConnectionError::WriteTimeout { after }),
        }
    }
}
