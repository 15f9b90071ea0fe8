//! `auth`: model credential profiles.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `auth` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthSection {
    /// Credential profiles by id (`provider:name`); the credentials themselves live in the store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profiles: Option<BTreeMap<String, AuthProfileSection>>,
    /// Rotation order of profile ids per provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<BTreeMap<String, Vec<String>>>,
    /// How long failing profiles are set aside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldowns: Option<AuthCooldownsSection>,
}

/// One credential profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthProfileSection {
    /// Provider id the profile authenticates to.
    pub provider: String,
    /// `api_key`, `oauth` or `token`.
    pub mode: AuthProfileMode,
    /// Account e-mail, for display.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Credential kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthProfileMode {
    /// A static API key.
    ApiKey,
    /// OAuth tokens with refresh.
    Oauth,
    /// A static bearer token.
    Token,
}

/// `auth.cooldowns`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthCooldownsSection {
    /// First back-off after a billing failure, in hours (default 5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_backoff_hours: Option<f64>,
    /// Longest billing back-off, in hours (default 24).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_max_hours: Option<f64>,
    /// Window over which failures are counted, in hours (default 24).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_window_hours: Option<f64>,
}
