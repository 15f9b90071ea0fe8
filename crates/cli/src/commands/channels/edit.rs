//! `channels add` and `channels remove`: comment-preserving edits of a channel account in the
//! config file, all of one command written at once (validated, backed up, atomic).
//!
//! As in OpenClaw, a channel's own settings are its `default` account and an entry of
//! `accounts` is another account inheriting them; `add` writes where the account lives
//! (`channels.telegram` or `channels.telegram.accounts.<id>`) and `remove` disables an account
//! unless asked to `--delete` it. A running gateway applies the change through its config
//! watch (`gateway.reload`).

use std::process::ExitCode;

use rustyclaw_config::edit::{Edit, edit_text, replace_file};
use rustyclaw_config::file::{ChannelSection, ChannelsSection};
use rustyclaw_config::{ExposeSecret, JsonPath, LoadedConfig, read_optional};
use serde_json::{Value, json};

use super::{AddArgs, Kind, RemoveArgs, account_of, accounts, channel_of};
use crate::UserError;
use crate::context::Context;
use crate::output;

/// The id of the account a channel's own settings configure.
const DEFAULT: &str = "default";

/// What the config file says about one channel, for choosing where an edit goes.
struct Section {
    /// `enabled` of the channel.
    enabled: Option<bool>,
    /// The ids under `accounts`, with each one's `enabled`.
    accounts: Vec<(String, Option<bool>)>,
    /// The channel's own credentials are set (they configure the default account).
    own_credentials: bool,
    /// `defaultAccount`.
    default_account: Option<String>,
}

impl Section {
    fn of(channels: Option<&ChannelsSection>, kind: Kind) -> Self {
        fn read<C>(
            section: Option<&ChannelSection<C>>,
            own_credentials: impl Fn(&C) -> bool,
        ) -> Section {
            let Some(section) = section else {
                return Section {
                    enabled: None,
                    accounts: Vec::new(),
                    own_credentials: false,
                    default_account: None,
                };
            };
            Section {
                enabled: section.common.enabled,
                accounts: section
                    .accounts
                    .iter()
                    .flatten()
                    .map(|(id, account)| (id.clone(), account.common.enabled))
                    .collect(),
                own_credentials: own_credentials(&section.credentials),
                default_account: section.default_account.clone(),
            }
        }
        match kind {
            Kind::Telegram => read(channels.and_then(|c| c.telegram.as_ref()), |c| {
                c.bot_token.is_some() || c.token_file.is_some()
            }),
            Kind::Irc => read(channels.and_then(|c| c.irc.as_ref()), |c| c.host.is_some()),
        }
    }

    fn has_account(&self, id: &str) -> bool {
        self.accounts.iter().any(|(a, _)| a == id)
    }
}

fn channel_path(kind: Kind) -> JsonPath {
    JsonPath::root().key("channels").key(kind.id())
}

/// Where `account`'s own settings live: the channel itself for `default` (unless the file has
/// an `accounts.default` entry), else its entry under `accounts`.
fn account_path(kind: Kind, section: &Section, account: &str) -> JsonPath {
    if account == DEFAULT && !section.has_account(DEFAULT) {
        channel_path(kind)
    } else {
        channel_path(kind).key("accounts").key(account)
    }
}

/// Applies `edits` to the config file in one validated, atomic write; returns the outcome's
/// report line parts (the file, its backup) or `None` when nothing changed.
fn write(ctx: &Context, edits: &[(JsonPath, Edit)]) -> anyhow::Result<Option<String>> {
    let path = &ctx.locations.config_path;
    let mut text = read_optional(path)?.unwrap_or_default();
    for (json_path, edit) in edits {
        text = edit_text(&text, json_path, edit)?;
    }
    let outcome = replace_file(path, &text)?;
    output::warnings(&outcome.warnings);
    if !outcome.changed {
        return Ok(None);
    }
    let mut place = outcome.path.display().to_string();
    if let Some(backup) = &outcome.backup {
        place.push_str(&format!(" (backup: {})", backup.display()));
    }
    Ok(Some(place))
}

