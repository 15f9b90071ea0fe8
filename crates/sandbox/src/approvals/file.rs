//! `exec-approvals.json`: the host's approvals policy and per-agent allowlists, in OpenClaw's
//! format, so the same file works for both.
//!
//! The file is the host's own say over what runs on it. It is read fresh for every decision (an
//! edit takes effect at once), written atomically with mode 0600, and never overwritten when it
//! cannot be parsed: a broken file is reported with its path and the JSON path of the bad value,
//! and every command that would need it is refused until it is fixed. Fields rustyclaw does not
//! use (`socket`, `argPattern`, …) are kept as they are.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rustyclaw_support::{WritePolicy, write_atomic};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::policy::{
    Ask, DEFAULT_ASK_FALLBACK, DEFAULT_HOST_ASK, DEFAULT_HOST_SECURITY, Policy, Security,
};

/// The file's name in the state directory.
pub const APPROVALS_FILE_NAME: &str = "exec-approvals.json";

/// The agent key whose settings and allowlist apply to every agent.
pub const ALL_AGENTS: &str = "*";

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalsFile {
    /// Format version; only 1 exists.
    pub version: u32,
    /// Host defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<PolicyFields>,
    /// Per-agent settings and allowlists, by agent id (`*` for all agents).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub agents: BTreeMap<String, AgentApprovals>,
    /// Fields rustyclaw does not use (`socket`, …), kept on rewrite.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Default for ApprovalsFile {
    fn default() -> Self {
        ApprovalsFile {
            version: 1,
            defaults: None,
            agents: BTreeMap::new(),
            other: Map::new(),
        }
    }
}

/// `defaults`: the host policy for every agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyFields {
    /// `deny`, `allowlist` or `full`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<Security>,
    /// `off`, `on-miss` or `always`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask: Option<Ask>,
    /// What applies when nobody answers: `deny`, `allowlist` or `full`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask_fallback: Option<Security>,
    /// Upstream's skill-CLI auto-allow (kept, not implemented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_allow_skills: Option<bool>,
    /// Fields rustyclaw does not use, kept on rewrite.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `agents.<id>`: one agent's overrides and allowlist.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentApprovals {
    /// Overrides `defaults.security`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<Security>,
    /// Overrides `defaults.ask`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask: Option<Ask>,
    /// Overrides `defaults.askFallback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask_fallback: Option<Security>,
    /// Upstream's skill-CLI auto-allow (kept, not implemented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_allow_skills: Option<bool>,
    /// Executables this agent may run without asking.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowlist: Vec<AllowlistEntry>,
    /// Fields rustyclaw does not use, kept on rewrite.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One allowlisted executable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowlistEntry {
    /// Stable id (a UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Glob over the executable's canonical path: `*` within a path segment, `**` across
    /// segments, `?` one character, `~/` the home directory. Bare names never match.
    pub pattern: String,
    /// Unix ms of the last command it allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<i64>,
    /// The last command it allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_command: Option<String>,
    /// The executable path it last matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_resolved_path: Option<String>,
    /// Fields rustyclaw does not use (`argPattern`, `source`, …), kept on rewrite.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl AllowlistEntry {
    /// A new entry for `pattern` with a fresh id.
    pub fn new(pattern: &str) -> Self {
        AllowlistEntry {
            id: Some(uuid::Uuid::new_v4().to_string()),
            pattern: pattern.trim().to_owned(),
            last_used_at: None,
            last_used_command: None,
            last_resolved_path: None,
            other: Map::new(),
        }
    }

    /// Whether the entry restricts arguments (`argPattern`), which rustyclaw cannot check: such
    /// an entry never matches, so it can never allow more than its author meant.
    pub fn restricts_arguments(&self) -> bool {
        self.other
            .get("argPattern")
            .and_then(Value::as_str)
            .is_some_and(|p| !p.trim().is_empty())
    }
}

/// An allowlist entry with the agent key it is stored under.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopedEntry {
    /// `*` or the agent id.
    pub scope: String,
    /// The entry.
    pub entry: AllowlistEntry,
}

/// The host layer for one agent, after `agents.<id>`, `agents.*` and `defaults` are merged.
#[derive(Debug, Clone, PartialEq)]
pub struct HostPolicy {
    /// The host's security, ask and fallback.
    pub policy: Policy,
    /// `agents.*` entries first, then the agent's own.
    pub allowlist: Vec<ScopedEntry>,
}

