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
