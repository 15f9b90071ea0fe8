//! Config keys OpenClaw knows that rustyclaw does not implement (yet).
//!
//! A key listed here is accepted with a warning naming its path — never silently ignored and
//! never a hard error, so an OpenClaw config keeps loading. A key listed with an *inert value*
//! produces no warning when it holds that value, because rustyclaw already behaves that way
//! (for example `discovery.mdns.mode: "off"`: rustyclaw never advertises over mDNS).
//! Keys in neither this table nor rustyclaw's schema are errors.
//!
//! `*` matches any single key. Sources: OpenClaw's zod schema (`src/config/zod-schema*.ts`),
//! its configuration reference, and configs written by OpenClaw 2026.9 itself.

/// One upstream key: its path pattern and, optionally, the value that means "feature off".
pub struct UpstreamKey {
    /// Dotted path pattern, `*` for any key.
    pub pattern: &'static str,
    /// JSON text of a value that needs no warning (rustyclaw already behaves so).
    pub inert: Option<&'static str>,
}

pub(crate) const fn key(pattern: &'static str) -> UpstreamKey {
    UpstreamKey {
        pattern,
        inert: None,
    }
}

const fn inert(pattern: &'static str, value: &'static str) -> UpstreamKey {
    UpstreamKey {
        pattern,
        inert: Some(value),
    }
}

