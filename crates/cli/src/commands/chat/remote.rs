//! Chat turns through a running gateway: `chat.send` into the session, the reply read from the
//! run's `agent` events (assistant text, and tool activity, which this client asks for with the
//! `tool-events` capability), the end from its `chat` event; Ctrl-C sends `chat.abort`.

use rustyclaw_config::LoadedConfig;
use rustyclaw_protocol::SessionKey;
use rustyclaw_protocol::gateway::EventFrame;
use serde_json::{Value, json};

use super::TurnEnd;
use crate::commands::agent::printer::Printer;
use crate::gateway_client::{Connection, OpenError, Target, payload_of};

/// How long connecting and the handshake may take.
const CONNECT_TIMEOUT_MS: u64 = 10_000;

/// Whether a gateway answered.
pub(super) enum Connected {
    /// It did.
    Yes(Box<GatewayChat>),
    /// Nothing listens at `url`.
    No {
        /// The URL tried.
        url: String,
    },
}

/// A chat over one gateway connection, kept for the whole conversation.
pub(super) struct GatewayChat {
    runtime: tokio::runtime::Runtime,
    connection: Connection,
    session: SessionKey,
    url: String,
}

impl GatewayChat {
    /// Connects to the configured gateway, if one listens.
    pub(super) fn connect(loaded: &LoadedConfig, session: SessionKey) -> anyhow::Result<Connected> {
        let runtime = crate::commands::runtime()?;
        super::arm_ctrl_c(&runtime);
        let mut target = Target::new(loaded, None, None, CONNECT_TIMEOUT_MS);
        target.caps = vec!["tool-events"];
        let connection = match runtime.block_on(Connection::open(&target)) {
            Ok(connection) => connection,
            Err(OpenError::Unreachable { url, .. }) => return Ok(Connected::No { url }),
            Err(error) => return Err(error.into()),
        };
        Ok(Connected::Yes(Box::new(Self {
            runtime,
            connection,
            session,
            url: target.url,
        })))
    }

    /// The gateway's URL.
    pub(super) fn url(&self) -> &str {
        &self.url
    }

    /// Sends `text` and streams the reply into `printer` until the run ends.
    pub(super) fn turn(&mut self, text: &str, printer: &mut Printer) -> anyhow::Result<TurnEnd> {
        let Self {
            runtime,
            connection,
            session,
            ..
        } = self;
        runtime.block_on(turn(connection, session, text, printer))
    }
}

async fn turn(
    connection: &mut Connection,
    session: &SessionKey,
    text: &str,
    printer: &mut Printer,
) -> anyhow::Result<TurnEnd> {
    let run_id = uuid::Uuid::new_v4().to_string();
    let id = connection
        .send(
            "chat.send",
            json!({"sessionKey": session.as_str(), "message": text, "idempotencyKey": run_id}),
        )
        .await?;
    let mut end = None;
    let response = connection
        .response(&id, |event| {
            let _ = follow(event, &run_id, printer, &mut end);
        })
        .await?;
    let accepted = payload_of(response, "chat.send")?;
    let run_id = accepted["runId"].as_str().unwrap_or(&run_id).to_owned();
    let mut aborting = false;
    while end.is_none() {
        let stop = async {
            if aborting {
                std::future::pending::<()>().await;
            }
            let _ = tokio::signal::ctrl_c().await;
        };
        let interrupted = tokio::select! {
            read = connection.until_event(|event| follow(event, &run_id, printer, &mut end)) => {
                read?;
                false
            }
            () = stop => true,
        };
        if interrupted {
            aborting = true;
            connection
                .send(
                    "chat.abort",
                    json!({"sessionKey": session.as_str(), "runId": run_id}),
                )
                .await?;
        }
    }
    Ok(end.unwrap_or(TurnEnd::Done))
}

/// Shows one event of the run; true (with `end` set) when it ends the run.
fn follow(
    event: &EventFrame,
    run_id: &str,
    printer: &mut Printer,
    end: &mut Option<TurnEnd>,
) -> bool {
    let Some(payload) = &event.payload else {
        return false;
    };
    if payload["runId"] != run_id {
        return false;
    }
    match (event.event.as_str(), payload["stream"].as_str()) {
        ("agent", Some("assistant")) => {
            if let Some(delta) = payload.pointer("/data/delta").and_then(Value::as_str) {
                printer.delta(delta);
            }
            false
        }
        ("agent", Some("tool")) => {
            let data = &payload["data"];
            let name = data["name"].as_str().unwrap_or("tool");
            match data["phase"].as_str() {
                Some("start") => printer.tool_started(name, &data["args"]),
                Some("result") if data["isError"] == true => {
                    printer.tool_failed(name, &message_text(&data["result"]));
                }
                _ => {}
            }
            false
        }
        ("chat", _) => {
            let state = payload["state"].as_str().unwrap_or_default();
            *end = match state {
                "final" => {
                    // A command's answer (`/status`) comes whole, with no streamed text.
                    if !printer.wrote_any() {
                        printer.delta(&message_text(&payload["message"]));
                    }
                    Some(TurnEnd::Done)
                }
                "aborted" => Some(TurnEnd::Aborted),
                "error" => Some(TurnEnd::Failed(
                    payload["errorMessage"]
                        .as_str()
                        .unwrap_or("the run failed")
                        .to_owned(),
                )),
                _ => None,
            };
            end.is_some()
        }
        _ => false,
    }
}

/// The text blocks of a chat message or a tool result (`content`: a string or blocks).
fn message_text(message: &Value) -> String {
    match &message["content"] {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}
