//! [`Sandbox`]: what this host can isolate with, established once at start-up, and the spawn
//! of agent commands through it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::bwrap::{self, BwrapPlan, HELPER_IN_SANDBOX, NetworkPlan};
use crate::cgroup::{AgentCgroups, CommandCgroups, Controller, GatewayCgroups};
use crate::exec::{self, Cleanup, ExecError, ExecSpec, Launch, SandboxedProcess};
use crate::helper::{HelperExecutable, HelperPlan, LandlockPlan, ProbeReport, RlimitKind};
use crate::layers::{HostFacts, Layer, LayerReport};
use crate::level::{Isolation, SandboxLevel, WorkspaceMount};
use crate::probe::{HostCapabilities, LayerStatus};
use crate::roots::{DEVICE_FILES, SystemLayout};
use crate::trusted::TrustedCommand;

/// How long the helper's self-test may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// One mebibyte.
const MIB: u64 = 1024 * 1024;

/// Numbers the commands of this process, so their cgroups and scratch directories have unique
/// names even when one process holds several sandboxes (tests do).
static COMMANDS: AtomicU64 = AtomicU64::new(0);
/// Numbers the sandboxes of this process, so each owns its own cgroup directory.
static SANDBOXES: AtomicU64 = AtomicU64::new(0);

/// What [`Sandbox::new`] starts from.
#[derive(Debug, Clone)]
pub struct SandboxSetup {
    /// The helper executable: the running `rustyclaw` binary (which dispatches
    /// [`HELPER_ARG`](crate::helper::HELPER_ARG) before parsing its command line), or this
    /// crate's `rustyclaw-sandbox-helper` in its tests, held open so that replacing the file
    /// (an upgrade) cannot take it away. `None` leaves bubblewrap as the only possible layer.
    pub helper: Option<Arc<HelperExecutable>>,
    /// The probed host (tests adjust it to force a layer missing).
    pub capabilities: HostCapabilities,
    /// The gateway's state directory: never visible to a command; scratch workspaces and
    /// private temporary directories are created under `<state dir>/sandboxes`.
    pub state_dir: PathBuf,
    /// Levels in use by the configuration, whose missing layers are logged once as a warning.
    pub warn_for: Vec<SandboxLevel>,
}

impl SandboxSetup {
    /// This host as probed (bubblewrap searched in `path_var`, the `PATH` the caller read),
    /// with `helper`, state in `state_dir`, and no start-up warning.
    pub fn for_host(
        helper: Option<Arc<HelperExecutable>>,
        state_dir: PathBuf,
        path_var: Option<&std::ffi::OsStr>,
    ) -> Self {
        SandboxSetup {
            helper,
            capabilities: HostCapabilities::probe(path_var),
            state_dir,
            warn_for: Vec::new(),
        }
    }
}

/// The sandbox of one gateway: host facts found once, and the spawn of agent commands.
#[derive(Debug)]
pub struct Sandbox {
    helper: Option<Arc<HelperExecutable>>,
    capabilities: HostCapabilities,
    facts: HostFacts,
    layout: SystemLayout,
    state_dir: PathBuf,
    cgroups: GatewayCgroups,
}

impl Sandbox {
    /// Establishes what this host offers: runs the helper's self-test (a few milliseconds; the
    /// only process started here), prepares the cgroup directories (under cgroup v2 this may
    /// move the process into a leaf cgroup of its own; see [`AgentCgroups`]), removes cgroups
    /// left by gateways that died, and warns once about layers missing for `setup.warn_for`.
    ///
    /// Dropping the sandbox kills every sandboxed command it started that still runs, and
    /// removes their cgroups.
    pub fn new(setup: SandboxSetup) -> Sandbox {
        let bubblewrap = bubblewrap_usable(&setup.capabilities);
        let (helper, probe) = match &setup.helper {
            _ if !cfg!(target_os = "linux") => (
                Err("the sandbox helper's layers are Linux-only".to_owned()),
                ProbeReport::default(),
            ),
            None => (
                Err("no sandbox helper executable is configured".to_owned()),
                ProbeReport::default(),
            ),
            Some(helper) => match run_probe(helper.path()) {
                Ok(report) => (Ok(()), report),
                Err(why) => (Err(why), ProbeReport::default()),
            },
        };
        let landlock = probe
            .landlock_abi
            .ok_or_else(|| probe.landlock_detail.clone());
        let seccomp = probe.seccomp.clone();
        let cgroups = GatewayCgroups::set_up(
            Path::new("/"),
            &format!(
                "gateway-{}-{}",
                std::process::id(),
                SANDBOXES.fetch_add(1, Ordering::Relaxed)
            ),
        );
        let cgroup_detail = |dir: &Result<PathBuf, String>| {
            let version = cgroups.report().version.map_or("", |v| v.label());
            dir.as_ref()
                .map(|d| {
                    format!(
                        "cgroup {version} {} (per command and per agent)",
                        d.display()
                    )
                })
                .map_err(Clone::clone)
        };
        let user_net = match &setup.capabilities.user_net {
            LayerStatus::Available(path) => Ok(PathBuf::from(path)),
            other => Err(other.detail().to_owned()),
        };
        let facts = HostFacts {
            bubblewrap,
            helper,
            landlock,
            seccomp,
            user_net,
            cgroup_pids: cgroup_detail(&cgroups.report().pids),
            cgroup_memory: cgroup_detail(&cgroups.report().memory),
        };
        let sandbox = Sandbox {
            helper: setup.helper,
            capabilities: setup.capabilities,
            facts,
            layout: SystemLayout::detect(),
            state_dir: setup.state_dir,
            cgroups,
        };
        sandbox.warn_missing(&setup.warn_for);
        sandbox
    }

