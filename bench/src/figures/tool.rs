//! A turn with one tool call: the model asks for `exec` of `true`, the gateway runs it and
//! sends the result back, the model answers. Measured with rustyclaw's full sandbox and with
//! the sandbox off, so the difference is what the sandbox costs.

use anyhow::Result;

use super::{Bench, ms, progress};
use crate::client::Client;
use crate::drive;
use crate::fake::{Reply, TOOL_PROMPT};
use crate::report::{Figure, Goal};
use crate::stats::percentile;
use crate::target::{GatewayOptions, Kind, Target};

/// Measures the tool-call turn.
pub async fn tool_call(bench: &mut Bench) -> Result<Figure> {
    let turns = bench.plan.tool_turns;
    let mut figure = Figure::new(
        "tool",
        "Tool call",
        &format!(
            "A turn in which the instant fake model calls `exec` with `{{\"command\": \"true\"}}` \
             and answers once the result is back (two model requests): `chat.send` → `final`, \
             median over {turns} turns after one warm-up turn. rustyclaw runs `exec` in its full \
             sandbox (bubblewrap namespaces, Landlock, seccomp, resource limits) by default; \
             the no-sandbox row sets `agents.defaults.sandbox.mode: off`, and the overhead row \
             is the difference. OpenClaw runs `exec` on the host (its default; its sandbox \
             needs Docker)."
        ),
    );
    let url = bench.base_url(Reply::Instant);
    for target in bench.targets.clone() {
        let sandboxed = tool_turns(&target, &url, turns, GatewayOptions::default()).await?;
        progress(&format!(
            "{} tool turn: {sandboxed:.2} ms",
            target.kind.name()
        ));
        figure
            .row("tool-call turn (default config)", "ms")
            .set(target.kind, &[sandboxed]);
        if target.kind == Kind::RustyClaw {
            let host = tool_turns(
                &target,
                &url,
                turns,
                GatewayOptions {
                    no_sandbox: true,
                    ..GatewayOptions::default()
                },
            )
            .await?;
            progress(&format!(
                "{} tool turn without sandbox: {host:.2} ms",
                target.kind.name()
            ));
            figure
                .row("tool-call turn, sandbox off", "ms")
                .set(target.kind, &[host]);
            let row = figure.row("sandbox overhead", "ms");
            row.set(target.kind, &[sandboxed - host]);
            row.goal = Some(Goal::AtMost(10.0));
        }
    }
    Ok(figure)
}

/// Median latency (ms) of `turns` tool-call turns after one warm-up.
async fn tool_turns(
    target: &Target,
    url: &str,
    turns: u64,
    options: GatewayOptions,
) -> Result<f64> {
    let mut gateway = target.start(url, options)?;
    gateway.wait_ready(super::startup::READY_LIMIT).await?;
    let mut client = Client::connect(&gateway.endpoint, None).await?;
    let mut samples = Vec::new();
    let mut outcome = Ok(());
    for i in 0..=turns {
        match drive::turn(&mut client, "bench-tool", TOOL_PROMPT).await {
            Ok(took) if i > 0 => samples.push(ms(took)),
            Ok(_) => {}
            Err(error) => {
                outcome = Err(error);
                break;
            }
        }
    }
    if outcome.is_ok() {
        outcome = check_tool_ran(&mut client).await;
    }
    client.close().await;
    gateway.stop().await;
    outcome?;
    Ok(percentile(&samples, 50.0).unwrap_or(f64::NAN))
}

/// Fails unless the session's last tool result is a success: a turn whose `exec` was refused
/// would otherwise be timed as if it had run.
async fn check_tool_ran(client: &mut Client) -> Result<()> {
    let history = client
        .request(
            "chat.history",
            serde_json::json!({"sessionKey": "bench-tool", "limit": 10}),
        )
        .await?;
    let result = history["messages"]
        .as_array()
        .and_then(|messages| messages.iter().rev().find(|m| m["role"] == "toolResult"))
        .ok_or_else(|| anyhow::anyhow!("no tool result in the session: {history}"))?;
    if result["isError"] == true {
        anyhow::bail!("the exec tool call failed: {}", result["content"]);
    }
    Ok(())
}
