//! Resolution of the chat channel accounts rustyclaw connects (`channels.telegram`,
//! `channels.irc`): each account's settings merged over its channel's, its credentials resolved
//! from the config, a file or the environment.
//!
//! As OpenClaw does: the channel's own settings and credentials are the `default` account, an
//! entry of `accounts` is another account that inherits every setting it does not set itself
//! (`accounts.default` adds to the channel's own), and the environment (`TELEGRAM_BOT_TOKEN`,
//! `IRC_*`) fills only the default account. A credential that cannot be resolved (a missing
//! token file, an unset variable) does not stop the gateway: the account is reported with the
//! problem and does not start, and the other accounts and channels run.

use std::collections::BTreeMap;
use std::path::Path;

use super::Ctx;
use crate::file::{
    AllowEntry, ChannelAccount, ChannelCommon, ChannelSection, ChannelsSection, ChunkMode,
    DmPolicy, GroupPolicy, GroupSection, IrcCredentials, ReplyToMode, SecretInput, StreamingMode,
    TelegramCredentials,
};
use crate::regular_file::{ReadLimits, read_text};
use crate::{Issue, JsonPath, Secret};

/// The id of the account a channel's own settings configure.
pub const DEFAULT_ACCOUNT_ID: &str = "default";

/// Where the Telegram webhook listener binds and listens by default (OpenClaw's
/// `docs/channels/telegram/transports.md`: `127.0.0.1:8787`, `/telegram-webhook`).
const DEFAULT_WEBHOOK_HOST: &str = "127.0.0.1";
const DEFAULT_WEBHOOK_PORT: u16 = 8787;
const DEFAULT_WEBHOOK_PATH: &str = "/telegram-webhook";
/// The route the webhook listener keeps for health checks.
const WEBHOOK_HEALTH_PATH: &str = "/healthz";

/// The largest token or password file read, in bytes.
const SECRET_FILE_MAX_BYTES: u64 = 64 * 1024;

/// Every account of the channels rustyclaw connects.
#[derive(Debug, Clone, Default)]
pub struct ChannelAccounts {
    /// Telegram bots.
    pub telegram: Vec<TelegramAccountSettings>,
    /// IRC connections.
    pub irc: Vec<IrcAccountSettings>,
    /// `channels.<id>.defaultAccount`, by channel.
    pub default_accounts: BTreeMap<String, String>,
}

/// Settings every account has, merged over its channel's.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// The channel (`telegram`, `irc`).
    pub channel: &'static str,
    /// The account (`default`, or its key under `accounts`).
    pub account_id: String,
    /// Where it is configured, for messages (`channels.telegram.accounts.work`).
    pub config_path: String,
    /// Its display name.
    pub name: Option<String>,
    /// Connect it (`enabled` of the channel and of the account).
    pub enabled: bool,
    /// `dmPolicy` (default `pairing`).
    pub dm_policy: DmPolicy,
    /// `allowFrom`.
    pub allow_from: Vec<String>,
    /// `groupPolicy` (default `channels.defaults.groupPolicy`, else `allowlist`).
    pub group_policy: GroupPolicy,
    /// `groupAllowFrom`, when set.
    pub group_allow_from: Option<Vec<String>>,
    /// `groups`.
    pub groups: BTreeMap<String, GroupSection>,
    /// `historyLimit`.
    pub history_limit: Option<u32>,
    /// `dmHistoryLimit`.
    pub dm_history_limit: Option<u32>,
    /// `textChunkLimit`.
    pub text_chunk_limit: Option<usize>,
    /// `chunkMode`.
    pub chunk_mode: Option<ChunkMode>,
    /// `streaming.block.enabled` (or the legacy flat `blockStreaming`), when written: send
    /// replies in blocks as they are written; unset follows
    /// `agents.defaults.blockStreamingDefault`.
    pub block_streaming: Option<bool>,
    /// `streaming.block.coalesce`, when written.
    pub block_coalesce: Option<crate::file::BlockCoalesce>,
    /// `mediaMaxMb`.
    pub media_max_mb: Option<u32>,
    /// `responsePrefix`.
    pub response_prefix: Option<String>,
    /// `replyToMode`.
    pub reply_to_mode: Option<ReplyToMode>,
    /// `healthMonitor.enabled` (default true): restart the account when it stalls.
    pub health_monitor: bool,
    /// Why the account cannot start (a credential that could not be resolved, a required
    /// setting missing); empty when it can.
    pub problems: Vec<String>,
}

