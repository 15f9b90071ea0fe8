//! `memory.search {query, maxResults?, minScore?, agentId?}`: an agent's memory searched as
//! its `memory_search` tool searches it (OpenClaw's memory-core gateway method, what the
//! Control UI's memory view and `openclaw memory search` over the gateway use).

use serde_json::{Value, json};

use super::config::params::{check_keys, optional_string, required_string};
use rustyclaw_protocol::gateway::{ErrorCode, ErrorShape};

use super::{Call, Fail, READ, Reply, invalid, unhandled};

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[("memory.search", READ)];

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    match method {
        "memory.search" => search(call, method, params).await,
        _ => unhandled(method),
    }
}

fn number(params: &Value, name: &str) -> Result<Option<f64>, Fail> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| invalid("maxResults and minScore must be finite numbers when provided")),
    }
}

/// `UNAVAILABLE` with upstream's wording; the detail names no secret (provider errors are
/// scrubbed where they are made).
fn unavailable(detail: &dyn std::fmt::Display) -> Fail {
    Box::new(ErrorShape::new(
        ErrorCode::Unavailable,
        format!("memory search unavailable: {detail}"),
    ))
}

async fn search(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    check_keys(
        method,
        params,
        &["query", "maxResults", "minScore", "agentId"],
    )?;
    let query = required_string(method, params, "query")
        .map_err(|_| invalid("query must be a non-empty string"))?
        .trim()
        .to_owned();
    if query.is_empty() {
        return Err(invalid("query must be a non-empty string"));
    }
    let max_results = number(params, "maxResults")?;
    let min_score = number(params, "minScore")?;
    let config = call.state.config();
    let agent_id = match optional_string(method, params, "agentId") {
        Ok(Some(id)) => id.to_owned(),
        Ok(None) => config.agents.default_agent_id.clone(),
        Err(_) => return Err(invalid("unknown agentId")),
    };
    if config.agents.get(&agent_id).is_none() {
        return Err(invalid("unknown agentId"));
    }
    let Some(service) = call.state.0.options.memory.clone() else {
        return Err(unavailable(&"this gateway runs without a memory index"));
    };
    let memory = match service.agent(&agent_id).await {
        Ok(Some(memory)) => memory,
        Ok(None) => {
            return Err(unavailable(&"memory.search.enabled is false"));
        }
        Err(error) => return Err(unavailable(&error)),
    };
    memory.sync(false).await.map_err(|e| unavailable(&e))?;
    let request = rustyclaw_memory::SearchRequest {
        query: &query,
        max_results: max_results
            .filter(|n| *n >= 1.0)
            .map_or(memory.settings.max_results, |n| n as usize),
        min_score: min_score.unwrap_or(memory.settings.min_score),
        now_ms: rustyclaw_support::now_ms_i64(),
    };
    let outcome = rustyclaw_memory::search::search(&memory, request)
        .await
        .map_err(|e| unavailable(&e))?;
    let mut out = json!({
        "agentId": agent_id,
        "provider": outcome.provider.as_deref().unwrap_or("none"),
        "searchMode": outcome.mode.as_str(),
        "results": outcome.hits,
    });
    if outcome.stale {
        out["stale"] = json!(true);
    }
    if let Some(warning) = outcome.warning {
        out["warning"] = json!(warning);
    }
    Ok(out)
}
