//! Builds the agent runtime from the config: the one wiring shared by `rustyclaw agent` (one
//! turn in this process) and the gateway, and what a running runtime takes to follow a new
//! config.

use std::sync::Arc;

use rustyclaw_agent::{AgentRuntime, Models, RuntimeParts, RuntimeUpdate};
use rustyclaw_config::{Config, Env};
use rustyclaw_store::Store;
use rustyclaw_tools::ToolRegistry;

use crate::HostError;

/// Where the tools keep their files: the state directory (exec approvals) and the home
/// directory `~` stands for.
pub(crate) struct Dirs<'a> {
    pub state: &'a std::path::Path,
    pub home: Option<std::path::PathBuf>,
    /// Where the agents' skills are found.
    pub skills: rustyclaw_skills::SkillsHost,
}

/// The runtime over `store`, with the sandbox, tools and models `config` describes.
pub(crate) async fn runtime(
    dirs: Dirs<'_>,
    config: Arc<Config>,
    env: &Env,
    store: Store,
    sandbox: Arc<rustyclaw_sandbox::Sandbox>,
    messenger: Option<Arc<dyn rustyclaw_tools::messenger::Messenger>>,
    memory: Option<&Arc<rustyclaw_memory::MemoryService>>,
) -> Result<AgentRuntime, HostError> {
    let models = models(&config, env, &store).await?;
    let mut services =
        rustyclaw_tools::ToolServices::for_state_dir(&config.tools, dirs.state, dirs.home, sandbox)
            .map_err(|e| HostError::Tools {
                detail: e.to_string(),
            })?;
    if let Some(messenger) = messenger {
        services = services.with_messenger(messenger);
    }
    let tool_services = Arc::new(services);
    let mut tools = tools(&config);
    if let Some(memory) = memory {
        // Registered as the memory-core plugin's, as upstream's are: run-time tools outlive a
        // config change (the service follows it: see `apply`).
        rustyclaw_memory::register_tools(&mut tools, memory);
    }
    let runtime = AgentRuntime::new(RuntimeParts {
        tools,
        config,
        store,
        models,
        tool_services,
        host_name: host_name(),
        skills: Some(dirs.skills),
    });
    // Runs left in flight by a process that died (a killed gateway) get their outcome:
    // interrupted, so a client asking for them by id learns that no reply was sent.
    if let Err(error) = runtime.interrupt_orphaned_runs().await {
        tracing::warn!(%error, "could not mark interrupted runs in the run ledger");
    }
    Ok(runtime)
}

/// The models and tools of `config`, for a runtime already running.
pub(crate) async fn update(
    config: Arc<Config>,
    env: &Env,
    store: &Store,
) -> Result<RuntimeUpdate, HostError> {
    Ok(RuntimeUpdate {
        models: models(&config, env, store).await?,
        tools: tools(&config),
        config,
    })
}

async fn models(config: &Config, env: &Env, store: &Store) -> Result<Models, HostError> {
    let mut models = Models::new(config, env).map_err(|e| HostError::Models {
        detail: e.to_string(),
    })?;
    models.attach_store(store.clone()).await;
    Ok(models)
}

/// The tools of `config`: the built-in ones its tool settings enable.
fn tools(config: &Config) -> ToolRegistry {
    rustyclaw_tools::builtin_registry(&config.tools)
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
