//! The tool traits and what a call produces.
//!
//! A built-in tool implements the typed [`Tool`] (native `async fn`, arguments deserialized
//! into a struct). A tool whose name and schema are known only at run time (an MCP server's, a
//! plugin's) implements the object-safe [`DynTool`] directly, taking raw JSON; every `Tool` is
//! a `DynTool` through the blanket impl, which is how the registry holds both kinds alike.

use std::future::Future;
use std::pin::Pin;

use rustyclaw_protocol::transcript::ContentBlock;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::context::ToolContext;
use crate::provenance::{ExternalSource, Provenance};

/// What a call returns.
pub type ToolResult = Result<ToolOutput, ToolError>;

/// The future of a [`DynTool`] call.
pub type ToolFuture<'a> = Pin<Box<dyn Future<Output = ToolResult> + Send + 'a>>;

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

/// A tool called with raw JSON: the object-safe form the registry holds. Implement it directly
/// for a tool whose name, description and schema are only known at run time; implement
/// [`Tool`] for a built-in one.
pub trait DynTool: Send + Sync + 'static {
    /// The tool's name as the model calls it; checked by
    /// [`crate::ToolRegistry::register_dyn`] against the providers' rule.
    fn name(&self) -> &str;

    /// What the tool does, for the model.
    fn description(&self) -> String;

    /// JSON Schema of the arguments (an object schema).
    fn parameters(&self) -> Value;

    /// Runs one call with the model's arguments as they came. The result's
    /// [`ToolOutput::provenance`] must say where its content comes from: an MCP server's answer
    /// is [`ExternalSource::Mcp`], never [`Provenance::Trusted`].
    fn call_json<'a>(&'a self, args: Value, cx: &'a ToolContext) -> ToolFuture<'a>;
}

impl<T: Tool> DynTool for T {
    fn name(&self) -> &str {
        Tool::name(self)
    }

    fn description(&self) -> String {
        Tool::description(self)
    }

    fn parameters(&self) -> Value {
        Tool::parameters(self)
    }

    fn call_json<'a>(&'a self, args: Value, cx: &'a ToolContext) -> ToolFuture<'a> {
        Box::pin(async move {
            // serde_path_to_error puts the offending field in front of serde's message
            // (`timeout: invalid type: …`), so the model learns which argument to fix.
            let args = serde_path_to_error::deserialize::<_, T::Args>(args).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                ToolError::InvalidArguments {
                    tool: Tool::name(self).to_owned(),
                    detail: if path == "." {
                        inner.to_string()
                    } else {
                        format!("{path}: {inner}")
                    },
                }
            })?;
            self.call(args, cx).await
        })
    }
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
    /// Where `content` comes from; decides what the guards score and what is wrapped as
    /// untrusted. Not sent to the model.
    pub provenance: Provenance,
}

impl ToolOutput {
    /// A plain text result in rustyclaw's own words ([`Provenance::Trusted`]).
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            content: vec![ContentBlock::text(text)],
            details: None,
            effects: Vec::new(),
            provenance: Provenance::Trusted,
        }
    }

    /// Adds UI details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// Marks the content as coming from `source`.
    pub fn untrusted(mut self, source: ExternalSource) -> Self {
        self.provenance = Provenance::Untrusted(source);
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
        /// Where the message's text comes from: a failing command's output and an error page
        /// are outside content, scored like a successful result. Boxed to keep the error small.
        provenance: Box<Provenance>,
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
    /// A model-visible failure in rustyclaw's own words.
    pub fn failed(message: impl Into<String>) -> Self {
        ToolError::Failed {
            message: message.into(),
            details: None,
            provenance: Box::new(Provenance::Trusted),
        }
    }

    /// A model-visible failure whose message carries content from `source` (a failing
    /// command's output, an error page).
    pub fn failed_untrusted(message: impl Into<String>, source: ExternalSource) -> Self {
        ToolError::Failed {
            message: message.into(),
            details: None,
            provenance: Box::new(Provenance::Untrusted(source)),
        }
    }

    /// Where the model-visible text of this error comes from.
    pub fn provenance(&self) -> Provenance {
        match self {
            ToolError::Failed { provenance, .. } => Provenance::clone(provenance),
            ToolError::InvalidArguments { .. } | ToolError::Cancelled | ToolError::Fatal { .. } => {
                Provenance::Trusted
            }
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
