//! `rustyclaw pairing list|approve|reject`: DM pairing requests of chat channels, on the
//! database the gateway uses. An unknown sender who writes to a channel with `dmPolicy: pairing`
//! gets a code; approving it here adds the sender to the channel's paired senders, which the
//! gateway reads for every message, so the sender's next message is answered (OpenClaw's
//! `openclaw pairing`, same arguments and output).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use rustyclaw_config::LoadedConfig;
use rustyclaw_protocol::origin::ChannelId;
use rustyclaw_store::{PairingRequest, Store};
use rustyclaw_support::now_ms_i64;
use serde_json::json;

use crate::UserError;
use crate::context::Context;
use crate::output;

/// `pairing` subcommands (OpenClaw's names, plus `reject`).
#[derive(Debug, Subcommand)]
pub enum PairingCommand {
    /// List pending pairing requests.
    List(ListArgs),
    /// Approve a pairing code and allow that sender.
    Approve(ResolveArgs),
    /// Reject a pairing code (the sender may ask again later).
    Reject(ResolveArgs),
}

/// `pairing list [channel]`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Channel (as the positional argument).
    channel: Option<String>,
    /// Channel.
    #[arg(long = "channel", value_name = "CHANNEL")]
    channel_flag: Option<String>,
    /// Account id (for multi-account channels).
    #[arg(long, value_name = "ACCOUNT_ID")]
    account: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `pairing approve|reject <codeOrChannel> [code]`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// Pairing code (or channel when using 2 args).
    code_or_channel: String,
    /// Pairing code (when channel is passed as the 1st arg).
    code: Option<String>,
    /// Channel.
    #[arg(long = "channel", value_name = "CHANNEL")]
    channel_flag: Option<String>,
    /// Account id (for multi-account channels).
    #[arg(long, value_name = "ACCOUNT_ID")]
    account: Option<String>,
    /// Notify the requester on the same channel (queued until the channel delivers it).
    #[arg(long)]
    notify: bool,
}

/// Runs a `pairing` subcommand.
pub fn run(
    ctx: &Context,
    loaded: Result<LoadedConfig, rustyclaw_config::ConfigError>,
    cmd: PairingCommand,
) -> anyhow::Result<ExitCode> {
    let configured: Vec<String> = match &loaded {
        Ok(loaded) => loaded
            .config
            .channels
            .configured_ids()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        Err(_) => Vec::new(),
    };
    // Upstream's CLI makes the first sender it approves the command owner when none is set.
    let needs_owner = loaded.as_ref().is_ok_and(|loaded| {
        loaded
            .config
            .commands
            .owner_allow_from
            .as_ref()
            .is_none_or(|owners| owners.is_empty())
    });
    super::runtime()?.block_on(async move {
        let store = ctx.open_store().await?;
        match cmd {
            PairingCommand::List(args) => list(&store, &configured, args).await,
            PairingCommand::Approve(args) => {
                let approved = resolve(&store, &configured, args, true).await?;
                if let (Some(owner), true) = (approved.owner_entry(), needs_owner) {
                    make_owner(ctx, &owner)?;
                }
                Ok(approved.code)
            }
            PairingCommand::Reject(args) => {
                Ok(resolve(&store, &configured, args, false).await?.code)
            }
        }
    })
}

