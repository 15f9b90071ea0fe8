//! Connections that never authenticate cannot exhaust the gateway: request headers have a
//! deadline, and connections that have not authenticated are capped, the one waiting longest
//! giving way to a newcomer, so probes and real clients keep working while stalled sockets
//! pile up. (Before, 1,100 half-sent requests used up the descriptors and every client timed
//! out.)

use std::net::SocketAddr;
use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::harness::{Client, Gateway, Read, TOKEN};

/// A socket that sent half a request and stalls.
async fn stalled(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    stream
}

/// What the gateway sends on `stream` until it closes it (the deadline only turns a hang into
/// a failure).
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut text = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut text)).await;
    assert!(read.is_ok(), "the connection was not closed");
    String::from_utf8_lossy(&text).into_owned()
}

async fn healthz(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    until_closed(&mut stream).await
}

/// Sends an authenticated `GET /v1/models` on a keep-alive connection; the status line.
async fn models(stream: &mut TcpStream) -> String {
    let request = format!(
        "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let mut byte = [0u8; 1];
    while !response.ends_with(b"\r\n\r\n") {
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut byte)).await;
        assert!(matches!(read, Ok(Ok(1))), "no response");
        response.push(byte[0]);
    }
    let head = String::from_utf8(response).unwrap();
    let length: usize = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .unwrap()
        .parse()
        .unwrap();
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.unwrap();
    head.lines().next().unwrap().to_owned()
}

#[tokio::test]
async fn stalled_connections_cannot_lock_out_probes_or_clients() {
    let gateway = Gateway::start_with(|o| {
        o.max_unauthenticated_connections = 32;
        // Far away, so that only the cap closes anything here.
        o.header_read_timeout = Duration::from_secs(600);
        o.handshake_timeout = Duration::from_secs(600);
    })
    .await;
    // A WebSocket that never sends `connect` waits in the same table.
    let mut silent = Client::open(&gateway).await;
    let mut stalled_sockets = Vec::new();
    for _ in 0..300 {
        stalled_sockets.push(stalled(gateway.addr).await);
    }
    assert_eq!(
        silent.read().await,
        Read::Closed(1013, "too many unauthenticated connections".into())
    );
    assert!(healthz(gateway.addr).await.starts_with("HTTP/1.1 200"));
    let (mut client, _) = Client::connect(&gateway).await;
    assert_eq!(client.request("health", json!({})).await["ok"], true);
    let mut api = TcpStream::connect(gateway.addr).await.unwrap();
    assert_eq!(models(&mut api).await, "HTTP/1.1 200 OK");
    // Authenticated connections (a WebSocket after `connect`, HTTP after a bearer secret was
    // accepted) are not in the table, so no flood closes them.
    for _ in 0..100 {
        stalled_sockets.push(stalled(gateway.addr).await);
    }
    assert_eq!(client.request("health", json!({})).await["ok"], true);
    assert_eq!(models(&mut api).await, "HTTP/1.1 200 OK");
    // The sockets that waited longest were closed to make room (404 admitted, 32 kept).
    for stream in &mut stalled_sockets[..200] {
        until_closed(stream).await;
    }
}

#[tokio::test]
async fn a_request_whose_headers_stall_is_closed_after_the_header_timeout() {
    let gateway = Gateway::start_with(|o| o.header_read_timeout = Duration::from_millis(300)).await;
    let mut half_sent = stalled(gateway.addr).await;
    let mut mute = TcpStream::connect(gateway.addr).await.unwrap();
    for stream in [&mut half_sent, &mut mute] {
        let answer = until_closed(stream).await;
        // hyper answers a header timeout 408 when it can, or just closes.
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
    }
    // A complete request is unaffected.
    assert!(healthz(gateway.addr).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn a_stalled_request_does_not_hold_up_stopping() {
    let mut gateway =
        Gateway::start_with(|o| o.header_read_timeout = Duration::from_secs(600)).await;
    let mut half_sent = stalled(gateway.addr).await;
    // Accepted in order, so the stalled socket is being served once this is answered.
    assert!(healthz(gateway.addr).await.starts_with("HTTP/1.1 200"));
    // The harness fails if `serve` has not returned within 5 s; the header deadline is 600 s.
    gateway.stop().await;
    until_closed(&mut half_sent).await;
}
