//! Conversation load: `chat.send` turns, one after another on a session or many sessions at
//! once over one connection, each timed from the request to the `chat` event that ends it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use serde_json::json;

use crate::client::{Client, chat_end_run, chat_failed};

/// How long one turn may take before the benchmark fails (OpenClaw under load queues turns).
pub const TURN_LIMIT: Duration = Duration::from_secs(300);

/// Sends one turn and returns its id (the run id both gateways use).
async fn send_turn(client: &mut Client, session: &str, message: &str) -> Result<String> {
    let run = uuid::Uuid::new_v4().to_string();
    let params = json!({"sessionKey": session, "message": message, "idempotencyKey": run});
    client.send("chat.send", params).await?;
    Ok(run)
}

/// Runs one turn on `session` and returns the time from sending `chat.send` to the `final`
/// chat event of its run.
pub async fn turn(client: &mut Client, session: &str, message: &str) -> Result<Duration> {
    let started = Instant::now();
    let run = send_turn(client, session, message).await?;
    loop {
        let left = TURN_LIMIT.saturating_sub(started.elapsed());
        let frame = tokio::time::timeout(left, client.next_frame())
            .await
            .map_err(|_| anyhow!("turn on {session} did not finish in {TURN_LIMIT:?}"))??;
        if frame["type"] == "res" && frame["ok"] == false {
            bail!("chat.send on {session} failed: {}", frame["error"]);
        }
        if chat_end_run(&frame) == Some(run.as_str()) {
            if chat_failed(&frame) {
                bail!("the turn on {session} ended with {}", frame["payload"]);
            }
            return Ok(started.elapsed());
        }
    }
}

/// What to keep going until.
#[derive(Debug, Clone, Copy)]
pub enum Until {
    /// Every session has done this many turns.
    TurnsPerSession(u64),
    /// This much time has passed (turns in flight then are finished but not counted).
    Elapsed(Duration),
}

/// Drives every session in `sessions` at once over one connection, each sending its next turn
/// when its previous one ended. `after_turn(done)` runs after each counted turn (e.g. to read
/// RSS). Returns the latencies of the counted turns.
pub async fn concurrent(
    client: &mut Client,
    sessions: &[String],
    message: &str,
    until: Until,
    mut after_turn: impl FnMut(u64),
) -> Result<Vec<Duration>> {
    let started = Instant::now();
    let mut in_flight: HashMap<String, (usize, Instant)> = HashMap::new();
    let mut done_per_session = vec![0u64; sessions.len()];
    let mut latencies = Vec::new();
    for (i, session) in sessions.iter().enumerate() {
        let run = send_turn(client, session, message).await?;
        in_flight.insert(run, (i, Instant::now()));
    }
    let mut counting = true;
    while !in_flight.is_empty() {
        let frame = tokio::time::timeout(TURN_LIMIT, client.next_frame())
            .await
            .map_err(|_| anyhow!("no turn finished in {TURN_LIMIT:?}"))??;
        if frame["type"] == "res" && frame["ok"] == false {
            bail!("chat.send failed: {}", frame["error"]);
        }
        let Some(run) = chat_end_run(&frame) else {
            continue;
        };
        let Some((session, sent)) = in_flight.remove(run) else {
            continue;
        };
        if chat_failed(&frame) {
            bail!(
                "a turn on {} ended with {}",
                sessions[session],
                frame["payload"]
            );
        }
        if let Until::Elapsed(window) = until
            && started.elapsed() >= window
        {
            counting = false;
        }
        if !counting {
            continue;
        }
        latencies.push(sent.elapsed());
        done_per_session[session] += 1;
        after_turn(latencies.len() as u64);
        let more = match until {
            Until::TurnsPerSession(n) => done_per_session[session] < n,
            Until::Elapsed(_) => true,
        };
        if more {
            let run = send_turn(client, &sessions[session], message).await?;
            in_flight.insert(run, (session, Instant::now()));
        }
    }
    Ok(latencies)
}
