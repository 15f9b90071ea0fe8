//! `skills.status`, `skills.bins`, `skills.update {skillKey, …}`: the skills of an agent as
//! OpenClaw's Control UI and CLI read them, and their settings written to `skills.entries`.
//!
//! The skills are read from disk at each request (the agent's turns do the same), so the
//! answer is always the skills there are now. `skills.bins` is a node's question upstream
//! (which programs to probe); rustyclaw has no nodes, so an operator with admin scope may ask
//! it. `skills.install` has upstream's modes: ClawHub (`{source: "clawhub", slug}`) and the
//! gateway installer (`{name, installId}`: one `metadata.openclaw.install` step, run in the
//! sandbox into `<state>/tools`; an operator's call with admin scope is the approval).

use std::collections::BTreeSet;

use std::sync::Arc;

use rustyclaw_skills::installer::{InstallerError, Preferences};
use rustyclaw_skills::{HostFacts, SkillsHost};
use serde_json::{Map, Value, json};

use super::config::params::{check_keys, optional_bool, optional_string, required_string};
use super::{ADMIN, Call, Fail, READ, Reply, invalid, unavailable, unhandled};

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("skills.status", READ),
    ("skills.bins", ADMIN),
    ("skills.search", READ),
    ("skills.install", ADMIN),
    ("skills.update", ADMIN),
];

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    match method {
        "skills.status" => status(call, method, params).await,
        "skills.bins" => {
            check_keys(method, params, &[])?;
            bins(call).await
        }
        "skills.update" if params.get("source").is_some() => {
            clawhub_update(call, method, params).await
        }
        "skills.update" => update(call, method, params).await,
        "skills.search" => search(call, method, params).await,
        "skills.install" => install(call, method, params).await,
        _ => unhandled(method),
    }
}

fn host(call: &Call<'_>) -> Result<SkillsHost, Fail> {
    call.state.0.options.skills.clone().ok_or_else(|| {
        Box::new(rustyclaw_protocol::gateway::ErrorShape::new(
            rustyclaw_protocol::gateway::ErrorCode::Unavailable,
            "skills are not available on this gateway",
        ))
    })
}

/// `skills.status {agentId?, sessionKey?}`.
async fn status(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    check_keys(method, params, &["agentId", "sessionKey"])?;
    let config = call.state.config();
    let agent_id = match optional_string(method, params, "agentId")? {
        Some(id) => id.to_owned(),
        None => match optional_string(method, params, "sessionKey")? {
            Some(key) => rustyclaw_protocol::SessionKey::parse(key)
                .map_err(|e| invalid(format!("invalid skills.status params: at /sessionKey: {e}")))?
                .agent_id()
                .map_or_else(
                    || config.agents.default_agent_id.clone(),
                    |id| id.as_str().to_owned(),
                ),
            None => config.agents.default_agent_id.clone(),
        },
    };
    if config.agents.get(&agent_id).is_none() {
        return Err(invalid(format!("unknown agent id \"{agent_id}\"")));
    }
    let host = host(call)?;
    let report = tokio::task::spawn_blocking(move || host.report(&config, &agent_id))
        .await
        .map_err(|e| unavailable("skills.status", &e))?;
    serde_json::to_value(report).map_err(|e| unavailable("skills.status", &e))
}

/// `skills.bins`: every program the skills of every agent look for.
async fn bins(call: &Call<'_>) -> Reply {
    let config = call.state.config();
    let host = host(call)?;
    let bins = tokio::task::spawn_blocking(move || {
        let mut bins = BTreeSet::new();
        for agent in &config.agents.list {
            for skill in host.setup(&config, &agent.id).load().skills {
                let Some(meta) = skill.metadata else { continue };
                if let Some(requires) = meta.requires {
                    bins.extend(requires.bins);
                    bins.extend(requires.any_bins);
                }
                for step in meta.install {
                    bins.extend(step.bins);
                }
            }
        }
        bins
    })
    .await
    .map_err(|e| unavailable("skills.bins", &e))?;
    Ok(json!({"bins": bins}))
}