/// The table.
pub const UPSTREAM_KEYS: &[UpstreamKey] = &[
    // Whole top-level sections rustyclaw does not implement yet.
    key("diagnostics"),
    key("cli"),
    key("update"),
    inert("update.checkOnStart", "false"),
    inert("update.auto", "false"),
    key("browser"),
    key("ui"),
    key("acp"),
    key("nodeHost"),
    key("audio"),
    key("media"),
    key("commands.native"),
    key("commands.nativeSkills"),
    key("commands.bash"),
    key("commands.bashForegroundMs"),
    key("commands.config"),
    key("commands.mcp"),
    key("commands.plugins"),
    key("commands.debug"),
    key("commands.restart"),
    key("approvals"),
    key("web"),
    key("discovery"),
    inert("discovery.mdns.mode", "\"off\""),
    key("discovery.wideArea"),
    key("canvasHost"),
    key("talk"),
    key("memory.search.rememberAcrossConversations"),
    key("memory.search.multimodal"),
    key("memory.search.experimental"),
    key("memory.search.remote.batch"),
    key("memory.search.store.vector"),
    key("mcp"),
    key("plugins"),
    inert("plugins.entries.*.config.sessionCatalog.enabled", "false"),
    key("plugins.entries.*.enabled"),
    key("plugins.entries.*.config"),
    key("plugins.entries.*.hooks"),
    key("plugins.entries.*.subagent"),
    key("plugins.allow"),
    key("plugins.deny"),
    key("plugins.enabled"),
    key("plugins.load"),
    key("plugins.slots"),
    key("plugins.installs"),
    // env
    key("env.shellEnv"),
    // secrets
    key("secrets.providers.*.pluginIntegration"),
    // gateway
    key("gateway.auth.allowTailscale"),
    key("gateway.auth.trustedProxy"),
    key("gateway.allowRealIpFallback"),
    key("gateway.controlUi.embedSandbox"),
    key("gateway.controlUi.allowExternalEmbedUrls"),
    key("gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback"),
    key("gateway.controlUi.allowInsecureAuth"),
    key("gateway.controlUi.dangerouslyDisableDeviceAuth"),
    key("gateway.webchat"),
    key("gateway.channelHealthCheckMinutes"),
    key("gateway.channelStaleEventThresholdMinutes"),
    key("gateway.channelMaxRestartsPerHour"),
    key("gateway.remote"),
    key("gateway.reload.deferralTimeoutMs"),
    key("gateway.tls"),
    key("gateway.http.securityHeaders"),
    key("gateway.push"),
    key("gateway.nodes"),
    // agents
    key("agents.defaults.repoRoot"),
    key("agents.defaults.contextInjection"),
    key("agents.defaults.bootstrapPromptTruncationWarning"),
    key("agents.defaults.imageModel"),
    key("agents.defaults.imageGenerationModel"),
    key("agents.defaults.videoGenerationModel"),
    key("agents.defaults.musicGenerationModel"),
    key("agents.defaults.pdfModel"),
    key("agents.defaults.params"),
    key("agents.defaults.agentRuntime"),
    key("agents.defaults.elevatedDefault"),
    key("agents.defaults.mediaMaxMb"),
    key("agents.defaults.heartbeat"),
    key("agents.defaults.compaction.enabled"),
    key("agents.defaults.compaction.mode"),
    key("agents.defaults.compaction.provider"),
    key("agents.defaults.compaction.thinkingLevel"),
    key("agents.defaults.compaction.keepRecentTokens"),
    key("agents.defaults.compaction.identifierPolicy"),
    key("agents.defaults.compaction.recentTurnsPreserve"),
    key("agents.defaults.compaction.qualityGuard"),
    key("agents.defaults.compaction.midTurnPrecheck"),
    key("agents.defaults.compaction.postIndexSync"),
    key("agents.defaults.compaction.postCompactionSections"),
    key("agents.defaults.compaction.model"),
    key("agents.defaults.compaction.timeoutSeconds"),
    key("agents.defaults.compaction.maxActiveTranscriptBytes"),
    key("agents.defaults.compaction.notifyUser"),
    key("agents.defaults.compaction.memoryFlush.model"),
    key("agents.defaults.compaction.memoryFlush.softThresholdTokens"),
    key("agents.defaults.compaction.memoryFlush.forceFlushTranscriptBytes"),
    key("agents.defaults.contextPruning"),
    key("agents.defaults.typingMode"),
    key("agents.defaults.subagents"),
    key("agents.defaults.memorySearch"),
    key("agents.defaults.sandbox.docker"),
    key("agents.defaults.sandbox.browser"),
    key("agents.defaults.sandbox.prune"),
    key("agents.defaults.sandbox.ssh"),
    key("agents.defaults.sandbox.backend"),
    key("agents.defaults.sandbox.sessionToolsVisibility"),
    key("agents.defaults.sandbox.perSession"),
    key("agents.defaults.sandbox.workspaceRoot"),
    key("agents.list.*.sandbox.docker"),
    key("agents.list.*.sandbox.browser"),
    key("agents.list.*.sandbox.prune"),
    key("agents.list.*.sandbox.ssh"),
    key("agents.list.*.sandbox.backend"),
    key("agents.list.*.sandbox.sessionToolsVisibility"),
    key("agents.list.*.sandbox.perSession"),
    key("agents.list.*.sandbox.workspaceRoot"),
    key("agents.entries.*.sandbox.docker"),
    key("agents.entries.*.sandbox.browser"),
    key("agents.entries.*.sandbox.prune"),
    key("agents.entries.*.sandbox.ssh"),
    key("agents.entries.*.sandbox.backend"),
    key("agents.entries.*.sandbox.sessionToolsVisibility"),
    key("agents.entries.*.sandbox.perSession"),
    key("agents.entries.*.sandbox.workspaceRoot"),
    key("agents.list.*.groupChat.historyLimit"),
    key("agents.list.*.groupChat.unmentionedInbound"),
    key("agents.list.*.heartbeat"),
    key("agents.list.*.subagents"),
    key("agents.list.*.params"),
    key("agents.list.*.memorySearch"),
    key("agents.entries.*.groupChat.historyLimit"),
    key("agents.entries.*.groupChat.unmentionedInbound"),
    key("agents.entries.*.heartbeat"),
    key("agents.entries.*.subagents"),
    key("agents.entries.*.params"),
    key("agents.entries.*.memorySearch"),
    // models
    inert("models.catalogRefresh.enabled", "false"),
    key("models.catalogRefresh"),
    key("models.providers.*.request"),
    key("models.providers.*.injectNumCtxForOpenAICompat"),
    key("models.providers.*.models.*.compat"),
    // session
    key("session.store"),
    key("session.typingMode"),
    key("session.typingIntervalSeconds"),
    key("session.parentForkMaxTokens"),
    key("session.sendPolicy"),
    key("session.agentToAgent"),
    key("session.threadBindings"),
    key("session.maintenance"),
    // messages
    key("messages.removeAckAfterReply"),
    key("messages.statusReactions"),
    key("messages.tts"),
    // tools
    key("tools.exec.pathPrepend"),
    key("tools.exec.safeBins"),
    key("tools.exec.node"),
    key("tools.media"),
    key("tools.agentToAgent"),
    key("tools.sessions"),
    key("tools.sessions_spawn"),
    key("tools.experimental"),
    // channels: options of the implemented channels that rustyclaw does not honour yet
    key("channels.modelByChannel"),
    key("channels.defaults.heartbeat"),
    key("channels.*.streaming"),
    key("channels.*.dms"),
    key("channels.*.configWrites"),
    key("channels.*.actions"),
    key("channels.*.reactionLevel"),
    key("channels.*.accounts.*.streaming"),
    // channels OpenClaw ships that rustyclaw has no adapter for yet
    key("channels.imessage"),
    key("channels.bluebubbles"),
    key("channels.msteams"),
    key("channels.googlechat"),
    key("channels.line"),
    key("channels.nostr"),
    key("channels.twitch"),
    key("channels.zalo"),
    key("channels.zalouser"),
    key("channels.feishu"),
    key("channels.nextcloud-talk"),
    key("channels.synology-chat"),
    key("channels.tlon"),
    key("channels.qqbot"),
    key("channels.webchat"),
    // skills
    key("skills.install.allowUploadedArchives"),
    // cron
    key("cron.store"),
    key("cron.retry"),
    key("cron.failureAlert"),
    key("cron.failureDestination"),
    key("cron.webhook"),
    // hooks
    key("hooks.presets"),
    key("hooks.gmail"),
    key("hooks.internal"),
    key("hooks.transformsDir"),
    // logging
    key("logging.otel"),
    // rustyclaw rotates its log daily and keeps 14 files; size-based rotation is not implemented.
    key("logging.maxFileBytes"),
];