    /// Warns once per level in `levels` whose layers are not all available here (at start-up,
    /// and again when a reloaded configuration uses other levels).
    pub fn warn_missing(&self, levels: &[SandboxLevel]) {
        for level in levels {
            let report = self.layers(*level);
            if !report.missing().is_empty() {
                tracing::warn!(
                    level = level.label(),
                    missing = %report.missing_summary(),
                    "sandbox layers are missing on this host; commands at this level run with the remaining layers (set sandbox.require to refuse instead)"
                );
            }
        }
    }

    /// The layers that implement `level` on this host.
    pub fn layers(&self, level: SandboxLevel) -> LayerReport {
        self.facts.report(level)
    }

    /// The host probe this sandbox was built from.
    pub fn capabilities(&self) -> &HostCapabilities {
        &self.capabilities
    }

    /// The cgroups that cap all commands of one agent together: where they are, under which
    /// hierarchy, or why this host has none (then each command only gets its rlimits, and
    /// `RLIMIT_NPROC` does not bind a root gateway: nothing caps processes or memory across
    /// commands).
    pub fn agent_cgroups(&self) -> &AgentCgroups {
        self.cgroups.report()
    }

    /// The helper executable, if one is configured.
    pub fn helper(&self) -> Option<&HelperExecutable> {
        self.helper.as_deref()
    }

