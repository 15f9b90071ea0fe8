//! What a config change needs: which changed paths apply to the running gateway at once, which
//! need the gateway's listener restarted, and which only take effect at the next start.
//!
//! OpenClaw plans a reload the same way (`gateway/configuration/hot-reload.md`): each changed
//! path is matched against a table of prefixes, the longest matching prefix decides, and a path
//! no rule matches restarts the gateway. The table here follows upstream's for the sections
//! rustyclaw implements, and is narrower where a part of rustyclaw is built once per process:
//! those paths restart (or, for logging, wait for the next start and say so) instead of
//! pretending to apply.

use serde_json::Value;

use crate::merge_patch::diff_edits;

/// What one changed path needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadKind {
    /// Applies to the next turn, request or connection without dropping anyone (upstream `hot`
    /// and `none`).
    Hot,
    /// Needs the gateway restarted: its listener, its authentication mode or credentials, or
    /// something else read once when it starts. Clients are told (`shutdown` with
    /// `restartExpectedMs`) and reconnect.
    Restart,
    /// Read once when the process starts (the log file and level): stored, and in force after
    /// the next start of the process; the change is logged as such.
    NextStart,
}

/// Prefix rules; the longest prefix matching a path decides. Paths matching none restart.
const RULES: &[(&str, ReloadKind)] = &[
    // Agents, models, sessions, messages, tools: read by each turn from the runtime's config.
    ("agents", ReloadKind::Hot),
    ("agent", ReloadKind::Hot),
    ("models", ReloadKind::Hot),
    ("auth", ReloadKind::Hot),
    ("tools", ReloadKind::Hot),
    ("skills", ReloadKind::Hot),
    ("session", ReloadKind::Hot),
    ("messages", ReloadKind::Hot),
    ("commands", ReloadKind::Hot),
    ("approvals", ReloadKind::Hot),
    ("bindings", ReloadKind::Hot),
    ("broadcast", ReloadKind::Hot),
    ("routing", ReloadKind::Hot),
    ("channels", ReloadKind::Hot),
    ("identity", ReloadKind::Hot),
    ("env", ReloadKind::Hot),
    ("secrets", ReloadKind::Hot),
    ("memory", ReloadKind::Hot),
    ("hooks", ReloadKind::Hot),
    ("cron", ReloadKind::Hot),
    ("plugins", ReloadKind::Hot),
    ("mcp", ReloadKind::Hot),
    ("audio", ReloadKind::Hot),
    ("talk", ReloadKind::Hot),
    ("tts", ReloadKind::Hot),
    // Nothing running reads these (upstream `none`).
    ("meta", ReloadKind::Hot),
    ("wizard", ReloadKind::Hot),
    ("ui", ReloadKind::Hot),
    ("tui", ReloadKind::Hot),
    ("update", ReloadKind::Hot),
    // The logger is set up once per process.
    ("logging", ReloadKind::NextStart),
    // Gateway settings read per request or per handshake; the rest of `gateway` restarts (the
    // HTTP endpoints among them: their routes are built when the gateway starts).
    ("gateway.remote", ReloadKind::Hot),
    ("gateway.reload", ReloadKind::Hot),
    ("gateway.tools", ReloadKind::Hot),
    ("gateway.trustedProxies", ReloadKind::Hot),
    ("gateway.controlUi.allowedOrigins", ReloadKind::Hot),
    // Served pages check it per request (upstream: hot); base path and root need a restart.
    ("gateway.controlUi.enabled", ReloadKind::Hot),
    ("gateway", ReloadKind::Restart),
    ("discovery", ReloadKind::Restart),
    ("secrets.egressProxy", ReloadKind::Restart),
];