/// `skills.update {skillKey, enabled?, apiKey?, env?}`: written to `skills.entries.<key>`; an
/// empty `apiKey` or variable value removes it.
async fn update(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    check_keys(method, params, &["skillKey", "enabled", "apiKey", "env"])?;
    let key = required_string(method, params, "skillKey")?.to_owned();
    let mut entry = Map::new();
    if let Some(enabled) = optional_bool(method, params, "enabled")? {
        entry.insert("enabled".into(), Value::Bool(enabled));
    }
    match params.get("apiKey") {
        None => {}
        Some(Value::String(k)) if k.trim().is_empty() => {
            entry.insert("apiKey".into(), Value::Null);
        }
        Some(Value::String(k)) => {
            entry.insert("apiKey".into(), Value::String(k.trim().to_owned()));
        }
        Some(_) => {
            return Err(invalid(
                "invalid skills.update params: at /apiKey: must be string",
            ));
        }
    }
    match params.get("env") {
        None => {}
        Some(Value::Object(vars)) => {
            let mut env = Map::new();
            for (name, value) in vars {
                let Some(value) = value.as_str() else {
                    return Err(invalid(format!(
                        "invalid skills.update params: at /env/{name}: must be string"
                    )));
                };
                let value = value.trim();
                env.insert(
                    name.trim().to_owned(),
                    if value.is_empty() {
                        Value::Null
                    } else {
                        Value::String(value.to_owned())
                    },
                );
            }
            entry.insert("env".into(), Value::Object(env));
        }
        Some(_) => {
            return Err(invalid(
                "invalid skills.update params: at /env: must be object",
            ));
        }
    }
    let patch = json!({"skills": {"entries": {key.clone(): Value::Object(entry)}}});
    let written = super::config::patch_for(call, method, &patch).await?;
    let config = written
        .pointer(&format!(
            "/config/skills/entries/{}",
            key.replace('~', "~0").replace('/', "~1")
        ))
        .cloned()
        .unwrap_or_else(|| json!({}));
    Ok(json!({"ok": true, "skillKey": key, "config": config}))
}

fn hub(call: &Call<'_>) -> Result<rustyclaw_skills::clawhub::ClawHub, Fail> {
    let env = host(call)?.env;
    rustyclaw_skills::clawhub::ClawHub::new(None, &env).map_err(|e| clawhub_error(&e))
}

fn clawhub_error(error: &dyn std::fmt::Display) -> Fail {
    Box::new(rustyclaw_protocol::gateway::ErrorShape::new(
        rustyclaw_protocol::gateway::ErrorCode::Unavailable,
        error.to_string(),
    ))
}

/// The workspace of the `agentId` param (default: the default agent's).
fn install_root(
    call: &Call<'_>,
    method: &str,
    params: &Value,
) -> Result<rustyclaw_skills::clawhub::InstallRoot, Fail> {
    let config = call.state.config();
    let agent_id = optional_string(method, params, "agentId")?
        .map_or_else(|| config.agents.default_agent_id.clone(), str::to_owned);
    let agent = config
        .agents
        .get(&agent_id)
        .ok_or_else(|| invalid(format!("unknown agent id \"{agent_id}\"")))?;
    Ok(rustyclaw_skills::clawhub::InstallRoot {
        base: agent.workspace.clone(),
    })
}

/// `skills.search {query, limit?}`: ClawHub's search.
async fn search(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    check_keys(method, params, &["query", "limit"])?;
    let query = optional_string(method, params, "query")?
        .unwrap_or_default()
        .to_owned();
    let limit = params
        .get("limit")
        .and_then(Value::as_u64)
        .map_or(20, |n| n.clamp(1, 100) as usize);
    let results = hub(call)?
        .search(&query, limit)
        .await
        .map_err(|e| clawhub_error(&e))?;
    Ok(json!({"results": results}))
}

/// `skills.install {source: "clawhub", slug, version?, force?, agentId?}`.
async fn install(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    check_keys(
        method,
        params,
        &[
            "source",
            "slug",
            "version",
            "force",
            "agentId",
            "timeoutMs",
            "name",
            "installId",
            "dangerouslyForceUnsafeInstall",
            "dryRun",
        ],
    )?;
    match params.get("source").and_then(Value::as_str) {
        Some("clawhub") => {}
        None if params.get("installId").is_some() || params.get("name").is_some() => {
            return run_installer(call, method, params).await;
        }
        Some(other) => {
            return Err(invalid(format!(
                "skills.install source \"{other}\" is not supported here: use {{source: \"clawhub\", slug}} or {{name, installId}}"
            )));
        }
        None => {
            return Err(invalid(
                "skills.install needs {source: \"clawhub\", slug} or {name, installId}",
            ));
        }
    }
    let slug = required_string(method, params, "slug")?;
    let skill =
        rustyclaw_skills::clawhub::SkillRef::parse(slug).map_err(|e| invalid(e.to_string()))?;
    let version = optional_string(method, params, "version")?;
    let force = optional_bool(method, params, "force")?.unwrap_or(false);
    let root = install_root(call, method, params)?;
    let hub = hub(call)?;
    match rustyclaw_skills::clawhub::install::install(&hub, &root, &skill, version, force).await {
        Ok(installed) => Ok(json!({"ok": true, "slug": installed.slug, "version": installed.version, "targetDir": installed.dir.display().to_string(), "scan": installed.scan})),
        Err(rustyclaw_skills::clawhub::InstallError::Flagged { report, slug, version, summary }) => Err(Box::new(
            rustyclaw_protocol::gateway::ErrorShape::new(
                rustyclaw_protocol::gateway::ErrorCode::InvalidRequest,
                format!("{slug} {version} was refused by the static scan: {summary}; install it with force: true after reading its files"),
            )
            .with_details(json!({"scan": report})),
        )),
        Err(error) => Err(clawhub_error(&error)),
    }
}

