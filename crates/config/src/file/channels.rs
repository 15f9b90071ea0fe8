//! `channels`: one typed section per chat channel.
//!
//! Every channel shares the access and delivery settings of [`ChannelCommon`] and adds its own
//! credentials; `accounts` holds extra accounts of the same channel with the same shape.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AllowEntry, SecretInput};

/// `channels` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChannelsSection {
    /// Defaults for every channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defaults: Option<ChannelDefaultsSection>,
    /// Telegram bot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telegram: Option<ChannelSection<TelegramCredentials>>,
    /// Discord bot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discord: Option<ChannelSection<DiscordCredentials>>,
    /// Slack app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack: Option<ChannelSection<SlackCredentials>>,
    /// WhatsApp (linked device).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<ChannelSection<WhatsappCredentials>>,
    /// Signal via a signal-cli daemon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<ChannelSection<SignalCredentials>>,
    /// IRC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub irc: Option<ChannelSection<IrcCredentials>>,
    /// Matrix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matrix: Option<ChannelSection<MatrixCredentials>>,
    /// Mattermost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mattermost: Option<ChannelSection<MattermostCredentials>>,
}

impl ChannelsSection {
    /// Ids of the channels present in the file with `enabled` not set to false.
    pub fn configured_ids(&self) -> Vec<&'static str> {
        let mut ids = Vec::new();
        let mut add = |id: &'static str, common: Option<&ChannelCommon>| {
            if let Some(common) = common
                && common.enabled != Some(false)
            {
                ids.push(id);
            }
        };
        add("telegram", self.telegram.as_ref().map(|c| &c.common));
        add("discord", self.discord.as_ref().map(|c| &c.common));
        add("slack", self.slack.as_ref().map(|c| &c.common));
        add("whatsapp", self.whatsapp.as_ref().map(|c| &c.common));
        add("signal", self.signal.as_ref().map(|c| &c.common));
        add("irc", self.irc.as_ref().map(|c| &c.common));
        add("matrix", self.matrix.as_ref().map(|c| &c.common));
        add("mattermost", self.mattermost.as_ref().map(|c| &c.common));
        ids
    }
}

/// `channels.defaults`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChannelDefaultsSection {
    /// Default group policy for channels that do not set one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_policy: Option<GroupPolicy>,
}

/// A channel: shared settings, credentials, and extra accounts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ChannelSection<C> {
    /// Access and delivery settings.
    #[serde(flatten)]
    pub common: ChannelCommon,
    /// Credentials of the default account.
    #[serde(flatten)]
    pub credentials: C,
    /// The account outbound messages use when none is named (default: `default`, or the only
    /// account).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_account: Option<String>,
    /// Additional accounts by id (the default account's id is `default`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts: Option<BTreeMap<String, ChannelAccount<C>>>,
}

/// One extra account of a channel.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ChannelAccount<C> {
    /// Access and delivery settings (override the channel's).
    #[serde(flatten)]
    pub common: ChannelCommon,
    /// Credentials of this account.
    #[serde(flatten)]
    pub credentials: C,
}

/// Settings every channel has.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelCommon {
    /// Display name of the channel or account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Connect this channel (default true when the section exists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Who may DM the agent: `pairing` (default), `allowlist`, `open` or `disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dm_policy: Option<DmPolicy>,
    /// Senders allowed to DM (ids or handles; `*` for anyone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_from: Option<Vec<AllowEntry>>,
    /// Which groups the agent answers in: `open`, `allowlist` (default) or `disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_policy: Option<GroupPolicy>,
    /// Senders allowed in groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_allow_from: Option<Vec<AllowEntry>>,
    /// Per-group settings keyed by group id, or `*` for all groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<BTreeMap<String, GroupSection>>,
    /// Recent group messages given as context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_limit: Option<u32>,
    /// Recent DM messages given as context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dm_history_limit: Option<u32>,
    /// Longest message sent in one piece (channel default otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_chunk_limit: Option<usize>,
    /// How long replies are split: `length` or `newline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk_mode: Option<ChunkMode>,
    /// Send the reply in blocks as it is generated: the legacy spelling of
    /// `streaming.block.enabled`, honoured with a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_streaming: Option<bool>,
    /// Largest media file accepted, in MB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_max_mb: Option<u32>,
    /// Text prepended to replies on this channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_prefix: Option<String>,
    /// Which reply messages quote the message they answer: `off`, `first` (default), `all`,
    /// `batched`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_mode: Option<ReplyToMode>,
    /// Restarts of an account whose connection stalls (default on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_monitor: Option<HealthMonitorSection>,
}

/// `healthMonitor` of a channel or account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthMonitorSection {
    /// Restart the account when it stalls (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// Reply threading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReplyToMode {
    /// Never quote.
    Off,
    /// Quote the answered message in the first message of a reply.
    First,
    /// Quote it in every message of a reply.
    All,
    /// Quote it only when the answer covers several queued messages.
    Batched,
}

/// DM access policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DmPolicy {
    /// Unknown senders get a pairing code to approve.
    Pairing,
    /// Only `allowFrom` senders.
    Allowlist,
    /// Anyone.
    Open,
    /// No DMs.
    Disabled,
}

/// Group access policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupPolicy {
    /// Any group.
    Open,
    /// Groups listed in `groups`.
    Allowlist,
    /// No groups.
    Disabled,
}

/// Reply splitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChunkMode {
    /// Split at the length limit.
    Length,
    /// Split at paragraph boundaries.
    Newline,
}

/// Per-group settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupSection {
    /// Answer only when mentioned (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_mention: Option<bool>,
    /// Answer in this group at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Senders allowed in this group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_from: Option<Vec<AllowEntry>>,
    /// Extra system prompt for this group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
}