/// A Telegram bot account.
#[derive(Debug, Clone)]
pub struct TelegramAccountSettings {
    /// The shared settings.
    pub common: AccountSettings,
    /// The bot token (`tokenFile`, else `botToken`, else `TELEGRAM_BOT_TOKEN` for the default
    /// account).
    pub bot_token: Option<Secret>,
    /// `webhookUrl`: receive by webhook instead of long polling (an empty one counts as unset,
    /// as in OpenClaw). With it, `webhookSecret` is required.
    pub webhook_url: Option<String>,
    /// `webhookSecret`.
    pub webhook_secret: Option<Secret>,
    /// `webhookHost`: the address the webhook listener binds (default `127.0.0.1`, OpenClaw's).
    pub webhook_host: String,
    /// `webhookPort`: the port the webhook listener binds (default 8787, OpenClaw's; 0 lets the
    /// system pick one).
    pub webhook_port: u16,
    /// `webhookPath`: the route the webhook listener takes deliveries on (default
    /// `/telegram-webhook`, OpenClaw's; it must start with `/` and must not be `/healthz`).
    pub webhook_path: String,
    /// `apiRoot`.
    pub api_root: Option<String>,
    /// `ackReaction` of the channel or account, when set.
    pub ack_reaction: Option<String>,
    /// How long one long poll waits for updates (`RUSTYCLAW_TELEGRAM_POLL_TIMEOUT`, seconds;
    /// default 30): lower it behind a proxy that cuts idle connections sooner.
    pub poll_timeout: Option<std::time::Duration>,
    /// `streaming.mode`: what the chat shows while a run is busy (default `progress`, a status
    /// draft, as OpenClaw 2026.9.6; `block` is accepted with a warning and shows nothing).
    pub streaming: StreamingMode,
    /// Whether `streaming.mode` is written (a written preview mode other than `off` wins over
    /// an inherited `blockStreamingDefault: "on"`, as upstream).
    pub streaming_written: bool,
}

/// An IRC account.
#[derive(Debug, Clone)]
pub struct IrcAccountSettings {
    /// The shared settings.
    pub common: AccountSettings,
    /// `host` (or `IRC_HOST`).
    pub host: Option<String>,
    /// `port` (default 6697 with TLS, 6667 without).
    pub port: u16,
    /// `tls` (default true).
    pub tls: bool,
    /// `nick`.
    pub nick: Option<String>,
    /// `username` (default the nick).
    pub username: Option<String>,
    /// `realname` (default `rustyclaw`).
    pub realname: Option<String>,
    /// The server password (`passwordFile`, else `password`, else `IRC_PASSWORD`).
    pub password: Option<Secret>,
    /// NickServ identification.
    pub nickserv: Option<IrcNickServSettings>,
    /// `channels` to join.
    pub channels: Vec<String>,
    /// `dangerouslyAllowNameMatching`: allowlists may name bare nicks.
    pub allow_name_matching: bool,
}

/// NickServ identification of an IRC account.
#[derive(Debug, Clone)]
pub struct IrcNickServSettings {
    /// The service's nick (default `NickServ`).
    pub service: String,
    /// The password.
    pub password: Secret,
    /// Register the nick with this e-mail address when it is not registered.
    pub register_email: Option<String>,
}

