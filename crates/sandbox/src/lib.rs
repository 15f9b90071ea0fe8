//! The one place rustyclaw starts child processes.
//!
//! Everything that runs another program goes through this crate, so that limits (timeouts, output
//! caps, a cleared environment) are applied in one audited spot; `clippy.toml` bans
//! `Command::new` everywhere else. Today it holds two things:
//!
//! - [`probe`]: what isolation the host offers (bubblewrap, Landlock, seccomp, namespaces,
//!   cgroups), reported by `rustyclaw doctor` and used later to choose sandbox backends.
//! - [`trusted`]: bounded execution of programs the *operator* configured (for example a
//!   SecretRef `exec` provider). These are not sandboxed — the operator chose them — but they
//!   still get a wall-clock timeout, an output cap and an explicit environment.
//!
//! The agent's own tool commands will run through sandbox policies added here; they never use
//! [`trusted`].

pub mod probe;
pub mod trusted;

pub use probe::{HostCapabilities, LayerStatus};
pub use trusted::{TrustedCommand, TrustedError, TrustedOutput};
