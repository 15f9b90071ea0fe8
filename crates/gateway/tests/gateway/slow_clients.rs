//! Clients that stop reading: each is held to its byte budget (`maxBufferedBytes`) and all of
//! them to a global one, past which they are closed with upstream's 1008 "slow consumer"; a
//! client that reads slowly gets merged text deltas instead of a growing queue.
//!
//! A reply of 200 deltas of 2 KB makes the cumulative `agent` events of one run add up to about
//! 40 MB per client, far more than the socket buffers hold, so a client that does not read
//! builds a backlog on the gateway whatever the kernel's buffer sizes.

use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_agent::{ChannelId, EventKind, Inbound, MessageOrigin, Op, RunId};
use rustyclaw_protocol::{AgentId, SessionKey};
use rustyclaw_testkit::fake_llm::Turn;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::harness::{Client, Gateway, Read};

const DELTAS: usize = 200;
const PIECE_BYTES: usize = 2048;

/// Runs one turn whose reply streams in [`DELTAS`] pieces and waits until the runtime finished
/// it; returns the reply.
async fn long_turn(gateway: &Gateway, run: &str) -> String {
    let piece = "x".repeat(PIECE_BYTES - 1) + "\n";
    gateway.fake.push(Turn::text_deltas(std::iter::repeat_n(
        piece.as_str(),
        DELTAS,
    )));
    let run_id = RunId(run.into());
    let mut events = gateway.runtime.subscribe();
    gateway
        .runtime
        .submit(Op::Message(Inbound {
            session_key: SessionKey::parse(&format!("agent:main:{run}")).unwrap(),
            agent_id: AgentId::main(),
            text: "go".into(),
            attachments: Vec::new(),
            run_id: run_id.clone(),
            thinking: None,
            queue_mode: None,
            origin: MessageOrigin::from_channel(ChannelId::new("test")),
            session_id: None,
        }))
        .unwrap();
    loop {
        match events.recv().await {
            Ok(event) if event.run_id == run_id && matches!(event.kind, EventKind::Finished(_)) => {
                break;
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => panic!("the runtime stopped"),
        }
    }
    piece.repeat(DELTAS)
}

/// Waits until the gateway has closed `count` slow consumers (not a timing assertion: the
/// deadline only turns a hang into a failure).
async fn slow_consumers_reach(gateway: &Gateway, count: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while gateway.state.outbound().slow_consumers < count {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            gateway.state.outbound()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How a client that did not read ends: `Some(close)`, or `None` when it got the run's final
/// `chat` event.
async fn ending(client: &mut Client) -> Option<(u16, String)> {
    loop {
        match client.read_unchecked().await {
            Read::Closed(code, reason) => return Some((code, reason)),
            Read::Frame(frame)
                if frame["event"] == "chat" && frame["payload"]["state"] == "final" =>
            {
                return None;
            }
            Read::Frame(_) => {}
            Read::Gone => panic!("the connection ended without a close frame"),
        }
    }
}

#[tokio::test]
async fn clients_that_stop_reading_are_closed_as_slow_consumers_with_bounded_queues() {
    const BUDGET: usize = 256 * 1024;
    let gateway = Gateway::start_with(|o| {
        o.max_buffered_bytes = BUDGET;
        // Long enough for the test to read the close frame at its own pace.
        o.close_grace = Duration::from_secs(60);
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..4 {
        let (client, hello) = Client::connect(&gateway).await;
        // The budget enforced is the one announced.
        assert_eq!(hello["policy"]["maxBufferedBytes"], json!(BUDGET));
        slow.push(client);
    }
    long_turn(&gateway, "slow-run").await;
    slow_consumers_reach(&gateway, 4).await;
    for client in &mut slow {
        assert_eq!(
            ending(client).await,
            Some((1008, "slow consumer".to_owned()))
        );
    }
    let outbound = gateway.state.outbound();
    // Closed clients' backlogs are released; at most each client's budget (or one frame
    // larger than it) was ever queued: about 1.6 MB, where every client held the run's whole
    // 40 MB of events before.
    assert_eq!(outbound.queued_bytes, 0);
    assert!(outbound.peak_queued_bytes < 4 * 1024 * 1024, "{outbound:?}");
    // The gateway itself is fine.
    let (mut fresh, _) = Client::connect(&gateway).await;
    assert_eq!(fresh.request("health", json!({})).await["ok"], true);
}

#[tokio::test]
async fn the_global_budget_closes_the_largest_backlogs() {
    const TOTAL: usize = 1024 * 1024;
    let gateway = Gateway::start_with(|o| {
        o.max_buffered_bytes_total = TOTAL;
        o.close_grace = Duration::from_secs(60);
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..4 {
        slow.push(Client::connect(&gateway).await.0);
    }
    long_turn(&gateway, "crowd-run").await;
    // Each backlog stays far under its own 50 MiB; together they pass 1 MiB.
    slow_consumers_reach(&gateway, 1).await;
    let mut closed = 0;
    for client in &mut slow {
        if let Some(close) = ending(client).await {
            assert_eq!(close, (1008, "slow consumer".to_owned()));
            closed += 1;
        }
    }
    let outbound = gateway.state.outbound();
    assert_eq!(closed, outbound.slow_consumers);
    assert!(
        outbound.peak_queued_bytes > 0 && outbound.peak_queued_bytes <= TOTAL,
        "{outbound:?}"
    );
}

#[tokio::test]
async fn a_slow_reader_gets_merged_deltas_with_every_character() {
    let gateway = Gateway::start().await;
    let (mut client, _) = Client::connect(&gateway).await;
    // The client reads nothing until the run is over, then everything.
    let reply = long_turn(&gateway, "merge-run").await;
    let events = client
        .events_until(|e| e["event"] == "chat" && e["payload"]["state"] == "final")
        .await;
    let run: Vec<&Value> = events
        .iter()
        .filter(|e| e["payload"]["runId"] == "merge-run")
        .collect();
    // `seq` has no hole although queued events were replaced.
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    let expected: Vec<u64> = (seqs[0]..seqs[0] + seqs.len() as u64).collect();
    assert_eq!(seqs, expected);
    let assistant: Vec<&&Value> = run
        .iter()
        .filter(|e| e["event"] == "agent" && e["payload"]["stream"] == "assistant")
        .collect();
    assert!(
        assistant.len() < DELTAS,
        "{} assistant events: nothing was merged",
        assistant.len()
    );
    // Appending the deltas still gives the whole reply, as does the newest cumulative text.
    let appended: String = assistant
        .iter()
        .map(|e| e["payload"]["data"]["delta"].as_str().unwrap())
        .collect();
    assert_eq!(appended.len(), reply.len());
    assert!(appended == reply);
    let last = assistant.last().unwrap();
    assert!(last["payload"]["data"]["text"] == reply.as_str());
    let chat_deltas: String = run
        .iter()
        .filter(|e| e["event"] == "chat" && e["payload"]["state"] == "delta")
        .map(|e| e["payload"]["deltaText"].as_str().unwrap())
        .collect();
    assert!(chat_deltas == reply);
}
