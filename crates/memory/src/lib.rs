//! Memory: the agent remembers by writing Markdown (`MEMORY.md`, daily notes
//! `memory/YYYY-MM-DD.md`) with its file tools, and finds it again with `memory_search` and
//! `memory_get` — OpenClaw's builtin memory engine, reimplemented.
//!
//! Each agent has an index in its own database file (`<state dir>/memory/<agentId>.sqlite`,
//! see [`rustyclaw_store::MemoryIndex`]) so indexing never competes with the transcript
//! writes of a turn. The index follows the files: a search first syncs what changed (a
//! `stat` per file, a read only of files whose stamp moved), and a background watcher does
//! the same every few seconds so vectors are ready before they are needed ([`MemoryService::watch`]).
//! Search is hybrid — BM25 over FTS5 and cosine over embedding vectors — and falls back to
//! words alone whenever there are no vectors, so recall never depends on a provider being up
//! ([`search`]).

pub mod agent;
pub mod chunk;
pub mod embed;
pub mod files;
#[cfg(feature = "local-embeddings")]
pub mod local;
pub mod read;
pub mod search;
pub mod settings;
pub mod tools;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rustyclaw_config::{Config, Env};
use rustyclaw_providers::Client;
use tokio::sync::Mutex;

pub use agent::{AgentMemory, MemoryError, SyncReport};
pub use search::{SearchHit, SearchMode, SearchOutcome, SearchRequest};
pub use settings::MemorySettings;

use files::ExtraRoot;

/// How often the watcher looks at the memory files.
const WATCH_INTERVAL: Duration = Duration::from_secs(2);

/// The memory of every agent of the process.
#[derive(Debug)]
pub struct MemoryService {
    state_dir: PathBuf,
    env: Env,
    client: Client,
    config: RwLock<Arc<Config>>,
    agents: Mutex<HashMap<String, Arc<AgentMemory>>>,
}

impl MemoryService {
    /// The memory of the agents of `config`, indexed under `<state_dir>/memory`.
    pub fn new(state_dir: &Path, env: Env, client: Client, config: Arc<Config>) -> Self {
        Self {
            state_dir: state_dir.to_path_buf(),
            env,
            client,
            config: RwLock::new(config),
            agents: Mutex::new(HashMap::new()),
        }
    }

    fn config(&self) -> Arc<Config> {
        Arc::clone(
            &self
                .config
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Follows a new config: agents are reopened with its settings on their next use.
    pub async fn reconfigure(&self, config: Arc<Config>) {
        *self
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = config;
        self.agents.lock().await.clear();
    }

    /// The index file of `agent_id`.
    pub fn index_path(&self, agent_id: &str) -> PathBuf {
        self.state_dir
            .join("memory")
            .join(format!("{agent_id}.sqlite"))
    }

    /// The workspace and extra roots of `agent_id` (`None` when memory is off or the agent is
    /// unknown).
    pub fn roots(&self, agent_id: &str) -> Option<(PathBuf, Vec<ExtraRoot>)> {
        let config = self.config();
        let settings = MemorySettings::from_config(&config);
        let agent = config.agents.get(agent_id)?;
        settings.enabled.then(|| {
            let extra = ExtraRoot::resolve(&settings.extra_paths, &agent.workspace);
            (agent.workspace.clone(), extra)
        })
    }

    /// The memory of `agent_id`, opened on first use (`None` when memory is off or the agent is
    /// unknown).
    pub async fn agent(&self, agent_id: &str) -> Result<Option<Arc<AgentMemory>>, MemoryError> {
        let mut agents = self.agents.lock().await;
        if let Some(memory) = agents.get(agent_id) {
            return Ok(Some(Arc::clone(memory)));
        }
        let config = self.config();
        let settings = MemorySettings::from_config(&config);
        let Some(agent) = config.agents.get(agent_id).filter(|_| settings.enabled) else {
            return Ok(None);
        };
        // Choosing may load the local model from disk: off the async threads.
        let choice = {
            let (provider, config, env, client, state_dir) = (
                settings.provider.clone(),
                Arc::clone(&config),
                self.env.clone(),
                self.client.clone(),
                self.state_dir.clone(),
            );
            tokio::task::spawn_blocking(move || {
                embed::choose(&provider, &config, &env, &client, &state_dir)
            })
            .await
            .unwrap_or_else(|e| embed::EmbedderChoice {
                embedder: None,
                reason: Some(format!("choosing the embedding provider failed: {e}")),
            })
        };
        if let Some(reason) = &choice.reason {
            tracing::info!(agent = agent_id, "memory: {reason}");
        }
        let memory = Arc::new(
            AgentMemory::open(
                agent_id,
                &agent.workspace,
                &self.index_path(agent_id),
                settings,
                choice.embedder,
                choice.reason,
            )
            .await?,
        );
        agents.insert(agent_id.to_owned(), Arc::clone(&memory));
        Ok(Some(memory))
    }

    /// Whether `agent_id` has an index already or memory files to index.
    async fn has_memory(&self, agent_id: &str) -> bool {
        if self.agents.lock().await.contains_key(agent_id) || self.index_path(agent_id).exists() {
            return true;
        }
        let Some((workspace, extra)) = self.roots(agent_id) else {
            return false;
        };
        tokio::task::spawn_blocking(move || !files::list(&workspace, &extra).is_empty())
            .await
            .unwrap_or(false)
    }

    /// Keeps every agent's index current until the returned task is dropped or aborted: every
    /// two seconds each agent's files are synced (a `stat` per file when nothing changed).
    pub fn watch(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let service = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(WATCH_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let ids: Vec<String> = service
                    .config()
                    .agents
                    .list
                    .iter()
                    .map(|a| a.id.clone())
                    .collect();
                for id in ids {
                    // An agent with no memory yet costs nothing: its index is opened (a
                    // connection and a thread) once there is something to index.
                    if !service.has_memory(&id).await {
                        continue;
                    }
                    match service.agent(&id).await {
                        Ok(Some(memory)) => {
                            if let Err(error) = memory.sync(false).await {
                                tracing::warn!(agent = %id, %error, "memory: keeping the index current failed");
                            }
                        }
                        Ok(None) => {}
                        Err(error) => {
                            tracing::warn!(agent = %id, %error, "memory: cannot open the index")
                        }
                    }
                }
            }
        })
    }
}

/// The plugin the memory tools are registered for, as upstream names it.
pub const PLUGIN_ID: &str = "memory-core";

/// Registers `memory_search` and `memory_get` over `service` as tools of the `memory-core`
/// plugin (so a registry rebuilt for a new config adopts them, as any run-time tool).
pub fn register_tools(registry: &mut rustyclaw_tools::ToolRegistry, service: &Arc<MemoryService>) {
    let tools: [Arc<dyn rustyclaw_tools::DynTool>; 2] = [
        Arc::new(tools::MemorySearchTool::new(Arc::clone(service))),
        Arc::new(tools::MemoryGetTool::new(Arc::clone(service))),
    ];
    for tool in tools {
        let name = tool.name().to_owned();
        if let Err(error) =
            registry.register_dyn(PLUGIN_ID, tool, rustyclaw_tools::Shadowing::Refuse)
        {
            tracing::warn!(tool = %name, %error, "memory tool not registered");
        }
    }
}
