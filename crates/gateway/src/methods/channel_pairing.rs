//! `channels.pairing.list`, `channels.pairing.approve`, `channels.pairing.dismiss`: the DM
//! pairing requests of chat channels (an unknown sender writing to an account with
//! `dmPolicy: pairing` gets a code and waits), answered from a client such as the Control UI,
//! as `rustyclaw pairing` answers them in a terminal. The request id is the pairing code.
//!
//! `notify` queues the "access approved" message on the channel's delivery queue, which the
//! running channel sends (and retries) like any reply. `bootstrapCommandOwner` is answered
//! `unavailable`: making the first approved sender the command owner edits the config file,
//! which `rustyclaw pairing approve` does.

use rustyclaw_protocol::origin::ChannelId;
use rustyclaw_protocol::transcript::format_timestamp;
use rustyclaw_store::{MAX_PENDING_PAIRINGS, PAIRING_TTL_MS, PairingRequest};
use rustyclaw_support::now_ms_i64;
use serde_json::{Value, json};

use super::config::params::check_keys;
use super::{PAIRING, READ, Reply, invalid, string_param, unavailable, unhandled};
use crate::state::GatewayState;

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("channels.pairing.list", READ),
    ("channels.pairing.approve", PAIRING),
    ("channels.pairing.dismiss", PAIRING),
];

pub(super) async fn call(state: &GatewayState, method: &str, params: &Value) -> Reply {
    match method {
        "channels.pairing.list" => list(state, params).await,
        "channels.pairing.approve" => resolve(state, params, true).await,
        "channels.pairing.dismiss" => resolve(state, params, false).await,
        _ => unhandled(method),
    }
}

/// `{channel?, accountId?}` → the accounts that take pairing requests and the pending ones.
async fn list(state: &GatewayState, params: &Value) -> Reply {
    check_keys("channels.pairing.list", params, &["channel", "accountId"])?;
    let channel = params
        .get("channel")
        .and_then(Value::as_str)
        .map(ChannelId::new);
    let account = params.get("accountId").and_then(Value::as_str);
    let config = state.config();
    let accounts: Vec<Value> = config
        .channel_accounts
        .telegram
        .iter()
        .map(|a| &a.common)
        .chain(config.channel_accounts.irc.iter().map(|a| &a.common))
        .filter(|a| channel.as_ref().is_none_or(|c| c.as_str() == a.channel))
        .filter(|a| account.is_none_or(|id| id.eq_ignore_ascii_case(&a.account_id)))
        .map(|a| {
            let mut entry = json!({
                "channel": a.channel,
                "channelLabel": label(a.channel),
                "accountId": a.account_id,
                "notifySupported": true,
            });
            if let Some(name) = a.name.as_deref().filter(|n| !n.is_empty()) {
                entry["accountLabel"] = json!(name);
            }
            entry
        })
        .collect();
    let mut requests = state
        .0
        .store
        .list_pairing_requests(channel.as_ref(), now_ms_i64())
        .await
        .map_err(|e| unavailable("listing pairing requests", &e))?;
    if let Some(account) = account {
        requests.retain(|r| r.account.as_str().eq_ignore_ascii_case(account.trim()));
    }
    let owners = config.commands.owner_allow_from.as_ref();
    Ok(json!({
        "accounts": accounts,
        "requests": requests.iter().map(request_json).collect::<Vec<_>>(),
        "commandOwnerConfigured": owners.is_some_and(|o| !o.is_empty()),
        "limits": {"pendingPerAccount": MAX_PENDING_PAIRINGS, "ttlMs": PAIRING_TTL_MS},
    }))
}

/// Approves (or dismisses) the request `{channel, accountId, requestId}`.
async fn resolve(state: &GatewayState, params: &Value, approve: bool) -> Reply {
    let method = if approve {
        "channels.pairing.approve"
    } else {
        "channels.pairing.dismiss"
    };
    let allowed: &[&str] = if approve {
        &[
            "channel",
            "accountId",
            "requestId",
            "notify",
            "bootstrapCommandOwner",
        ]
    } else {
        &["channel", "accountId", "requestId"]
    };
    check_keys(method, params, allowed)?;
    let channel = ChannelId::new(string_param(params, "channel")?);
    let account = string_param(params, "accountId")?;
    let code = string_param(params, "requestId")?.trim().to_uppercase();
    let now = now_ms_i64();
    let store = &state.0.store;
    let pending = store
        .list_pairing_requests(Some(&channel), now)
        .await
        .map_err(|e| unavailable("listing pairing requests", &e))?;
    if !pending
        .iter()
        .any(|r| r.code == code && r.account.as_str().eq_ignore_ascii_case(account))
    {
        return Err(invalid(format!(
            "no pending {} pairing request {code} for account {account}",
            channel.as_str()
        )));
    }
    let resolved = if approve {
        store.approve_pairing(&channel, &code, now).await
    } else {
        store.reject_pairing(&channel, &code, now).await
    }
    .map_err(|e| unavailable("resolving the pairing request", &e))?
    .ok_or_else(|| invalid(format!("no pending pairing request {code}")))?;
    tracing::info!(
        channel = channel.as_str(),
        account = resolved.account.as_str(),
        approved = approve,
        "chat pairing request answered from a gateway client"
    );
    if !approve {
        return Ok(json!({"requestId": code, "senderId": resolved.sender.as_str()}));
    }
    let notification = if params.get("notify").and_then(Value::as_bool) == Some(true) {
        match store
            .enqueue_delivery(&crate::pairing_notice::approval_notice(&resolved, now))
            .await
        {
            Ok(_) => "sent",
            Err(error) => {
                tracing::warn!(%error, "could not queue the pairing approval notice");
                "failed"
            }
        }
    } else {
        "not-requested"
    };
    let owner = if params.get("bootstrapCommandOwner").and_then(Value::as_bool) == Some(true) {
        "unavailable"
    } else {
        "not-requested"
    };
    Ok(json!({
        "requestId": code,
        "senderId": resolved.sender.as_str(),
        "notification": notification,
        "commandOwnerBootstrap": owner,
    }))
}

/// A request in upstream's shape.
fn request_json(request: &PairingRequest) -> Value {
    let sender_label = request
        .meta
        .get("username")
        .or_else(|| request.meta.get("name"))
        .map_or_else(|| request.sender.as_str().to_owned(), Clone::clone);
    json!({
        "requestId": request.code,
        "channel": request.channel.as_str(),
        "channelLabel": label(request.channel.as_str()),
        "accountId": request.account.as_str(),
        "senderId": request.sender.as_str(),
        "senderLabel": sender_label,
        "metadata": request.meta,
        "createdAt": format_timestamp(request.created_ms),
        "lastSeenAt": format_timestamp(request.last_seen_ms),
        "expiresAt": format_timestamp(request.expires_ms()),
        "notifySupported": true,
    })
}

/// A channel's display name.
fn label(channel: &str) -> String {
    match channel {
        "irc" => "IRC".to_owned(),
        "telegram" => "Telegram".to_owned(),
        other => {
            let mut chars = other.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}
