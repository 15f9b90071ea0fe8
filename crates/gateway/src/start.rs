//! Starting a gateway: the shared state, and the tasks that turn the runtime's events and the
//! passing time into gateway events (the `chat`/`agent` mapper, `sessions.changed` when a run
//! ends, approval events, the periodic `health`).
//!
//! The wiring lives here, above both the state and the modules that run those tasks, so that
//! the state never imports the method families or the mapper it is fed by.

use std::sync::Arc;

use rustyclaw_agent::AgentRuntime;
use rustyclaw_config::Config;
use rustyclaw_store::Store;

use crate::methods;
use crate::pump;
use crate::state::{GatewayOptions, GatewayState};

impl GatewayState {
    /// Builds the state and starts mapping the runtime's events; call inside a tokio runtime.
    pub fn new(
        config: Arc<Config>,
        runtime: Arc<AgentRuntime>,
        store: Store,
        options: GatewayOptions,
    ) -> Self {
        let state = Self::assemble(config, runtime, store, options);
        let shared = &state.0;
        tokio::spawn(pump::run(
            shared.runtime.subscribe(),
            shared.events.clone(),
            shared.shutdown.subscribe(),
        ));
        tokio::spawn(methods::watch_sessions(
            shared.runtime.subscribe(),
            Arc::downgrade(shared),
        ));
        methods::spawn_forwarders(&state);
        state
    }
}
