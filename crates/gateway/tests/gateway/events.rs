//! Ticks, graceful shutdown and the slow-client bound.

use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_agent::{Inbound, Op, RunId};
use rustyclaw_protocol::{AgentId, SessionKey};
use rustyclaw_testkit::fake_llm::Turn;

use super::harness::{Client, Gateway, Read};

#[tokio::test]
async fn ticks_arrive_at_the_configured_interval_with_increasing_seq() {
    let gateway = Gateway::start_with(|o| o.tick_interval = Duration::from_millis(50)).await;
    let (mut client, _) = Client::connect(&gateway).await;
    let mut ticks = Vec::new();
    while ticks.len() < 3 {
        let Read::Frame(frame) = client.read().await else {
            panic!("closed")
        };
        assert_eq!(frame["event"], "tick");
        ticks.push(frame);
    }
    // Two intervals between the first and the third tick, by the gateway's own timestamps:
    // the client's clock would also count the time it spent validating hello-ok while the
    // first ticks were already on their way.
    let ts: Vec<u64> = ticks
        .iter()
        .map(|t| t["payload"]["ts"].as_u64().unwrap())
        .collect();
    assert!(ts[2] - ts[0] >= 90, "{ts:?}");
    let seqs: Vec<u64> = ticks.iter().map(|t| t["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    assert!(ticks[0]["payload"]["ts"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn stopping_sends_shutdown_then_closes_and_returns_promptly() {
    let mut gateway = Gateway::start().await;
    let (mut client, _) = Client::connect(&gateway).await;
    let took = gateway.stop().await;
    let Read::Frame(frame) = client.read().await else {
        panic!("no shutdown event")
    };
    assert_eq!(frame["event"], "shutdown");
    assert_eq!(frame["payload"]["reason"], "gateway stopping");
    assert_eq!(frame["seq"], 1);
    assert_eq!(
        client.read().await,
        Read::Closed(1012, "service restart".into())
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(gateway.state.connection_count(), 0);
}

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected() {
    let gateway = Gateway::start_with(|o| o.send_queue_frames = 8).await;
    let (mut client, _) = Client::connect(&gateway).await;
    // A long reply in many pieces: the cumulative chat deltas add up to far more than the
    // socket buffers hold, so the connection's queue fills while the client is not reading.
    let piece = "x".repeat(4096);
    gateway
        .fake
        .push(Turn::text_deltas(std::iter::repeat_n(piece.as_str(), 400)));
    let run_id = RunId("slow-run".into());
    let mut events = gateway.runtime.subscribe();
    gateway
        .runtime
        .submit(Op::Message(Inbound {
            session_key: SessionKey::parse("agent:main:slow").unwrap(),
            agent_id: AgentId::main(),
            text: "go".into(),
            run_id: run_id.clone(),
            thinking: None,
            queue_mode: None,
            channel: Some("test".into()),
            session_id: None,
        }))
        .unwrap();
    loop {
        let event = events.recv().await.unwrap();
        if event.run_id == run_id && matches!(event.kind, rustyclaw_agent::EventKind::Finished(_)) {
            break;
        }
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while gateway.state.connection_count() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the slow client was not dropped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // What the client still receives ends without the final event.
    let mut saw_final = false;
    while let Read::Frame(frame) = client.read().await {
        saw_final |= frame["payload"]["state"] == "final";
    }
    assert!(!saw_final);
}
