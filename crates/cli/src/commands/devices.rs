//! `rustyclaw devices list|approve|reject|remove`: device pairing, on the same files the gateway
//! uses (`<state dir>/devices/pending.json` and `paired.json`). The gateway reads them on every
//! connect and call, so a device approved here can connect at once, even while it runs.

use std::process::ExitCode;

use clap::Subcommand;
use rustyclaw_gateway::device::{DeviceError, DeviceStore, PairedDevice, PendingRequest};
use rustyclaw_support::now_ms;
use serde_json::json;

use crate::UserError;
use crate::args::JsonFlag;
use crate::context::Context;
use crate::output;

/// `devices` subcommands (OpenClaw's names).
#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// Pending pairing requests and paired devices (token secrets are never shown).
    List(JsonFlag),
    /// Approve a pending request: the device is paired and gets a device token.
    Approve {
        /// The request id (from `devices list`).
        request_id: String,
    },
    /// Reject a pending request.
    Reject {
        /// The request id (from `devices list`).
        request_id: String,
    },
    /// Unpair a device; its tokens stop working.
    Remove {
        /// The device id (from `devices list`).
        device_id: String,
    },
}

/// Runs a `devices` subcommand.
pub fn run(ctx: &Context, cmd: DevicesCommand) -> anyhow::Result<ExitCode> {
    let store = DeviceStore::in_state_dir(&ctx.locations.state_dir);
    let now = now_ms();
    match cmd {
        DevicesCommand::List(flag) => list(&store, now, flag.json),
        DevicesCommand::Approve { request_id } => {
            let (request, device) = store.approve(request_id.trim(), now).map_err(user_error)?;
            output::out(&format!(
                "Approved {} ({}) as {}.",
                short(&device.device_id),
                describe_client(request.client_id.as_deref(), request.platform.as_deref()),
                device.approved_roles().join(", "),
            ));
            Ok(ExitCode::SUCCESS)
        }
        DevicesCommand::Reject { request_id } => {
            let request = store.reject(request_id.trim(), now).map_err(user_error)?;
            output::out(&format!(
                "Rejected the pairing request of {}.",
                short(&request.device_id)
            ));
            Ok(ExitCode::SUCCESS)
        }
        DevicesCommand::Remove { device_id } => {
            let device = store.remove(device_id.trim(), now).map_err(user_error)?;
            output::out(&format!("Removed {}.", short(&device.device_id)));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn list(store: &DeviceStore, now: u64, json: bool) -> anyhow::Result<ExitCode> {
    let pairing = store.list(now).map_err(user_error)?;
    if json {
        output::json(&json!({
            "pending": pairing.pending,
            "paired": pairing.paired.iter().map(PairedDevice::redacted).collect::<Vec<_>>(),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!("Pending ({})\n", pairing.pending.len());
    for request in &pairing.pending {
        text.push_str(&pending_line(request, now));
    }
    text.push_str(&format!("\nPaired ({})\n", pairing.paired.len()));
    for device in &pairing.paired {
        text.push_str(&paired_line(device));
    }
    if !pairing.pending.is_empty() {
        text.push_str("\nApprove with: rustyclaw devices approve <requestId>\n");
    }
    output::out(&text);
    Ok(ExitCode::SUCCESS)
}

fn pending_line(request: &PendingRequest, now: u64) -> String {
    format!(
        "  {}  device {}  {}  role {}  scopes {}  from {}  {}s ago\n",
        request.request_id,
        short(&request.device_id),
        describe_client(request.client_id.as_deref(), request.platform.as_deref()),
        request.role.as_deref().unwrap_or("operator"),
        join_or_none(request.scopes.as_deref().unwrap_or_default()),
        request.remote_ip.as_deref().unwrap_or("?"),
        now.saturating_sub(request.ts) / 1000,
    )
}

fn paired_line(device: &PairedDevice) -> String {
    let tokens: Vec<String> = device
        .tokens
        .iter()
        .flat_map(|t| t.values())
        .map(|t| {
            let state = if t.revoked_at_ms.is_some() {
                "revoked"
            } else {
                "active"
            };
            format!("{} token {state}", t.role)
        })
        .collect();
    format!(
        "  {}  {}  roles {}  scopes {}  {}\n",
        device.device_id,
        describe_client(device.client_id.as_deref(), device.platform.as_deref()),
        join_or_none(&device.approved_roles()),
        join_or_none(&device.approved_scope_list()),
        join_or_none(&tokens),
    )
}

fn describe_client(client: Option<&str>, platform: Option<&str>) -> String {
    match (client, platform) {
        (Some(c), Some(p)) => format!("{c} on {p}"),
        (Some(c), None) => c.to_owned(),
        (None, Some(p)) => p.to_owned(),
        (None, None) => "unknown client".to_owned(),
    }
}

fn join_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(",")
    }
}

/// The first 12 hex characters of a device id, enough to recognise it.
fn short(device_id: &str) -> &str {
    device_id.get(..12).unwrap_or(device_id)
}

fn user_error(error: DeviceError) -> anyhow::Error {
    let hint = match &error {
        DeviceError::UnknownRequest(_) => {
            "see `rustyclaw devices list`; requests expire after 5 minutes (the device asks again when it reconnects)"
        }
        DeviceError::UnknownDevice(_) => "see `rustyclaw devices list` for paired device ids",
        DeviceError::Malformed { .. } => {
            "fix the file by hand, or move it away to start from an empty one"
        }
        _ => "check the permissions of the state directory",
    };
    let message = match &error {
        DeviceError::UnknownRequest(id) => format!("no pending pairing request {id}"),
        DeviceError::UnknownDevice(id) => format!("no paired device {id}"),
        other => other.to_string(),
    };
    UserError::new(message).hint(hint).into()
}