/// `channels add`.
pub(super) fn add(
    ctx: &Context,
    loaded: &LoadedConfig,
    args: &AddArgs,
) -> anyhow::Result<ExitCode> {
    let kind = channel_of(args.channel_arg.as_deref(), args.channel.as_deref())?;
    let account = account_of(args.account.as_deref())?.unwrap_or_else(|| DEFAULT.to_owned());
    let section = Section::of(loaded.file.channels.as_ref(), kind);
    let exists = accounts(loaded, kind)
        .iter()
        .any(|a| a.settings.account_id == account);
    let base = account_path(kind, &section, &account);
    let mut edits = match kind {
        Kind::Telegram => telegram_edits(loaded, args, &base, &account, exists)?,
        Kind::Irc => irc_edits(loaded, args, &base, &account, exists)?,
    };
    if let Some(name) = &args.name {
        edits.push((base.key("name"), Edit::Set(json!(name))));
    }
    // The account must run once added: lift an `enabled: false` of the channel or the account.
    if section.enabled == Some(false) {
        edits.push((channel_path(kind).key("enabled"), Edit::Set(json!(true))));
    }
    if section
        .accounts
        .iter()
        .any(|(id, enabled)| *id == account && *enabled == Some(false))
    {
        edits.push((base.key("enabled"), Edit::Set(json!(true))));
    }
    if edits.is_empty() {
        // An account updated with nothing to change but its state: make sure it runs.
        edits.push((base.key("enabled"), Edit::Set(json!(true))));
    }
    let verb = if exists { "Updated" } else { "Added" };
    let place = write(ctx, &edits)?;
    let who = format!("{} account {account}", kind.id());
    match place {
        Some(place) => {
            output::out(&format!("{verb} {who} in {place}."));
            super::super::config::record_edit(
                ctx,
                "channels.add",
                &format!("{}/{account}", kind.id()),
            );
        }
        None => output::out(&format!("{who}: no change.")),
    }
    report_problems(ctx, kind, &account);
    output::out(
        "A running gateway applies it through its config watch (gateway.reload); check with \
         `rustyclaw channels status`.",
    );
    Ok(ExitCode::SUCCESS)
}

/// What the reloaded config still finds missing in the account, as warnings.
fn report_problems(ctx: &Context, kind: Kind, account: &str) {
    let Ok(reloaded) = ctx.load_config() else {
        return;
    };
    for configured in accounts(&reloaded, kind) {
        if configured.settings.account_id == account {
            for problem in &configured.settings.problems {
                output::err(&format!("warning: {problem}"));
            }
        }
    }
}

/// Flags of the other channel, refused rather than ignored.
fn foreign_flags(args: &AddArgs, kind: Kind) -> Vec<&'static str> {
    let telegram = [
        ("--token", args.token.is_some()),
        ("--token-file", args.token_file.is_some()),
    ];
    let irc = [
        ("--host", args.host.is_some()),
        ("--port", args.port.is_some()),
        ("--tls", args.tls),
        ("--nick", args.nick.is_some()),
        ("--username", args.username.is_some()),
        ("--realname", args.realname.is_some()),
        ("--channels", args.channels.is_some()),
        ("--password", args.password.is_some()),
    ];
    let foreign: &[(&'static str, bool)] = match kind {
        Kind::Telegram => &irc,
        Kind::Irc => &telegram,
    };
    foreign
        .iter()
        .filter(|(_, given)| *given)
        .map(|(flag, _)| *flag)
        .collect()
}

fn refuse_foreign(args: &AddArgs, kind: Kind) -> anyhow::Result<()> {
    match foreign_flags(args, kind).first() {
        Some(flag) => Err(
            UserError::new(format!("{flag} is not an option of {}", kind.id()))
                .hint(format!(
                    "see `rustyclaw channels add --help` for {}'s options",
                    kind.id()
                ))
                .into(),
        ),
        None => Ok(()),
    }
}

