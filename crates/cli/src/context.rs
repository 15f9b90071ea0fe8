//! What every command starts from: the environment snapshot, the resolved locations, and
//! (on demand) the loaded config and the store.

use anyhow::Context as _;
use rustyclaw_config::{Env, LoadedConfig, LocationOverrides, Locations};
use rustyclaw_store::Store;

use std::sync::Arc;

use rustyclaw_sandbox::HelperExecutable;

use crate::args::GlobalArgs;

/// Shared inputs of a command.
pub struct Context {
    /// The process environment, captured once.
    pub env: Env,
    /// State dir and config path.
    pub locations: Locations,
    /// This executable, opened when the process started: the sandbox re-executes it as its
    /// helper, and the handle survives an upgrade that replaces the file. `None` when
    /// `/proc/self/exe` cannot be opened (the sandbox then reports the helper's layers missing).
    pub helper: Option<Arc<HelperExecutable>>,
}

impl Context {
    /// Captures the environment and resolves locations from the global flags.
    pub fn new(global: &GlobalArgs, helper: Option<Arc<HelperExecutable>>) -> anyhow::Result<Self> {
        let env = Env::from_process();
        let overrides = LocationOverrides {
            state_dir: global.state_dir.clone(),
            config: global.config.clone(),
        };
        let locations = Locations::resolve(&overrides, &env)?;
        Ok(Context {
            env,
            locations,
            helper,
        })
    }

    /// What the host (the runtime and the gateway of this process) starts from.
    pub fn host(&self) -> rustyclaw_host::HostSetup {
        rustyclaw_host::HostSetup {
            env: self.env.clone(),
            locations: self.locations.clone(),
            helper: self.helper.clone(),
            // Clients are told the version of the program serving them, not of a crate.
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    /// Loads and resolves the config.
    pub fn load_config(&self) -> Result<LoadedConfig, rustyclaw_config::ConfigError> {
        rustyclaw_config::load(&self.locations, &self.env)
    }

    /// Opens (creating if needed) the state database.
    pub async fn open_store(&self) -> anyhow::Result<Store> {
        let path = self.locations.database_path();
        Store::open(&path)
            .await
            .with_context(|| format!("cannot open the database {}", path.display()))
    }
}