/// How a path is applied.
pub fn kind_of(path: &str) -> ReloadKind {
    RULES
        .iter()
        .filter(|(prefix, _)| matches_prefix(path, prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map_or(ReloadKind::Restart, |(_, kind)| *kind)
}

fn matches_prefix(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// The changed paths of a config, sorted by what they need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadPlan {
    /// Paths applied at once.
    pub hot: Vec<String>,
    /// Paths that need the gateway restarted.
    pub restart: Vec<String>,
    /// Paths in force after the next start of the process.
    pub next_start: Vec<String>,
}

impl ReloadPlan {
    /// The plan for going from `old` to `new`: whole config documents as loaded (after
    /// `$include` and substitution), so an edit in an included file or a changed `${VAR}`
    /// counts as the change it makes.
    pub fn between(old: &Value, new: &Value) -> Self {
        let mut plan = ReloadPlan::default();
        for (path, _) in diff_edits(old, new) {
            let path = path.to_string();
            match kind_of(&path) {
                ReloadKind::Hot => plan.hot.push(path),
                ReloadKind::Restart => plan.restart.push(path),
                ReloadKind::NextStart => plan.next_start.push(path),
            }
        }
        plan
    }

    /// Whether the gateway must restart to apply the change.
    pub fn needs_restart(&self) -> bool {
        !self.restart.is_empty()
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.hot.is_empty() && self.restart.is_empty() && self.next_start.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_longest_matching_prefix_decides_and_unknown_paths_restart() {
        assert_eq!(kind_of("agents.defaults.model.primary"), ReloadKind::Hot);
        assert_eq!(
            kind_of("models.providers.fake.models[0].id"),
            ReloadKind::Hot
        );
        assert_eq!(kind_of("gateway.port"), ReloadKind::Restart);
        assert_eq!(kind_of("gateway.bind"), ReloadKind::Restart);
        assert_eq!(kind_of("gateway.tls.enabled"), ReloadKind::Restart);
        assert_eq!(kind_of("gateway.auth.token"), ReloadKind::Restart);
        assert_eq!(kind_of("gateway.auth.mode"), ReloadKind::Restart);
        assert_eq!(kind_of("gateway.reload.mode"), ReloadKind::Hot);
        assert_eq!(kind_of("gateway.remote.url"), ReloadKind::Hot);
        assert_eq!(kind_of("gateway.trustedProxies[1]"), ReloadKind::Hot);
        assert_eq!(kind_of("gateway.controlUi.enabled"), ReloadKind::Hot);
        assert_eq!(kind_of("gateway.controlUi.root"), ReloadKind::Restart);
        assert_eq!(kind_of("logging.level"), ReloadKind::NextStart);
        assert_eq!(kind_of("secrets.egressProxy.url"), ReloadKind::Restart);
        assert_eq!(kind_of("secrets.providers.vault"), ReloadKind::Hot);
        assert_eq!(kind_of("somethingNew.key"), ReloadKind::Restart);
        // A prefix matches whole segments only.
        assert_eq!(kind_of("gatewayX"), ReloadKind::Restart);
        assert_eq!(kind_of("agentsX"), ReloadKind::Restart);
    }

    #[test]
    fn a_plan_sorts_each_changed_path() {
        let old = json!({"gateway": {"port": 1, "reload": {"mode": "hybrid"}}, "logging": {"level": "info"}});
        let new = json!({
            "gateway": {"port": 1, "reload": {"mode": "off"}},
            "logging": {"level": "debug"},
            "agents": {"defaults": {"timeoutSeconds": 5}}
        });
        let plan = ReloadPlan::between(&old, &new);
        assert!(!plan.needs_restart(), "{plan:?}");
        assert_eq!(plan.hot, vec!["gateway.reload.mode", "agents"]);
        assert_eq!(plan.next_start, vec!["logging.level"]);

        let moved = json!({"gateway": {"port": 2, "reload": {"mode": "hybrid"}}, "logging": {"level": "info"}});
        let plan = ReloadPlan::between(&old, &moved);
        assert!(plan.needs_restart());
        assert_eq!(plan.restart, vec!["gateway.port"]);
        assert!(ReloadPlan::between(&old, &old).is_empty());
    }
}