impl ApprovalsFile {
    /// The host layer for `agent_id`: each field from the agent, else from `agents.*`, else from
    /// `defaults`, else upstream's built-in default (full, off, fallback deny).
    pub fn host_policy(&self, agent_id: &str) -> HostPolicy {
        let defaults = self.defaults.clone().unwrap_or_default();
        let agent = self.agents.get(agent_id);
        let all = self.agents.get(ALL_AGENTS);
        let pick =
            |f: fn(&AgentApprovals) -> Option<Security>, d: Option<Security>, builtin: Security| {
                agent
                    .and_then(f)
                    .or_else(|| all.and_then(f))
                    .or(d)
                    .unwrap_or(builtin)
            };
        let ask = agent
            .and_then(|a| a.ask)
            .or_else(|| all.and_then(|a| a.ask))
            .or(defaults.ask)
            .unwrap_or(DEFAULT_HOST_ASK);
        let mut allowlist = Vec::new();
        let mut scopes = vec![ALL_AGENTS];
        if agent_id != ALL_AGENTS {
            scopes.push(agent_id);
        }
        for scope in scopes {
            if let Some(a) = self.agents.get(scope) {
                allowlist.extend(a.allowlist.iter().map(|entry| ScopedEntry {
                    scope: scope.to_owned(),
                    entry: entry.clone(),
                }));
            }
        }
        HostPolicy {
            policy: Policy {
                security: pick(|a| a.security, defaults.security, DEFAULT_HOST_SECURITY),
                ask,
                ask_fallback: pick(
                    |a| a.ask_fallback,
                    defaults.ask_fallback,
                    DEFAULT_ASK_FALLBACK,
                ),
            },
            allowlist,
        }
    }

    /// Adds `pattern` to `scope`'s allowlist unless an entry with that pattern is there; returns
    /// whether it was added.
    pub fn add_pattern(&mut self, scope: &str, pattern: &str, now_ms: i64) -> bool {
        let list = &mut self.agents.entry(scope.to_owned()).or_default().allowlist;
        if list.iter().any(|e| e.pattern == pattern.trim()) {
            return false;
        }
        let mut entry = AllowlistEntry::new(pattern);
        entry.last_used_at = Some(now_ms);
        list.push(entry);
        true
    }

    /// Removes every entry of `scope` with `pattern`; returns how many. An agent left with no
    /// settings and no entries is dropped.
    pub fn remove_pattern(&mut self, scope: &str, pattern: &str) -> usize {
        let Some(agent) = self.agents.get_mut(scope) else {
            return 0;
        };
        let before = agent.allowlist.len();
        agent.allowlist.retain(|e| e.pattern != pattern.trim());
        let removed = before - agent.allowlist.len();
        if *agent == AgentApprovals::default() {
            self.agents.remove(scope);
        }
        removed
    }

    /// Records that `entry` allowed `command` (resolved to `resolved_path`): `lastUsedAt`,
    /// `lastUsedCommand`, `lastResolvedPath`; gives it an id if it had none.
    pub fn record_use(
        &mut self,
        entry: &ScopedEntry,
        command: &str,
        resolved_path: Option<&str>,
        now_ms: i64,
    ) {
        let Some(agent) = self.agents.get_mut(&entry.scope) else {
            return;
        };
        let found = agent.allowlist.iter_mut().find(|e| match &entry.entry.id {
            Some(id) => e.id.as_ref() == Some(id),
            None => e.pattern == entry.entry.pattern,
        });
        if let Some(e) = found {
            if e.id.is_none() {
                e.id = Some(uuid::Uuid::new_v4().to_string());
            }
            e.last_used_at = Some(now_ms);
            e.last_used_command = Some(command.to_owned());
            e.last_resolved_path = resolved_path.map(str::to_owned);
        }
    }
}