    /// The scratch workspace of a sandbox that may not see the agent's workspace
    /// (`workspaceAccess: "none"`): `<state dir>/sandboxes/<key>`, created when missing. `key`
    /// names the scope (a session key, an agent id, `shared`) and is escaped into one safe
    /// path component.
    pub fn scratch_workspace(&self, key: &str) -> std::io::Result<PathBuf> {
        let dir = self.state_dir.join("sandboxes").join(escape_component(key));
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Starts `spec` under its isolation. Must be called from inside a Tokio runtime.
    pub fn spawn(&self, spec: ExecSpec) -> Result<SandboxedProcess, ExecError> {
        exec::validate(&spec)?;
        let level = spec.isolation.level;
        if !level.is_sandboxed() {
            let launch = exec::direct(&spec);
            return exec::start(&spec, launch);
        }
        let mut report = self.layers(level);
        if spec.isolation.host_network && level == SandboxLevel::WorkspaceWrite {
            report = report.without(Layer::NetNamespace);
        }
        if spec.isolation.require && !report.missing().is_empty() {
            return Err(ExecError::LayersMissing {
                level,
                missing: report
                    .missing()
                    .into_iter()
                    .map(|(l, why)| (l, why.to_owned()))
                    .collect(),
            });
        }
        let launch = self.launch(&spec, &report)?;
        exec::start(&spec, launch)
    }

    fn launch(&self, spec: &ExecSpec, report: &LayerReport) -> Result<Launch, ExecError> {
        let isolation = &spec.isolation;
        let workspace = self.checked_workspace(isolation)?;
        let extra_read_only = self.checked_read_only(isolation)?;
        let cwd = spec
            .cwd
            .canonicalize()
            .map_err(|source| ExecError::Workspace {
                path: spec.cwd.clone(),
                source,
            })?;
        if !cwd.starts_with(&workspace) {
            return Err(ExecError::CwdOutsideWorkspace { cwd, workspace });
        }
        let number = COMMANDS.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}-{number}", std::process::id());
        let helper = self
            .helper
            .as_ref()
            .filter(|_| self.facts.helper.is_ok())
            .map(|h| h.path());
        let mut cleanup = Cleanup::default();
        if helper.is_some() && self.cgroups.is_usable() {
            let (cgroups, errors) = self.cgroups.command(&isolation.limits, &number.to_string());
            // These cgroups worked when the sandbox was set up: a command never silently runs
            // with fewer layers than the report promises, `require` or not.
            if !errors.is_empty() {
                return Err(ExecError::LayerLost {
                    reason: errors.join("; "),
                });
            }
            if !cgroups.is_empty() {
                cleanup.cgroups = Some(cgroups);
            }
        }
        let memory_cgroup = cleanup
            .cgroups
            .as_ref()
            .is_some_and(|c| c.has(Controller::Memory));
        let shell: Vec<OsString> = vec![
            spec.env.shell.clone().into(),
            "-c".into(),
            spec.script.clone().into(),
        ];
        let limits = &isolation.limits;
        let mut rlimits = vec![
            (RlimitKind::Cpu, limits.cpu_seconds),
            (
                RlimitKind::FileSize,
                limits.file_size_mb.saturating_mul(MIB),
            ),
            (RlimitKind::Processes, nproc_limit(limits.max_processes)),
        ];
        if !memory_cgroup {
            rlimits.push((
                RlimitKind::AddressSpace,
                limits.memory_mb.saturating_mul(MIB),
            ));
        }
        let outer = HelperPlan {
            cgroups: cleanup
                .cgroups
                .as_ref()
                .map(CommandCgroups::procs_files)
                .unwrap_or_default(),
            rlimits,
            // The helper is only asked for layers the self-test found working; one that then
            // fails has been lost (the host changed under the gateway), and the command is
            // refused rather than run with less than its report says.
            require: true,
            ..HelperPlan::default()
        };
        let level = isolation.level;
        let landlock_abi = self.facts.landlock.as_ref().ok().copied();
        let seccomp = self.facts.seccomp.is_ok();
        // A cgroup that could not be created for this command is not one of its layers.
        let layers: Vec<Layer> = report
            .active()
            .into_iter()
            .filter(|layer| match layer {
                Layer::CgroupPids => cleanup
                    .cgroups
                    .as_ref()
                    .is_some_and(|c| c.has(Controller::Pids)),
                Layer::CgroupMemory => memory_cgroup,
                _ => true,
            })
            .collect();

        if let Ok(bwrap_path) = &self.facts.bubblewrap {
            let resolv_conf;
            let mut outer = outer;
            let mut prohibit_routes = Vec::new();
            let network = if level.denies_network() {
                NetworkPlan::None
            } else if let (true, Ok(slirp)) = (
                report.is_active(Layer::NetNamespace),
                self.facts.user_net.as_ref(),
            ) {
                resolv_conf = self.private_resolv_conf()?;
                prohibit_routes = host_addresses()?;
                outer.user_net = Some(slirp.clone());
                NetworkPlan::Private {
                    resolv_conf: &resolv_conf,
                }
            } else {
                NetworkPlan::Host
            };
            let plan = BwrapPlan {
                network,
                workspace: &workspace,
                workspace_mount: isolation.workspace_mount,
                cwd: &cwd,
                tmp_size: limits.memory_mb.saturating_mul(MIB),
                read_only: &extra_read_only,
            };
            let mut line: Vec<OsString> = vec![bwrap_path.into()];
            line.extend(bwrap::args(&plan, &self.layout));
            let env = vec![("TMPDIR".into(), "/tmp".into())];
            let Some(helper) = helper else {
                line.extend(shell);
                let (program, args) = split(line);
                return Ok(Launch {
                    program,
                    args,
                    env,
                    layers,
                    cleanup,
                });
            };
            let (read_only, read_write) = bwrap::landlock_paths(&plan, &self.layout);
            let inner = HelperPlan {
                prohibit_routes,
                drop_caps: true,
                landlock: landlock_abi.map(|abi| LandlockPlan {
                    abi,
                    read_only,
                    read_write,
                    deny_tcp: level.denies_network() && abi >= 4,
                    scope: abi >= 6,
                }),
                seccomp,
                deny_inet: seccomp && level.denies_network(),
                require: true,
                ..HelperPlan::default()
            };
            line.push(HELPER_IN_SANDBOX.into());
            outer.pass_self = true;
            line.extend(inner.to_args(&shell));
            let mut args = outer.to_args(&line);
            args.insert(0, helper.into());
            let (program, args) = split(args);
            return Ok(Launch {
                program,
                args,
                env,
                layers,
                cleanup,
            });
        }

        let Some(helper) = helper else {
            // Nothing can isolate here; the report (and the start-up warning) say so, and
            // `require` refused above.
            let mut launch = exec::direct(spec);
            launch.cleanup = cleanup;
            return Ok(launch);
        };
        // Without bubblewrap there is no private /tmp: a scratch directory stands in for it.
        let scratch = self.state_dir.join("sandboxes").join(".tmp").join(&name);
        std::fs::create_dir_all(&scratch).map_err(|e| ExecError::Setup {
            reason: format!("cannot create {}: {e}", scratch.display()),
        })?;
        cleanup.scratch = Some(scratch.clone());
        let mut read_only = self.layout.readable(!level.denies_network());
        let mut read_write: Vec<PathBuf> = DEVICE_FILES.iter().map(PathBuf::from).collect();
        read_write.push(scratch.clone());
        match isolation.workspace_mount {
            WorkspaceMount::ReadWrite => read_write.push(workspace.clone()),
            WorkspaceMount::ReadOnly => read_only.push(workspace.clone()),
        }
        read_only.extend(extra_read_only);
        let plan = HelperPlan {
            drop_caps: true,
            landlock: landlock_abi.map(|abi| LandlockPlan {
                abi,
                read_only,
                read_write,
                deny_tcp: level.denies_network() && abi >= 4,
                scope: abi >= 6,
            }),
            seccomp,
            deny_inet: seccomp && level.denies_network(),
            ..outer
        };
        let mut args = plan.to_args(&shell);
        args.insert(0, helper.into());
        let (program, args) = split(args);
        Ok(Launch {
            program,
            args,
            env: vec![("TMPDIR".into(), scratch.into())],
            layers,
            cleanup,
        })
    }

