//! WebSocket frames the gateway refuses are answered with the close code RFC 6455 gives the
//! fault (as upstream's `ws` library does), before and after the handshake, and the frame size
//! limit is the `maxPayload` hello-ok announces. The frames are written by hand on a socket
//! upgraded by hand, since no WebSocket library sends malformed ones.

use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::harness::{Gateway, TOKEN, connect_params};

const FIN: u8 = 0x80;
const RSV1: u8 = 0x40;
const CONTINUATION: u8 = 0x0;
const TEXT: u8 = 0x1;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;

/// A WebSocket client that writes whatever frames it is told to.
struct Raw {
    stream: TcpStream,
    /// Bytes read but not yet parsed.
    buffer: Vec<u8>,
}

/// A frame: first byte (FIN, RSV bits, opcode), then the length, the mask key when masked, and
/// the (masked) payload.
fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mask_bit = if masked { 0x80 } else { 0 };
    let mut bytes = vec![first];
    match payload.len() {
        len @ 0..=125 => bytes.push(mask_bit | len as u8),
        len @ 126..=0xffff => {
            bytes.push(mask_bit | 126);
            bytes.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            bytes.push(mask_bit | 127);
            bytes.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    if masked {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        bytes.extend_from_slice(&key);
        bytes.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        bytes.extend_from_slice(payload);
    }
    bytes
}

impl Raw {
    /// Upgrades a socket and reads the challenge.
    async fn open(gateway: &Gateway) -> Self {
        let mut stream = TcpStream::connect(gateway.addr).await.unwrap();
        stream
            .write_all(
                b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
                  Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                  Sec-WebSocket-Version: 13\r\n\r\n",
            )
            .await
            .unwrap();
        let mut raw = Self {
            stream,
            buffer: Vec::new(),
        };
        let head = loop {
            if let Some(end) = raw.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8(raw.buffer[..end].to_vec()).unwrap();
                raw.buffer.drain(..end + 4);
                break head;
            }
            assert!(raw.fill().await, "no upgrade response");
        };
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        let (opcode, challenge) = raw.next_frame().await.unwrap();
        assert_eq!(opcode, TEXT);
        assert!(String::from_utf8_lossy(&challenge).contains("connect.challenge"));
        raw
    }

    /// Upgrades a socket and completes the handshake; returns the hello-ok payload.
    async fn connected(gateway: &Gateway) -> (Self, Value) {
        let mut raw = Self::open(gateway).await;
        let connect = json!({"type": "req", "id": "c1", "method": "connect",
                             "params": connect_params(TOKEN, &["operator.read"])});
        raw.send(FIN | TEXT, connect.to_string().as_bytes()).await;
        let response = raw.next_json().await;
        assert_eq!(response["ok"], true, "{response}");
        (raw, response["payload"].clone())
    }

    /// Sends a masked frame, as a client must.
    async fn send(&mut self, first: u8, payload: &[u8]) {
        self.send_bytes(&frame(first, payload, true)).await;
    }

    async fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Reads more bytes; `false` at the end of the stream.
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 65536];
        let read = tokio::time::timeout(Duration::from_secs(20), self.stream.read(&mut chunk))
            .await
            .expect("nothing from the gateway within 20 s");
        match read {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// The next frame from the gateway (unmasked, unfragmented), or `None` at the end.
    async fn next_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            if let Some((opcode, payload, used)) = parse(&self.buffer) {
                self.buffer.drain(..used);
                return Some((opcode, payload));
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    async fn next_json(&mut self) -> Value {
        loop {
            let (opcode, payload) = self.next_frame().await.expect("connection ended");
            if opcode == TEXT {
                let frame: Value = serde_json::from_slice(&payload).unwrap();
                if frame["type"] == "res" {
                    return frame;
                }
            }
        }
    }

    /// Skips frames up to the close frame; its code and reason, or `None` when the socket ended
    /// without one.
    async fn close(&mut self) -> Option<(u16, String)> {
        loop {
            let (opcode, payload) = self.next_frame().await?;
            if opcode == CLOSE {
                let code = u16::from_be_bytes([payload[0], payload[1]]);
                return Some((code, String::from_utf8(payload[2..].to_vec()).unwrap()));
            }
        }
    }
}

/// One complete server frame at the start of `buffer`: (opcode, payload, bytes used).
fn parse(buffer: &[u8]) -> Option<(u8, Vec<u8>, usize)> {
    let (&first, &second) = (buffer.first()?, buffer.get(1)?);
    assert_eq!(second & 0x80, 0, "the server masked a frame");
    let (len, start) = match second & 0x7f {
        126 => (
            u16::from_be_bytes(buffer.get(2..4)?.try_into().unwrap()) as usize,
            4,
        ),
        127 => (
            u64::from_be_bytes(buffer.get(2..10)?.try_into().unwrap()) as usize,
            10,
        ),
        len => (len as usize, 2),
    };
    let payload = buffer.get(start..start + len)?.to_vec();
    Some((first & 0x0f, payload, start + len))
}

/// Opens a socket, lets `attack` write to it, and returns how the gateway closed it.
async fn closed_after(gateway: &Gateway, attack: &[u8]) -> Option<(u16, String)> {
    let mut raw = Raw::open(gateway).await;
    raw.send_bytes(attack).await;
    raw.close().await
}

/// How the gateway closed a socket: code and reason, `None` without a close frame.
type Closed = Option<(u16, String)>;

fn closing(code: u16, reason: &str) -> Closed {
    Some((code, reason.to_owned()))
}

#[tokio::test]
async fn malformed_frames_are_closed_with_the_code_for_the_fault() {
    let gateway = Gateway::start().await;
    let cases: [(&str, Vec<u8>, Closed); 7] = [
        (
            "text that is not UTF-8",
            frame(FIN | TEXT, &[0x7b, 0xff, 0xfe, 0x7d], true),
            closing(1007, "invalid UTF-8"),
        ),
        (
            "an unmasked client frame",
            frame(FIN | TEXT, b"{}", false),
            closing(1002, "unmasked frame"),
        ),
        (
            "a reserved bit",
            frame(FIN | RSV1 | TEXT, b"{}", true),
            closing(1002, "reserved bits set"),
        ),
        (
            "an unknown data opcode",
            frame(FIN | 0x3, b"{}", true),
            closing(1002, "unknown opcode"),
        ),
        (
            "an unknown control opcode",
            frame(FIN | 0xb, b"", true),
            closing(1002, "unknown opcode"),
        ),
        (
            "a continuation of nothing",
            frame(FIN | CONTINUATION, b"{}", true),
            closing(1002, "unexpected continuation frame"),
        ),
        (
            "a ping over 125 bytes",
            frame(FIN | PING, &[b'p'; 126], true),
            closing(1002, "control frame too big"),
        ),
    ];
    for (case, attack, expected) in cases {
        assert_eq!(closed_after(&gateway, &attack).await, expected, "{case}");
    }
}

#[tokio::test]
async fn faults_after_the_handshake_are_closed_the_same_way() {
    let gateway = Gateway::start().await;
    let (mut raw, _) = Raw::connected(&gateway).await;
    raw.send(FIN | TEXT, &[0xc3, 0x28]).await;
    assert_eq!(raw.close().await, closing(1007, "invalid UTF-8"));
    let (mut raw, _) = Raw::connected(&gateway).await;
    raw.send_bytes(&frame(FIN | TEXT, b"{}", false)).await;
    assert_eq!(raw.close().await, closing(1002, "unmasked frame"));
}

#[tokio::test]
async fn frames_up_to_the_announced_max_payload_are_read_and_larger_ones_closed_with_1009() {
    let gateway = Gateway::start().await;
    let (mut raw, hello) = Raw::connected(&gateway).await;
    let max_payload = hello["policy"]["maxPayload"].as_u64().unwrap() as usize;
    assert_eq!(max_payload, 25 * 1024 * 1024);
    // 17 MiB: over the WebSocket library's own 16 MiB frame default, under maxPayload.
    let pad = "x".repeat(17 * 1024 * 1024);
    let request = json!({"type": "req", "id": "big", "method": "health", "params": {"pad": pad}});
    raw.send(FIN | TEXT, request.to_string().as_bytes()).await;
    let response = raw.next_json().await;
    assert_eq!(response["id"], "big", "{response}");
    // One byte more than announced: refused from the frame header, before the payload.
    let mut header = vec![FIN | TEXT, 0x80 | 127];
    header.extend_from_slice(&(max_payload as u64 + 1).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    raw.send_bytes(&header).await;
    assert_eq!(raw.close().await, closing(1009, "payload too large"));
}
