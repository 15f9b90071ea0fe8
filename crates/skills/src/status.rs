//! Whether each skill may be used here and now, and why not: OpenClaw's `skills.status` and
//! `skills list --json`.
//!
//! A skill is eligible when it is not disabled (`skills.entries.<key>.enabled: false`), not
//! kept out by `skills.allowBundled` (bundled skills only), its `os` list names this platform,
//! and — unless `always` is set — every program of `requires.bins` and one of
//! `requires.anyBins` is an executable on `PATH`, every `requires.env` variable is set (in the
//! environment, in `skills.entries.<key>.env`, or as the skill's `primaryEnv` through
//! `apiKey`), and every `requires.config` path of the config file is truthy. The agent's skill
//! allowlist does not change eligibility; it decides what the agent sees.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Mutex;

use rustyclaw_config::file::{SecretInput, SkillEntrySection};
use serde::Serialize;
use serde_json::Value;

use crate::metadata::{InstallKind, InstallSpec};
use crate::skill::Skill;

/// Config paths that count as set when the config does not mention them (their defaults).
const DEFAULT_TRUE_CONFIG_PATHS: [&str; 2] = ["browser.enabled", "browser.evaluateEnabled"];

/// What the host offers: its platform, the directories of `PATH` and the environment.
#[derive(Debug, Default)]
pub struct HostFacts {
    /// `linux`, `darwin` or `win32`.
    pub platform: String,
    /// The directories of `PATH`, in order.
    pub path_dirs: Vec<PathBuf>,
    /// The environment variables.
    pub env: BTreeMap<String, String>,
    /// Programs already looked up.
    bin_cache: Mutex<HashMap<String, bool>>,
}

impl HostFacts {
    /// Facts from a platform, a `PATH` value and the environment.
    pub fn new(platform: &str, path: Option<&str>, env: BTreeMap<String, String>) -> Self {
        Self {
            platform: platform.to_owned(),
            path_dirs: path
                .map(|p| {
                    std::env::split_paths(p)
                        .filter(|d| !d.as_os_str().is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            env,
            bin_cache: Mutex::new(HashMap::new()),
        }
    }

    /// The platform name Node.js would give for the running OS.
    pub fn current_platform() -> &'static str {
        match std::env::consts::OS {
            "macos" => "darwin",
            "windows" => "win32",
            other => other,
        }
    }

    /// Whether `bin` is an executable file in one of the `PATH` directories.
    pub fn has_bin(&self, bin: &str) -> bool {
        if let Ok(cache) = self.bin_cache.lock()
            && let Some(found) = cache.get(bin)
        {
            return *found;
        }
        let found = !bin.contains('/')
            && self.path_dirs.iter().any(|dir| {
                std::fs::metadata(dir.join(bin))
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            });
        if let Ok(mut cache) = self.bin_cache.lock() {
            cache.insert(bin.to_owned(), found);
        }
        found
    }

    fn has_env(&self, name: &str) -> bool {
        self.env.get(name).is_some_and(|v| !v.trim().is_empty())
    }
}

/// The settings skills are judged against.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// The config file as JSON, for `requires.config`.
    pub config: &'a Value,
    /// `skills.entries`.
    pub entries: &'a BTreeMap<String, SkillEntrySection>,
    /// `skills.allowBundled` (`None` or empty = every bundled skill).
    pub allow_bundled: Option<&'a [String]>,
    /// The agent's skill allowlist (`None` = all).
    pub agent_filter: Option<&'a [String]>,
    /// `skills.install.nodeManager`.
    pub node_manager: &'a str,
    /// `skills.install.preferBrew`.
    pub prefer_brew: bool,
}

/// One requirement list per kind (what is required, or what is missing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequirementLists {
    /// Programs that must all be present.
    pub bins: Vec<String>,
    /// Programs of which one must be present.
    pub any_bins: Vec<String>,
    /// Environment variables.
    pub env: Vec<String>,
    /// Config paths.
    pub config: Vec<String>,
    /// Operating systems.
    pub os: Vec<String>,
}

impl RequirementLists {
    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.bins.is_empty()
            && self.any_bins.is_empty()
            && self.env.is_empty()
            && self.config.is_empty()
            && self.os.is_empty()
    }
}

/// One `requires.config` path and whether it is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigCheck {
    /// The path.
    pub path: String,
    /// Whether it is truthy.
    pub satisfied: bool,
}

/// One way offered to install what a skill needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallOption {
    /// Its id (`installId` of `skills.install`).
    pub id: String,
    /// `brew`, `node`, `go`, `uv` or `download`.
    pub kind: String,
    /// What the user is shown.
    pub label: String,
    /// Programs it provides.
    pub bins: Vec<String>,
}

