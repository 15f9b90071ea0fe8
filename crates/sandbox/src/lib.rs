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
//! - [`exec`] and [`Sandbox`]: the agent's own commands (the `exec` tool): a shell script
//!   under a [`SandboxLevel`] (`off`, `workspace-write`, `strict`), with incremental merged
//!   output, writable standard input, a timeout and a kill that reaches everything the command
//!   started. Agent commands never use [`trusted`]. On Linux the levels are built from
//!   bubblewrap (namespaces, mounts), and — applied by the [`helper`] inside the child — Landlock,
//!   seccomp, `setrlimit` and cgroup (v1 or v2) limits per command and per agent; a missing
//!   layer is reported ([`LayerReport`]) and can be required. [`macos`] renders a `sandbox-exec` profile that nothing executes yet.
//! - [`approvals`]: whether a host command may run — the approvals file, command analysis,
//!   allowlists, safe bins and the broker that asks a human. Pure logic; it starts nothing.

pub mod approvals;
mod bwrap;
mod cgroup;
pub mod exec;
pub mod helper;
mod layers;
mod level;
pub mod macos;
mod netlink;
pub mod probe;
mod roots;
mod sandbox;
pub mod trusted;

pub use cgroup::{AgentCgroups, CgroupVersion};
pub use exec::{
    ExecEnv, ExecError, ExecSpec, ExitInfo, ExitReason, OutputRead, OutputSnapshot,
    SandboxedProcess, StdinError, StdinMode,
};
pub use helper::HelperExecutable;
pub use layers::{Layer, LayerReport, LayerState};
pub use level::{
    AgentKey, AgentLimits, Isolation, ParseLevelError, ResourceLimits, SandboxLevel, WorkspaceMount,
};
pub use probe::{HostCapabilities, LayerStatus};
pub use sandbox::{Sandbox, SandboxSetup, host_ipv4_addresses};
pub use trusted::{TrustedCommand, TrustedError, TrustedOutput};
