//! What ngircd cannot show, against a scripted server on loopback: a server that stops
//! answering, and the lines sent after the welcome (NickServ, channel keys, `PONG`).

use std::time::Duration;

use rustyclaw_channels::irc::{
    ChannelJoin, ConnectionError, IrcClient, IrcConfig, IrcEvent, NickServ,
};
use secrecy::SecretString;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::support::next;

/// A server that answers `USER` with `welcome` and otherwise only records what it receives,
/// until the client closes the connection.
async fn scripted_server(welcome: &'static str) -> (u16, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut received = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            if line.starts_with("USER") {
                write.write_all(welcome.as_bytes()).await.unwrap();
            }
            received.push(line);
        }
        received
    });
    (port, task)
}

#[tokio::test]
async fn silence_after_a_ping_ends_the_connection() {
    let (port, server) =
        scripted_server(":srv 001 claw :Welcome\r\n:srv 422 claw :No MOTD\r\n").await;
    let mut config = IrcConfig::new("127.0.0.1", port, None, "claw");
    config.timeouts.idle = Duration::from_millis(300);
    config.timeouts.pong = Duration::from_millis(300);
    config.backoff.initial = Duration::from_secs(60);
    let (client, mut events) = IrcClient::start(config).unwrap();
    next(&mut events, |e| matches!(e, IrcEvent::Registered { .. })).await;
    let event = next(&mut events, |e| matches!(e, IrcEvent::Disconnected { .. })).await;
    assert!(
        matches!(
            event,
            IrcEvent::Disconnected {
                reason: ConnectionError::PingTimeout { .. },
                retry_in: Some(_)
            }
        ),
        "{event:?}"
    );
    client.shutdown("").await;
    let received = server.await.unwrap();
    assert!(
        received.iter().any(|line| line.starts_with("PING ")),
        "{received:?}"
    );
}

#[tokio::test]
async fn identifies_joins_with_keys_and_answers_pings() {
    let (port, server) = scripted_server(
        ":srv 001 claw :Welcome\r\n:srv 376 claw :End of MOTD\r\nPING :token-1\r\n",
    )
    .await;
    let mut config = IrcConfig::new("127.0.0.1", port, None, "claw");
    config.nickserv = Some(NickServ {
        service: "NickServ".into(),
        password: SecretString::from("n1ckpw"),
        register_email: None,
    });
    config.channels = vec![
        ChannelJoin {
            name: "#open".into(),
            key: None,
        },
        ChannelJoin {
            name: "#locked".into(),
            key: Some(SecretString::from("k3y")),
        },
    ];
    let (client, mut events) = IrcClient::start(config).unwrap();
    next(&mut events, |e| matches!(e, IrcEvent::Registered { .. })).await;
    // The client has answered the PING once a message it sends afterwards is paced through.
    client.privmsg("#open", "hi").await.unwrap();
    client.shutdown("see you").await;
    let received = server.await.unwrap();
    assert_eq!(
        received,
        [
            "NICK claw",
            "USER claw 0 * OpenClaw",
            "PRIVMSG NickServ :IDENTIFY n1ckpw",
            "JOIN #open",
            "JOIN #locked k3y",
            "PONG token-1",
            "PRIVMSG #open hi",
            "QUIT :see you",
        ]
    );
}
