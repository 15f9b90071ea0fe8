//! `skills`: skill loading.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SecretInput;

/// `skills` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SkillsSection {
    /// Bundled skills allowed (absent = all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_bundled: Option<Vec<String>>,
    /// Where skills are loaded from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<SkillsLoadSection>,
    /// Per-skill settings keyed by skill key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<BTreeMap<String, SkillEntrySection>>,
    /// How much of the skills reaches the prompt and how much is read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<SkillsLimitsSection>,
    /// How a skill's dependencies are installed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install: Option<SkillsInstallSection>,
}

/// `skills.limits`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SkillsLimitsSection {
    /// Folders looked at under one root (default 300).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_candidates_per_root: Option<u64>,
    /// Skills loaded from one root (default 200).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_skills_loaded_per_source: Option<u64>,
    /// Skills listed in the system prompt (default 150).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_skills_in_prompt: Option<u64>,
    /// Characters of the prompt's skills catalog (default 18000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_skills_prompt_chars: Option<u64>,
    /// The largest `SKILL.md` read, in bytes (default 256000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_skill_file_bytes: Option<u64>,
}

/// `skills.install`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SkillsInstallSection {
    /// Offer Homebrew first when it is installed (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefer_brew: Option<bool>,
    /// The package manager of `node` install steps (default `npm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_manager: Option<NodeManager>,
    /// Accept skill archives uploaded over the gateway (`skills.upload.*`). rustyclaw has no
    /// upload path: `true` is warned about and has no effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_uploaded_archives: Option<bool>,
}

/// `skills.install.nodeManager`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum NodeManager {
    /// npm.
    Npm,
    /// pnpm.
    Pnpm,
    /// Yarn.
    Yarn,
    /// Bun.
    Bun,
}

impl NodeManager {
    /// Its name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Npm => "npm",
            Self::Pnpm => "pnpm",
            Self::Yarn => "yarn",
            Self::Bun => "bun",
        }
    }
}

/// `skills.load`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SkillsLoadSection {
    /// Extra directories searched for skills.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_dirs: Option<Vec<String>>,
    /// Reload skills when their files change (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch: Option<bool>,
    /// Debounce for the watcher in milliseconds (default 250).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch_debounce_ms: Option<u64>,
    /// Real directories a skill folder linked from a workspace or extra root may point into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_symlink_targets: Option<Vec<String>>,
}

/// One skill's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SkillEntrySection {
    /// Load this skill (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// API key the skill declares as its primary credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<SecretInput>,
    /// Environment variables given to the skill's commands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, String>>,
    /// Free-form settings the skill reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Map<String, serde_json::Value>>,
}