/// `skills.install {name, installId, timeoutMs?, agentId?, dryRun?}`: one install step of the
/// agent's skill `name` (default agent), run now; with `dryRun: true` (rustyclaw's addition,
/// for a client that shows the person what they approve) only what it would do, as lines.
/// `dangerouslyForceUnsafeInstall` is accepted and ignored, as 9.6 does.
async fn run_installer(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    use rustyclaw_protocol::gateway::{ErrorCode, ErrorShape};
    let name = required_string(method, params, "name")?.to_owned();
    let install_id = required_string(method, params, "installId")?.to_owned();
    let timeout_ms = match params.get("timeoutMs") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| {
            invalid("invalid skills.install params: at /timeoutMs: must be a whole number of milliseconds")
        })?),
    };
    let installer = call.state.0.options.installer.clone().ok_or_else(|| {
        Box::new(ErrorShape::new(
            ErrorCode::Unavailable,
            "skill installers are not available on this gateway",
        ))
    })?;
    let host = host(call)?;
    let config = call.state.config();
    let agent_id = optional_string(method, params, "agentId")?
        .map_or_else(|| config.agents.default_agent_id.clone(), str::to_owned);
    if config.agents.get(&agent_id).is_none() {
        return Err(invalid(format!("unknown agent id \"{agent_id}\"")));
    }
    let dry_run = optional_bool(method, params, "dryRun")?.unwrap_or(false);
    let prepared = {
        let config = Arc::clone(&config);
        let installer = installer.clone();
        tokio::task::spawn_blocking(move || {
            let skill = host
                .find(&config, &agent_id, &name)
                .ok_or_else(|| InstallerError::SkillNotFound(name.clone()))?;
            let policy = rustyclaw_skills::policy(&config, None);
            installer.prepare(
                &skill,
                &install_id,
                Preferences {
                    node_manager: policy.node_manager,
                },
                HostFacts::current_platform(),
            )
        })
        .await
        .map_err(|e| unavailable("skills.install", &e))?
    };
    let prepared =
        prepared.map_err(|e| Box::new(ErrorShape::new(ErrorCode::Unavailable, e.to_string())))?;
    if dry_run {
        return Ok(json!({
            "ok": true,
            "dryRun": true,
            "name": prepared.skill,
            "installId": prepared.install_id,
            "label": prepared.label,
            "plan": prepared.describe(&installer.layout()),
        }));
    }
    tracing::info!(
        skill = %prepared.skill,
        install_id = %prepared.install_id,
        actions = %prepared.describe(&installer.layout()).join("; "),
        "running a skill installer asked for by an operator"
    );
    let outcome = installer
        .run(
            &prepared,
            &config.agents.defaults.sandbox,
            rustyclaw_skills::installer::timeout(timeout_ms),
        )
        .await;
    let body = serde_json::to_value(&outcome).map_err(|e| unavailable("skills.install", &e))?;
    if outcome.ok {
        Ok(body)
    } else {
        Err(Box::new(
            ErrorShape::new(ErrorCode::Unavailable, outcome.message.clone()).with_details(body),
        ))
    }
}

/// `skills.update {source: "clawhub", slug? | all?, force?}`.
async fn clawhub_update(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    check_keys(
        method,
        params,
        &["source", "slug", "all", "force", "agentId"],
    )?;
    let slug = optional_string(method, params, "slug")?;
    let all = optional_bool(method, params, "all")?.unwrap_or(false);
    if slug.is_none() != all {
        return Err(invalid(
            "clawhub skills.update accepts either \"slug\" or \"all\", one of them",
        ));
    }
    let force = optional_bool(method, params, "force")?.unwrap_or(false);
    let root = install_root(call, method, params)?;
    let hub = hub(call)?;
    let outcomes = rustyclaw_skills::clawhub::install::update(&hub, &root, slug, force)
        .await
        .map_err(|e| clawhub_error(&e))?;
    let ok = outcomes.iter().all(|o| o.error.is_none());
    Ok(
        json!({"ok": ok, "skillKey": slug.unwrap_or("*"), "config": {"source": "clawhub", "results": outcomes}}),
    )
}
