//! Tool-name patterns: names, `*` wildcards, `group:<name>` shorthands and plugin ids, as
//! OpenClaw reads them in every allow and deny list.

use rustyclaw_config::file::{ToolAllowDeny, ToolPolicySection, ToolProfile};

/// The tools of each `group:<name>`, with OpenClaw's membership. Groups name tools rustyclaw
/// does not ship yet (`browser`, `cron`, …) so that a policy written for OpenClaw means the same
/// thing when those tools arrive.
pub fn group_members(group: &str) -> &'static [&'static str] {
    match group {
        "fs" => &["read", "write", "edit", "apply_patch"],
        "runtime" => &["exec", "process", "code_execution"],
        "web" => &["web_search", "web_fetch", "x_search"],
        "sessions" => &[
            "sessions_list",
            "sessions_history",
            "sessions_send",
            "sessions_spawn",
            "sessions_yield",
            "subagents",
            "session_status",
        ],
        "memory" => &["memory_search", "memory_get"],
        "ui" => &["browser", "canvas"],
        "automation" => &["cron", "gateway"],
        "messaging" => &["message"],
        "nodes" => &["nodes"],
        "agents" => &["agents_list", "update_plan"],
        "media" => &[
            "image",
            "image_generate",
            "music_generate",
            "video_generate",
            "tts",
        ],
        "openclaw" => &[
            "read",
            "write",
            "edit",
            "apply_patch",
            "exec",
            "process",
            "code_execution",
            "web_search",
            "web_fetch",
            "x_search",
            "memory_search",
            "memory_get",
            "sessions_list",
            "sessions_history",
            "sessions_send",
            "sessions_spawn",
            "sessions_yield",
            "subagents",
            "session_status",
            "browser",
            "canvas",
            "message",
            "cron",
            "gateway",
            "nodes",
            "agents_list",
            "update_plan",
            "image",
            "image_generate",
            "music_generate",
            "video_generate",
            "tts",
        ],
        _ => &[],
    }
}

/// A tool name as policies compare it: trimmed, lowercase, with OpenClaw's aliases resolved
/// (`bash` is `exec`, `apply-patch` is `apply_patch`).
pub fn normalize_tool_name(name: &str) -> String {
    let name = name.trim().to_ascii_lowercase();
    match name.as_str() {
        "bash" => "exec".to_owned(),
        "apply-patch" => "apply_patch".to_owned(),
        _ => name,
    }
}

/// The plugin id OpenClaw gives the tools of configured MCP servers: a policy entry
/// `bundle-mcp` stands for all of them, and the `coding` and `messaging` profiles include it.
pub const MCP_PLUGIN_ID: &str = "bundle-mcp";

/// A tool as the policy sees it: its name and, for a tool registered at run time, the id of the
/// plugin that owns it ([`MCP_PLUGIN_ID`] for MCP servers). A plain `&str` is a built-in tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyTool<'a> {
    /// The tool's name.
    pub name: &'a str,
    /// The owning plugin's id; `None` for a built-in tool.
    pub plugin: Option<&'a str>,
}

impl<'a> From<&'a str> for PolicyTool<'a> {
    fn from(name: &'a str) -> Self {
        PolicyTool { name, plugin: None }
    }
}

impl<'a> From<&'a String> for PolicyTool<'a> {
    fn from(name: &'a String) -> Self {
        PolicyTool {
            name: name.as_str(),
            plugin: None,
        }
    }
}

/// A tool's normalized name and plugin id, compared against patterns.
struct Subject {
    name: String,
    plugin: Option<String>,
}

impl Subject {
    fn of(tool: PolicyTool<'_>) -> Self {
        Subject {
            name: normalize_tool_name(tool.name),
            plugin: tool.plugin.map(|p| p.trim().to_ascii_lowercase()),
        }
    }
}

/// Whether `pattern` (a name, a `*` glob, `group:<name>`, `group:plugins` or a plugin id)
/// covers the tool, as OpenClaw expands plugin groups: `group:plugins` is every plugin-owned
/// tool, a plugin's id is each of its tools.
fn covers(pattern: &str, tool: &Subject) -> bool {
    let pattern = normalize_tool_name(pattern);
    if pattern.is_empty() {
        return false;
    }
    if pattern == "group:plugins" {
        return tool.plugin.is_some();
    }
    if let Some(group) = pattern.strip_prefix("group:") {
        return group_members(group).contains(&tool.name.as_str());
    }
    glob(&pattern, &tool.name) || tool.plugin.as_deref() == Some(pattern.as_str())
}