pub(crate) fn resolve_channel_accounts(
    section: Option<&ChannelsSection>,
    ctx: &mut Ctx<'_>,
) -> ChannelAccounts {
    let Some(section) = section else {
        return ChannelAccounts::default();
    };
    let default_group_policy = section
        .defaults
        .as_ref()
        .and_then(|defaults| defaults.group_policy);
    let mut accounts = ChannelAccounts::default();
    if let Some(telegram) = &section.telegram {
        warn_unimplemented(
            "telegram",
            &telegram.common,
            telegram.accounts.as_ref(),
            ctx,
        );
        warn_block_streaming(telegram, ctx);
    }
    if let Some(irc) = &section.irc {
        warn_unimplemented("irc", &irc.common, irc.accounts.as_ref(), ctx);
    }
    if let Some(telegram) = &section.telegram {
        for (id, path, common, credentials) in accounts_of("telegram", telegram) {
            let settings = merge_common("telegram", id, path, common, default_group_policy);
            accounts
                .telegram
                .push(telegram_account(settings, &credentials, ctx));
        }
        if let Some(default) = &telegram.default_account {
            accounts
                .default_accounts
                .insert("telegram".to_owned(), default.clone());
        }
    }
    if let Some(irc) = &section.irc {
        for (id, path, common, credentials) in accounts_of("irc", irc) {
            let settings = merge_common("irc", id, path, common, default_group_policy);
            accounts.irc.push(irc_account(settings, &credentials, ctx));
        }
        if let Some(default) = &irc.default_account {
            accounts
                .default_accounts
                .insert("irc".to_owned(), default.clone());
        }
    }
    accounts
}

/// Warns about settings of a connected channel that rustyclaw accepts but does not act on yet.
fn warn_unimplemented<C>(
    channel: &str,
    common: &ChannelCommon,
    accounts: Option<&BTreeMap<String, ChannelAccount<C>>>,
    ctx: &mut Ctx<'_>,
) {
    let base = JsonPath::root().key("channels").key(channel);
    let mut check = |at: JsonPath, common: &ChannelCommon| {
        if common.block_streaming.is_some() {
            ctx.warnings.push(
                Issue::warning(
                    at.key("blockStreaming"),
                    "a legacy spelling that OpenClaw 2026.9.6 refuses; honoured",
                )
                .with_hint("write streaming: { block: { enabled: … } } instead"),
            );
        }
        let mut warn = |key: &str, what: &str| {
            ctx.warnings.push(
                Issue::warning(
                    at.key(key),
                    format!("not implemented by rustyclaw yet: {what}"),
                )
                .with_hint("see docs/channels.md for what the channel does today"),
            );
        };
        if common.dm_history_limit.is_some() {
            warn(
                "dmHistoryLimit",
                "a direct chat's session keeps its whole history",
            );
        }
        for (group, settings) in common.groups.iter().flatten() {
            if settings.system_prompt.is_some() {
                ctx.warnings.push(
                    Issue::warning(
                        at.key("groups").key(group).key("systemPrompt"),
                        "not implemented by rustyclaw yet: the group gets the agent's usual system prompt",
                    )
                    .with_hint("see docs/channels.md for what the channel does today"),
                );
            }
        }
    };
    check(base.clone(), common);
    for (id, account) in accounts.into_iter().flatten() {
        check(base.key("accounts").key(id), &account.common);
    }
}

/// Warns where `streaming.mode` is `block`: upstream streams the reply in blocks, rustyclaw
/// does not yet and shows no preview.
fn warn_block_streaming(telegram: &ChannelSection<TelegramCredentials>, ctx: &mut Ctx<'_>) {
    let base = JsonPath::root().key("channels").key("telegram");
    let accounts = telegram.accounts.iter().flatten();
    let written = std::iter::once((base.clone(), &telegram.credentials))
        .chain(accounts.map(|(id, account)| (base.key("accounts").key(id), &account.credentials)));
    for (at, credentials) in written {
        let mode = credentials.streaming.as_ref().and_then(|s| s.mode);
        if mode == Some(StreamingMode::Block) {
            ctx.warnings.push(
                Issue::warning(
                    at.key("streaming").key("mode"),
                    "not implemented by rustyclaw yet: block streaming; the account shows no \
                     preview and sends the reply whole when the run ends",
                )
                .with_hint("use \"partial\" or \"progress\" for a preview; see docs/channels.md"),
            );
        }
    }
}

/// Credentials that can be laid over another set, field by field.
trait Overlay: Clone + Default {
    fn overlay(&self, over: &Self) -> Self;
    /// Whether anything at all is set.
    fn is_set(&self) -> bool;
}

