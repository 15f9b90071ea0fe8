//! Resolution of `session`, `messages`, `tools`, `cron`, `hooks` and `logging`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::Ctx;
use crate::file::{
    AckReactionScope, ConsoleStyle, CronSection, DmScope, ElevatedSection, ExecAsk, ExecHost,
    ExecSecurity, GroupScope, GuardMode, GuardThresholdsSection, GuardsSection, HookMappingSection,
    HooksSection, LogLevel, LoggingSection, MessagesSection, QueueDrop, QueueMode, ResetSection,
    SessionScope, SessionSection, ToolAllowDeny, ToolPolicySection, ToolProfile, ToolsSection,
};
use crate::{Issue, JsonPath, Secret};

/// Session mapping and resets.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// `per-sender` (default) or `global`.
    pub scope: SessionScope,
    /// DM mapping (default `main`).
    pub dm_scope: DmScope,
    /// Group mapping (default `per-group`).
    pub group_scope: GroupScope,
    /// Identity links: canonical name → `channel:peer` ids.
    pub identity_links: BTreeMap<String, Vec<String>>,
    /// Reset policy (default none: sessions never reset on their own).
    pub reset: Option<ResetSection>,
    /// Reset policy per chat type.
    pub reset_by_type: BTreeMap<String, ResetSection>,
    /// Reset policy per channel.
    pub reset_by_channel: BTreeMap<String, ResetSection>,
    /// Messages that reset the session (default `/new`, `/reset`).
    pub reset_triggers: Vec<String>,
}

pub(crate) fn resolve_session(s: Option<&SessionSection>) -> SessionConfig {
    let s = s.cloned().unwrap_or_default();
    SessionConfig {
        scope: s.scope.unwrap_or(SessionScope::PerSender),
        dm_scope: s.dm_scope.unwrap_or(DmScope::Main),
        group_scope: s.group_scope.unwrap_or(GroupScope::PerGroup),
        identity_links: s.identity_links.unwrap_or_default(),
        reset: s.reset,
        reset_by_type: s.reset_by_type.unwrap_or_default(),
        reset_by_channel: s.reset_by_channel.unwrap_or_default(),
        reset_triggers: s
            .reset_triggers
            .unwrap_or_else(|| vec!["/new".to_owned(), "/reset".to_owned()]),
    }
}

/// Message handling.
#[derive(Debug, Clone)]
pub struct MessagesConfig {
    /// Prefix added to inbound text.
    pub message_prefix: Option<String>,
    /// Prefix added to replies.
    pub response_prefix: Option<String>,
    /// Queue mode (default collect).
    pub queue_mode: QueueMode,
    /// Debounce before a run starts (default 1000 ms).
    pub queue_debounce: Duration,
    /// Queue cap per session (default 20).
    pub queue_cap: u32,
    /// Overflow policy (default summarize).
    pub queue_drop: QueueDrop,
    /// Queue mode per channel.
    pub queue_by_channel: BTreeMap<String, QueueMode>,
    /// Group messages given as context (default 50).
    pub group_history_limit: u32,
    /// Mention patterns for groups.
    pub mention_patterns: Vec<String>,
    /// Hide tool errors from chats (default false).
    pub suppress_tool_errors: bool,
    /// `ackReaction` as written (`None`: the agent's emoji, else 👀; empty: off).
    pub ack_reaction: Option<String>,
    /// `ackReactionScope` (default `group-mentions`).
    pub ack_reaction_scope: AckReactionScope,
    /// `inbound.debounceMs` as written.
    pub inbound_debounce_ms: Option<u64>,
    /// `inbound.byChannel`.
    pub inbound_debounce_by_channel: BTreeMap<String, u64>,
}

impl MessagesConfig {
    /// The quiet window that batches rapid text messages on `channel`: `inbound.byChannel`,
    /// else `inbound.debounceMs`, else the channel's default (Telegram 300 ms, others none).
    pub fn inbound_debounce(&self, channel: &str) -> Duration {
        let ms = self
            .inbound_debounce_by_channel
            .get(channel)
            .copied()
            .or(self.inbound_debounce_ms)
            .unwrap_or(if channel == "telegram" { 300 } else { 0 });
        Duration::from_millis(ms)
    }
}