async fn list(store: &Store, configured: &[String], args: ListArgs) -> anyhow::Result<ExitCode> {
    let channel = pick_channel(
        configured,
        args.channel_flag.as_deref(),
        args.channel.as_deref(),
    )?;
    let requests = pending(store, &channel, args.account.as_deref()).await?;
    if args.json {
        output::json(&json!({
            "channel": channel.as_str(),
            "requests": requests.iter().map(request_json).collect::<Vec<_>>(),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    if requests.is_empty() {
        output::out(&format!(
            "No pending {} pairing requests.",
            channel.as_str()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!("Pairing requests ({})\n", requests.len());
    for r in &requests {
        let meta = if r.meta.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&r.meta).unwrap_or_default()
        };
        text.push_str(&format!(
            "  {}  {}  {}  {}\n",
            r.code,
            r.sender.as_str(),
            meta,
            iso(r.created_ms)
        ));
    }
    output::out(text.trim_end());
    Ok(ExitCode::SUCCESS)
}

/// What `approve` or `reject` did: the exit code, and the sender approved.
struct Resolved {
    code: ExitCode,
    approved: Option<(String, String)>,
}

impl Resolved {
    fn done(code: ExitCode) -> Self {
        Self {
            code,
            approved: None,
        }
    }

    /// The `commands.ownerAllowFrom` entry of the sender approved (`telegram:123`).
    fn owner_entry(&self) -> Option<String> {
        self.approved
            .as_ref()
            .map(|(channel, sender)| format!("{channel}:{sender}"))
    }
}

/// Writes `owner` as the only `commands.ownerAllowFrom` entry (comments kept, `.bak` written).
fn make_owner(ctx: &Context, owner: &str) -> anyhow::Result<()> {
    use rustyclaw_config::edit::{Edit, edit_text, replace_file};
    let path = &ctx.locations.config_path;
    let text = rustyclaw_config::read_optional(path)?.unwrap_or_default();
    let at = rustyclaw_config::JsonPath::root()
        .key("commands")
        .key("ownerAllowFrom");
    let text = edit_text(&text, &at, &Edit::Set(serde_json::json!([owner])))?;
    let outcome = replace_file(path, &text)?;
    output::warnings(&outcome.warnings);
    if outcome.changed {
        output::out(&format!(
            "Made {owner} the command owner (commands.ownerAllowFrom): it may approve host commands with /approve."
        ));
    }
    Ok(())
}

async fn resolve(
    store: &Store,
    configured: &[String],
    args: ResolveArgs,
    approve: bool,
) -> anyhow::Result<Resolved> {
    // `approve <code>` or `approve <channel> <code>`, as upstream.
    let (positional_channel, code) = match &args.code {
        Some(code) => (Some(args.code_or_channel.as_str()), code.as_str()),
        None => (None, args.code_or_channel.as_str()),
    };
    let channel = pick_channel(configured, args.channel_flag.as_deref(), positional_channel)?;
    let code = code.trim().to_uppercase();
    let requests = pending(store, &channel, args.account.as_deref()).await?;
    let not_found = || {
        UserError::new(format!(
            "No pending pairing request found for code \"{code}\"."
        ))
        .hint(format!(
            "run `rustyclaw pairing list --channel {}` to list pending requests",
            channel.as_str()
        ))
    };
    if !requests.iter().any(|r| r.code == code) {
        return Err(not_found().into());
    }
    let now = now_ms_i64();
    let resolved = if approve {
        store.approve_pairing(&channel, &code, now).await?
    } else {
        store.reject_pairing(&channel, &code, now).await?
    };
    let Some(request) = resolved else {
        return Err(not_found().into());
    };
    if !approve {
        output::out(&format!(
            "Rejected the {} pairing request of {}.",
            channel.as_str(),
            request.sender.as_str()
        ));
        return Ok(Resolved::done(ExitCode::SUCCESS));
    }
    output::out(&format!(
        "Approved {} sender {}.",
        channel.as_str(),
        request.sender.as_str()
    ));
    if args.notify {
        let notice = rustyclaw_gateway::pairing_notice::approval_notice(&request, now);
        store.enqueue_delivery(&notice).await?;
        output::out(&format!(
            "The requester will be told as soon as the {} channel delivers it.",
            channel.as_str()
        ));
    }
    Ok(Resolved {
        code: ExitCode::SUCCESS,
        approved: Some((
            channel.as_str().to_owned(),
            request.sender.as_str().to_owned(),
        )),
    })
}

/// The pending requests of `channel` (of one account when `account` is given).
async fn pending(
    store: &Store,
    channel: &ChannelId,
    account: Option<&str>,
) -> anyhow::Result<Vec<PairingRequest>> {
    let mut requests = store
        .list_pairing_requests(Some(channel), now_ms_i64())
        .await?;
    if let Some(account) = account {
        requests.retain(|r| r.account.as_str().eq_ignore_ascii_case(account.trim()));
    }
    Ok(requests)
}

/// The channel named by `--channel` or the positional argument, or the only one configured.
fn pick_channel(
    configured: &[String],
    flag: Option<&str>,
    positional: Option<&str>,
) -> Result<ChannelId, UserError> {
    if let (Some(flag), Some(positional)) = (flag, positional)
        && ChannelId::new(flag) != ChannelId::new(positional)
    {
        return Err(UserError::new(format!(
            "Conflicting pairing channels: \"{flag}\" and \"{positional}\"."
        ))
        .hint("pass the channel either positionally or with --channel"));
    }
    match flag.or(positional) {
        Some(named) => Ok(ChannelId::new(named)),
        None => match configured {
            [only] => Ok(ChannelId::new(only)),
            [] => Err(
                UserError::new("No chat DM pairing channels are configured.")
                    .hint("to approve a TUI or device request, use `rustyclaw devices approve`"),
            ),
            many => Err(UserError::new(format!(
                "Channel required (expected one of: {}).",
                many.join(", ")
            ))),
        },
    }
}

/// A request as upstream's `pairing list --json` shows it.
fn request_json(r: &PairingRequest) -> serde_json::Value {
    let mut meta = serde_json::Map::new();
    for (k, v) in &r.meta {
        meta.insert(k.clone(), json!(v));
    }
    meta.insert("accountId".into(), json!(r.account.as_str()));
    json!({
        "id": r.sender.as_str(),
        "code": r.code,
        "createdAt": iso(r.created_ms),
        "lastSeenAt": iso(r.last_seen_ms),
        "meta": meta,
    })
}

/// `ms` as an RFC 3339 UTC timestamp with milliseconds, as JavaScript's `toISOString`.
fn iso(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_channel_comes_from_the_flag_the_argument_or_the_only_one_configured() {
        let one = vec!["telegram".to_owned()];
        let two = vec!["telegram".to_owned(), "irc".to_owned()];
        assert_eq!(pick_channel(&one, None, None).unwrap().as_str(), "telegram");
        assert_eq!(
            pick_channel(&two, Some("IRC"), None).unwrap().as_str(),
            "irc"
        );
        assert_eq!(
            pick_channel(&two, None, Some("irc")).unwrap().as_str(),
            "irc"
        );
        assert!(pick_channel(&two, None, None).is_err());
        assert!(pick_channel(&[], None, None).is_err());
        assert!(pick_channel(&two, Some("irc"), Some("telegram")).is_err());
        assert!(pick_channel(&two, Some("irc"), Some("IRC")).is_ok());
    }

    #[test]
    fn timestamps_read_as_javascript_writes_them() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_767_225_600_123), "2026-01-01T00:00:00.123Z");
    }
}