impl Overlay for TelegramCredentials {
    fn overlay(&self, over: &Self) -> Self {
        Self {
            bot_token: over.bot_token.clone().or_else(|| self.bot_token.clone()),
            token_file: over.token_file.clone().or_else(|| self.token_file.clone()),
            webhook_url: over
                .webhook_url
                .clone()
                .or_else(|| self.webhook_url.clone()),
            webhook_secret: over
                .webhook_secret
                .clone()
                .or_else(|| self.webhook_secret.clone()),
            webhook_path: over
                .webhook_path
                .clone()
                .or_else(|| self.webhook_path.clone()),
            webhook_host: over
                .webhook_host
                .clone()
                .or_else(|| self.webhook_host.clone()),
            webhook_port: over.webhook_port.or(self.webhook_port),
            api_root: over.api_root.clone().or_else(|| self.api_root.clone()),
            ack_reaction: over
                .ack_reaction
                .clone()
                .or_else(|| self.ack_reaction.clone()),
            streaming: over.streaming.clone().or_else(|| self.streaming.clone()),
        }
    }

    fn is_set(&self) -> bool {
        self.bot_token.is_some() || self.token_file.is_some()
    }
}

impl Overlay for IrcCredentials {
    fn overlay(&self, over: &Self) -> Self {
        Self {
            host: over.host.clone().or_else(|| self.host.clone()),
            port: over.port.or(self.port),
            tls: over.tls.or(self.tls),
            nick: over.nick.clone().or_else(|| self.nick.clone()),
            username: over.username.clone().or_else(|| self.username.clone()),
            realname: over.realname.clone().or_else(|| self.realname.clone()),
            password: over.password.clone().or_else(|| self.password.clone()),
            password_file: over
                .password_file
                .clone()
                .or_else(|| self.password_file.clone()),
            nickserv: over.nickserv.clone().or_else(|| self.nickserv.clone()),
            channels: over.channels.clone().or_else(|| self.channels.clone()),
            streaming: over.streaming.clone().or_else(|| self.streaming.clone()),
            dangerously_allow_name_matching: over
                .dangerously_allow_name_matching
                .or(self.dangerously_allow_name_matching),
        }
    }

    fn is_set(&self) -> bool {
        self.host.is_some()
    }
}

/// The accounts of a channel section: the default account (when the channel's own settings
/// configure one, or `accounts.default` exists, or no named account does) and every named one,
/// each with its config path and its settings merged over the channel's.
fn accounts_of<C: Overlay>(
    channel: &'static str,
    section: &ChannelSection<C>,
) -> Vec<(String, String, ChannelCommon, C)> {
    let base = format!("channels.{channel}");
    let named = section.accounts.clone().unwrap_or_default();
    let mut accounts = Vec::new();
    let explicit_default = named.get(DEFAULT_ACCOUNT_ID);
    if named.is_empty() || section.credentials.is_set() || explicit_default.is_some() {
        let (common, credentials, path) = match explicit_default {
            Some(account) => (
                overlay_common(&section.common, account),
                section.credentials.overlay(&account.credentials),
                format!("{base}.accounts.{DEFAULT_ACCOUNT_ID}"),
            ),
            None => (
                section.common.clone(),
                section.credentials.clone(),
                base.clone(),
            ),
        };
        accounts.push((DEFAULT_ACCOUNT_ID.to_owned(), path, common, credentials));
    }
    for (id, account) in &named {
        if id == DEFAULT_ACCOUNT_ID {
            continue;
        }
        accounts.push((
            id.clone(),
            format!("{base}.accounts.{id}"),
            overlay_common(&section.common, account),
            section.credentials.overlay(&account.credentials),
        ));
    }
    accounts
}