    /// The resolver configuration of a private network: slirp4netns's DNS forwarder. Written
    /// once under the state directory (which commands never see; this one file is mounted).
    fn private_resolv_conf(&self) -> Result<PathBuf, ExecError> {
        let dir = self.state_dir.join("sandboxes").join(".net");
        let path = dir.join("resolv.conf");
        let content = format!("nameserver {SLIRP_DNS}\n");
        if std::fs::read_to_string(&path).is_ok_and(|c| c == content) {
            return Ok(path);
        }
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&path, content))
            .map_err(|e| ExecError::Setup {
                reason: format!("cannot write {}: {e}", path.display()),
            })?;
        Ok(path)
    }

    /// The further read-only directories that exist, canonical; one that would expose the
    /// gateway's state (or the whole system) is refused.
    fn checked_read_only(&self, isolation: &Isolation) -> Result<Vec<PathBuf>, ExecError> {
        let state_dir = self
            .state_dir
            .canonicalize()
            .unwrap_or_else(|_| self.state_dir.clone());
        let mut dirs = Vec::new();
        for dir in &isolation.read_only {
            let Ok(dir) = dir.canonicalize() else {
                continue;
            };
            if dir.parent().is_none() || state_dir.starts_with(&dir) {
                return Err(ExecError::UnsafeReadOnly { path: dir });
            }
            dirs.push(dir);
        }
        Ok(dirs)
    }

    /// The canonical workspace, refused when it would expose the gateway's state or the whole
    /// system.
    fn checked_workspace(&self, isolation: &Isolation) -> Result<PathBuf, ExecError> {
        let workspace =
            isolation
                .workspace
                .canonicalize()
                .map_err(|source| ExecError::Workspace {
                    path: isolation.workspace.clone(),
                    source,
                })?;
        if workspace.parent().is_none() {
            return Err(ExecError::UnsafeWorkspace {
                path: workspace,
                reason: "it is the root directory",
            });
        }
        let state_dir = self
            .state_dir
            .canonicalize()
            .unwrap_or_else(|_| self.state_dir.clone());
        if state_dir.starts_with(&workspace) {
            return Err(ExecError::UnsafeWorkspace {
                path: workspace,
                reason: "it contains the gateway's state directory (credentials, sessions)",
            });
        }
        Ok(workspace)
    }
}

/// The address of slirp4netns's DNS forwarder in its default network (10.0.2.0/24).
const SLIRP_DNS: &str = "10.0.2.3";

