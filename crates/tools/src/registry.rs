//! Tools by name, type-erased.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;

use crate::context::ToolContext;
use crate::tool::{Tool, ToolError, ToolOutput};

/// What a call through the registry returns.
pub type ToolResult = Result<ToolOutput, ToolError>;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The object-safe twin of [`Tool`], implemented for every `Tool` by the blanket impl below.
trait ErasedTool: Send + Sync {
    fn name(&self) -> &'static str;
    fn description(&self) -> String;
    fn parameters(&self) -> Value;
    fn call_json<'a>(&'a self, args: Value, cx: &'a ToolContext) -> BoxFuture<'a, ToolResult>;
}

impl<T: Tool> ErasedTool for T {
    fn name(&self) -> &'static str {
        Tool::name(self)
    }

    fn description(&self) -> String {
        Tool::description(self)
    }

    fn parameters(&self) -> Value {
        Tool::parameters(self)
    }

    fn call_json<'a>(&'a self, args: Value, cx: &'a ToolContext) -> BoxFuture<'a, ToolResult> {
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

/// A name → tool map.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: BTreeMap<&'static str, Arc<dyn ErasedTool>>,
}

impl std::fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.tools.keys()).finish()
    }
}

impl ToolRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `tool`, replacing one of the same name.
    pub fn register<T: Tool>(&mut self, tool: T) {
        self.tools.insert(Tool::name(&tool), Arc::new(tool));
    }

    /// Keeps only the tools for which `keep(name)` holds (the policy chain's result).
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.tools.retain(|name, _| keep(name));
    }

    /// A copy holding only the tools for which `keep(name)` holds (the policy chain's result
    /// for one turn). Cheap: the tools themselves are shared.
    pub fn filtered(&self, mut keep: impl FnMut(&str) -> bool) -> ToolRegistry {
        let mut copy = self.clone();
        copy.tools.retain(|name, _| keep(name));
        copy
    }

    /// Tool names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.tools.keys().copied().collect()
    }

    /// Whether a tool of this name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.tools.contains_key(name)
    }

    /// `(name, description, parameters schema)` of every tool, sorted by name.
    pub fn specs(&self) -> Vec<(&'static str, String, Value)> {
        self.tools
            .values()
            .map(|t| (t.name(), t.description(), t.parameters()))
            .collect()
    }

    /// Calls the named tool with raw JSON arguments; `None` when no such tool exists.
    pub async fn call(&self, name: &str, args: Value, cx: &ToolContext) -> Option<ToolResult> {
        let tool = Arc::clone(self.tools.get(name)?);
        Some(tool.call_json(args, cx).await)
    }
}