fn overlay_common<C>(channel: &ChannelCommon, account: &ChannelAccount<C>) -> ChannelCommon {
    let over = &account.common;
    ChannelCommon {
        // An account runs only when its channel does too.
        enabled: match (channel.enabled, over.enabled) {
            (Some(false), _) => Some(false),
            (_, account) => account.or(channel.enabled),
        },
        dm_policy: over.dm_policy.or(channel.dm_policy),
        allow_from: over
            .allow_from
            .clone()
            .or_else(|| channel.allow_from.clone()),
        group_policy: over.group_policy.or(channel.group_policy),
        group_allow_from: over
            .group_allow_from
            .clone()
            .or_else(|| channel.group_allow_from.clone()),
        groups: over.groups.clone().or_else(|| channel.groups.clone()),
        history_limit: over.history_limit.or(channel.history_limit),
        dm_history_limit: over.dm_history_limit.or(channel.dm_history_limit),
        text_chunk_limit: over.text_chunk_limit.or(channel.text_chunk_limit),
        chunk_mode: over.chunk_mode.or(channel.chunk_mode),
        block_streaming: over.block_streaming.or(channel.block_streaming),
        media_max_mb: over.media_max_mb.or(channel.media_max_mb),
        response_prefix: over
            .response_prefix
            .clone()
            .or_else(|| channel.response_prefix.clone()),
        reply_to_mode: over.reply_to_mode.or(channel.reply_to_mode),
        health_monitor: over
            .health_monitor
            .clone()
            .or_else(|| channel.health_monitor.clone()),
        name: over.name.clone().or_else(|| channel.name.clone()),
    }
}

fn texts(entries: &Option<Vec<AllowEntry>>) -> Option<Vec<String>> {
    entries
        .as_ref()
        .map(|entries| entries.iter().map(AllowEntry::as_text).collect())
}

fn merge_common(
    channel: &'static str,
    account_id: String,
    config_path: String,
    common: ChannelCommon,
    default_group_policy: Option<GroupPolicy>,
) -> AccountSettings {
    AccountSettings {
        channel,
        account_id,
        config_path,
        name: common.name.clone(),
        enabled: common.enabled != Some(false),
        dm_policy: common.dm_policy.unwrap_or(DmPolicy::Pairing),
        allow_from: texts(&common.allow_from).unwrap_or_default(),
        group_policy: common
            .group_policy
            .or(default_group_policy)
            .unwrap_or(GroupPolicy::Allowlist),
        group_allow_from: texts(&common.group_allow_from),
        groups: common.groups.clone().unwrap_or_default(),
        history_limit: common.history_limit,
        dm_history_limit: common.dm_history_limit,
        text_chunk_limit: common.text_chunk_limit,
        chunk_mode: common.chunk_mode,
        block_streaming: common.block_streaming,
        block_coalesce: None,
        media_max_mb: common.media_max_mb,
        response_prefix: common.response_prefix.clone(),
        reply_to_mode: common.reply_to_mode,
        health_monitor: common
            .health_monitor
            .as_ref()
            .and_then(|h| h.enabled)
            .unwrap_or(true),
        problems: Vec::new(),
    }
}

/// Resolves a credential: a file first, then the config's value (a string, `${VAR}` or a
/// SecretRef), then an environment variable. A failure becomes a problem of the account.
fn credential(
    ctx: &mut Ctx<'_>,
    settings: &mut AccountSettings,
    file: Option<(&str, &str)>,
    value: Option<(&SecretInput, &str)>,
    env: Option<&str>,
) -> Option<Secret> {
    if let Some((file, key)) = file {
        let path = ctx.env.expand_tilde(Path::new(file));
        let limits = ReadLimits {
            max_bytes: SECRET_FILE_MAX_BYTES,
            follow_symlinks: true,
        };
        return match read_text(&path, limits) {
            Ok(text) if !text.trim().is_empty() => Some(Secret::from(text.trim())),
            Ok(_) => {
                settings.problems.push(format!(
                    "{}.{key}: {} is empty",
                    settings.config_path,
                    path.display()
                ));
                None
            }
            Err(error) => {
                settings.problems.push(format!(
                    "{}.{key}: {} cannot be read: {error}",
                    settings.config_path,
                    path.display()
                ));
                None
            }
        };
    }
    if let Some((input, key)) = value {
        return match ctx.secrets.resolve(input) {
            Ok(secret) if !secret.is_blank() => Some(secret),
            Ok(_) => {
                settings
                    .problems
                    .push(format!("{}.{key} is empty", settings.config_path));
                None
            }
            Err(error) => {
                settings
                    .problems
                    .push(format!("{}.{key}: {error}", settings.config_path));
                None
            }
        };
    }
    let env = env?;
    if settings.account_id != DEFAULT_ACCOUNT_ID {
        return None;
    }
    ctx.env.non_empty(env).map(Secret::from)
}