/// Why the approvals file could not be read or written. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalsError {
    /// Reading failed (permissions, a directory in the way).
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The content is not a valid approvals file; the file is left as it is.
    #[error("{} is not a valid exec approvals file: at {json_path}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where in the document (`agents.main.allowlist[0].pattern`, or `.` for the whole).
        json_path: String,
        /// What is wrong there.
        message: String,
    },
    /// A version this build does not know.
    #[error("{} has version {found}; only version 1 is supported", path.display())]
    Version {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
    /// The path is a symlink; writing through it could replace another file.
    #[error("refusing to write exec approvals through the symlink {}", path.display())]
    Symlink {
        /// The file.
        path: PathBuf,
    },
    /// Writing failed; the previous file is untouched.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

/// The approvals file at one path. Updates in this process are serialised; each one re-reads
/// the file so edits made meanwhile (by `rustyclaw approvals`, by hand) are kept.
#[derive(Debug)]
pub struct ApprovalsStore {
    path: PathBuf,
    write_lock: Mutex<()>,
}

impl ApprovalsStore {
    /// The file at `path`.
    pub fn new(path: PathBuf) -> Self {
        ApprovalsStore {
            path,
            write_lock: Mutex::new(()),
        }
    }

    /// `<state_dir>/exec-approvals.json`.
    pub fn in_state_dir(state_dir: &Path) -> Self {
        Self::new(state_dir.join(APPROVALS_FILE_NAME))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's content; an absent file reads as an empty version-1 file.
    pub fn load(&self) -> Result<ApprovalsFile, ApprovalsError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ApprovalsFile::default()),
            Err(source) => {
                return Err(ApprovalsError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        parse(&self.path, &text)
    }

    /// Loads, applies `change`, and writes the result back atomically. A file that does not
    /// parse is never overwritten: the parse error is returned and nothing is written.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut ApprovalsFile) -> T,
    ) -> Result<T, ApprovalsError> {
        let _guard = self
            .write_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut file = self.load()?;
        let before = file.clone();
        let out = change(&mut file);
        if file != before {
            self.save(&file)?;
        }
        Ok(out)
    }

    /// Writes `file` atomically with mode 0600 (its directory created 0700), so a reader sees
    /// the old or the new file, never a mix. A symlink at the path is refused: writing through
    /// it could replace another file.
    fn save(&self, file: &ApprovalsFile) -> Result<(), ApprovalsError> {
        let write_err = |source| ApprovalsError::Write {
            path: self.path.clone(),
            source,
        };
        if fs::symlink_metadata(&self.path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(ApprovalsError::Symlink {
                path: self.path.clone(),
            });
        }
        let mut text = serde_json::to_string_pretty(file)
            .map_err(|e| write_err(io::Error::new(io::ErrorKind::InvalidData, e)))?;
        text.push('\n');
        write_atomic(&self.path, text.as_bytes(), WritePolicy::PRIVATE).map_err(write_err)
    }
}

fn parse(path: &Path, text: &str) -> Result<ApprovalsFile, ApprovalsError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let file: ApprovalsFile =
        serde_path_to_error::deserialize(&mut de).map_err(|e| ApprovalsError::Parse {
            path: path.to_owned(),
            json_path: e.path().to_string(),
            message: e.inner().to_string(),
        })?;
    de.end().map_err(|e| ApprovalsError::Parse {
        path: path.to_owned(),
        json_path: ".".into(),
        message: e.to_string(),
    })?;
    if file.version != 1 {
        return Err(ApprovalsError::Version {
            path: path.to_owned(),
            found: file.version,
        });
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use serde_json::json;

    fn store() -> (tempfile::TempDir, ApprovalsStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = ApprovalsStore::in_state_dir(dir.path());
        (dir, store)
    }

    #[test]
    fn unknown_fields_survive_a_rewrite() {
        let (_dir, store) = store();
        let original = json!({
            "version": 1,
            "socket": {"path": "~/.openclaw/exec-approvals.sock", "token": "t0k"},
            "defaults": {"security": "allowlist", "ask": "on-miss", "askFallback": "deny", "futureKnob": 3},
            "agents": {"main": {
                "allowlist": [{"id": "A", "pattern": "/usr/bin/rg", "argPattern": "^-n", "source": "allow-always"}],
                "extra": true
            }}
        });
        fs::write(store.path(), original.to_string()).unwrap();
        store
            .update(|f| f.add_pattern("main", "/usr/bin/jq", 5))
            .unwrap();
        let back: Value = serde_json::from_str(&fs::read_to_string(store.path()).unwrap()).unwrap();
        assert_eq!(back["socket"], original["socket"]);
        assert_eq!(back["defaults"]["futureKnob"], 3);
        assert_eq!(back["agents"]["main"]["extra"], true);
        assert_eq!(back["agents"]["main"]["allowlist"][0]["argPattern"], "^-n");
        assert_eq!(
            back["agents"]["main"]["allowlist"][1]["pattern"],
            "/usr/bin/jq"
        );
        assert_eq!(back["agents"]["main"]["allowlist"][1]["lastUsedAt"], 5);
        let mode = fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_bad_file_is_reported_with_its_json_path_and_never_overwritten() {
        let (_dir, store) = store();
        let bad = r#"{"version": 1, "agents": {"main": {"allowlist": [{"pattern": "/bin/ls"}], "security": "sometimes"}}}"#;
        fs::write(store.path(), bad).unwrap();
        let err = store
            .update(|f| f.add_pattern("main", "/usr/bin/jq", 1))
            .unwrap_err();
        match &err {
            ApprovalsError::Parse { json_path, .. } => {
                assert_eq!(json_path, "agents.main.security")
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("exec-approvals.json"), "{err}");
        assert_eq!(fs::read_to_string(store.path()).unwrap(), bad);

        fs::write(store.path(), r#"{"version": 2}"#).unwrap();
        assert!(matches!(
            store.load(),
            Err(ApprovalsError::Version { found: 2, .. })
        ));
        fs::write(store.path(), "{ not json").unwrap();
        assert!(matches!(store.load(), Err(ApprovalsError::Parse { .. })));
    }

    #[test]
    fn a_missing_file_is_empty_and_a_symlink_is_not_written_through() {
        let (dir, store) = store();
        assert_eq!(store.load().unwrap(), ApprovalsFile::default());
        let elsewhere = dir.path().join("elsewhere.json");
        fs::write(&elsewhere, r#"{"version": 1}"#).unwrap();
        std::os::unix::fs::symlink(&elsewhere, store.path()).unwrap();
        let err = store
            .update(|f| f.add_pattern("*", "/bin/ls", 1))
            .unwrap_err();
        assert!(matches!(err, ApprovalsError::Symlink { .. }), "{err:?}");
        assert_eq!(fs::read_to_string(&elsewhere).unwrap(), r#"{"version": 1}"#);
    }

    #[test]
    fn agent_fields_override_the_wildcard_then_defaults() {
        let file: ApprovalsFile = serde_json::from_value(json!({
            "version": 1,
            "defaults": {"security": "allowlist", "ask": "always"},
            "agents": {
                "*": {"askFallback": "allowlist", "allowlist": [{"pattern": "/usr/bin/uname"}]},
                "main": {"ask": "off", "allowlist": [{"pattern": "/usr/bin/rg"}]}
            }
        }))
        .unwrap();
        let main = file.host_policy("main");
        assert_eq!(main.policy.security, Security::Allowlist);
        assert_eq!(main.policy.ask, Ask::Off);
        assert_eq!(main.policy.ask_fallback, Security::Allowlist);
        let patterns: Vec<(&str, &str)> = main
            .allowlist
            .iter()
            .map(|e| (e.scope.as_str(), e.entry.pattern.as_str()))
            .collect();
        assert_eq!(patterns, [("*", "/usr/bin/uname"), ("main", "/usr/bin/rg")]);
        let other = file.host_policy("work");
        assert_eq!(other.policy.ask, Ask::Always);
        assert_eq!(other.allowlist.len(), 1);
        let empty = ApprovalsFile::default().host_policy("main");
        assert_eq!(
            (
                empty.policy.security,
                empty.policy.ask,
                empty.policy.ask_fallback
            ),
            (Security::Full, Ask::Off, Security::Deny)
        );
    }

    #[test]
    fn use_is_recorded_on_the_matching_entry_and_removal_cleans_up() {
        let mut file = ApprovalsFile::default();
        assert!(file.add_pattern("main", "/usr/bin/rg", 1));
        assert!(
            !file.add_pattern("main", " /usr/bin/rg ", 2),
            "no duplicates"
        );
        let scoped = file.host_policy("main").allowlist[0].clone();
        file.record_use(&scoped, "rg -n TODO", Some("/usr/bin/rg"), 99);
        let entry = &file.agents["main"].allowlist[0];
        assert_eq!(entry.last_used_at, Some(99));
        assert_eq!(entry.last_used_command.as_deref(), Some("rg -n TODO"));
        assert_eq!(entry.last_resolved_path.as_deref(), Some("/usr/bin/rg"));
        assert_eq!(file.remove_pattern("main", "/usr/bin/rg"), 1);
        assert!(file.agents.is_empty());
    }
}
