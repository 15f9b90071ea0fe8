//! `rustyclaw channels list|status|add|remove|logout`: the chat channel accounts, with OpenClaw's
//! flags and output (`openclaw channels`).
//!
//! `list`, `add` and `remove` work on the config file (the accounts as configured, and
//! comment-preserving edits of them; a running gateway picks edits up through its config
//! watch); `status` and `logout` ask the running gateway, which owns the live accounts.

mod edit;
mod list;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use rustyclaw_config::{
    AccountSettings, ConfigError, IrcAccountSettings, LoadedConfig, TelegramAccountSettings,
};

use crate::UserError;
use crate::args::{GatewayTargetArgs, JsonFlag};
use crate::context::Context;

/// `channels` subcommands (OpenClaw's names).
#[derive(Debug, Subcommand)]
pub enum ChannelsCommand {
    /// The channel accounts configured in openclaw.json: enabled or not, the default one, and
    /// whether their credentials are there (never the credentials themselves).
    List(JsonFlag),
    /// The live state of every channel account, from the running gateway (`--probe` checks
    /// each account's credentials and connection with its platform).
    Status(StatusArgs),
    /// Add a channel account to the config, or update one (`--channel telegram --token …`,
    /// `--channel irc --host … --nick … --channels '#a,#b'`).
    Add(Box<AddArgs>),
    /// Disable a channel account in the config, keeping its settings; `--delete` removes them.
    Remove(RemoveArgs),
    /// Log a channel account out through the running gateway: it stops, and its saved
    /// credentials are cleared.
    Logout(LogoutArgs),
}

/// `channels status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this channel (`all` for every one).
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// Check each account's credentials and connection live.
    #[arg(long)]
    pub probe: bool,
    /// Give up after this many milliseconds (the gateway bounds probes to 30 s).
    #[arg(long, value_name = "MS", default_value_t = 60_000)]
    pub timeout: u64,
    /// Machine-readable JSON output (the gateway's `channels.status` answer).
    #[arg(long)]
    pub json: bool,
    /// Where the gateway is.
    #[command(flatten)]
    pub gateway: GatewayTargetArgs,
}

/// `channels add`: the shared options, then each channel's own (upstream's flag names).
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The channel (`telegram`, `irc`), instead of `--channel`.
    #[arg(value_name = "CHANNEL")]
    pub channel_arg: Option<String>,
    /// The channel (`telegram`, `irc`).
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// The account (default: `default`, the channel's own settings).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// The account's display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Telegram: the bot token from @BotFather (written to the config).
    #[arg(long, value_name = "TOKEN", help_heading = "Telegram")]
    pub token: Option<rustyclaw_config::Secret>,
    /// Telegram: a file holding the bot token.
    #[arg(long, value_name = "PATH", help_heading = "Telegram")]
    pub token_file: Option<PathBuf>,
    /// Telegram: use TELEGRAM_BOT_TOKEN; IRC: use IRC_HOST, IRC_NICK, … (default account only).
    #[arg(long)]
    pub use_env: bool,
    /// IRC: the server host.
    #[arg(long, value_name = "HOST", help_heading = "IRC")]
    pub host: Option<String>,
    /// IRC: the server port (default 6697 with TLS, 6667 without).
    #[arg(long, value_name = "PORT", help_heading = "IRC")]
    pub port: Option<u16>,
    /// IRC: connect with TLS (the default unless the config says otherwise).
    #[arg(long, help_heading = "IRC")]
    pub tls: bool,
    /// IRC: the nickname.
    #[arg(long, value_name = "NICK", help_heading = "IRC")]
    pub nick: Option<String>,
    /// IRC: the user name.
    #[arg(long, value_name = "NAME", help_heading = "IRC")]
    pub username: Option<String>,
    /// IRC: the real name.
    #[arg(long, value_name = "NAME", help_heading = "IRC")]
    pub realname: Option<String>,
    /// IRC: channels to join, comma-separated (`'#a,#b'`).
    #[arg(long, value_name = "NAMES", help_heading = "IRC")]
    pub channels: Option<String>,
    /// IRC: the server password (written to the config).
    #[arg(long, value_name = "PASSWORD", help_heading = "IRC")]
    pub password: Option<rustyclaw_config::Secret>,
}

/// `channels remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The channel (`telegram`, `irc`), instead of `--channel`.
    #[arg(value_name = "CHANNEL")]
    pub channel_arg: Option<String>,
    /// The channel.
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// The account (default: `default`).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Remove the account's settings instead of disabling it.
    #[arg(long)]
    pub delete: bool,
}

/// `channels logout`.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The channel (inferred when only one is configured).
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// The account (default: the channel's default account).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Give up after this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    pub timeout: u64,
    /// Machine-readable JSON output.
    #[arg(long)]
    pub json: bool,
    /// Where the gateway is.
    #[command(flatten)]
    pub gateway: GatewayTargetArgs,
}

/// Runs a `channels` subcommand.
pub fn run(
    ctx: &Context,
    loaded: Result<LoadedConfig, ConfigError>,
    cmd: ChannelsCommand,
) -> anyhow::Result<ExitCode> {
    match cmd {
        ChannelsCommand::List(flag) => list::run(&loaded?, flag.json),
        ChannelsCommand::Status(args) => status::status(&loaded?, &args),
        ChannelsCommand::Add(args) => edit::add(ctx, &loaded?, &args),
        ChannelsCommand::Remove(args) => edit::remove(ctx, &loaded?, &args),
        ChannelsCommand::Logout(args) => status::logout(&loaded?, &args),
    }
}

