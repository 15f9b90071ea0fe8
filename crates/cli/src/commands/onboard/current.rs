//! What the config says before onboarding touches it: a second run starts from these values
//! instead of the defaults, so it never moves the port or rotates the token unasked.

use std::path::Path;

use serde_json::{Map, Value};

use crate::args::{BindChoice, GatewayAuthChoice};

/// The existing config's document (its own text, `$include`s not followed: onboarding edits
/// only this file).
#[derive(Debug, Default)]
pub struct Current {
    doc: Map<String, Value>,
}

impl Current {
    /// The config at `path`, or an empty one when there is none yet.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let doc = match rustyclaw_config::read_optional(path)? {
            Some(text) => rustyclaw_config::parse_document(&text, path)?,
            None => Map::new(),
        };
        Ok(Self { doc })
    }

    /// Whether the config has nothing in it yet (a first run).
    pub fn is_empty(&self) -> bool {
        self.doc.is_empty()
    }

    /// The value at `segments`, if set.
    pub fn get(&self, segments: &[impl AsRef<str>]) -> Option<&Value> {
        let (first, rest) = segments.split_first()?;
        let mut value = self.doc.get(first.as_ref())?;
        for segment in rest {
            value = value.get(segment.as_ref())?;
        }
        Some(value)
    }

    fn text(&self, segments: &[&str]) -> Option<&str> {
        self.get(segments)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }

    /// `gateway.port`.
    pub fn port(&self) -> Option<u16> {
        self.get(&["gateway", "port"])
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
    }

    /// `gateway.bind`, when it is one onboarding offers.
    pub fn bind(&self) -> Option<BindChoice> {
        match self.text(&["gateway", "bind"])? {
            "loopback" => Some(BindChoice::Loopback),
            "lan" => Some(BindChoice::Lan),
            _ => None,
        }
    }

    /// `gateway.auth.mode`.
    pub fn auth_mode(&self) -> Option<GatewayAuthChoice> {
        match self.text(&["gateway", "auth", "mode"])? {
            "token" => Some(GatewayAuthChoice::Token),
            "password" => Some(GatewayAuthChoice::Password),
            "none" => Some(GatewayAuthChoice::None),
            _ => None,
        }
    }

    /// Whether `gateway.auth.<field>` holds a value (a string or a SecretRef).
    pub fn has_auth_secret(&self, field: &str) -> bool {
        self.get(&["gateway", "auth", field])
            .is_some_and(|v| v.as_str().is_none_or(|s| !s.trim().is_empty()))
    }

    /// `agents.defaults.workspace`.
    pub fn workspace(&self) -> Option<&str> {
        self.text(&["agents", "defaults", "workspace"])
    }

    /// The default model: `agents.defaults.model.primary`, or the string form of
    /// `agents.defaults.model`.
    pub fn model(&self) -> Option<&str> {
        self.text(&["agents", "defaults", "model", "primary"])
            .or_else(|| self.text(&["agents", "defaults", "model"]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current(json: Value) -> Current {
        let Value::Object(doc) = json else {
            panic!("not an object")
        };
        Current { doc }
    }

    #[test]
    fn reads_the_values_a_second_run_keeps() {
        let c = current(serde_json::json!({
            "gateway": {"port": 18800, "bind": "lan", "auth": {"mode": "token", "token": "t"}},
            "agents": {"defaults": {"workspace": "~/ws", "model": {"primary": "openai/gpt-5.1"}}}
        }));
        assert_eq!(c.port(), Some(18800));
        assert_eq!(c.bind(), Some(BindChoice::Lan));
        assert_eq!(c.auth_mode(), Some(GatewayAuthChoice::Token));
        assert!(c.has_auth_secret("token"));
        assert!(!c.has_auth_secret("password"));
        assert_eq!(c.workspace(), Some("~/ws"));
        assert_eq!(c.model(), Some("openai/gpt-5.1"));
        assert!(!c.is_empty());
    }

    #[test]
    fn a_string_model_and_odd_values_are_read_as_written() {
        let c = current(serde_json::json!({
            "gateway": {"port": 99999, "bind": "tailnet", "auth": {"token": {"source": "env", "provider": "default", "id": "T"}}},
            "agents": {"defaults": {"model": "anthropic/claude-sonnet-4-5"}}
        }));
        assert_eq!(c.port(), None);
        assert_eq!(c.bind(), None);
        assert!(c.has_auth_secret("token"), "a SecretRef is a token too");
        assert_eq!(c.model(), Some("anthropic/claude-sonnet-4-5"));
    }
}