/// `*` matches any run of characters; everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(after) = rest.strip_prefix(part) else {
                return false;
            };
            rest = after;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

/// One step's filter: a tool passes when no `deny` pattern covers it and, if `allow` is a
/// non-empty list, one of its patterns does. `apply_patch` also passes an allow list that names
/// `exec` (it is a form of command execution, as in OpenClaw).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowDeny {
    /// Allowed patterns; `None` or empty allows everything not denied.
    pub allow: Option<Vec<String>>,
    /// Denied patterns.
    pub deny: Vec<String>,
}

impl AllowDeny {
    /// Whether the filter lets `tool` (a built-in tool's name, or a [`PolicyTool`]) through.
    pub fn allows<'t>(&self, tool: impl Into<PolicyTool<'t>>) -> bool {
        let tool = Subject::of(tool.into());
        if self.deny.iter().any(|p| covers(p, &tool)) {
            return false;
        }
        let Some(allow) = self.allow.as_ref().filter(|a| !a.is_empty()) else {
            return true;
        };
        let exec = Subject {
            name: "exec".to_owned(),
            plugin: None,
        };
        allow.iter().any(|p| covers(p, &tool))
            || (tool.name == "apply_patch"
                && tool.plugin.is_none()
                && allow.iter().any(|p| covers(p, &exec)))
    }

    /// The filter of a plain allow/deny list.
    pub fn from_list(list: &ToolAllowDeny) -> Self {
        AllowDeny {
            allow: list.allow.clone(),
            deny: list.deny.clone().unwrap_or_default(),
        }
    }

    /// The allow/deny part of a policy section, as OpenClaw reads it: `alsoAllow` joins a
    /// present `allow` list, and on its own means "everything, plus these". `None` when the
    /// section restricts nothing.
    pub fn from_section(section: &ToolPolicySection) -> Option<Self> {
        let also = section.also_allow.clone().unwrap_or_default();
        let allow = match (&section.allow, also.is_empty()) {
            (Some(allow), _) => Some(union(allow, &also)),
            (None, false) => Some(union(&["*".to_owned()], &also)),
            (None, true) => None,
        };
        if allow.is_none() && section.deny.is_none() {
            return None;
        }
        Some(AllowDeny {
            allow,
            deny: section.deny.clone().unwrap_or_default(),
        })
    }

    /// The filter of a profile widened by `alsoAllow`; `None` for `full` (no restriction).
    /// `coding` and `messaging` include the MCP servers' tools ([`MCP_PLUGIN_ID`]), as upstream.
    pub fn from_profile(profile: ToolProfile, also_allow: &[String]) -> Option<Self> {
        let base: &[&str] = match profile {
            ToolProfile::Full => return None,
            ToolProfile::Minimal => &["session_status"],
            ToolProfile::Coding => &[
                "group:fs",
                "group:runtime",
                "group:web",
                "group:sessions",
                "group:memory",
                "cron",
                "image",
                "image_generate",
                "music_generate",
                "video_generate",
                "update_plan",
                MCP_PLUGIN_ID,
            ],
            ToolProfile::Messaging => &[
                "group:messaging",
                "sessions_list",
                "sessions_history",
                "sessions_send",
                "session_status",
                MCP_PLUGIN_ID,
            ],
        };
        let base: Vec<String> = base.iter().map(|s| (*s).to_owned()).collect();
        Some(AllowDeny {
            allow: Some(union(&base, also_allow)),
            deny: Vec::new(),
        })
    }
}