/// A skill's status, with upstream's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillStatus {
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its source label.
    pub source: String,
    /// Whether it came with the install.
    pub bundled: bool,
    /// Its `SKILL.md`.
    pub file_path: String,
    /// Its folder.
    pub base_dir: String,
    /// Its key under `skills.entries`.
    pub skill_key: String,
    /// The variable `apiKey` stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_env: Option<String>,
    /// Its emoji.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    /// Its homepage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// Eligible whatever it requires (the OS still applies).
    pub always: bool,
    /// Turned off in `skills.entries`.
    pub disabled: bool,
    /// Kept out by `skills.allowBundled`.
    pub blocked_by_allowlist: bool,
    /// Kept out of this agent by its skill allowlist.
    pub blocked_by_agent_filter: bool,
    /// Usable here and now.
    pub eligible: bool,
    /// Its `os` list does not name this platform.
    pub platform_incompatible: bool,
    /// In the agent's catalog.
    pub model_visible: bool,
    /// Offered as a slash command.
    pub user_invocable: bool,
    /// Offered to this agent's users as a slash command.
    pub command_visible: bool,
    /// What it requires.
    pub requirements: RequirementLists,
    /// What is missing.
    pub missing: RequirementLists,
    /// Each `requires.config` path.
    pub config_checks: Vec<ConfigCheck>,
    /// How what is missing can be installed here.
    pub install: Vec<InstallOption>,
}

/// Judges one skill.
pub fn status_of(skill: &Skill, policy: &Policy<'_>, host: &HostFacts) -> SkillStatus {
    let key = skill.key().to_owned();
    let entry = policy.entries.get(&key);
    let disabled = entry.and_then(|e| e.enabled) == Some(false);
    let blocked_by_allowlist = match policy.allow_bundled {
        Some(list) if !list.is_empty() && skill.source.is_bundled() => {
            !list.iter().any(|n| n == &key || n == &skill.name)
        }
        _ => false,
    };
    let meta = skill.metadata.as_ref();
    let always = meta.and_then(|m| m.always) == Some(true);
    let requires = meta.and_then(|m| m.requires.clone()).unwrap_or_default();
    let required = RequirementLists {
        bins: requires.bins,
        any_bins: requires.any_bins,
        env: requires.env,
        config: requires.config,
        os: meta.map(|m| m.os.clone()).unwrap_or_default(),
    };
    let primary_env = meta.and_then(|m| m.primary_env.clone());
    let env_satisfied = |name: &str| {
        host.has_env(name)
            || entry
                .and_then(|e| e.env.as_ref())
                .and_then(|env| env.get(name))
                .is_some_and(|v| !v.trim().is_empty())
            || (primary_env.as_deref() == Some(name)
                && entry
                    .and_then(|e| e.api_key.as_ref())
                    .is_some_and(secret_is_set))
    };
    let config_checks: Vec<ConfigCheck> = required
        .config
        .iter()
        .map(|path| ConfigCheck {
            path: path.clone(),
            satisfied: config_path_truthy(policy.config, path),
        })
        .collect();
    let platform = normalize_os(&host.platform);
    let missing_os =
        if required.os.is_empty() || required.os.iter().any(|os| normalize_os(os) == platform) {
            Vec::new()
        } else {
            required.os.clone()
        };
    let missing = if always {
        RequirementLists {
            os: missing_os,
            ..RequirementLists::default()
        }
    } else {
        RequirementLists {
            bins: required
                .bins
                .iter()
                .filter(|b| !host.has_bin(b))
                .cloned()
                .collect(),
            any_bins: if required.any_bins.is_empty()
                || required.any_bins.iter().any(|b| host.has_bin(b))
            {
                Vec::new()
            } else {
                required.any_bins.clone()
            },
            env: required
                .env
                .iter()
                .filter(|e| !env_satisfied(e))
                .cloned()
                .collect(),
            config: config_checks
                .iter()
                .filter(|c| !c.satisfied)
                .map(|c| c.path.clone())
                .collect(),
            os: missing_os,
        }
    };
    let eligible = !disabled && !blocked_by_allowlist && missing.is_empty();
    let blocked_by_agent_filter = policy
        .agent_filter
        .is_some_and(|names| !names.iter().any(|n| n == &skill.name));
    let available = eligible && !blocked_by_agent_filter;
    SkillStatus {
        name: skill.name.clone(),
        description: skill.description.clone(),
        source: skill.source.as_str().to_owned(),
        bundled: skill.source.is_bundled(),
        file_path: skill.file_path.display().to_string(),
        base_dir: skill.base_dir.display().to_string(),
        skill_key: key,
        primary_env,
        emoji: skill.emoji().map(str::to_owned),
        homepage: skill.homepage().map(str::to_owned),
        always,
        disabled,
        blocked_by_allowlist,
        blocked_by_agent_filter,
        eligible,
        platform_incompatible: !missing.os.is_empty(),
        model_visible: available && !skill.disable_model_invocation,
        user_invocable: skill.user_invocable,
        command_visible: available && skill.user_invocable,
        requirements: required,
        install: install_options(skill, policy, host),
        missing,
        config_checks,
    }
}

/// An OS name as upstream compares them: trimmed, lower-case, `macos` as `darwin`.
pub(crate) fn normalize_os(os: &str) -> String {
    let os = os.trim().to_ascii_lowercase();
    if os == "macos" {
        "darwin".to_owned()
    } else {
        os
    }
}

