//! The global tool policy: `tools.profile`, `tools.allow`, `tools.alsoAllow`, `tools.deny`.
//!
//! Names match case-insensitively, `*` is a wildcard, and `group:<name>` stands for a group of
//! tools (`group:fs`, `group:runtime`, `group:web`, `group:sessions`, `group:openclaw`). The
//! profile gives the starting set, `alsoAllow` adds to it, a non-empty `allow` keeps only what
//! it names, and `deny` always wins. Per-agent and per-provider policies are applied on top by
//! the caller.

use rustyclaw_config::file::{ToolPolicySection, ToolProfile};

/// The built-in tools of each group.
fn group(name: &str) -> &'static [&'static str] {
    match name {
        "fs" => &["read", "write", "edit", "apply_patch"],
        "runtime" => &["exec", "process"],
        "web" => &["web_fetch"],
        "sessions" => &["session_status"],
        "openclaw" => &[
            "read",
            "write",
            "edit",
            "apply_patch",
            "exec",
            "process",
            "web_fetch",
            "session_status",
        ],
        _ => &[],
    }
}

/// Whether `pattern` (a name, a `*` glob or `group:<name>`) covers `tool`.
fn covers(pattern: &str, tool: &str) -> bool {
    let pattern = pattern.trim().to_ascii_lowercase();
    let tool = tool.to_ascii_lowercase();
    if let Some(name) = pattern.strip_prefix("group:") {
        return group(name).contains(&tool.as_str());
    }
    glob(&pattern, &tool)
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

fn in_profile(profile: ToolProfile, tool: &str) -> bool {
    match profile {
        ToolProfile::Minimal => tool == "session_status",
        ToolProfile::Messaging => group("sessions").contains(&tool),
        ToolProfile::Coding | ToolProfile::Full => true,
    }
}

/// Whether `policy` lets the model see `tool`.
pub fn allows(policy: &ToolPolicySection, tool: &str) -> bool {
    let any =
        |list: &Option<Vec<String>>| list.iter().flatten().any(|pattern| covers(pattern, tool));
    if any(&policy.deny) {
        return false;
    }
    let base =
        in_profile(policy.profile.unwrap_or(ToolProfile::Coding), tool) || any(&policy.also_allow);
    match &policy.allow {
        Some(allow) if !allow.is_empty() => base && any(&policy.allow),
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(
        profile: ToolProfile,
        allow: &[&str],
        also: &[&str],
        deny: &[&str],
    ) -> ToolPolicySection {
        let list = |l: &[&str]| (!l.is_empty()).then(|| l.iter().map(|s| s.to_string()).collect());
        ToolPolicySection {
            profile: Some(profile),
            allow: list(allow),
            also_allow: list(also),
            deny: list(deny),
        }
    }

    #[test]
    fn deny_wins_over_everything() {
        let p = policy(ToolProfile::Full, &["exec"], &["exec"], &["EXEC"]);
        assert!(!allows(&p, "exec"));
    }

    #[test]
    fn groups_and_wildcards() {
        let p = policy(ToolProfile::Coding, &[], &[], &["group:runtime", "web_*"]);
        assert!(!allows(&p, "exec"));
        assert!(!allows(&p, "process"));
        assert!(!allows(&p, "web_fetch"));
        assert!(allows(&p, "read"));
        assert!(glob("*_status", "session_status"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("a*c*e", "abcdf"));
    }

    #[test]
    fn profiles_and_allow_lists() {
        let minimal = policy(ToolProfile::Minimal, &[], &[], &[]);
        assert!(allows(&minimal, "session_status"));
        assert!(!allows(&minimal, "read"));
        let widened = policy(ToolProfile::Minimal, &[], &["group:fs"], &[]);
        assert!(allows(&widened, "write"));
        assert!(!allows(&widened, "exec"));
        let only_read = policy(ToolProfile::Coding, &["read"], &[], &[]);
        assert!(allows(&only_read, "read"));
        assert!(!allows(&only_read, "write"));
    }
}