/// `streaming.chunkMode` and `streaming.block` (OpenClaw 2026.9.6's spellings) win over the
/// legacy flat `chunkMode` and `blockStreaming`.
fn apply_streaming(
    common: &mut AccountSettings,
    chunk_mode: Option<ChunkMode>,
    block: Option<&crate::file::StreamingBlock>,
) {
    if chunk_mode.is_some() {
        common.chunk_mode = chunk_mode;
    }
    if let Some(block) = block {
        if block.enabled.is_some() {
            common.block_streaming = block.enabled;
        }
        common.block_coalesce = block.coalesce.clone();
    }
}

fn telegram_account(
    mut common: AccountSettings,
    credentials: &TelegramCredentials,
    ctx: &mut Ctx<'_>,
) -> TelegramAccountSettings {
    if let Some(streaming) = &credentials.streaming {
        apply_streaming(&mut common, streaming.chunk_mode, streaming.block.as_ref());
    }
    let bot_token = credential(
        ctx,
        &mut common,
        credentials.token_file.as_deref().map(|f| (f, "tokenFile")),
        credentials.bot_token.as_ref().map(|v| (v, "botToken")),
        Some("TELEGRAM_BOT_TOKEN"),
    );
    if bot_token.is_none() && common.problems.is_empty() {
        common.problems.push(format!(
            "{}: no bot token (set botToken or tokenFile{})",
            common.config_path,
            if common.account_id == DEFAULT_ACCOUNT_ID {
                ", or TELEGRAM_BOT_TOKEN"
            } else {
                ""
            }
        ));
    }
    let webhook_secret = credential(
        ctx,
        &mut common,
        None,
        credentials
            .webhook_secret
            .as_ref()
            .map(|v| (v, "webhookSecret")),
        None,
    );
    let webhook_url = credentials
        .webhook_url
        .as_deref()
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(str::to_owned);
    let webhook_path = credentials
        .webhook_path
        .clone()
        .unwrap_or_else(|| DEFAULT_WEBHOOK_PATH.to_owned());
    if webhook_url.is_some() {
        // As OpenClaw's schema: a webhook without a secret would take updates from anyone.
        if webhook_secret.is_none() && credentials.webhook_secret.is_none() {
            common.problems.push(format!(
                "{}.webhookUrl requires webhookSecret (Telegram sends it with every delivery, \
                 and the listener refuses requests without it)",
                common.config_path
            ));
        }
        if !webhook_path.starts_with('/') || webhook_path == WEBHOOK_HEALTH_PATH {
            common.problems.push(format!(
                "{}.webhookPath {webhook_path:?} must start with / and must not be \
                 {WEBHOOK_HEALTH_PATH}, which the webhook listener answers for health checks",
                common.config_path
            ));
        }
    }
    let poll_timeout = match ctx
        .env
        .non_empty(crate::env_vars::RUSTYCLAW_TELEGRAM_POLL_TIMEOUT)
    {
        None => None,
        Some(text) => match text.trim().parse::<u64>() {
            Ok(seconds @ 1..=300) => Some(std::time::Duration::from_secs(seconds)),
            _ => {
                common.problems.push(format!(
                    "{}: {text:?} is not a number of seconds from 1 to 300",
                    crate::env_vars::RUSTYCLAW_TELEGRAM_POLL_TIMEOUT
                ));
                None
            }
        },
    };
    TelegramAccountSettings {
        common,
        bot_token,
        webhook_url,
        webhook_secret,
        webhook_host: credentials
            .webhook_host
            .clone()
            .unwrap_or_else(|| DEFAULT_WEBHOOK_HOST.to_owned()),
        webhook_port: credentials.webhook_port.unwrap_or(DEFAULT_WEBHOOK_PORT),
        webhook_path,
        api_root: credentials.api_root.clone(),
        ack_reaction: credentials.ack_reaction.clone(),
        poll_timeout,
        streaming: credentials
            .streaming
            .as_ref()
            .and_then(|s| s.mode)
            .unwrap_or(StreamingMode::Progress),
        streaming_written: credentials
            .streaming
            .as_ref()
            .is_some_and(|s| s.mode.is_some()),
    }
}