/// Whether `segments` matches `pattern` (dotted, `*` = any one key).
pub fn pattern_matches(pattern: &str, segments: &[&str]) -> bool {
    let parts: Vec<&str> = pattern.split('.').collect();
    parts.len() == segments.len() && parts.iter().zip(segments).all(|(p, s)| *p == "*" || p == s)
}

/// The table entry for an exact key path, if OpenClaw knows it.
pub fn lookup(segments: &[&str]) -> Option<&'static UpstreamKey> {
    all().find(|k| pattern_matches(k.pattern, segments))
}

/// Every entry: the table above, then the keys found by comparing OpenClaw 2026.9.6's schema
/// with ours ([`crate::upstream_schema_keys`]).
fn all() -> impl Iterator<Item = &'static UpstreamKey> {
    UPSTREAM_KEYS
        .iter()
        .chain(crate::upstream_schema_keys::UPSTREAM_CHANNEL_KEYS)
        .chain(crate::upstream_schema_keys::UPSTREAM_OTHER_KEYS)
}

/// Keys OpenClaw knows directly under `parent` (for "did you mean" suggestions).
pub fn children_of(parent: &[&str]) -> Vec<&'static str> {
    all()
        .filter_map(|k| {
            let parts: Vec<&str> = k.pattern.split('.').collect();
            (parts.len() == parent.len() + 1 && pattern_matches_prefix(&parts, parent))
                .then(|| parts[parts.len() - 1])
        })
        .filter(|k| *k != "*")
        .collect()
}

/// Whether OpenClaw knows keys strictly below `segments` (so the value there must be walked).
pub fn has_descendants(segments: &[&str]) -> bool {
    all().any(|k| {
        let parts: Vec<&str> = k.pattern.split('.').collect();
        parts.len() > segments.len() && pattern_matches_prefix(&parts, segments)
    })
}

fn pattern_matches_prefix(parts: &[&str], parent: &[&str]) -> bool {
    parts.iter().zip(parent).all(|(p, s)| *p == "*" || p == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_wildcards() {
        assert!(pattern_matches(
            "channels.*.streaming",
            &["channels", "telegram", "streaming"]
        ));
        assert!(!pattern_matches(
            "channels.*.streaming",
            &["channels", "telegram"]
        ));
        assert!(lookup(&["browser"]).is_some());
        assert!(lookup(&["nonsense"]).is_none());
    }

    #[test]
    fn every_inert_value_is_json() {
        for k in UPSTREAM_KEYS {
            if let Some(v) = k.inert {
                assert!(
                    serde_json::from_str::<serde_json::Value>(v).is_ok(),
                    "{}",
                    k.pattern
                );
            }
        }
    }

    #[test]
    fn lists_children_for_suggestions() {
        let kids = children_of(&["gateway"]);
        assert!(kids.contains(&"remote") && kids.contains(&"tls"));
    }
}
