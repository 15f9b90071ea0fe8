//! `hooks`: inbound webhooks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SecretInput;

/// `hooks` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HooksSection {
    /// Serve webhook endpoints (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// URL prefix (default `/hooks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Token callers must present; must differ from the gateway token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretInput>,
    /// Largest accepted body in bytes (default 262144).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<u64>,
    /// Custom endpoints under the prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mappings: Option<Vec<HookMappingSection>>,
}

/// One webhook mapping.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HookMappingSection {
    /// Mapping id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Which requests this mapping handles.
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub match_: Option<HookMatchSection>,
    /// `wake` (system event) or `agent` (isolated agent run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<HookAction>,
    /// Display name of the hook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Session key for agent runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_key: Option<String>,
    /// Template of the agent message (`{{payload.field}}` is replaced by the payload value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_template: Option<String>,
    /// Template of the wake text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_template: Option<String>,
    /// Deliver the agent's reply to a channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliver: Option<bool>,
    /// Channel for delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Recipient for delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Model override for the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Run timeout in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
}

/// Matching rule of a mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HookMatchSection {
    /// Sub-path under the hooks prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Value of the payload's `source` field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Webhook actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HookAction {
    /// Enqueue a system event for the main session.
    Wake,
    /// Run the agent in its own session.
    Agent,
}
