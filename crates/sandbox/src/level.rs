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

/// Resource limits of one sandboxed command (and everything it starts), and the share of its
/// agent it draws from.
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
    /// What every running command of the same agent shares: the cgroup that holds all their
    /// cgroups. A command never exceeds it, whatever its own limits say.
    pub agent: AgentLimits,
}

impl Default for ResourceLimits {
    /// 600 CPU seconds, 4096 MiB, 256 processes, 1024 MiB files; the agent `main` with its
    /// default [`AgentLimits`].
    fn default() -> Self {
        ResourceLimits {
            cpu_seconds: 600,
            memory_mb: 4096,
            max_processes: 256,
            file_size_mb: 1024,
            agent: AgentLimits::default(),
        }
    }
}

/// The limits all running sandboxed commands of one agent share (one cgroup per agent, which
/// holds one cgroup per command). Without them, each command's own limits multiply by the
/// number of commands the model starts in the background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentLimits {
    /// The agent whose commands share these limits.
    pub agent: AgentKey,
    /// Processes and threads of all the agent's commands together (cgroup `pids.max`).
    pub max_processes: u64,
    /// Memory of all the agent's commands together, in MiB (cgroup memory limit, swap
    /// included). `None`: half the memory of the host, or of the gateway's own cgroup when
    /// that is limited to less, as found when the sandbox is set up.
    pub memory_mb: Option<u64>,
}

impl AgentLimits {
    /// Default for [`max_processes`](Self::max_processes): room for a few builds or servers
    /// at once (twice a command's default), small enough that a fork bomb in several
    /// background commands cannot exhaust a small host's process table.
    pub const DEFAULT_MAX_PROCESSES: u64 = 512;
}

impl Default for AgentLimits {
    /// The agent `main`, 512 processes, half the memory.
    fn default() -> Self {
        AgentLimits {
            agent: AgentKey::MAIN,
            max_processes: Self::DEFAULT_MAX_PROCESSES,
            memory_mb: None,
        }
    }
}

/// An agent id as the sandbox names the agent's cgroup after it: 1 to 64 bytes of `a-z`,
/// `0-9`, `_` and `-`, starting with a letter or a digit (the agent-id grammar, so it is a
/// safe path component). Held inline so that limits stay `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgentKey {
    len: u8,
    bytes: [u8; AgentKey::MAX_LEN],
}

impl AgentKey {
    /// Longest agent id.
    pub const MAX_LEN: usize = 64;

    /// The default agent, `main`.
    pub const MAIN: AgentKey = {
        let mut bytes = [0u8; AgentKey::MAX_LEN];
        bytes[0] = b'm';
        bytes[1] = b'a';
        bytes[2] = b'i';
        bytes[3] = b'n';
        AgentKey { len: 4, bytes }
    };

    /// `id` as a key, or `None` when it is not a valid agent id.
    pub fn new(id: &str) -> Option<AgentKey> {
        let valid = id.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || (i > 0 && (b == b'_' || b == b'-'))
        });
        if id.is_empty() || id.len() > Self::MAX_LEN || !valid {
            return None;
        }
        let mut bytes = [0u8; Self::MAX_LEN];
        bytes[..id.len()].copy_from_slice(id.as_bytes());
        Some(AgentKey {
            len: u8::try_from(id.len()).ok()?,
            bytes,
        })
    }

    /// The agent id.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored, so this cannot fail.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Debug for AgentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AgentKey({:?})", self.as_str())
    }
}

impl std::fmt::Display for AgentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
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
    /// Host directories the command may read besides the system ones, mounted read-only at
    /// their own paths: the programs skills installed (`<state>/tools`). One that does not
    /// exist is skipped; one that contains the gateway's state directory is refused.
    pub read_only: Vec<PathBuf>,
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
            read_only: Vec::new(),
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

    #[test]
    fn agent_keys_accept_exactly_the_agent_id_grammar() {
        assert_eq!(AgentKey::MAIN.as_str(), "main");
        assert_eq!(AgentKey::new("main"), Some(AgentKey::MAIN));
        let long = "a".repeat(64);
        assert_eq!(AgentKey::new(&long).unwrap().as_str(), long);
        assert_eq!(AgentKey::new("ops_2-b").unwrap().to_string(), "ops_2-b");
        for bad in ["", "-x", "_x", "Main", "a/b", "..", "a.b", &"a".repeat(65)] {
            assert_eq!(AgentKey::new(bad), None, "{bad:?}");
        }
    }
}