/// The host's IPv4 addresses that a private network must wall off: every address of every
/// interface but loopback (inside the namespace, loopback is the namespace's own). Read at each
/// command's start, since addresses come and go (DHCP, VPNs). Failing to read them refuses the
/// command: running it could leave the host reachable.
fn host_addresses() -> Result<Vec<std::net::Ipv4Addr>, ExecError> {
    host_ipv4_addresses()
        .map(|all| all.into_iter().filter(|a| !a.is_loopback()).collect())
        .map_err(|reason| ExecError::Setup {
            reason: format!("cannot list the host's addresses to wall them off: {reason}"),
        })
}

/// The IPv4 addresses of this host's interfaces (loopback included), as the private network
/// of `workspace-write` walls them off.
pub fn host_ipv4_addresses() -> Result<Vec<std::net::Ipv4Addr>, String> {
    #[cfg(target_os = "linux")]
    return crate::netlink::ipv4_addresses();
    #[cfg(not(target_os = "linux"))]
    return Ok(Vec::new());
}

/// Splits a program line into program and arguments.
fn split(mut line: Vec<OsString>) -> (PathBuf, Vec<OsString>) {
    let program = if line.is_empty() {
        PathBuf::new()
    } else {
        PathBuf::from(line.remove(0))
    };
    (program, line)
}

/// bubblewrap's path when it can be used: found, and (when not root) user namespaces allowed.
fn bubblewrap_usable(caps: &HostCapabilities) -> Result<PathBuf, String> {
    let LayerStatus::Available(path) = &caps.bubblewrap else {
        return Err(caps.bubblewrap.detail().to_owned());
    };
    let root = rustix::process::geteuid().is_root();
    if !root && !caps.user_namespaces.is_available() {
        return Err(format!(
            "bubblewrap needs user namespaces when not run as root: {}",
            caps.user_namespaces.detail()
        ));
    }
    Ok(PathBuf::from(path))
}

/// Runs the helper's self-test.
fn run_probe(helper: &Path) -> Result<ProbeReport, String> {
    let command = TrustedCommand {
        program: helper.to_path_buf(),
        args: vec![crate::helper::HELPER_ARG.into(), "--probe".into()],
        env: Vec::new(),
        stdin: Vec::new(),
        timeout: PROBE_TIMEOUT,
        max_output_bytes: 4096,
    };
    let output = command
        .run()
        .map_err(|e| format!("the sandbox helper's self-test failed: {e}"))?;
    if output.exit_code != Some(0) {
        return Err(format!(
            "the sandbox helper's self-test exited with {:?}: {}",
            output.exit_code,
            String::from_utf8_lossy(&output.stderr_head).trim()
        ));
    }
    Ok(ProbeReport::parse(&String::from_utf8_lossy(&output.stdout)))
}

/// `RLIMIT_NPROC` counts every process of the real user, not only the command's, and the kernel
/// ignores it for root: for another user the limit is what that user runs already plus
/// `max_processes`, so the command can start that many and no more.
fn nproc_limit(max_processes: u64) -> u64 {
    let uid = rustix::process::getuid();
    if uid.is_root() {
        return max_processes;
    }
    let running = user_task_count(uid.as_raw());
    running.saturating_add(max_processes)
}

/// Tasks (threads included, as the kernel counts them) whose real user is `uid`.
fn user_task_count(uid: u32) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("status")).ok())
        .filter_map(|status| {
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .and_then(|v| v.split_whitespace().next())
                    .and_then(|v| v.parse::<u64>().ok())
            };
            (field("Uid:")? == u64::from(uid)).then(|| field("Threads:").unwrap_or(1))
        })
        .sum()
}

/// `key` as one path component: ASCII letters, digits and `-` are kept, everything else (`:`,
/// `/`, `.`, `_` itself) becomes `_xx` (hex), so distinct keys never share a directory and no
/// key names `.` or `..`.
fn escape_component(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("_{byte:02x}"));
        }
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_keys_become_distinct_safe_components() {
        assert_eq!(escape_component("agent:main:main"), "agent_3amain_3amain");
        assert_eq!(escape_component("shared"), "shared");
        assert_eq!(escape_component("../x"), "_2e_2e_2fx");
        assert_ne!(escape_component("a:b"), escape_component("a_b"));
        assert_eq!(escape_component(""), "_");
    }

    #[test]
    fn counts_the_tasks_of_the_current_user() {
        let uid = rustix::process::getuid().as_raw();
        assert!(user_task_count(uid) >= 1);
        assert!(nproc_limit(10) >= 10);
    }
}
