//! What a turn works with, apart from its session: the configuration, the store, the models,
//! the tools and where its events go. The runtime holds the current [`Services`] beside its
//! lanes and lends them to every turn and direct tool call (a config change replaces them for
//! the turns that start after it; where events go and the pending patches stay the same), so the modules of a turn depend on this leaf
//! and never on the runtime that schedules them.

use std::sync::Arc;

use rustyclaw_config::Config;
use rustyclaw_store::Store;
use rustyclaw_tools::{ToolRegistry, ToolServices};

use crate::models::Models;
use crate::publish::Publisher;
use crate::session_patch::PendingPatches;

/// The services shared by every turn of a runtime.
pub(crate) struct Services {
    /// The resolved configuration.
    pub config: Arc<Config>,
    /// The store.
    pub store: Store,
    /// Model access (catalog, HTTP client, failover).
    pub models: Arc<Models>,
    /// The built-in tools (before per-turn filtering).
    pub tools: Arc<ToolRegistry>,
    /// Shared tool services (sandbox, approvals, processes).
    pub tool_services: Arc<ToolServices>,
    /// Host name for the prompt's runtime line.
    pub host_name: String,
    /// Changes to session entries made from outside their turns, waiting for their lanes;
    /// a turn applies them at each save.
    pub patches: Arc<PendingPatches>,
    /// Where events go.
    pub events: Arc<Publisher>,
    /// Where skills are found (`None`: the runtime has no skills).
    pub skills: Option<Arc<rustyclaw_skills::SkillsHost>>,
}