pub(crate) fn resolve_messages(m: Option<&MessagesSection>) -> MessagesConfig {
    let m = m.cloned().unwrap_or_default();
    let q = m.queue.unwrap_or_default();
    let g = m.group_chat.unwrap_or_default();
    MessagesConfig {
        message_prefix: m.message_prefix,
        response_prefix: m.response_prefix,
        queue_mode: q.mode.unwrap_or(QueueMode::Collect),
        queue_debounce: Duration::from_millis(q.debounce_ms.unwrap_or(1000)),
        queue_cap: q.cap.unwrap_or(20),
        queue_drop: q.drop.unwrap_or(QueueDrop::Summarize),
        queue_by_channel: q.by_channel.unwrap_or_default(),
        group_history_limit: g.history_limit.unwrap_or(50),
        mention_patterns: g.mention_patterns.unwrap_or_default(),
        suppress_tool_errors: m.suppress_tool_errors.unwrap_or(false),
        inbound_debounce_ms: m.inbound.as_ref().and_then(|i| i.debounce_ms),
        inbound_debounce_by_channel: m
            .inbound
            .as_ref()
            .and_then(|i| i.by_channel.clone())
            .unwrap_or_default(),
        ack_reaction: m.ack_reaction,
        ack_reaction_scope: m
            .ack_reaction_scope
            .unwrap_or(AckReactionScope::GroupMentions),
    }
}

/// Tool policy and behaviour.
#[derive(Debug, Clone)]
pub struct ToolsConfig {
    /// The global policy (profile default `coding`).
    pub policy: ToolPolicySection,
    /// Policy per provider or `provider/model`.
    pub by_provider: BTreeMap<String, ToolPolicySection>,
    /// The tool policy of sandboxed sessions (`tools.sandbox.tools`); `None` uses the default,
    /// which denies the tools that act outside the sandbox.
    pub sandbox_tools: Option<ToolAllowDeny>,
    /// Extra restrictions of sub-agent sessions (`tools.subagents.tools`), on top of the
    /// default sub-agent deny list.
    pub subagent_tools: Option<ToolAllowDeny>,
    /// Elevated execution settings.
    pub elevated: ElevatedSection,
    /// `exec` behaviour.
    pub exec: ExecConfig,
    /// `web_fetch` behaviour.
    pub web_fetch: WebFetchConfig,
    /// Repeated-call detection.
    pub loop_detection_enabled: bool,
    /// Identical calls in a row that count as a loop (default 3).
    pub loop_detection_max_repeats: u32,
    /// The risk guards (`tools.guards`, rustyclaw only).
    pub guards: GuardsConfig,
}

/// The command-risk and prompt-injection guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardsConfig {
    /// `enforce` (default), `audit` or `off`.
    pub mode: GuardMode,
    /// Thresholds for commands (default review 40, block 80).
    pub command: GuardThresholds,
    /// Thresholds for tool output and fetched content (default review 35, block 70).
    pub content: GuardThresholds,
}

/// Score thresholds of one guard, each 0–100 with `review <= block`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardThresholds {
    /// Lowest score reviewed.
    pub review: u8,
    /// Lowest score blocked.
    pub block: u8,
}

/// Default command thresholds.
const COMMAND_THRESHOLDS: GuardThresholds = GuardThresholds {
    review: 40,
    block: 80,
};
/// Default content thresholds.
const CONTENT_THRESHOLDS: GuardThresholds = GuardThresholds {
    review: 35,
    block: 70,
};

fn resolve_guards(g: Option<&GuardsSection>) -> GuardsConfig {
    let g = g.cloned().unwrap_or_default();
    let thresholds = |section: Option<GuardThresholdsSection>, default: GuardThresholds| {
        let section = section.unwrap_or_default();
        let score = |value: Option<u32>, default: u8| {
            value.map_or(default, |v| u8::try_from(v.min(100)).unwrap_or(100))
        };
        GuardThresholds {
            review: score(section.review, default.review),
            block: score(section.block, default.block),
        }
    };
    GuardsConfig {
        mode: g.mode.unwrap_or(GuardMode::Enforce),
        command: thresholds(g.command, COMMAND_THRESHOLDS),
        content: thresholds(g.content, CONTENT_THRESHOLDS),
    }
}

