//! Builds the agent runtime from the config: the one wiring shared by `rustyclaw agent` (one
//! turn in this process) and `rustyclaw gateway run`.

use std::sync::Arc;

use rustyclaw_agent::{AgentRuntime, Models, RuntimeParts};
use rustyclaw_config::{Config, Env};
use rustyclaw_store::Store;

use crate::UserError;
use crate::context::Context;

/// The runtime over `store`, with the sandbox, tools and models `config` describes.
pub(crate) async fn runtime(
    ctx: &Context,
    config: Arc<Config>,
    env: &Env,
    store: Store,
    sandbox: Arc<rustyclaw_sandbox::Sandbox>,
) -> anyhow::Result<AgentRuntime> {
    let mut models = Models::new(&config, env).map_err(|e| UserError::new(e.to_string()))?;
    models.attach_store(store.clone()).await;
    let tool_services = Arc::new(
        rustyclaw_tools::ToolServices::for_state_dir(
            &config.tools,
            &ctx.locations.state_dir,
            ctx.env.home_dir(),
            sandbox,
        )
        .map_err(|e| UserError::new(format!("tools could not start: {e}")))?,
    );
    let tools = rustyclaw_tools::builtin_registry(&config.tools);
    let runtime = AgentRuntime::new(RuntimeParts {
        config,
        store,
        models,
        tools,
        tool_services,
        host_name: host_name(),
    });
    // Runs left in flight by a process that died (a killed gateway) get their outcome:
    // interrupted, so a client asking for them by id learns that no reply was sent.
    if let Err(error) = runtime.interrupt_orphaned_runs().await {
        tracing::warn!(%error, "could not mark interrupted runs in the run ledger");
    }
    Ok(runtime)
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