/// A chat channel rustyclaw runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Telegram,
    Irc,
}

impl Kind {
    const ALL: [Kind; 2] = [Kind::Telegram, Kind::Irc];

    fn id(self) -> &'static str {
        match self {
            Kind::Telegram => "telegram",
            Kind::Irc => "irc",
        }
    }

    /// Its name for people (upstream's channel labels).
    fn label(self) -> &'static str {
        match self {
            Kind::Telegram => "Telegram",
            Kind::Irc => "IRC",
        }
    }

    /// The channel named `raw` (as typed: any case, surrounding blanks).
    fn parse(raw: &str) -> anyhow::Result<Kind> {
        let id = raw.trim().to_ascii_lowercase();
        Kind::ALL.into_iter().find(|k| k.id() == id).ok_or_else(|| {
            UserError::new(if id.is_empty() {
                "the channel must not be blank".to_owned()
            } else {
                format!("rustyclaw does not run a {id} channel")
            })
            .hint("the channels rustyclaw runs are telegram and irc")
            .into()
        })
    }
}

/// The label of channel `id` (the id itself for a channel rustyclaw does not run).
fn label_of(id: &str) -> &str {
    match Kind::ALL.into_iter().find(|k| k.id() == id) {
        Some(kind) => kind.label(),
        None => id,
    }
}

/// The channel of a command: the positional one or `--channel` (not both, unless equal).
fn channel_of(positional: Option<&str>, flag: Option<&str>) -> anyhow::Result<Kind> {
    match (positional, flag) {
        (Some(a), Some(b)) if !a.trim().eq_ignore_ascii_case(b.trim()) => {
            Err(UserError::new(format!("two channels given: {a} and --channel {b}")).into())
        }
        (Some(one), _) | (None, Some(one)) => Kind::parse(one),
        (None, None) => Err(UserError::new("which channel? pass --channel <name>")
            .hint("the channels rustyclaw runs are telegram and irc")
            .into()),
    }
}

/// An explicit `--account`: trimmed, and refused when blank (an unset shell variable must not
/// select the default account by accident, as upstream refuses it).
fn account_of(flag: Option<&str>) -> anyhow::Result<Option<String>> {
    match flag.map(str::trim) {
        None => Ok(None),
        Some("") => Err(UserError::new("--account must not be blank")
            .hint("omit --account for the default account")
            .into()),
        Some(id) if id.chars().any(|c| c.is_whitespace() || c == '.') => Err(UserError::new(
            format!("invalid account id {id:?}: use letters, digits, - and _"),
        )
        .into()),
        Some(id) => Ok(Some(id.to_owned())),
    }
}

/// One configured account as the config resolves it.
struct ConfiguredAccount<'a> {
    kind: Kind,
    settings: &'a AccountSettings,
    /// `key=value` facts about its connection settings (never a secret).
    facts: Vec<String>,
}

impl ConfiguredAccount<'_> {
    /// It has what it needs to connect.
    fn configured(&self) -> bool {
        self.settings.problems.is_empty()
    }
}

/// Every configured account of `kind`, in the config's order.
fn accounts(loaded: &LoadedConfig, kind: Kind) -> Vec<ConfiguredAccount<'_>> {
    let resolved = &loaded.config.channel_accounts;
    match kind {
        Kind::Telegram => resolved.telegram.iter().map(telegram_account).collect(),
        Kind::Irc => resolved.irc.iter().map(irc_account).collect(),
    }
}

fn telegram_account(account: &TelegramAccountSettings) -> ConfiguredAccount<'_> {
    let mut facts = vec![format!(
        "token={}",
        if account.bot_token.is_some() {
            "present"
        } else {
            "missing"
        }
    )];
    if account.webhook_url.is_some() {
        facts.push("mode=webhook".to_owned());
    }
    ConfiguredAccount {
        kind: Kind::Telegram,
        settings: &account.common,
        facts,
    }
}

fn irc_account(account: &IrcAccountSettings) -> ConfiguredAccount<'_> {
    let mut facts = Vec::new();
    if let Some(host) = &account.host {
        let tls = if account.tls { " (tls)" } else { "" };
        facts.push(format!("server={host}:{}{tls}", account.port));
    }
    if let Some(nick) = &account.nick {
        facts.push(format!("nick={nick}"));
    }
    if !account.channels.is_empty() {
        facts.push(format!("channels={}", account.channels.join(",")));
    }
    facts.push(format!(
        "password={}",
        if account.password.is_some() {
            "present"
        } else {
            "none"
        }
    ));
    ConfiguredAccount {
        kind: Kind::Irc,
        settings: &account.common,
        facts,
    }
}

/// The account of `kind` used when none is named: `channels.<id>.defaultAccount` when it names
/// a configured account, else `default`, else the first (upstream
/// `resolveChannelDefaultAccountId`).
fn default_account<'a>(
    loaded: &'a LoadedConfig,
    kind: Kind,
    accounts: &'a [ConfiguredAccount<'_>],
) -> Option<&'a str> {
    let ids: Vec<&str> = accounts
        .iter()
        .map(|a| a.settings.account_id.as_str())
        .collect();
    let configured = loaded
        .config
        .channel_accounts
        .default_accounts
        .get(kind.id())
        .map(String::as_str)
        .filter(|id| ids.contains(id));
    configured
        .or_else(|| ids.iter().copied().find(|id| *id == "default"))
        .or_else(|| ids.first().copied())
}
