//! The typed tool trait and what a call produces.

use std::future::Future;

use rustyclaw_protocol::transcript::ContentBlock;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::context::ToolContext;

/// A built-in tool with typed arguments.
pub trait Tool: Send + Sync + 'static {
    /// Arguments, deserialized from the model's JSON (unknown fields are the tool's choice).
    type Args: DeserializeOwned + Send;

    /// The tool's name as the model calls it (`read`, `exec`, …).
    fn name(&self) -> &'static str;

    /// What the tool does, for the model.
    fn description(&self) -> String;

    /// JSON Schema of the arguments, upstream's exactly.
    fn parameters(&self) -> Value;

    /// Runs one call.
    fn call(
        &self,
        args: Self::Args,
        cx: &ToolContext,
    ) -> impl Future<Output = Result<ToolOutput, ToolError>> + Send;
}

/// Something a tool asks the runtime to change besides answering (applied by the agent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolEffect {
    /// `session_status { model }`: set (`Some`) or clear (`None`, "default") the session's
    /// model override.
    SetModelOverride(Option<String>),
}

/// A successful call's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    /// What the model sees (text and images).
    pub content: Vec<ContentBlock>,
    /// Structured details for UIs (diffs, exit codes…); not sent to the model.
    pub details: Option<Value>,
    /// Changes the runtime should apply.
    pub effects: Vec<ToolEffect>,
}

impl ToolOutput {
    /// A plain text result.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            content: vec![ContentBlock::text(text)],
            details: None,
            effects: Vec::new(),
        }
    }

    /// Adds UI details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// The model should see this and may try again differently (becomes an error result).
    #[error("{message}")]
    Failed {
        /// What went wrong, phrased for the model.
        message: String,
        /// Structured details for UIs.
        details: Option<Value>,
    },
    /// The arguments did not match the schema (becomes an error result).
    #[error("invalid arguments for {tool}: {detail}")]
    InvalidArguments {
        /// Tool name.
        tool: String,
        /// What was wrong (serde's message, with the field path).
        detail: String,
    },
    /// The run was cancelled while the tool ran.
    #[error("cancelled")]
    Cancelled,
    /// Something the model cannot fix; aborts the run.
    #[error("{tool} failed fatally: {reason}")]
    Fatal {
        /// Tool name.
        tool: String,
        /// What went wrong.
        reason: String,
    },
}

impl ToolError {
    /// A model-visible failure.
    pub fn failed(message: impl Into<String>) -> Self {
        ToolError::Failed {
            message: message.into(),
            details: None,
        }
    }

    /// Whether the run must stop (as opposed to telling the model).
    pub fn is_fatal(&self) -> bool {
        match self {
            ToolError::Failed { .. } | ToolError::InvalidArguments { .. } => false,
            ToolError::Cancelled | ToolError::Fatal { .. } => true,
        }
    }
}
