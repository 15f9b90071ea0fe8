//! How the host tells the person running it what happens.

use std::net::SocketAddr;

use rustyclaw_config::Issue;

/// Where the host tells the person running it what happens (the CLI prints it).
pub trait Report: Send + Sync {
    /// The gateway listens on `addr` (after each start and restart).
    fn listening(&self, addr: SocketAddr);
    /// A config that was just loaded has these warnings.
    fn config_warnings(&self, issues: &[Issue]);
    /// Something went wrong and the host goes on without it.
    fn problem(&self, text: &str);
}