/// `--use-env` fills the default account only, and needs the variables set.
fn check_env(
    loaded: &LoadedConfig,
    kind: Kind,
    account: &str,
    vars: &[&str],
) -> anyhow::Result<()> {
    if account != DEFAULT {
        return Err(UserError::new(format!(
            "--use-env configures only {}'s default account",
            kind.id()
        ))
        .hint("drop --account, or give the account its own credentials")
        .into());
    }
    let missing: Vec<&str> = vars
        .iter()
        .copied()
        .filter(|var| loaded.env.non_empty(var).is_none())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(
            UserError::new(format!("--use-env: {} not set", missing.join(", ")))
                .hint("set it in the environment the gateway runs with, or in <state dir>/.env")
                .into(),
        )
    }
}

fn telegram_edits(
    loaded: &LoadedConfig,
    args: &AddArgs,
    base: &JsonPath,
    account: &str,
    exists: bool,
) -> anyhow::Result<Vec<(JsonPath, Edit)>> {
    refuse_foreign(args, Kind::Telegram)?;
    let given = [
        args.token.is_some(),
        args.token_file.is_some(),
        args.use_env,
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(
            UserError::new("--token, --token-file and --use-env exclude each other").into(),
        );
    }
    let mut edits = Vec::new();
    // The file wins over the token, and either over the environment: clear what would shadow
    // the credential given.
    if let Some(token) = &args.token {
        edits.push((
            base.key("botToken"),
            Edit::Set(json!(token.expose_secret())),
        ));
        edits.push((base.key("tokenFile"), Edit::Unset));
    } else if let Some(file) = &args.token_file {
        let file = std::path::absolute(file).unwrap_or_else(|_| file.clone());
        edits.push((
            base.key("tokenFile"),
            Edit::Set(json!(file.display().to_string())),
        ));
        edits.push((base.key("botToken"), Edit::Unset));
    } else if args.use_env {
        check_env(loaded, Kind::Telegram, account, &["TELEGRAM_BOT_TOKEN"])?;
        edits.push((base.key("botToken"), Edit::Unset));
        edits.push((base.key("tokenFile"), Edit::Unset));
        // Nothing else may be written: the section itself turns the channel on.
        edits.push((base.key("enabled"), Edit::Set(json!(true))));
    } else if !exists {
        return Err(UserError::new("telegram needs a bot token")
            .hint("pass --token <token> (from @BotFather), --token-file <path>, or --use-env for TELEGRAM_BOT_TOKEN")
            .into());
    }
    Ok(edits)
}

fn irc_edits(
    loaded: &LoadedConfig,
    args: &AddArgs,
    base: &JsonPath,
    account: &str,
    exists: bool,
) -> anyhow::Result<Vec<(JsonPath, Edit)>> {
    refuse_foreign(args, Kind::Irc)?;
    let mut edits = Vec::new();
    if args.use_env {
        check_env(loaded, Kind::Irc, account, &["IRC_HOST", "IRC_NICK"])?;
        edits.push((base.key("enabled"), Edit::Set(json!(true))));
    } else if !exists && (args.host.is_none() || args.nick.is_none()) {
        return Err(UserError::new("irc needs a server and a nick")
            .hint("pass --host <host> --nick <nick> (and --channels '#a,#b'), or --use-env for IRC_HOST and IRC_NICK")
            .into());
    }
    let mut set = |key: &str, value: Value| edits.push((base.key(key), Edit::Set(value)));
    if let Some(host) = &args.host {
        set("host", json!(host.trim()));
    }
    if let Some(port) = args.port {
        set("port", json!(port));
    }
    if args.tls {
        set("tls", json!(true));
    }
    for (key, value) in [
        ("nick", &args.nick),
        ("username", &args.username),
        ("realname", &args.realname),
    ] {
        if let Some(value) = value {
            set(key, json!(value.trim()));
        }
    }
    if let Some(list) = &args.channels {
        let channels: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        set("channels", json!(channels));
    }
    if let Some(password) = &args.password {
        set("password", json!(password.expose_secret()));
        edits.push((base.key("passwordFile"), Edit::Unset));
    }
    Ok(edits)
}

