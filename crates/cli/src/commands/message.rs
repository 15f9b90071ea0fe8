//! `rustyclaw message send`: a message out through a chat channel of the running gateway (its
//! `send` method), with OpenClaw's flags (`openclaw message send`) and output.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use rustyclaw_config::LoadedConfig;
use serde_json::{Value, json};

use crate::UserError;
use crate::args::GatewayTargetArgs;
use crate::gateway_client::{Target, block_on, call_once};
use crate::output;

/// `message` subcommands.
#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Send a message (text and/or media) to a chat.
    Send(Box<SendArgs>),
}

/// `message send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The channel (`telegram`, `irc`); may be left out when only one is configured.
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// The channel account (default: the channel's default account).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// The chat: a Telegram chat id, `@username` or `<chatId>:topic:<topicId>`; an IRC
    /// `#channel` or nick. Telegram group ids are negative: `--target -100123` works.
    #[arg(short, long, value_name = "DEST", allow_hyphen_values = true)]
    pub target: String,
    /// The text (markdown).
    #[arg(short, long, value_name = "TEXT")]
    pub message: Option<String>,
    /// An attachment: a URL, or a path on the gateway's host (repeat for several, in order).
    #[arg(long, value_name = "PATH_OR_URL")]
    pub media: Vec<String>,
    /// The id of the message this one answers.
    #[arg(long, value_name = "ID")]
    pub reply_to: Option<String>,
    /// The thread or forum topic to post in.
    #[arg(long, value_name = "ID")]
    pub thread_id: Option<String>,
    /// Send without a notification (where the platform can).
    #[arg(long)]
    pub silent: bool,
    /// Print the request instead of sending it.
    #[arg(long)]
    pub dry_run: bool,
    /// Machine-readable JSON output.
    #[arg(long)]
    pub json: bool,
    /// Give up after this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    pub timeout: u64,
    /// Where the gateway is.
    #[command(flatten)]
    pub gateway: GatewayTargetArgs,
}

/// Runs a `message` subcommand.
pub fn run(loaded: &LoadedConfig, cmd: MessageCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        MessageCommand::Send(args) => send(loaded, &args),
    }
}

fn send(loaded: &LoadedConfig, args: &SendArgs) -> anyhow::Result<ExitCode> {
    let params = send_params(args, &std::env::current_dir()?)?;
    let channel = params["channel"].as_str().map(str::to_owned);
    if args.dry_run {
        if args.json {
            output::json(
                &json!({"action": "send", "channel": channel, "dryRun": true,
                                 "handledBy": "dry-run", "payload": params}),
            );
        } else {
            output::out(&format!(
                "Would send through the gateway: {}",
                serde_json::to_string_pretty(&params).unwrap_or_default()
            ));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let target = Target::new(
        loaded,
        args.gateway.url.as_deref(),
        args.gateway.token.as_deref(),
        args.timeout,
    );
    let payload = block_on(async {
        call_once(&target, "send", params)
            .await
            .map_err(anyhow::Error::from)
    })?;
    let channel = payload["channel"].as_str().map(str::to_owned).or(channel);
    let message_id = payload["messageId"].as_str();
    if args.json {
        let mut out = json!({"action": "send", "channel": channel, "dryRun": false,
                             "handledBy": "core", "payload": payload});
        if let Some(id) = message_id {
            out["messageId"] = json!(id);
        }
        output::json(&out);
    } else {
        output::out(&format!(
            "✅ Sent via {}. Message ID: {}",
            channel.as_deref().unwrap_or("gateway"),
            message_id.unwrap_or("unknown")
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The `send` params of `args`. Relative media paths are made absolute against `cwd`: the
/// gateway reads them from its own working directory otherwise.
fn send_params(args: &SendArgs, cwd: &Path) -> anyhow::Result<Value> {
    let blank = |flag: &str| -> anyhow::Error {
        UserError::new(format!("{flag} must not be blank"))
            .hint(format!("omit {flag} to use the default"))
            .into()
    };
    let target = args.target.trim();
    if target.is_empty() {
        return Err(UserError::new("--target must not be blank").into());
    }
    let text = args.message.clone().unwrap_or_default();
    let media: Vec<String> = args
        .media
        .iter()
        .map(|m| m.trim())
        .filter(|m| !m.is_empty())
        .map(|m| absolute_media(m, cwd))
        .collect();
    if text.trim().is_empty() && media.is_empty() {
        return Err(UserError::new("nothing to send")
            .hint("pass --message <text> and/or --media <path-or-url>")
            .into());
    }
    let mut params = json!({
        "to": target,
        "message": text,
        "idempotencyKey": uuid::Uuid::new_v4().to_string(),
    });
    if !media.is_empty() {
        params["mediaUrls"] = json!(media);
    }
    for (flag, key, value) in [
        ("--channel", "channel", &args.channel),
        ("--account", "accountId", &args.account),
        ("--reply-to", "replyToId", &args.reply_to),
        ("--thread-id", "threadId", &args.thread_id),
    ] {
        if let Some(value) = value {
            let value = value.trim();
            if value.is_empty() {
                return Err(blank(flag));
            }
            let value = if key == "channel" {
                value.to_ascii_lowercase()
            } else {
                value.to_owned()
            };
            params[key] = json!(value);
        }
    }
    if args.silent {
        params["silent"] = json!(true);
    }
    Ok(params)
}

/// A URL as given; a path made absolute.
fn absolute_media(source: &str, cwd: &Path) -> String {
    if source.contains("://") {
        return source.to_owned();
    }
    let path = Path::new(source);
    if path.is_absolute() {
        source.to_owned()
    } else {
        cwd.join(path).display().to_string()
    }
}
