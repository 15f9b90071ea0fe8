//! Where one process's state lives and how its parts are built from the config: the sandbox
//! (once per process), the store, and the agent runtime.

use std::sync::Arc;

use rustyclaw_agent::{AgentRuntime, RuntimeUpdate};
use rustyclaw_config::{Config, ConfigError, Env, LoadedConfig, Locations};
use rustyclaw_sandbox::{HelperExecutable, Sandbox};
use rustyclaw_store::Store;

use crate::HostError;

/// What the host starts from, as the command line and the environment give it.
#[derive(Debug, Clone)]
pub struct HostSetup {
    /// The process environment, captured once.
    pub env: Env,
    /// State directory and config file.
    pub locations: Locations,
    /// This executable, opened when the process started: the sandbox re-executes it as its
    /// helper. `None` when it could not be opened (the sandbox reports the helper's layers
    /// missing).
    pub helper: Option<Arc<HelperExecutable>>,
    /// The version of the program, reported to clients.
    pub version: String,
}

impl HostSetup {
    /// Loads and resolves the config file as it is now.
    pub fn load_config(&self) -> Result<LoadedConfig, ConfigError> {
        rustyclaw_config::load(&self.locations, &self.env)
    }

    /// Opens (creating if needed) the state database.
    pub async fn open_store(&self) -> Result<Store, HostError> {
        let path = self.locations.database_path();
        Store::open(&path).await.map_err(|e| HostError::Store {
            path: path.display().to_string(),
            detail: e.to_string(),
        })
    }

    /// The sandbox for commands of the agents in `config` (warns once about missing layers).
    /// Built once per process: its self-test decides the layers every command gets.
    pub fn sandbox(&self, config: Option<&Config>) -> Sandbox {
        crate::sandbox::build(
            self.helper.clone(),
            &self.env,
            &self.locations.state_dir,
            config,
        )
    }

    /// The agent runtime over `store`, with the tools and models `config` describes; runs
    /// left in flight by a process that died are marked interrupted.
    pub async fn runtime(
        &self,
        config: Arc<Config>,
        env: &Env,
        store: Store,
        sandbox: Arc<Sandbox>,
        messenger: Option<Arc<dyn rustyclaw_tools::messenger::Messenger>>,
        memory: Option<&Arc<rustyclaw_memory::MemoryService>>,
    ) -> Result<AgentRuntime, HostError> {
        let dirs = crate::wiring::Dirs {
            state: &self.locations.state_dir,
            home: self.env.home_dir(),
            skills: self.skills_host(env),
        };
        crate::wiring::runtime(dirs, config, env, store, sandbox, messenger, memory).await
    }

    /// What a running runtime takes to follow a new `config` (see
    /// [`AgentRuntime::reconfigure`]).
    pub async fn runtime_update(
        &self,
        config: Arc<Config>,
        env: &Env,
        store: &Store,
    ) -> Result<RuntimeUpdate, HostError> {
        crate::wiring::update(config, env, store).await
    }
}

impl HostSetup {
    /// The agents' memory (indexes under `<state dir>/memory`), following `config`.
    pub fn memory(
        &self,
        config: Arc<Config>,
        env: &Env,
    ) -> Result<Arc<rustyclaw_memory::MemoryService>, HostError> {
        let client = rustyclaw_providers::Client::new(rustyclaw_providers::ClientOptions {
            connect_timeout: std::time::Duration::from_secs(10),
            idle_timeout: std::time::Duration::from_secs(120),
        })
        .map_err(|e| HostError::Models {
            detail: e.to_string(),
        })?;
        Ok(Arc::new(rustyclaw_memory::MemoryService::new(
            &self.locations.state_dir,
            env.clone(),
            client,
            config,
        )))
    }

    /// Where skills are looked for, with `env` (the loaded config's environment, `.env`
    /// included): the state directory, whether it is the default one, and the directory of this
    /// executable (a bundled `skills/` beside it).
    pub fn skills_host(&self, env: &Env) -> rustyclaw_skills::SkillsHost {
        let default_state = env.home_dir().is_some_and(|home| {
            self.locations.state_dir == home.join(rustyclaw_config::DEFAULT_STATE_DIR_NAME)
        });
        rustyclaw_skills::SkillsHost {
            env: env.clone(),
            state_dir: self.locations.state_dir.clone(),
            default_state,
            exe_dir: std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(std::path::Path::to_path_buf)),
        }
    }
}
