//! Tools by name: the built-in ones and those registered at run time.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustyclaw_protocol::transcript::ContentBlock;
use serde_json::Value;

use crate::context::ToolContext;
use crate::name::{InvalidToolName, ToolName};
use crate::policy::PolicyTool;
use crate::tool::{DynTool, Tool, ToolError, ToolResult};
use crate::web::wrap::wrap_external;

/// Who put a tool in the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolOrigin {
    /// Compiled into rustyclaw ([`ToolRegistry::register`]).
    Builtin,
    /// Registered at run time ([`ToolRegistry::register_dyn`]) on behalf of a plugin: the
    /// policy's `group:plugins` and the plugin's id cover it.
    Plugin {
        /// The plugin's id (`bundle-mcp` for MCP servers).
        id: Arc<str>,
    },
}

/// What a run-time tool may do when its name is already taken by a built-in tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shadowing {
    /// Refuse the registration (the default: a plugin must not silently replace `exec`).
    #[default]
    Refuse,
    /// Replace the built-in tool: the operator asked for it.
    ReplaceBuiltin,
}

/// Why a run-time tool was not registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// The name breaks the providers' rule.
    #[error(transparent)]
    InvalidName(#[from] InvalidToolName),
    /// The plugin id is empty or not made of letters, digits, `_` and `-`.
    #[error("{plugin:?} is not a valid plugin id: use 1 to 64 ASCII letters, digits, '_' or '-'")]
    InvalidPlugin {
        /// The refused id.
        plugin: String,
    },
    /// A built-in tool has this name and shadowing was not asked for.
    #[error("tool {name} is built in; a run-time tool may replace it only when asked to")]
    ShadowsBuiltin {
        /// The name.
        name: String,
    },
    /// Another run-time tool already has this name.
    #[error("tool {name} is already registered by plugin {plugin}")]
    Taken {
        /// The name.
        name: String,
        /// The plugin that registered it first.
        plugin: String,
    },
    /// The parameters are not an object schema, which every provider requires.
    #[error("tool {name}: parameters must be a JSON Schema object with \"type\": \"object\"")]
    InvalidSchema {
        /// The name.
        name: String,
    },
}

#[derive(Clone)]
struct Entry {
    tool: Arc<dyn DynTool>,
    origin: ToolOrigin,
}

