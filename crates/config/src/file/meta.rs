//! `meta`, `wizard` and `env`: bookkeeping and environment sections.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `meta`: written by tools that edit the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetaSection {
    /// Version of the program that last wrote the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_touched_version: Option<String>,
    /// When the file was last written (ISO-8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_touched_at: Option<String>,
    /// Config migrations already applied (by OpenClaw's doctor); kept as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migrations: Option<BTreeMap<String, bool>>,
}

/// `wizard`: record of the last onboarding run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WizardSection {
    /// When onboarding last ran (ISO-8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run_at: Option<String>,
    /// Version that ran it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run_version: Option<String>,
    /// Command that ran it (`onboard`, `configure`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run_command: Option<String>,
    /// Gateway mode chosen (`local` or `remote`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run_mode: Option<String>,
}

/// `env`: variables available to `${VAR}` substitution (never overriding the real environment).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvSection {
    /// Variables, as `{ NAME: "value" }`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vars: Option<BTreeMap<String, String>>,
    /// Variables given inline at the top of `env` (`env: { OPENAI_API_KEY: "…" }`).
    #[serde(flatten)]
    pub inline: BTreeMap<String, String>,
}
