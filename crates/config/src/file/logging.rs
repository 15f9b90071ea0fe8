//! `logging`: log levels and the log file.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `logging` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoggingSection {
    /// Level written to the log file (default `info`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<LogLevel>,
    /// Log file path (default `<state dir>/logs/rustyclaw.jsonl`, rotated daily).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Level printed to the console (default `warn` for commands, `info` for the gateway).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_level: Option<LogLevel>,
    /// Console format: `pretty`, `compact` (default) or `json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_style: Option<ConsoleStyle>,
    /// Redact sensitive values in tool summaries: `off` or `tools` (default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redact_sensitive: Option<String>,
}

/// Log levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Nothing.
    Silent,
    /// Only fatal errors.
    Fatal,
    /// Errors.
    Error,
    /// Warnings and errors.
    Warn,
    /// Informational messages.
    Info,
    /// Debugging detail.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    /// The `tracing` filter directive for this level.
    pub fn as_filter(self) -> &'static str {
        match self {
            LogLevel::Silent => "off",
            LogLevel::Fatal | LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// Console log formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConsoleStyle {
    /// Multi-line, colourful.
    Pretty,
    /// One line per event.
    Compact,
    /// JSON lines.
    Json,
}