/// A name → tool map.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: BTreeMap<ToolName, Entry>,
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

    /// Adds the built-in `tool`, replacing one of the same name.
    pub fn register<T: Tool>(&mut self, tool: T) {
        let name = Tool::name(&tool);
        match ToolName::new(name) {
            Ok(name) => {
                self.tools.insert(
                    name,
                    Entry {
                        tool: Arc::new(tool),
                        origin: ToolOrigin::Builtin,
                    },
                );
            }
            // Built-in names are constants; one that breaks the rule is a bug caught by the
            // registry tests, and must not take the process down.
            Err(error) => tracing::error!(%error, "built-in tool not registered"),
        }
    }

    /// Adds `tool`, whose name and schema were learnt at run time, on behalf of `plugin`
    /// (`bundle-mcp` for an MCP server's tools). The name must follow the providers' rule, the
    /// parameters must be an object schema, and the name must be free: a built-in tool is
    /// replaced only under [`Shadowing::ReplaceBuiltin`], another run-time tool never.
    pub fn register_dyn(
        &mut self,
        plugin: &str,
        tool: Arc<dyn DynTool>,
        shadowing: Shadowing,
    ) -> Result<ToolName, RegisterError> {
        let name = ToolName::new(tool.name())?;
        let plugin_id = ToolName::new(plugin).map_err(|_| RegisterError::InvalidPlugin {
            plugin: plugin.to_owned(),
        })?;
        if tool.parameters().get("type").and_then(Value::as_str) != Some("object") {
            return Err(RegisterError::InvalidSchema {
                name: name.to_string(),
            });
        }
        match self.tools.get(&name).map(|e| &e.origin) {
            None => {}
            Some(ToolOrigin::Builtin) if shadowing == Shadowing::ReplaceBuiltin => {}
            Some(ToolOrigin::Builtin) => {
                return Err(RegisterError::ShadowsBuiltin {
                    name: name.to_string(),
                });
            }
            Some(ToolOrigin::Plugin { id }) => {
                return Err(RegisterError::Taken {
                    name: name.to_string(),
                    plugin: id.to_string(),
                });
            }
        }
        self.tools.insert(
            name.clone(),
            Entry {
                tool,
                origin: ToolOrigin::Plugin {
                    id: Arc::from(plugin_id.as_str()),
                },
            },
        );
        Ok(name)
    }

    /// Takes over the tools `from` got at run time (an MCP server's), with their plugins: a
    /// registry rebuilt for a new configuration keeps what was registered into the old one.
    /// Built-in tools come from the configuration and are not copied; a run-time tool that
    /// replaced a built-in one replaces it here too.
    pub fn adopt_run_time_tools(&mut self, from: &ToolRegistry) {
        for (name, entry) in &from.tools {
            if matches!(entry.origin, ToolOrigin::Plugin { .. }) {
                self.tools.insert(name.clone(), entry.clone());
            }
        }
    }

    /// Keeps only the tools the policy lets through (`keep` sees each tool's name and plugin).
    pub fn retain(&mut self, mut keep: impl FnMut(PolicyTool<'_>) -> bool) {
        self.tools
            .retain(|name, entry| keep(policy_tool(name, &entry.origin)));
    }

    /// A copy holding only the tools for which `keep` holds (the policy chain's result for one
    /// turn). Cheap: the tools themselves are shared.
    pub fn filtered(&self, keep: impl FnMut(PolicyTool<'_>) -> bool) -> ToolRegistry {
        let mut copy = self.clone();
        copy.retain(keep);
        copy
    }

    /// Tool names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.tools.keys().map(ToolName::as_str).collect()
    }

    /// Every tool as the policy chain sees it (name and owning plugin), sorted by name.
    pub fn policy_tools(&self) -> Vec<PolicyTool<'_>> {
        self.tools
            .iter()
            .map(|(name, entry)| policy_tool(name, &entry.origin))
            .collect()
    }

    /// Whether a tool of this name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.tools.contains_key(name)
    }

    /// Who registered the named tool.
    pub fn origin(&self, name: &str) -> Option<&ToolOrigin> {
        self.tools.get(name).map(|e| &e.origin)
    }

    /// `(name, description, parameters schema)` of every tool, sorted by name.
    pub fn specs(&self) -> Vec<(&str, String, Value)> {
        self.tools
            .iter()
            .map(|(name, e)| (name.as_str(), e.tool.description(), e.tool.parameters()))
            .collect()
    }

    /// Calls the named tool with raw JSON arguments; `None` when no such tool exists. What a
    /// run-time tool returns from outside reaches the caller between the untrusted-content
    /// markers (a built-in tool wraps its own output where upstream does).
    pub async fn call(&self, name: &str, args: Value, cx: &ToolContext) -> Option<ToolResult> {
        let entry = self.tools.get(name)?.clone();
        let result = entry.tool.call_json(args, cx).await;
        Some(match entry.origin {
            ToolOrigin::Builtin => result,
            ToolOrigin::Plugin { .. } => wrap_untrusted(result),
        })
    }
}

fn policy_tool<'a>(name: &'a ToolName, origin: &'a ToolOrigin) -> PolicyTool<'a> {
    PolicyTool {
        name: name.as_str(),
        plugin: match origin {
            ToolOrigin::Builtin => None,
            ToolOrigin::Plugin { id } => Some(id),
        },
    }
}

/// Wraps a run-time tool's outside text the way `web_fetch` wraps a page, by its provenance:
/// the notice before the first text block, every text block between markers, marker look-alikes
/// inside neutralised. The tool's author (an MCP server) cannot be relied on to do it.
fn wrap_untrusted(result: ToolResult) -> ToolResult {
    match result {
        Ok(mut output) => {
            if let Some(source) = output.provenance.external().filter(|s| s.is_wrapped()) {
                let label = source.label();
                let mut notice = true;
                for block in &mut output.content {
                    if let ContentBlock::Text(text) = block {
                        text.text = wrap_external(&text.text, &label, notice);
                        notice = false;
                    }
                }
            }
            Ok(output)
        }
        Err(ToolError::Failed {
            message,
            details,
            provenance,
        }) => {
            let message = match provenance.external().filter(|s| s.is_wrapped()) {
                Some(source) => wrap_external(&message, &source.label(), true),
                None => message,
            };
            Err(ToolError::Failed {
                message,
                details,
                provenance,
            })
        }
        Err(other) => Err(other),
    }
}
