//! `environments.list` and `plugins.list`: where runs can execute and which plugins are loaded,
//! as OpenClaw's Control UI asks on its Systems and Plugins pages. rustyclaw runs every turn on
//! the gateway host (no paired nodes or cloud workers) and loads no plugins (providers, tools
//! and channels are built in), so the truthful answers are one local environment and no
//! plugins.

use serde_json::{Value, json};

use super::config::params::check_keys;
use super::{READ, Reply, unhandled};

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[("environments.list", READ), ("plugins.list", READ)];

pub(super) fn call(method: &str, params: &Value) -> Reply {
    match method {
        "environments.list" => {
            check_keys(
                method,
                params,
                &["runtimeId", "projection", "includeDesktopSetup"],
            )?;
            // `projection: "profiles"` asks for worker profiles only, and there are none.
            if params.get("projection").and_then(Value::as_str) == Some("profiles") {
                return Ok(json!({"environments": []}));
            }
            Ok(json!({"environments": [{
                "id": "gateway",
                "type": "local",
                "label": "Gateway local",
                "status": "available",
                "platform": std::env::consts::OS,
                "sessionHost": true,
                "trust": "persistent",
                "capabilities": ["agent.run", "sessions", "tools", "workspace"],
            }]}))
        }
        "plugins.list" => {
            check_keys(method, params, &[])?;
            Ok(json!({"plugins": [], "diagnostics": [], "mutationAllowed": false}))
        }
        _ => unhandled(method),
    }
}
