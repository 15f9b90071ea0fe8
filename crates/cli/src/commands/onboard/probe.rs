//! The wizard's test completion: the chosen endpoint, model and key, tried once before
//! anything is written, through the same model client a run uses.

use std::time::Duration;

use rustyclaw_agent::{Models, ProbeReport};
use rustyclaw_config::{Env, ExposeSecret, Locations, Secret};

use super::plan::ProviderPlan;

/// The variable the probe's throw-away config reads the key from (it never lands in a file).
const PROBE_KEY_VARIABLE: &str = "RUSTYCLAW_ONBOARD_PROBE_KEY";

/// How long the test completion may take.
const PROBE_TIME: Duration = Duration::from_secs(30);

/// Sends one short request to `provider`'s model with `key`.
pub fn test_completion(
    provider: &ProviderPlan,
    key: Option<&Secret>,
) -> Result<ProbeReport, String> {
    let dir = std::env::temp_dir().join(format!("rustyclaw-onboard-{}", uuid::Uuid::new_v4()));
    let result = run(&dir, provider, key);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run(
    dir: &std::path::Path,
    provider: &ProviderPlan,
    key: Option<&Secret>,
) -> Result<ProbeReport, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut entry = serde_json::json!({
        "baseUrl": provider.base_url,
        "api": provider.api.as_str(),
        "models": [{"id": provider.model, "name": provider.model}],
    });
    let mut pairs = Vec::new();
    if let Some(key) = key {
        entry["apiKey"] =
            serde_json::json!({"source": "env", "provider": "default", "id": PROBE_KEY_VARIABLE});
        pairs.push((PROBE_KEY_VARIABLE, key.expose_secret().to_owned()));
    }
    let config = serde_json::json!({
        "models": {"providers": {provider.id.clone(): entry}},
        "agents": {"defaults": {
            "model": {"primary": format!("{}/{}", provider.id, provider.model)},
            "workspace": dir.join("workspace").display().to_string(),
        }},
    });
    let locations = Locations {
        state_dir: dir.to_path_buf(),
        config_path: dir.join("openclaw.json"),
    };
    std::fs::write(&locations.config_path, config.to_string())
        .map_err(|e| format!("cannot write the probe config: {e}"))?;
    let env = Env::from_pairs(pairs);
    let loaded = rustyclaw_config::load(&locations, &env).map_err(|e| e.to_string())?;
    let agent = loaded
        .config
        .agents
        .get(&loaded.config.agents.default_agent_id)
        .ok_or("no agent in the probe config")?;
    crate::gateway_client::block_on(async {
        let models = Models::new(&loaded.config, &loaded.env)?;
        Ok(models.probe(agent, PROBE_TIME).await)
    })
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())
}
