//! The IRC channel account against ngircd, with a second client as the user: what the user
//! says reaches the sink as the router takes it, replies reach the user line by line, and the
//! status follows the connection as the server goes and comes back.

use std::sync::Arc;
use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_channels::account::{
    ChannelAccount, ChannelError, InboundBatch, InboundSink, OutboundMessage, OutboundTarget,
    ProbeReport, ReceivedMessage, SendFailure, Sent, StatusHandle, StoreOutcome, TextSettings,
};
use rustyclaw_channels::irc::{IrcAccount, IrcAccountConfig, IrcEvent, MessageTarget};
use rustyclaw_channels::text::{
    ChunkMode, IRC_MAX_LINE_BYTES, IRC_TEXT_CHUNK_LIMIT, IrcFormatting,
};
use rustyclaw_protocol::origin::{AccountId, Chat, ChatId, PeerId, Sender};
use rustyclaw_protocol::reply::ReplyPayload;
use rustyclaw_protocol::session_entry::ChatType;
use rustyclaw_support::now_ms_i64;
use rustyclaw_testkit::Ngircd;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::support::{WAIT, config, connect, next};

type Batches = mpsc::Receiver<(InboundBatch, oneshot::Sender<StoreOutcome>)>;

/// A running account, its status and what its sink receives.
struct Bot {
    account: Arc<IrcAccount>,
    status: StatusHandle,
    batches: Batches,
    run: JoinHandle<Result<(), ChannelError>>,
}

fn account_config(server: &Ngircd, nick: &str, channels: &[&str]) -> IrcAccountConfig {
    IrcAccountConfig {
        account_id: AccountId::new("default"),
        client: config(server, nick, channels),
        formatting: IrcFormatting::Plain,
    }
}

fn start(config: IrcAccountConfig) -> Bot {
    let account = Arc::new(IrcAccount::new(config));
    let (sink, batches) = InboundSink::new(8);
    let status = StatusHandle::new();
    let run = tokio::spawn({
        let account = Arc::clone(&account);
        let status = status.clone();
        async move { account.run(sink, status).await }
    });
    Bot {
        account,
        status,
        batches,
        run,
    }
}

/// Polls `check` until it gives a value; fails after [`WAIT`].
async fn until<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not happen within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Bot {
    /// Waits until the account is connected and has joined `channels`; returns its probe.
    async fn joined(&self, channels: &[&str]) -> ProbeReport {
        until("connecting and joining", async || {
            // Probing before `run` has connected would make a connection of its own.
            if !self.status.snapshot().connected {
                return None;
            }
            let report = self.account.probe().await.ok()?;
            let joined = channels
                .iter()
                .all(|c| report.details.contains(&format!("joined {c}")));
            joined.then_some(report)
        })
        .await
    }

    /// The next batch, which must hold one message; acknowledged as stored.
    async fn next_message(&mut self) -> ReceivedMessage {
        let (batch, stored) = tokio::time::timeout(WAIT, self.batches.recv())
            .await
            .expect("a batch in time")
            .expect("the sink is open");
        stored.send(StoreOutcome::Stored).unwrap();
        assert_eq!(batch.next_offset, None);
        let [message] = <[ReceivedMessage; 1]>::try_from(batch.messages).unwrap();
        message
    }
}

fn target(chat: &str) -> OutboundTarget {
    OutboundTarget {
        chat: ChatId::new(chat),
        thread_id: None,
        reply_to_id: None,
    }
}

