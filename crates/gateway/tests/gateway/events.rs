//! Ticks and graceful shutdown (slow clients: `slow_clients.rs`).

use std::time::Duration;

use pretty_assertions::assert_eq;

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