fn secret_is_set(secret: &SecretInput) -> bool {
    match secret {
        SecretInput::Literal(text) => !text.trim().is_empty(),
        SecretInput::Ref(_) => true,
    }
}

/// Whether the dotted `path` of the config is truthy (a non-empty string, a non-zero number,
/// `true`, any object or array); a path the config does not mention takes its default.
pub fn config_path_truthy(config: &Value, path: &str) -> bool {
    let mut current = Some(config);
    for part in path.split('.').filter(|p| !p.is_empty()) {
        if matches!(part, "__proto__" | "prototype" | "constructor") {
            return false;
        }
        current = current
            .and_then(|v| v.as_object())
            .and_then(|o| o.get(part));
    }
    match current {
        None => DEFAULT_TRUE_CONFIG_PATHS.contains(&path),
        Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}

/// The install options shown for a skill: every download when all are downloads, otherwise the
/// preferred one (brew when wanted and present, then uv, the node manager, brew, go, download).
fn install_options(skill: &Skill, policy: &Policy<'_>, host: &HostFacts) -> Vec<InstallOption> {
    let Some(meta) = skill.metadata.as_ref() else {
        return Vec::new();
    };
    let platform = normalize_os(&host.platform);
    if !meta.os.is_empty() && !meta.os.iter().any(|os| normalize_os(os) == platform) {
        return Vec::new();
    }
    let fits = |spec: &InstallSpec| {
        spec.os.is_empty() || spec.os.iter().any(|os| normalize_os(os) == platform)
    };
    let candidates: Vec<(usize, &InstallSpec)> = meta
        .install
        .iter()
        .enumerate()
        .filter(|(_, s)| fits(s))
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    if candidates
        .iter()
        .all(|(_, s)| s.kind == InstallKind::Download)
    {
        return candidates
            .iter()
            .map(|(i, s)| option(*i, s, policy.node_manager))
            .collect();
    }
    let find = |kind| candidates.iter().find(|(_, s)| s.kind == kind).copied();
    let brew = find(InstallKind::Brew);
    let brew_here = brew.filter(|_| host.has_bin("brew"));
    let chosen = (if policy.prefer_brew { brew_here } else { None })
        .or_else(|| find(InstallKind::Uv))
        .or_else(|| find(InstallKind::Node))
        .or(brew_here)
        .or_else(|| find(InstallKind::Go))
        .or_else(|| find(InstallKind::Download))
        .or(brew)
        .or_else(|| candidates.first().copied());
    chosen
        .map(|(i, s)| vec![option(i, s, policy.node_manager)])
        .unwrap_or_default()
}

fn option(index: usize, spec: &InstallSpec, node_manager: &str) -> InstallOption {
    let id = crate::installer::step_id(spec, index);
    let mut label = spec.label.clone().unwrap_or_default().trim().to_owned();
    if spec.kind == InstallKind::Node
        && let Some(package) = &spec.package
    {
        label = format!("Install {package} ({node_manager})");
    }
    if label.is_empty() {
        label = match spec.kind {
            InstallKind::Brew => format!(
                "Install {} (brew)",
                spec.formula.clone().unwrap_or_default()
            ),
            InstallKind::Node => "Run installer".to_owned(),
            InstallKind::Go => format!("Install {} (go)", spec.module.clone().unwrap_or_default()),
            InstallKind::Uv => format!("Install {} (uv)", spec.package.clone().unwrap_or_default()),
            InstallKind::Download => {
                let url = spec.url.clone().unwrap_or_default();
                let last = url
                    .rsplit('/')
                    .next()
                    .filter(|l| !l.is_empty())
                    .unwrap_or(&url)
                    .to_owned();
                format!("Download {last}")
            }
        };
    }
    InstallOption {
        id,
        kind: spec.kind.as_str().to_owned(),
        label,
        bins: spec.bins.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_paths_follow_upstream_truthiness_and_defaults() {
        let config = json!({"a": {"b": "x", "zero": 0, "empty": " ", "obj": {}}, "browser": {"enabled": false}});
        assert!(config_path_truthy(&config, "a.b"));
        assert!(config_path_truthy(&config, "a.obj"));
        assert!(!config_path_truthy(&config, "a.zero"));
        assert!(!config_path_truthy(&config, "a.empty"));
        assert!(!config_path_truthy(&config, "a.missing"));
        assert!(!config_path_truthy(&config, "browser.enabled"));
        assert!(config_path_truthy(&json!({}), "browser.enabled"));
        assert!(!config_path_truthy(&config, "a.__proto__"));
    }

    #[test]
    fn bins_are_executables_on_path() {
        let tmp = tempfile::tempdir().unwrap();
        let exe = tmp.path().join("tool");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(tmp.path().join("plain"), "").unwrap();
        let host = HostFacts::new("linux", tmp.path().to_str(), BTreeMap::new());
        assert!(host.has_bin("tool"));
        assert!(!host.has_bin("plain"));
        assert!(!host.has_bin("absent"));
        assert!(!host.has_bin("../tool"));
    }
}