#[tokio::test]
async fn direct_and_channel_messages_reach_the_sink() {
    let mut server = Ngircd::start().await.unwrap();
    let mut bot = start(account_config(&server, "claw", &["#Test"]));
    let report = bot.joined(&["#Test"]).await;
    assert_eq!(report.identity.as_deref(), Some("claw"));
    let status = bot.status.snapshot();
    assert!(status.connected && status.connected_since_ms.is_some());
    assert_eq!(
        (status.identity.as_deref(), status.mode.as_deref()),
        (Some("claw"), Some("irc"))
    );
    let (alice, _alice_events, _) = connect(config(&server, "alice", &["#Test"])).await;

    // A notice is skipped: the DM after it is the first message.
    alice.notice("claw", "not for bots").await.unwrap();
    alice.privmsg("claw", "hello bot").await.unwrap();
    let dm = bot.next_message().await;
    assert_eq!(
        dm.chat,
        Chat {
            kind: ChatType::Direct,
            id: ChatId::new("alice"),
        }
    );
    assert_eq!(
        dm.sender,
        Some(Sender {
            id: PeerId::new("alice"),
            name: Some("alice".to_owned()),
        })
    );
    // ngircd without ident marks the user name with `~`; without DNS the host is the address.
    assert_eq!(dm.sender_aliases, ["alice!~alice@127.0.0.1"]);
    assert_eq!((dm.text.as_str(), dm.mentions_bot), ("hello bot", false));
    assert!(dm.received_ms <= now_ms_i64());

    alice.privmsg("#Test", "CLAW: what's up?").await.unwrap();
    let mention = bot.next_message().await;
    assert_eq!(
        mention.chat,
        Chat {
            kind: ChatType::Group,
            id: ChatId::new("#Test"),
        }
    );
    assert_eq!(
        (mention.text.as_str(), mention.mentions_bot),
        ("CLAW: what's up?", true)
    );

    alice.privmsg("#Test", "just chatting").await.unwrap();
    let chatter = bot.next_message().await;
    assert_eq!(
        (chatter.text.as_str(), chatter.mentions_bot),
        ("just chatting", false)
    );
    let ids = [&dm, &mention, &chatter].map(|m| m.message_id.as_str().to_owned());
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
    assert!(bot.status.snapshot().last_inbound_ms.is_some());

    alice.shutdown("").await;
    bot.account.logout().await.unwrap();
    assert_eq!(bot.run.await.unwrap(), Ok(()));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn replies_reach_channels_and_nicks_line_by_line_in_order() {
    let mut server = Ngircd::start().await.unwrap();
    let bot = start(account_config(&server, "claw", &["#test"]));
    bot.joined(&["#test"]).await;
    let (alice, mut alice_events, _) = connect(config(&server, "alice", &["#test"])).await;
    let mut received = async |wanted: MessageTarget| match next(
        &mut alice_events,
        |e| matches!(e, IrcEvent::Message(m) if m.from.nick == "claw"),
    )
    .await
    {
        IrcEvent::Message(m) => {
            assert_eq!(m.target, wanted);
            // The line as the server relayed it fits IRC's limit.
            let relayed = format!(":{} PRIVMSG x :{}\r\n", m.from, m.text);
            assert!(relayed.len() <= IRC_MAX_LINE_BYTES, "{relayed:?}");
            m.text
        }
        _ => unreachable!(),
    };

    let sent = bot
        .account
        .send(&target("#test"), &OutboundMessage::plain("hello channel"))
        .await;
    assert_eq!(sent, Ok(Sent { message_id: None }));
    assert_eq!(
        received(MessageTarget::Channel("#test".into())).await,
        "hello channel"
    );
    bot.account
        .send(&target("alice"), &OutboundMessage::plain("hello alice"))
        .await
        .unwrap();
    assert_eq!(received(MessageTarget::Direct).await, "hello alice");
    assert!(bot.status.snapshot().last_outbound_ms.is_some());

    // Two-byte characters make the byte budget, not the character limit, cut the lines.
    let paragraph = "Le café crème est prêt à côté de la fenêtre ouverte. ".repeat(12);
    let reply = ReplyPayload::text(format!("**Réponse**\n\n{paragraph}\n\n{paragraph}"), None);
    let settings = TextSettings {
        chunk_limit: IRC_TEXT_CHUNK_LIMIT,
        chunk_mode: ChunkMode::Length,
        response_prefix: Some("[claw]".to_owned()),
    };
    let lines = bot.account.prepare(&reply, &settings);
    assert!(lines.len() >= 5, "{lines:#?}");
    assert!(lines[0].text.starts_with("[claw] Réponse"));
    for line in &lines {
        bot.account.send(&target("alice"), line).await.unwrap();
    }
    for line in &lines {
        assert_eq!(received(MessageTarget::Direct).await, line.text);
    }

    alice.shutdown("").await;
    bot.account.logout().await.unwrap();
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_status_follows_the_server_going_and_coming_back() {
    let mut server = Ngircd::start().await.unwrap();
    let bot = start(account_config(&server, "claw", &["#test"]));
    bot.joined(&["#test"]).await;

    server.stop().await.unwrap();
    let error = until("the disconnection", async || {
        let status = bot.status.snapshot();
        (!status.connected).then_some(status.last_error)
    })
    .await;
    assert!(error.is_some());
    let sent = bot
        .account
        .send(&target("#test"), &OutboundMessage::plain("lost"))
        .await;
    assert!(matches!(sent, Err(SendFailure::Transient(_))), "{sent:?}");
    assert!(matches!(
        bot.account.probe().await,
        Err(ChannelError::Connection(_))
    ));
    assert!(!bot.run.is_finished());

    server.restart().await.unwrap();
    let report = bot.joined(&["#test"]).await;
    assert_eq!(report.identity.as_deref(), Some("claw"));
    assert_eq!(bot.status.snapshot().identity.as_deref(), Some("claw"));

    bot.account.logout().await.unwrap();
    let ended = tokio::time::timeout(WAIT, bot.run).await.unwrap().unwrap();
    assert_eq!(ended, Ok(()));
    assert!(!bot.status.snapshot().connected);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_quiet_connection_shows_it_is_alive() {
    let mut server = Ngircd::start().await.unwrap();
    let mut config = account_config(&server, "claw", &[]);
    // The client pings after 300 ms of silence; ngircd answers. Connecting and registering
    // on loopback take milliseconds: only what the connection hears keeps the account alive
    // past the first second.
    config.client.timeouts.idle = Duration::from_millis(300);
    config.client.timeouts.pong = Duration::from_millis(700);
    config.client.timeouts.connect = Duration::from_millis(300);
    config.client.timeouts.registration = Duration::from_millis(500);
    let bot = start(config);
    bot.joined(&[]).await;
    let stall = bot.account.stall_timeout();
    assert_eq!(stall, Duration::from_secs(1));

    // Nothing happens on the connection for several stall timeouts, yet the supervisor would
    // never see the account stalled.
    let started = now_ms_i64();
    while now_ms_i64() - started < 4 * 1000 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let alive = bot.status.snapshot().last_alive_ms.unwrap();
        let silent_ms = now_ms_i64() - alive;
        assert!(silent_ms < 1000, "no sign of life for {silent_ms} ms");
    }
    assert!(bot.status.snapshot().connected);

    bot.account.logout().await.unwrap();
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_nick_the_server_refuses_ends_run_as_unauthorized() {
    let mut server = Ngircd::start().await.unwrap();
    // Nicks cannot start with a digit: ngircd answers `432`, which no reconnection fixes.
    let bot = start(account_config(&server, "1claw", &[]));
    let ended = tokio::time::timeout(WAIT, bot.run).await.unwrap().unwrap();
    assert!(
        matches!(ended, Err(ChannelError::Unauthorized(_))),
        "{ended:?}"
    );
    let status = bot.status.snapshot();
    assert!(!status.connected && status.last_error.is_some());
    let sent = bot
        .account
        .send(&target("#test"), &OutboundMessage::plain("x"))
        .await;
    assert!(matches!(sent, Err(SendFailure::Transient(_))), "{sent:?}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn dropping_run_quits_the_server() {
    let mut server = Ngircd::start().await.unwrap();
    let bot = start(account_config(&server, "claw", &["#test"]));
    bot.joined(&["#test"]).await;

    // The supervisor gives up on the account: its connection must not linger.
    bot.run.abort();
    let _ = bot.run.await;
    let sent = bot
        .account
        .send(&target("#test"), &OutboundMessage::plain("x"))
        .await;
    assert!(matches!(sent, Err(SendFailure::Transient(_))), "{sent:?}");
    // Not running, the probe connects by itself: it gets the nick back once the old
    // connection has quit (`claw_` while it lingers).
    until("the nick to be free", async || {
        let report = bot.account.probe().await.unwrap();
        (report.identity.as_deref() == Some("claw")).then_some(())
    })
    .await;
    server.stop().await.unwrap();
}
