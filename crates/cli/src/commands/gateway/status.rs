//! `rustyclaw gateway status`: whether a gateway answers at the configured URL, and what it
//! says about itself (version, uptime, auth mode, connected clients, sessions).
//!
//! Upstream's `openclaw gateway status` also reports the state of the service manager unit
//! (launchd/systemd) it installs; rustyclaw installs none, so this reports only what the gateway
//! itself answers.

use std::process::ExitCode;

use rustyclaw_config::LoadedConfig;
use serde_json::{Value, json};

use crate::args::GatewayStatusArgs;
use crate::gateway_client::{Connection, OpenError, Target, block_on};
use crate::output;

/// Runs `gateway status`: exit 0 when the gateway answered, 1 when it did not.
pub(super) fn run(loaded: &LoadedConfig, args: &GatewayStatusArgs) -> anyhow::Result<ExitCode> {
    let target = Target::new(
        loaded,
        args.url.as_deref(),
        args.token.as_deref(),
        args.timeout,
    );
    let report = block_on(async {
        let probe = tokio::time::timeout(target.timeout, probe(&target)).await;
        Ok(match probe {
            Ok(Ok(report)) => report,
            Ok(Err(error)) => unreachable(&target.url, &error),
            Err(_) => unreachable(
                &target.url,
                &format!("no answer within {:?}", target.timeout),
            ),
        })
    })?;
    if args.json {
        output::json(&report);
    } else {
        print_human(&report);
    }
    Ok(if report["reachable"] == true {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn unreachable(url: &str, error: &str) -> Value {
    json!({"reachable": false, "url": url, "error": error})
}

/// Connects, then asks `health` and `status`; a failure is returned as the reason.
async fn probe(target: &Target) -> Result<Value, String> {
    let mut connection = Connection::open(target)
        .await
        .map_err(|error| match error {
            OpenError::Unreachable { reason, .. } => reason,
            OpenError::Failed(error) => error.to_string(),
        })?;
    let health = connection
        .request("health", json!({}))
        .await
        .map_err(|e| e.to_string())?;
    let status = connection
        .request("status", json!({}))
        .await
        .map_err(|e| e.to_string())?;
    let hello = std::mem::take(&mut connection.hello);
    connection.close().await;
    let snapshot = &hello["snapshot"];
    // Every agent's session count; the health snapshot counts sessions per agent.
    let sessions: u64 = health["agents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|agent| agent.pointer("/sessions/count").and_then(Value::as_u64))
        .sum();
    Ok(json!({
        "reachable": true,
        "url": target.url,
        "version": status.get("runtimeVersion").unwrap_or(&hello["server"]["version"]),
        "uptimeMs": status.get("uptimeMs").unwrap_or(&snapshot["uptimeMs"]),
        // The gateway's auth mode when its snapshot says it; else how this probe authenticated.
        "authMode": snapshot.get("authMode").filter(|m| !m.is_null()).unwrap_or(&hello["auth"]["method"]),
        "protocol": hello["protocol"],
        // The presence list includes this probe's own connection.
        "clients": snapshot["presence"].as_array().map(Vec::len),
        "sessions": sessions,
        "defaultAgentId": health["defaultAgentId"],
    }))
}

fn print_human(report: &Value) {
    let url = report["url"].as_str().unwrap_or_default();
    if report["reachable"] != true {
        output::out(&format!("Gateway: unreachable at {url}"));
        if let Some(error) = report["error"].as_str() {
            output::out(&format!("Reason: {error}"));
        }
        return;
    }
    output::out(&format!("Gateway: reachable at {url}"));
    let text = |key: &str| match &report[key] {
        Value::String(s) => s.clone(),
        Value::Null => "unknown".to_owned(),
        other => other.to_string(),
    };
    output::out(&format!("Version: {}", text("version")));
    if let Some(ms) = report["uptimeMs"].as_u64() {
        output::out(&format!("Uptime: {}", duration(ms)));
    }
    output::out(&format!("Auth: {}", text("authMode")));
    if let Some(clients) = report["clients"].as_u64() {
        output::out(&format!(
            "Clients: {clients} connected (this probe included)"
        ));
    }
    output::out(&format!("Sessions: {}", text("sessions")));
}

/// `3723000` → `1h 2m 3s`.
fn duration(ms: u64) -> String {
    let seconds = ms / 1000;
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}h {m}m {s}s")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn uptime_reads_in_hours_minutes_and_seconds() {
        assert_eq!(duration(999), "0s");
        assert_eq!(duration(61_000), "1m 1s");
        assert_eq!(duration(3_723_000), "1h 2m 3s");
    }
}
