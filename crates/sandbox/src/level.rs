//! What a command asks of the sandbox: a level, the workspace it may use, and resource limits.

use std::path::PathBuf;

/// How strongly a command is isolated from the host.
///
/// The levels are cumulative: `strict` is `workspace-write` without network. Which kernel
/// mechanisms implement a level on a given host is reported by
/// [`Sandbox::layers`](crate::Sandbox::layers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SandboxLevel {
    /// No isolation: the command runs as the gateway's user. The limits of the runner (process
    /// group, timeout, output cap, minimal environment) still apply.
    Off,
    /// Writes only to the workspace and a private `/tmp`; system directories read-only; no view
    /// of host processes or of files outside the allowed roots; outbound network through a
    /// private network namespace that cannot reach the host's own services; resource limits.
    WorkspaceWrite,
    /// `workspace-write` without any network (no TCP, no `AF_INET`/`AF_INET6` sockets, a private
    /// network namespace with only loopback).
    Strict,
}

impl SandboxLevel {
    /// Every level, weakest first.
    pub const ALL: [SandboxLevel; 3] = [
        SandboxLevel::Off,
        SandboxLevel::WorkspaceWrite,
        SandboxLevel::Strict,
    ];

    /// The name used in config files, logs and status output (`off`, `workspace-write`,
    /// `strict`).
    pub fn label(self) -> &'static str {
        match self {
            SandboxLevel::Off => "off",
            SandboxLevel::WorkspaceWrite => "workspace-write",
            SandboxLevel::Strict => "strict",
        }
    }

    /// Parses a [`label`](Self::label).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.label() == text)
    }

    /// Whether the level isolates at all.
    pub fn is_sandboxed(self) -> bool {
        self != SandboxLevel::Off
    }

    /// Whether the level cuts the network off.
    pub fn denies_network(self) -> bool {
        self == SandboxLevel::Strict
    }
}

impl std::fmt::Display for SandboxLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A [`SandboxLevel`] name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sandbox level {text:?} (expected off, workspace-write or strict)")]
pub struct ParseLevelError {
    /// The text given.
    pub text: String,
}

impl std::str::FromStr for SandboxLevel {
    type Err = ParseLevelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| ParseLevelError { text: s.to_owned() })
    }
}

/// How the workspace is mounted inside the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkspaceMount {
    /// Read and write.
    ReadWrite,
    /// Read only: the command can build nothing in place, but can read the sources.
    ReadOnly,
}

/// Resource limits of one sandboxed command (and everything it starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceLimits {
    /// CPU seconds (`RLIMIT_CPU`, per process); the wall-clock timeout is the main time limit.
    pub cpu_seconds: u64,
    /// Memory in MiB: the cgroup memory limit of the whole command; when no memory cgroup is
    /// available, the address-space limit (`RLIMIT_AS`) of each process instead, because virtual
    /// reservations (V8, Go, the JVM) exceed real use and would fail under a tight `RLIMIT_AS`.
    pub memory_mb: u64,
    /// Processes and threads of the whole command (cgroup `pids.max`; also `RLIMIT_NPROC`, which
    /// the kernel does not enforce for root).
    pub max_processes: u64,
    /// Largest file a process may write, in MiB (`RLIMIT_FSIZE`).
    pub file_size_mb: u64,
}

impl Default for ResourceLimits {
    /// 600 CPU seconds, 4096 MiB, 256 processes, 1024 MiB files.
    fn default() -> Self {
        ResourceLimits {
            cpu_seconds: 600,
            memory_mb: 4096,
            max_processes: 256,
            file_size_mb: 1024,
        }
    }
}

/// What one command needs from the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Isolation {
    /// The level.
    pub level: SandboxLevel,
    /// The workspace: the only host directory the command can write (and, besides the system
    /// directories, read). The working directory must lie inside it.
    pub workspace: PathBuf,
    /// How the workspace is mounted.
    pub workspace_mount: WorkspaceMount,
    /// Resource limits (unused at [`SandboxLevel::Off`]).
    pub limits: ResourceLimits,
    /// Refuse to run when a layer the level needs is missing on this host, instead of running
    /// with the layers that are available.
    pub require: bool,
    /// At `workspace-write`, share the host's network namespace instead of a private one: the
    /// command can then reach services on the host's loopback and addresses, the gateway
    /// among them. Off unless the configuration asks (`sandbox.hostNetwork`).
    pub host_network: bool,
}

impl Isolation {
    /// No isolation (`host=gateway` commands, operator tooling).
    pub fn off(workspace: PathBuf) -> Self {
        Isolation {
            level: SandboxLevel::Off,
            workspace,
            workspace_mount: WorkspaceMount::ReadWrite,
            limits: ResourceLimits::default(),
            require: false,
            host_network: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for level in SandboxLevel::ALL {
            assert_eq!(SandboxLevel::parse(level.label()), Some(level));
            assert_eq!(level.label().parse::<SandboxLevel>(), Ok(level));
        }
        let err = "docker".parse::<SandboxLevel>().unwrap_err();
        assert!(err.to_string().contains("workspace-write"));
        assert!(SandboxLevel::Strict.denies_network());
        assert!(!SandboxLevel::WorkspaceWrite.denies_network());
        assert!(!SandboxLevel::Off.is_sandboxed());
    }
}