fn union(base: &[String], extra: &[String]) -> Vec<String> {
    let mut out = base.to_vec();
    for item in extra {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(allow: &[&str], also: &[&str], deny: &[&str]) -> ToolPolicySection {
        let list = |l: &[&str]| (!l.is_empty()).then(|| l.iter().map(|s| s.to_string()).collect());
        ToolPolicySection {
            profile: None,
            allow: list(allow),
            also_allow: list(also),
            deny: list(deny),
        }
    }

    #[test]
    fn deny_wins_over_allow_and_matches_case_insensitively() {
        let p = AllowDeny::from_section(&section(&["exec"], &["exec"], &["EXEC"])).unwrap();
        assert!(!p.allows("exec"));
        assert!(!p.allows("Bash"), "bash is an alias of exec");
    }

    #[test]
    fn groups_and_wildcards() {
        let p = AllowDeny::from_section(&section(&[], &[], &["group:runtime", "web_*"])).unwrap();
        assert!(!p.allows("exec"));
        assert!(!p.allows("process"));
        assert!(!p.allows("web_fetch"));
        assert!(p.allows("read"));
        assert!(glob("*_status", "session_status"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("a*c*e", "abcdf"));
        assert!(!glob("a*", "ba"));
        assert!(
            AllowDeny::from_section(&section(&["*"], &[], &[]))
                .unwrap()
                .allows("anything")
        );
    }

    #[test]
    fn also_allow_alone_means_everything_plus() {
        let p = AllowDeny::from_section(&section(&[], &["exec"], &[])).unwrap();
        assert_eq!(
            p.allow.as_deref(),
            Some(&["*".to_owned(), "exec".to_owned()][..])
        );
        assert!(p.allows("write"));
        let none = AllowDeny::from_section(&section(&[], &[], &[]));
        assert!(none.is_none(), "an empty section restricts nothing");
    }

    #[test]
    fn an_allow_list_naming_exec_admits_apply_patch() {
        let p = AllowDeny::from_section(&section(&["exec"], &[], &[])).unwrap();
        assert!(p.allows("apply_patch"));
        assert!(!p.allows("write"));
        let denied = AllowDeny::from_section(&section(&["exec"], &[], &["apply_patch"])).unwrap();
        assert!(!denied.allows("apply_patch"));
    }

    #[test]
    fn profiles() {
        let minimal = AllowDeny::from_profile(ToolProfile::Minimal, &[]).unwrap();
        assert!(minimal.allows("session_status"));
        assert!(!minimal.allows("read"));
        let widened = AllowDeny::from_profile(ToolProfile::Minimal, &["group:fs".into()]).unwrap();
        assert!(widened.allows("write"));
        assert!(!widened.allows("exec"));
        let messaging = AllowDeny::from_profile(ToolProfile::Messaging, &[]).unwrap();
        assert!(messaging.allows("session_status"));
        assert!(!messaging.allows("exec"));
        let coding = AllowDeny::from_profile(ToolProfile::Coding, &[]).unwrap();
        for tool in [
            "read",
            "write",
            "edit",
            "apply_patch",
            "exec",
            "process",
            "web_fetch",
        ] {
            assert!(coding.allows(tool), "{tool}");
        }
        assert!(!coding.allows("gateway"));
        assert!(AllowDeny::from_profile(ToolProfile::Full, &[]).is_none());
    }

    #[test]
    fn plugin_ids_and_group_plugins_cover_run_time_tools_only() {
        let mcp = PolicyTool {
            name: "notes__search",
            plugin: Some(MCP_PLUGIN_ID),
        };
        let calendar = PolicyTool {
            name: "calendar_add",
            plugin: Some("Calendar"),
        };
        let deny = |pattern: &str| AllowDeny {
            allow: None,
            deny: vec![pattern.to_owned()],
        };
        assert!(!deny("group:plugins").allows(mcp));
        assert!(!deny("group:plugins").allows(calendar));
        assert!(deny("group:plugins").allows("read"));
        assert!(!deny("BUNDLE-MCP").allows(mcp));
        assert!(deny("bundle-mcp").allows(calendar));
        assert!(
            !deny("calendar").allows(calendar),
            "plugin ids are case-insensitive"
        );
        assert!(!deny("notes__*").allows(mcp));
        assert!(
            deny("notes__*").allows("notes"),
            "a built-in name is not a plugin"
        );
        // A plugin's tool does not inherit apply_patch's pass from an allowed `exec`.
        let exec_only = AllowDeny {
            allow: Some(vec!["exec".into()]),
            deny: vec![],
        };
        assert!(!exec_only.allows(PolicyTool {
            name: "apply_patch",
            plugin: Some("patcher"),
        }));
        let coding = AllowDeny::from_profile(ToolProfile::Coding, &[]).unwrap();
        assert!(coding.allows(mcp) && !coding.allows(calendar));
        let messaging = AllowDeny::from_profile(ToolProfile::Messaging, &[]).unwrap();
        assert!(messaging.allows(mcp));
        let minimal = AllowDeny::from_profile(ToolProfile::Minimal, &[]).unwrap();
        assert!(!minimal.allows(mcp));
    }

    #[test]
    fn unknown_groups_and_empty_patterns_match_nothing() {
        let p = AllowDeny {
            allow: Some(vec!["group:nope".into(), "  ".into()]),
            deny: vec![],
        };
        assert!(!p.allows("read"));
    }
}
