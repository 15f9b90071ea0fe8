//! The host: what one `rustyclaw` process runs, built from the config and kept in step with it.
//!
//! The CLI parses arguments and hands the host a [`HostSetup`] (where the state lives, the
//! environment, this executable for the sandbox helper). The host builds the sandbox, the
//! agent runtime and the gateway from the config, serves the gateway until told to stop, and
//! applies config changes — written over the protocol or edited on disk — restarting only
//! what changed: a change to agents, models, tools or sessions applies to the next turn with
//! every client still connected, and only a change to the listener itself (port, bind, TLS,
//! authentication) restarts the gateway. Channel accounts and cron will live here too.
//!
//! - [`setup`]: where the process's state is, and the builders of its parts.
//! - [`serve`]: the gateway's serve loop; `apply`: how it applies a config change.
//! - [`listener`]: the address the gateway listens on.
//! - [`router`]: what happens to a message a chat channel receives (access control).

mod apply;
pub mod channels;
mod config_watch;
mod error;
pub mod listener;
mod report;
pub mod router;
mod sandbox;
pub mod serve;
pub mod setup;
mod wiring;

pub use error::HostError;
pub use listener::{BindOverride, ListenerOverrides};
pub use report::Report;
pub use sandbox::levels_in_use;
pub use serve::serve_gateway;
pub use setup::HostSetup;