/// Telegram credentials.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TelegramCredentials {
    /// Bot token from @BotFather.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_token: Option<SecretInput>,
    /// File holding the bot token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_file: Option<String>,
    /// Public webhook URL (long polling when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// Secret Telegram echoes on webhook calls (required with `webhookUrl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<SecretInput>,
    /// Local route the webhook listener takes deliveries on (default `/telegram-webhook`;
    /// `/healthz` is reserved for health checks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_path: Option<String>,
    /// Local address the webhook listener binds (default `127.0.0.1`; keep loopback behind a
    /// reverse proxy unless you mean to expose it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_host: Option<String>,
    /// Local port the webhook listener binds (default 8787; 0 lets the system pick one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_port: Option<u16>,
    /// Base URL of the Bot API (default `https://api.telegram.org`; a local Bot API server or
    /// a test double).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_root: Option<String>,
    /// The ack reaction on this bot's chats (overrides `messages.ackReaction`; `""` turns it
    /// off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack_reaction: Option<String>,
    /// Preview streaming while a run is busy: `{ mode: "progress" }` by default. An account's
    /// `streaming` replaces its channel's whole, as upstream merges accounts.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "streaming_object"
    )]
    #[schemars(with = "Option<TelegramStreaming>")]
    pub streaming: Option<TelegramStreaming>,
}

/// `channels.telegram.streaming`. OpenClaw 2026.9.6's other keys here (`preview`,
/// `progress`) are accepted with a warning.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TelegramStreaming {
    /// `off`, `partial` (the answer as it is written), `block` (not implemented: behaves as
    /// `off`) or `progress` (a status draft; the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<StreamingMode>,
    /// How long replies are split: `length` or `newline` (wins over the flat `chunkMode`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk_mode: Option<ChunkMode>,
    /// Block streaming (replies sent in blocks as they are written; no preview then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<super::StreamingBlock>,
}

/// What a chat shows while a run is busy (`streaming.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StreamingMode {
    /// Nothing but the typing indicator; the reply arrives whole.
    Off,
    /// The answer text, edited into one preview message as it is written.
    Partial,
    /// Upstream's block streaming (not implemented by rustyclaw: behaves as `off`).
    Block,
    /// One status draft, deleted when the run ends.
    Progress,
}

/// `streaming` as an object. OpenClaw 2026.9.6 refuses its legacy scalar forms (a boolean, a
/// bare mode) and `openclaw doctor --fix` rewrites them; the error here names the rewrite.
fn streaming_object<'de, D>(deserializer: D) -> Result<Option<TelegramStreaming>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error;
    let value = serde_json::Value::deserialize(deserializer)?;
    let mode = match &value {
        serde_json::Value::Null => return Ok(None),
        serde_json::Value::Bool(true) => "partial",
        serde_json::Value::Bool(false) => "off",
        serde_json::Value::String(mode) => mode.as_str(),
        _ => {
            return TelegramStreaming::deserialize(value)
                .map(Some)
                .map_err(D::Error::custom);
        }
    };
    Err(D::Error::custom(format!(
        "streaming: {value} is OpenClaw's legacy form, which OpenClaw 2026.9.6 refuses too; \
         write streaming: {{ mode: \"{mode}\" }} (modes: off, partial, block, progress)"
    )))
}

/// Discord credentials.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiscordCredentials {
    /// Bot token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretInput>,
}

/// Slack credentials.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlackCredentials {
    /// Bot token (`xoxb-…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_token: Option<SecretInput>,
    /// App-level token for Socket Mode (`xapp-…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_token: Option<SecretInput>,
    /// Signing secret for HTTP events mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<SecretInput>,
    /// `socket` (default) or `http`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// WhatsApp has no credentials in config: the linked-device session lives in the state dir.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WhatsappCredentials {
    /// Answer messages you send to yourself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_chat_mode: Option<bool>,
}

/// Signal settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignalCredentials {
    /// The Signal account (phone number) of the bot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// URL of a running signal-cli HTTP daemon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_url: Option<String>,
    /// Path of the signal-cli binary to start when `autoStart` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cli_path: Option<String>,
    /// Start signal-cli automatically.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_start: Option<bool>,
}

/// IRC connection settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IrcCredentials {
    /// Server host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Server port (default 6697 with TLS, 6667 without).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Use TLS (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// Nickname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    /// User name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Real name (`USER`'s last field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realname: Option<String>,
    /// Server password (`PASS`), or SASL PLAIN's when NickServ is not configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretInput>,
    /// File holding the server password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_file: Option<String>,
    /// Identify with NickServ after connecting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickserv: Option<IrcNickServ>,
    /// Channels to join.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    /// Let allowlists name senders by bare nick (nicks can be taken by anyone; by default only
    /// `nick!user@host` masks match).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dangerously_allow_name_matching: Option<bool>,
    /// Line splitting and block streaming (IRC has no preview).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streaming: Option<super::IrcStreaming>,
}

/// `channels.irc.nickserv`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IrcNickServ {
    /// Identify (default true when the section exists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The service's nick (default `NickServ`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The NickServ password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretInput>,
    /// File holding the NickServ password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_file: Option<String>,
    /// Register the nick when it is not registered yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register: Option<bool>,
    /// The e-mail address to register with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register_email: Option<String>,
}

/// Matrix credentials.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MatrixCredentials {
    /// Homeserver URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub homeserver: Option<String>,
    /// Full user id (`@bot:example.org`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Access token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<SecretInput>,
    /// Password (used to log in when no access token is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretInput>,
    /// Device display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
}

/// Mattermost credentials.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MattermostCredentials {
    /// Server URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Bot access token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_token: Option<SecretInput>,
}