fn irc_account(
    mut common: AccountSettings,
    credentials: &IrcCredentials,
    ctx: &mut Ctx<'_>,
) -> IrcAccountSettings {
    if let Some(streaming) = &credentials.streaming {
        apply_streaming(&mut common, streaming.chunk_mode, streaming.block.as_ref());
    }
    let is_default = common.account_id == DEFAULT_ACCOUNT_ID;
    let env = |ctx: &Ctx<'_>, name: &str| {
        is_default
            .then(|| ctx.env.non_empty(name).map(str::to_owned))
            .flatten()
    };
    let host = credentials.host.clone().or_else(|| env(ctx, "IRC_HOST"));
    let tls = credentials
        .tls
        .or_else(|| env(ctx, "IRC_TLS").map(|v| !matches!(v.as_str(), "0" | "false" | "no")))
        .unwrap_or(true);
    let port = credentials
        .port
        .or_else(|| env(ctx, "IRC_PORT").and_then(|v| v.parse().ok()))
        .unwrap_or(if tls { 6697 } else { 6667 });
    let nick = credentials.nick.clone().or_else(|| env(ctx, "IRC_NICK"));
    let username = credentials
        .username
        .clone()
        .or_else(|| env(ctx, "IRC_USERNAME"));
    let realname = credentials
        .realname
        .clone()
        .or_else(|| env(ctx, "IRC_REALNAME"));
    let channels = credentials.channels.clone().unwrap_or_else(|| {
        env(ctx, "IRC_CHANNELS")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    });
    let password = credential(
        ctx,
        &mut common,
        credentials
            .password_file
            .as_deref()
            .map(|f| (f, "passwordFile")),
        credentials.password.as_ref().map(|v| (v, "password")),
        Some("IRC_PASSWORD"),
    );
    let nickserv = match &credentials.nickserv {
        Some(nickserv) if nickserv.enabled != Some(false) => {
            let password = credential(
                ctx,
                &mut common,
                nickserv
                    .password_file
                    .as_deref()
                    .map(|f| (f, "nickserv.passwordFile")),
                nickserv.password.as_ref().map(|v| (v, "nickserv.password")),
                Some("IRC_NICKSERV_PASSWORD"),
            );
            match password {
                Some(password) => Some(IrcNickServSettings {
                    service: nickserv
                        .service
                        .clone()
                        .unwrap_or_else(|| "NickServ".to_owned()),
                    password,
                    register_email: nickserv
                        .register
                        .unwrap_or(false)
                        .then(|| {
                            nickserv
                                .register_email
                                .clone()
                                .or_else(|| env(ctx, "IRC_NICKSERV_REGISTER_EMAIL"))
                        })
                        .flatten(),
                }),
                None => {
                    if common.problems.is_empty() {
                        common.problems.push(format!(
                            "{}.nickserv: no password (set nickserv.password or nickserv.passwordFile)",
                            common.config_path
                        ));
                    }
                    None
                }
            }
        }
        _ => None,
    };
    if host.is_none() {
        common.problems.push(format!(
            "{}: no host (set host{})",
            common.config_path,
            if is_default { ", or IRC_HOST" } else { "" }
        ));
    }
    if nick.is_none() {
        common.problems.push(format!(
            "{}: no nick (set nick{})",
            common.config_path,
            if is_default { ", or IRC_NICK" } else { "" }
        ));
    }
    IrcAccountSettings {
        common,
        host,
        port,
        tls,
        nick,
        username,
        realname,
        password,
        nickserv,
        channels,
        allow_name_matching: credentials.dangerously_allow_name_matching == Some(true),
    }
}

#[cfg(test)]
#[path = "channels_tests.rs"]
mod tests;
