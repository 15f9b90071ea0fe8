//! `rustyclaw agent` through a running gateway: the `agent` method, which answers `accepted`
//! at once and the outcome when the run ends, with the reply streamed meanwhile as `agent`
//! events (`stream: "assistant"`, `data.delta`) for the run.

use std::process::ExitCode;
use std::time::Duration;

use rustyclaw_config::LoadedConfig;
use rustyclaw_protocol::gateway::EventFrame;
use rustyclaw_protocol::{AgentId, ThinkingLevel};
use serde_json::{Value, json};

use super::printer::Printer;
use crate::UserError;
use crate::args::AgentArgs;
use crate::gateway_client::{Connection, OpenError, Target, block_on, payload_of};
use crate::output;

/// How long connecting and the handshake may take before the gateway counts as broken.
const CONNECT_TIMEOUT_MS: u64 = 10_000;

/// What happened.
pub(super) enum Outcome {
    /// The gateway ran the turn; the process exits with this code.
    Done(ExitCode),
    /// Nothing listens at `url`: the caller runs the turn in-process.
    NoGateway {
        /// The URL tried.
        url: String,
    },
}

/// Runs the turn through the gateway at the configured URL, if one listens there.
pub(super) fn run(
    loaded: &LoadedConfig,
    agent: &AgentId,
    thinking: Option<&ThinkingLevel>,
    args: &AgentArgs,
) -> anyhow::Result<Outcome> {
    let target = Target::new(loaded, None, None, CONNECT_TIMEOUT_MS);
    block_on(async {
        let mut connection = match Connection::open(&target).await {
            Ok(connection) => connection,
            Err(OpenError::Unreachable { url, .. }) => return Ok(Outcome::NoGateway { url }),
            Err(error) => return Err(error.into()),
        };
        let code = turn(&mut connection, agent, thinking, args).await?;
        connection.close().await;
        Ok(Outcome::Done(code))
    })
}

async fn turn(
    connection: &mut Connection,
    agent: &AgentId,
    thinking: Option<&ThinkingLevel>,
    args: &AgentArgs,
) -> anyhow::Result<ExitCode> {
    let run_id = uuid::Uuid::new_v4().to_string();
    let mut params = json!({
        "message": args.message,
        "agentId": agent.as_str(),
        "deliver": false,
        "idempotencyKey": run_id,
    });
    if let Some(id) = &args.session_id {
        params["sessionId"] = json!(id);
    }
    if let Some(level) = thinking {
        params["thinking"] = serde_json::to_value(level)?;
    }
    if let Some(seconds) = args.timeout {
        params["timeout"] = json!(seconds);
    }
    let id = connection.send("agent", params).await?;
    let mut printer = Printer::new(!args.json);
    let mut on_event = |event: &EventFrame| show(&mut printer, &run_id, event);
    let response = connection
        .response(&id, &mut on_event)
        .await
        .map_err(|error| lost(&error, &run_id, ""))?;
    let accepted = payload_of(response, "agent")?;
    let session_key = accepted["sessionKey"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // The run id is the idempotency key; a replayed key answers the earlier outcome at once.
    let mut outcome = accepted;
    let deadline = args
        .timeout
        .map(|seconds| tokio::time::Instant::now() + Duration::from_secs(seconds.max(1)));
    let mut stopped = false;
    while outcome["status"] == "accepted" || outcome["status"] == "in_flight" {
        let armed = !stopped;
        let stop = async move {
            if !armed {
                return std::future::pending().await;
            }
            match deadline {
                Some(deadline) => tokio::select! {
                    () = tokio::time::sleep_until(deadline) => {}
                    _ = tokio::signal::ctrl_c() => {}
                },
                None => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        };
        tokio::select! {
            response = connection.response(&id, &mut on_event) => {
                let response = response.map_err(|error| lost(&error, &run_id, &session_key))?;
                outcome = payload_of(response, "agent")?;
            }
            () = stop => {
                // Ctrl-C or --timeout: ask the gateway to abort the run and wait for its outcome.
                stopped = true;
                connection
                    .send("chat.abort", json!({"sessionKey": session_key, "runId": run_id}))
                    .await?;
            }
        }
    }
    printer.finish();
    Ok(report(
        &outcome,
        &run_id,
        &session_key,
        args.json,
        printer.wrote_any(),
    ))
}

/// The connection failed while the run was in flight: say which run, and how to learn how it
/// ended (the gateway's run ledger answers `agent.wait` for it, after a restart too).
fn lost(error: &anyhow::Error, run_id: &str, session_key: &str) -> anyhow::Error {
    let params = json!({"runId": run_id});
    let mut hint = format!(
        "once the gateway answers again, `rustyclaw gateway call agent.wait --params '{params}'` \
         tells how the run ended (\"interrupted\" if the gateway stopped before it finished: \
         no reply was sent)"
    );
    if !session_key.is_empty() {
        hint.push_str(&format!(
            "; the conversation so far: rustyclaw sessions show {session_key}"
        ));
    }
    UserError::new(format!(
        "lost the gateway while run {run_id} was in flight: {error}"
    ))
    .hint(hint)
    .code(1)
    .into()
}

/// Shows one event if it belongs to this run's reply stream.
fn show(printer: &mut Printer, run_id: &str, event: &EventFrame) {
    let Some(payload) = &event.payload else {
        return;
    };
    if event.event != "agent" || payload["runId"] != run_id {
        return;
    }
    match payload["stream"].as_str() {
        Some("assistant") => {
            if let Some(delta) = payload.pointer("/data/delta").and_then(Value::as_str) {
                printer.delta(delta);
            }
        }
        Some("lifecycle") if payload.pointer("/data/phase").is_some_and(|p| p != "start") => {
            printer.message_end();
        }
        _ => {}
    }
}

/// Prints the outcome (`--json`, or the reply when nothing was streamed) and picks the exit
/// code: 0 when the gateway says `ok`, 1 otherwise.
fn report(outcome: &Value, run_id: &str, key: &str, json: bool, streamed: bool) -> ExitCode {
    let ok = outcome["status"] == "ok";
    let replies: Vec<&str> = outcome
        .pointer("/result/payloads")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|payload| payload["text"].as_str())
        .collect();
    let meta = outcome.pointer("/result/meta/agentMeta");
    let error = outcome["error"]
        .as_str()
        .or_else(|| (!ok).then(|| outcome["summary"].as_str()).flatten());
    if json {
        output::json(&json!({
            "runId": outcome["runId"].as_str().unwrap_or(run_id),
            "status": if ok { "done" } else { "failed" },
            "reply": (!replies.is_empty()).then(|| replies.join("\n\n")),
            "error": error,
            "sessionKey": key,
            "sessionId": meta.and_then(|m| m.get("sessionId")),
            "model": meta.and_then(|m| m.get("model")),
            "durationMs": outcome.pointer("/result/meta/durationMs"),
            "via": "gateway",
        }));
    } else if !streamed {
        // The events may have been missed (a replayed idempotency key) or the reply may not
        // have been streamed at all: the final answer carries it.
        for reply in &replies {
            if !reply.trim().eq_ignore_ascii_case("NO_REPLY") {
                output::out(reply);
            }
        }
    }
    if ok {
        return ExitCode::SUCCESS;
    }
    if !json {
        let hint = (!key.is_empty())
            .then(|| format!("the transcript has the details: rustyclaw sessions show {key}"));
        output::error_line(error.unwrap_or("the run failed"), hint.as_deref());
    }
    ExitCode::from(1)
}