/// Checks `tools.guards`: thresholds within 0–100 and `review <= block`, each error naming the
/// key it is about.
pub(crate) fn check_guards(t: Option<&ToolsSection>, ctx: &mut Ctx<'_>) {
    let Some(guards) = t.and_then(|t| t.guards.as_ref()) else {
        return;
    };
    let at = JsonPath::root().key("tools").key("guards");
    for (name, section, default) in [
        ("command", &guards.command, COMMAND_THRESHOLDS),
        ("content", &guards.content, CONTENT_THRESHOLDS),
    ] {
        let Some(section) = section else { continue };
        for (key, value) in [("review", section.review), ("block", section.block)] {
            if let Some(value) = value.filter(|v| *v > 100) {
                ctx.errors.push(Issue::error(
                    at.key(name).key(key),
                    format!("{value} is not a score: thresholds are 0 to 100"),
                ));
            }
        }
        let review = section.review.unwrap_or(u32::from(default.review));
        let block = section.block.unwrap_or(u32::from(default.block));
        if review > block && review <= 100 && block <= 100 {
            let key = if section.block.is_some() {
                "block"
            } else {
                "review"
            };
            ctx.errors.push(
                Issue::error(
                    at.key(name).key(key),
                    format!("review threshold {review} is above block threshold {block}"),
                )
                .with_hint("a score is reviewed from `review` and blocked from `block`, so review must not exceed block"),
            );
        }
    }
}

/// `exec` tool behaviour.
#[derive(Debug, Clone)]
pub struct ExecConfig {
    /// Background a command after this long (default 10 s).
    pub background_after: Duration,
    /// Kill a command after this long (default 1800 s).
    pub timeout: Duration,
    /// Forget finished background runs after this long (default 30 min).
    pub cleanup_after: Duration,
    /// Notify the session when a background run exits (default true).
    pub notify_on_exit: bool,
    /// Where commands run (default sandbox).
    pub host: ExecHost,
    /// Host execution policy (default deny).
    pub security: ExecSecurity,
    /// Approval prompting (default on-miss).
    pub ask: ExecAsk,
    /// Offer `apply_patch` (default true).
    pub apply_patch: bool,
    /// Models allowed to use `apply_patch` (None = all).
    pub apply_patch_models: Option<Vec<String>>,
}

/// `web_fetch` behaviour.
#[derive(Debug, Clone)]
pub struct WebFetchConfig {
    /// Offer the tool (default true).
    pub enabled: bool,
    /// Most characters returned (default 50000).
    pub max_chars: usize,
    /// Request timeout (default 30 s).
    pub timeout: Duration,
    /// Redirects followed (default 3).
    pub max_redirects: u32,
    /// User-Agent header.
    pub user_agent: Option<String>,
    /// Allow private/loopback targets (default false).
    pub allow_private_network: bool,
}

impl Default for ToolsConfig {
    /// `tools` as resolved from a config file without a `tools` section.
    fn default() -> Self {
        resolve_tools(None)
    }
}

pub(crate) fn resolve_tools(t: Option<&ToolsSection>) -> ToolsConfig {
    let t = t.cloned().unwrap_or_default();
    let exec = t.exec.unwrap_or_default();
    let patch = exec.apply_patch.clone().unwrap_or_default();
    let fetch = t.web.and_then(|w| w.fetch).unwrap_or_default();
    let loops = t.loop_detection.unwrap_or_default();
    ToolsConfig {
        policy: ToolPolicySection {
            profile: Some(t.policy.profile.unwrap_or(ToolProfile::Coding)),
            ..t.policy
        },
        by_provider: t.by_provider.unwrap_or_default(),
        sandbox_tools: t.sandbox.and_then(|s| s.tools),
        subagent_tools: t.subagents.and_then(|s| s.tools),
        elevated: t.elevated.unwrap_or_default(),
        exec: ExecConfig {
            background_after: Duration::from_millis(exec.background_ms.unwrap_or(10_000)),
            timeout: Duration::from_secs(exec.timeout_sec.unwrap_or(1800)),
            cleanup_after: Duration::from_millis(exec.cleanup_ms.unwrap_or(1_800_000)),
            notify_on_exit: exec.notify_on_exit.unwrap_or(true),
            host: exec.host.unwrap_or(ExecHost::Sandbox),
            security: exec.security.unwrap_or(ExecSecurity::Deny),
            ask: exec.ask.unwrap_or(ExecAsk::OnMiss),
            apply_patch: patch.enabled.unwrap_or(true),
            apply_patch_models: patch.allow_models,
        },
        web_fetch: WebFetchConfig {
            enabled: fetch.enabled.unwrap_or(true),
            max_chars: fetch.max_chars.unwrap_or(50_000),
            timeout: Duration::from_secs(fetch.timeout_seconds.unwrap_or(30)),
            max_redirects: fetch.max_redirects.unwrap_or(3),
            user_agent: fetch.user_agent,
            allow_private_network: fetch.allow_private_network.unwrap_or(false),
        },
        loop_detection_enabled: loops.enabled.unwrap_or(true),
        loop_detection_max_repeats: loops.max_repeats.unwrap_or(3),
        guards: resolve_guards(t.guards.as_ref()),
    }
}

