//! `cron`: the job scheduler.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `cron` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronSection {
    /// Run scheduled jobs (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Most jobs running at once (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrent_runs: Option<u32>,
    /// How long isolated run sessions are kept, e.g. `24h` (default), or `false` to keep forever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_retention: Option<serde_json::Value>,
    /// Run log limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_log: Option<CronRunLogSection>,
}

/// `cron.runLog`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronRunLogSection {
    /// Largest run log per job in bytes (default 2000000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u64>,
    /// Lines kept when trimming (default 2000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_lines: Option<u64>,
}
