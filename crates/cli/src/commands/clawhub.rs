//! `rustyclaw skills search|install|update|remove`: skills from ClawHub, on this machine.

use std::process::ExitCode;

use rustyclaw_config::Env;
use rustyclaw_skills::clawhub::{self as hub, ClawHub, InstallError, InstallRoot, SkillRef};

use crate::UserError;
use crate::output;

fn registry(env: &Env, url: Option<&str>) -> anyhow::Result<ClawHub> {
    ClawHub::new(url, env).map_err(|e| UserError::new(e.to_string()).into())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    super::runtime()
}

/// `skills search`.
pub fn search(
    env: &Env,
    url: Option<&str>,
    query: &str,
    limit: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let hub = registry(env, url)?;
    let results = runtime()?
        .block_on(hub.search(query, limit))
        .map_err(|e| UserError::new(e.to_string()))?;
    if json {
        output::json(&serde_json::json!({"results": results}));
        return Ok(ExitCode::SUCCESS);
    }
    if results.is_empty() {
        output::out("No skills found.");
    }
    for r in &results {
        output::out(&format!(
            "{:<32} {:<10} {}",
            r.install_ref,
            r.version.as_deref().unwrap_or(""),
            r.summary
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// `skills install`.
pub fn install(
    env: &Env,
    url: Option<&str>,
    root: &InstallRoot,
    reference: &str,
    version: Option<&str>,
    force: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let hub = registry(env, url)?;
    let skill = SkillRef::parse(reference).map_err(|e| UserError::new(e.to_string()))?;
    let result = runtime()?.block_on(hub::install::install(&hub, root, &skill, version, force));
    match result {
        Ok(installed) => {
            if json {
                output::json(&serde_json::json!({"ok": true, "installed": installed}));
            } else {
                output::out(&format!(
                    "Installed {} {} into {}",
                    installed.slug,
                    installed.version,
                    installed.dir.display()
                ));
                if !installed.scan.blocking.is_empty() {
                    output::err(&format!(
                        "warning: installed with --force although the static scan flagged it:\n{}",
                        installed.scan.summary()
                    ));
                }
                output::out("It is in the agent's skills from the next turn on.");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => refused(&error, json),
    }
}

fn refused(error: &InstallError, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        let mut out = serde_json::json!({"ok": false, "error": error.to_string()});
        if let InstallError::Flagged { report, .. } = error {
            out["scan"] = serde_json::to_value(report.as_ref()).unwrap_or_default();
        }
        output::json(&out);
        return Ok(ExitCode::FAILURE);
    }
    Err(UserError::new(error.to_string()).into())
}

/// `skills update`.
pub fn update(
    env: &Env,
    root: &InstallRoot,
    slug: Option<&str>,
    force: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let lock = hub::install::read_lock(root).map_err(|e| UserError::new(e.to_string()))?;
    let registry_url = lock.skills.values().next().map(|e| e.registry.clone());
    let hub = registry(env, registry_url.as_deref())?;
    let outcomes = match runtime()?.block_on(hub::install::update(&hub, root, slug, force)) {
        Ok(outcomes) => outcomes,
        Err(error) => return refused(&error, json),
    };
    let failed = outcomes.iter().any(|o| o.error.is_some());
    if json {
        output::json(&serde_json::json!({"ok": !failed, "results": outcomes}));
    } else {
        if outcomes.is_empty() {
            output::out("No skills installed from ClawHub here.");
        }
        for o in &outcomes {
            match (&o.installed, &o.error) {
                (Some(i), _) => output::out(&format!(
                    "Updated {}: {} -> {}",
                    o.slug,
                    i.previous_version.as_deref().unwrap_or("?"),
                    i.version
                )),
                (None, Some(e)) => output::err(&format!("{}: {e}", o.slug)),
                (None, None) => output::out(&format!("{} is up to date", o.slug)),
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `skills remove`.
pub fn remove(root: &InstallRoot, slug: &str) -> anyhow::Result<ExitCode> {
    let dir = hub::install::remove(root, slug).map_err(|e| UserError::new(e.to_string()))?;
    output::out(&format!("Removed {slug} ({})", dir.display()));
    Ok(ExitCode::SUCCESS)
}