/// The scheduler.
#[derive(Debug, Clone)]
pub struct CronConfig {
    /// Run jobs (default true).
    pub enabled: bool,
    /// Concurrent job runs (default 1).
    pub max_concurrent_runs: u32,
}

pub(crate) fn resolve_cron(c: Option<&CronSection>) -> CronConfig {
    let c = c.cloned().unwrap_or_default();
    CronConfig {
        enabled: c.enabled.unwrap_or(true),
        max_concurrent_runs: c.max_concurrent_runs.unwrap_or(1).max(1),
    }
}

/// Webhooks.
#[derive(Debug)]
pub struct HooksConfig {
    /// Serve webhooks (default false).
    pub enabled: bool,
    /// URL prefix (default `/hooks`).
    pub path: String,
    /// Token callers present (required when enabled).
    pub token: Option<Secret>,
    /// Largest body (default 256 KiB).
    pub max_body_bytes: u64,
    /// Custom mappings.
    pub mappings: Vec<HookMappingSection>,
}

pub(crate) fn resolve_hooks(h: Option<&HooksSection>, ctx: &mut Ctx<'_>) -> HooksConfig {
    let h = h.cloned().unwrap_or_default();
    let at = JsonPath::root().key("hooks");
    let enabled = h.enabled.unwrap_or(false);
    let token = if enabled {
        ctx.secret(h.token.as_ref(), at.key("token"))
    } else {
        None
    };
    if enabled && h.token.is_none() {
        ctx.errors.push(
            Issue::error(at.key("token"), "hooks are enabled but no token is set").with_hint(
                "set hooks.token to a long random string different from the gateway token",
            ),
        );
    }
    let path = h.path.unwrap_or_else(|| "/hooks".to_owned());
    if !path.starts_with('/') || path == "/" {
        ctx.errors.push(Issue::error(
            at.key("path"),
            "must start with / and not be the root",
        ));
    }
    HooksConfig {
        enabled,
        path,
        token,
        max_body_bytes: h.max_body_bytes.unwrap_or(256 * 1024),
        mappings: h.mappings.unwrap_or_default(),
    }
}

/// Logging.
#[derive(Debug, Clone)]
pub struct LoggingConfig {
    /// File level (default info).
    pub level: LogLevel,
    /// Console level (None = the command's default).
    pub console_level: Option<LogLevel>,
    /// Console format (default compact).
    pub console_style: ConsoleStyle,
    /// Log file (default `<state dir>/logs/rustyclaw.jsonl`, rotated daily).
    pub file: PathBuf,
    /// Whether `file` is the default, written as one file per day (`<stem>.<date>.<ext>`); a
    /// `logging.file` the config names is written as named, as OpenClaw does.
    pub daily: bool,
}

pub(crate) fn resolve_logging(l: Option<&LoggingSection>, ctx: &Ctx<'_>) -> LoggingConfig {
    let l = l.cloned().unwrap_or_default();
    let daily = l.file.is_none();
    LoggingConfig {
        level: l.level.unwrap_or(LogLevel::Info),
        console_level: l.console_level,
        console_style: l.console_style.unwrap_or(ConsoleStyle::Compact),
        file: l
            .file
            .map(|f| ctx.env.expand_tilde(std::path::Path::new(&f)))
            .unwrap_or_else(|| ctx.locations.logs_dir().join("rustyclaw.jsonl")),
        daily,
    }
}