/// `channels remove`: disables the account (upstream's default), or deletes its settings with
/// `--delete`.
pub(super) fn remove(
    ctx: &Context,
    loaded: &LoadedConfig,
    args: &RemoveArgs,
) -> anyhow::Result<ExitCode> {
    let kind = channel_of(args.channel_arg.as_deref(), args.channel.as_deref())?;
    let account = account_of(args.account.as_deref())?.unwrap_or_else(|| DEFAULT.to_owned());
    let configured = accounts(loaded, kind);
    if !configured.iter().any(|a| a.settings.account_id == account) {
        let known: Vec<&str> = configured
            .iter()
            .map(|a| a.settings.account_id.as_str())
            .collect();
        return Err(
            UserError::new(format!("no {} account {account} in the config", kind.id()))
                .hint(if known.is_empty() {
                    format!(
                        "{} has no account; see `rustyclaw channels list`",
                        kind.id()
                    )
                } else {
                    format!("{}'s accounts: {}", kind.id(), known.join(", "))
                })
                .into(),
        );
    }
    let section = Section::of(loaded.file.channels.as_ref(), kind);
    let others: Vec<&str> = section
        .accounts
        .iter()
        .map(|(id, _)| id.as_str())
        .filter(|id| *id != account && *id != DEFAULT)
        .collect();
    let edits = if args.delete {
        delete_edits(kind, &section, &account, &others)?
    } else if account == DEFAULT && others.is_empty() && !section.has_account(DEFAULT) {
        vec![(channel_path(kind).key("enabled"), Edit::Set(json!(false)))]
    } else {
        // Disabling the channel would disable its other accounts too: disable the entry.
        let path = channel_path(kind).key("accounts").key(&account);
        vec![(path.key("enabled"), Edit::Set(json!(false)))]
    };
    let place = write(ctx, &edits)?;
    let who = format!("{} account {account}", kind.id());
    let done = if args.delete { "Deleted" } else { "Disabled" };
    match place {
        Some(place) => {
            let kept = if args.delete {
                ""
            } else {
                " Its settings are kept; --delete removes them."
            };
            output::out(&format!("{done} {who} in {place}.{kept}"));
            let action = if args.delete {
                "channels.delete"
            } else {
                "channels.disable"
            };
            super::super::config::record_edit(ctx, action, &format!("{}/{account}", kind.id()));
        }
        None => output::out(&format!("{who}: no change.")),
    }
    Ok(ExitCode::SUCCESS)
}

/// What deleting `account` removes: its entry under `accounts` (and `accounts` itself when it
/// was the last, `defaultAccount` when it named it), or the whole channel when nothing else
/// would be left of it.
fn delete_edits(
    kind: Kind,
    section: &Section,
    account: &str,
    others: &[&str],
) -> anyhow::Result<Vec<(JsonPath, Edit)>> {
    let channel = channel_path(kind);
    if account == DEFAULT && others.is_empty() {
        return Ok(vec![(channel, Edit::Unset)]);
    }
    if account == DEFAULT && section.own_credentials {
        return Err(UserError::new(format!(
            "{}'s default account is the channel's own settings, which its other accounts ({}) \
             build on",
            kind.id(),
            others.join(", ")
        ))
        .hint("delete those accounts first, or disable the default one (without --delete)")
        .into());
    }
    let remaining = section
        .accounts
        .iter()
        .filter(|(id, _)| id != account)
        .count();
    if remaining == 0 && !section.own_credentials {
        // Nothing would be left but an account without credentials.
        return Ok(vec![(channel, Edit::Unset)]);
    }
    let mut edits = Vec::new();
    if remaining == 0 {
        edits.push((channel.key("accounts"), Edit::Unset));
    } else {
        edits.push((channel.key("accounts").key(account), Edit::Unset));
    }
    if section.default_account.as_deref() == Some(account) {
        edits.push((channel.key("defaultAccount"), Edit::Unset));
    }
    Ok(edits)
}
