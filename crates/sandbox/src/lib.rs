//! The one place rustyclaw starts child processes.
//!
//! Everything that runs another program goes through this crate, so that limits (timeouts, output
//! caps, a cleared environment) are applied in one audited spot; `clippy.toml` bans
//! `Command::new` everywhere else. It holds three things:
//!
//! - [`probe`]: what isolation the host offers (bubblewrap, Landlock, seccomp, namespaces,
//!   cgroups), reported by `rustyclaw doctor` and used to choose sandbox levels.
//! - [`trusted`]: bounded execution of programs the *operator* configured (for example a
//!   SecretRef `exec` provider). These are not sandboxed — the operator chose them — but they
//!   still get a wall-clock timeout, an output cap and an explicit environment.
//! - [`exec`]: the agent's own commands (the `exec` tool): a shell script in its own process
//!   group under a [`SandboxLevel`], with incremental merged output, writable standard input, a
//!   timeout and a group kill. Agent commands never use [`trusted`].

pub mod exec;
pub mod probe;
pub mod trusted;

pub use exec::{
    ExecEnv, ExecError, ExecSpec, ExitInfo, ExitReason, OutputRead, OutputSnapshot, SandboxLevel,
    SandboxedProcess, StdinError, StdinMode, spawn,
};
pub use probe::{HostCapabilities, LayerStatus};
pub use trusted::{TrustedCommand, TrustedError, TrustedOutput};
