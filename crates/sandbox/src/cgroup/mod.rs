//! cgroup `pids` and `memory` limits: per command, per agent, and the kill switch they give.
//!
//! A sandbox (one per gateway process) owns one directory in each hierarchy, created *beneath
//! the gateway's own cgroup*, so limits set on the gateway by its supervisor (systemd, a
//! container runtime) still bound its commands:
//!
//! ```text
//! <own cgroup>/rustyclaw/gateway-<pid>-<n>/agent-<agent id>/cmd-<m>
//! ```
//!
//! `gateway-<pid>-<n>` keeps the gateways (and the sandboxes of one process, which tests
//! build) that share a parent apart, and is removed with everything in it when the sandbox is
//! dropped, or by the next gateway to start when this one died. `agent-<id>` holds the limits
//! all running commands of one agent share ([`AgentLimits`]); it lives as long as the gateway,
//! and its limits follow the configuration at each command's start. `cmd-<m>` holds one
//! command's own limits and is removed when the command ends. The helper joins the command's
//! cgroups before anything else runs, so every process the command starts is listed there:
//! that list is what a timeout kills, including daemons that left the process group with
//! `setsid`.
//!
//! `pids.max` is the fork-bomb guard for a root gateway, for which the kernel does not enforce
//! `RLIMIT_NPROC`; the agent's `pids.max` is what stops several background commands from
//! multiplying a command's limit. Both cgroup v1 (one hierarchy per controller) and v2 (one
//! unified hierarchy, controllers enabled per level through `cgroup.subtree_control`) are
//! supported; [`locate`] explains what a host without a usable hierarchy lacks.

mod locate;
mod node;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::level::{AgentLimits, ResourceLimits};

/// Name of the directory holding rustyclaw's cgroups inside the gateway's own cgroup.
const DIR_NAME: &str = "rustyclaw";
/// The leaf a cgroup v2 gateway moves itself into when it is alone in its cgroup, so that the
/// cgroup can enable controllers for its children ("no internal processes").
const GATEWAY_LEAF: &str = "rustyclaw-gateway";
/// One mebibyte.
const MIB: u64 = 1024 * 1024;

/// A cgroup controller rustyclaw limits commands with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Controller {
    /// `pids`: process count.
    Pids,
    /// `memory`: memory use.
    Memory,
}

impl Controller {
    fn name(self) -> &'static str {
        match self {
            Controller::Pids => "pids",
            Controller::Memory => "memory",
        }
    }
}

/// The cgroup hierarchy a host mounts at `/sys/fs/cgroup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    /// One hierarchy per controller (`/sys/fs/cgroup/pids`, `/sys/fs/cgroup/memory`, …).
    V1,
    /// The unified hierarchy (Debian 12's and most current distributions' default).
    V2,
}

impl CgroupVersion {
    /// `v1` or `v2`.
    pub fn label(self) -> &'static str {
        match self {
            CgroupVersion::V1 => "v1",
            CgroupVersion::V2 => "v2",
        }
    }
}

/// The cgroups that cap all commands of one agent together, as set up on this host: reported
/// by [`Sandbox::agent_cgroups`](crate::Sandbox::agent_cgroups) for `rustyclaw doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCgroups {
    /// The hierarchy found, `None` when the host mounts none.
    pub version: Option<CgroupVersion>,
    /// The gateway's directory in the `pids` hierarchy (agents' cgroups go inside), or why
    /// there is none.
    pub pids: Result<PathBuf, String>,
    /// The same for `memory`.
    pub memory: Result<PathBuf, String>,
    /// What an agent's memory limit is when its configuration sets none, in MiB.
    pub default_memory_mb: u64,
}

impl AgentCgroups {
    /// The memory limit `limits` amount to here, in MiB.
    pub fn memory_mb(&self, limits: &AgentLimits) -> u64 {
        limits.memory_mb.unwrap_or(self.default_memory_mb)
    }
}

/// Reads a whitespace-separated list (`cgroup.controllers`, `cgroup.procs`), dropping the `+`
/// a `cgroup.subtree_control` written by hand may hold.
fn read_words(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .split_whitespace()
        .map(|w| w.trim_start_matches('+').to_owned())
        .collect()
}

/// One hierarchy's directory of this sandbox and the controllers it limits with.
#[derive(Debug)]
struct Tree {
    /// `<own cgroup>/rustyclaw/gateway-<pid>-<n>`.
    dir: PathBuf,
    /// v1: the hierarchy's one controller; v2: those available.
    controllers: Vec<Controller>,
}

/// The cgroups of one sandbox. Dropping it kills whatever still runs in them and removes them.
#[derive(Debug)]
pub(crate) struct GatewayCgroups {
    version: Option<CgroupVersion>,
    trees: Vec<Tree>,
    report: AgentCgroups,
    /// Held while an agent's cgroup is created or its limits set, so two commands of one agent
    /// starting at once do not interleave.
    agents: Mutex<()>,
}

impl GatewayCgroups {
    /// Finds the hierarchies under `root` (`/` except in tests), removes what gateways that
    /// died left there, and creates this sandbox's directory `name` in each.
    pub(crate) fn set_up(root: &Path, name: &str) -> GatewayCgroups {
        let found = locate::locate(root);
        let mut trees: Vec<Tree> = Vec::new();
        let mut results = [
            (Controller::Pids, found.pids),
            (Controller::Memory, found.memory),
        ];
        for (controller, base) in &results {
            if let Ok(base) = base {
                match trees.iter_mut().find(|t| t.dir == *base) {
                    Some(tree) => tree.controllers.push(*controller),
                    None => trees.push(Tree {
                        dir: base.clone(),
                        controllers: vec![*controller],
                    }),
                }
            }
        }
        let version = found.version.unwrap_or(CgroupVersion::V1);
        let mut ready = Vec::new();
        for tree in trees {
            match prepare(&tree.dir, version, &tree.controllers, name) {
                Ok(dir) => ready.push(Tree {
                    dir,
                    controllers: tree.controllers,
                }),
                Err(why) => {
                    for (controller, result) in &mut results {
                        if tree.controllers.contains(controller) {
                            *result = Err(why.clone());
                        }
                    }
                }
            }
        }
        let [(_, pids), (_, memory)] = results;
        let dir_of = |controller: Controller, result: Result<PathBuf, String>| {
            result.and_then(|_| {
                ready
                    .iter()
                    .find(|t| t.controllers.contains(&controller))
                    .map(|t| t.dir.clone())
                    .ok_or_else(|| "not set up".to_owned())
            })
        };
        let report = AgentCgroups {
            version: found.version,
            pids: dir_of(Controller::Pids, pids),
            memory: dir_of(Controller::Memory, memory),
            default_memory_mb: found.default_agent_memory_mb,
        };
        GatewayCgroups {
            version: found.version,
            trees: ready,
            report,
            agents: Mutex::new(()),
        }
    }

    /// What was set up, for reports.
    pub(crate) fn report(&self) -> &AgentCgroups {
        &self.report
    }

    /// Whether any controller can limit commands.
    pub(crate) fn is_usable(&self) -> bool {
        !self.trees.is_empty()
    }

    /// Creates the cgroups of one command, `cmd-<name>` inside its agent's (created or
    /// updated to `limits.agent` first), with `limits`. A controller that fails is left out and
    /// its error returned alongside, for the caller to report or refuse on.
    pub(crate) fn command(
        &self,
        limits: &ResourceLimits,
        name: &str,
    ) -> (CommandCgroups, Vec<String>) {
        let version = self.version.unwrap_or(CgroupVersion::V1);
        let agent_memory = self.report.memory_mb(&limits.agent).saturating_mul(MIB);
        let mut dirs = Vec::new();
        let mut errors = Vec::new();
        for tree in &self.trees {
            let agent_dir = tree.dir.join(format!("agent-{}", limits.agent.agent));
            let dir = agent_dir.join(format!("cmd-{name}"));
            let agent = {
                let _serial = self.agents.lock().unwrap_or_else(PoisonError::into_inner);
                node::make_inner(&agent_dir, version, &tree.controllers).and_then(|()| {
                    node::set_limits(
                        &agent_dir,
                        version,
                        &tree.controllers,
                        limits.agent.max_processes,
                        agent_memory,
                    )
                })
            };
            // `create_dir`, not `create_dir_all`: a cgroup that exists already belongs to
            // another command and must not be shared.
            let made = agent.and_then(|()| {
                std::fs::create_dir(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                node::set_limits(
                    &dir,
                    version,
                    &tree.controllers,
                    limits.max_processes,
                    limits.memory_mb.saturating_mul(MIB),
                )
                .inspect_err(|_| {
                    let _ = std::fs::remove_dir(&dir);
                })
            });
            match made {
                Ok(()) => dirs.push((dir, tree.controllers.clone())),
                Err(e) => errors.push(format!(
                    "cannot set up the {} cgroup of the command: {e}",
                    names(&tree.controllers)
                )),
            }
        }
        (CommandCgroups { dirs }, errors)
    }
}

impl Drop for GatewayCgroups {
    /// Kills what still runs in this sandbox's cgroups and removes them, then the `rustyclaw`
    /// directory when no other gateway's is left in it.
    fn drop(&mut self) {
        for tree in &self.trees {
            if !node::teardown(&tree.dir) {
                tracing::warn!(cgroup = %tree.dir.display(), "could not remove the sandbox's cgroups");
            }
            if let Some(parent) = tree.dir.parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
    }
}

/// Creates `base` (`<own cgroup>/rustyclaw`), removes what dead gateways left in it, and
/// creates `<base>/<name>`, cleared of anything an earlier process with this pid left.
fn prepare(
    base: &Path,
    version: CgroupVersion,
    controllers: &[Controller],
    name: &str,
) -> Result<PathBuf, String> {
    node::make_inner(base, version, controllers)?;
    node::sweep_stale(base);
    let dir = base.join(name);
    if dir.exists() {
        node::teardown(&dir);
    }
    node::make_inner(&dir, version, controllers)?;
    // cgroup v1 memory only bounds children by their parent's limit in hierarchical mode
    // (always on since Linux 5.16; before, a root cgroup may have switched it off).
    let hierarchical = dir.join("memory.use_hierarchy");
    if version == CgroupVersion::V1
        && std::fs::read_to_string(&hierarchical).is_ok_and(|t| t.trim() == "0")
        && std::fs::write(&hierarchical, "1").is_err()
    {
        let _ = std::fs::remove_dir(&dir);
        return Err(format!(
            "{} is not hierarchical (memory.use_hierarchy is 0), so an agent's limit would not bound its commands",
            dir.display()
        ));
    }
    Ok(dir)
}

fn names(controllers: &[Controller]) -> String {
    controllers
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join("+")
}

/// The cgroups of one command.
#[derive(Debug)]
pub(crate) struct CommandCgroups {
    /// Created directories with their controllers.
    dirs: Vec<(PathBuf, Vec<Controller>)>,
}

impl CommandCgroups {
    /// Whether no cgroup could be created.
    pub(crate) fn is_empty(&self) -> bool {
        self.dirs.is_empty()
    }

    /// Whether a cgroup of `controller` was created.
    pub(crate) fn has(&self, controller: Controller) -> bool {
        self.dirs.iter().any(|(_, c)| c.contains(&controller))
    }

    /// The `cgroup.procs` files the helper joins.
    pub(crate) fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs
            .iter()
            .map(|(d, _)| d.join("cgroup.procs"))
            .collect()
    }

    fn paths(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|(d, _)| d.clone()).collect()
    }

    /// Sends SIGKILL to every process in the cgroups until they are empty.
    pub(crate) fn kill_all(&self) {
        node::kill_all(&self.paths());
    }

    /// Kills what is left and removes the cgroups. A cgroup stays busy until its last process
    /// has been reaped, so removal is retried for a short while.
    pub(crate) async fn remove(&self) {
        for (dir, _) in &self.dirs {
            let mut removed = false;
            for _ in 0..100 {
                self.kill_all();
                match std::fs::remove_dir(dir) {
                    Ok(()) => {
                        removed = true;
                        break;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        removed = true;
                        break;
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
            if !removed {
                tracing::warn!(cgroup = %dir.display(), "could not remove a command's cgroup");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, content: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn v2_commands_go_into_their_agents_cgroup_with_both_limits() {
        // Plain files stand in for the unified hierarchy: the same files are written.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "proc/self/cgroup", "0::/svc\n");
        write(root, "proc/meminfo", "MemTotal:        2097152 kB\n");
        write(root, "sys/fs/cgroup/cgroup.controllers", "memory pids\n");
        write(
            root,
            "sys/fs/cgroup/svc/cgroup.controllers",
            "memory pids\n",
        );
        write(
            root,
            "sys/fs/cgroup/svc/cgroup.subtree_control",
            "memory pids\n",
        );
        let cgroups = GatewayCgroups::set_up(root, "gateway-1-0");
        let gateway = root.join("sys/fs/cgroup/svc/rustyclaw/gateway-1-0");
        let report = cgroups.report().clone();
        assert_eq!(report.version, Some(CgroupVersion::V2));
        assert_eq!(report.pids.as_deref(), Ok(gateway.as_path()));
        assert_eq!(report.memory.as_deref(), Ok(gateway.as_path()));
        assert_eq!(report.default_memory_mb, 1024, "half of 2 GiB");
        for level in ["svc/rustyclaw", "svc/rustyclaw/gateway-1-0"] {
            assert_eq!(
                read(
                    &root
                        .join("sys/fs/cgroup")
                        .join(level)
                        .join("cgroup.subtree_control")
                ),
                "+pids +memory",
                "{level}"
            );
        }

        let mut limits = ResourceLimits {
            max_processes: 32,
            memory_mb: 2,
            ..ResourceLimits::default()
        };
        limits.agent.agent = crate::AgentKey::new("ops").unwrap();
        limits.agent.max_processes = 100;
        let (command, errors) = cgroups.command(&limits, "7");
        assert!(errors.is_empty(), "{errors:?}");
        let agent = gateway.join("agent-ops");
        assert_eq!(read(&agent.join("cgroup.subtree_control")), "+pids +memory");
        assert_eq!(read(&agent.join("pids.max")), "100");
        assert_eq!(read(&agent.join("memory.max")), (1024 * MIB).to_string());
        let leaf = agent.join("cmd-7");
        assert_eq!(read(&leaf.join("pids.max")), "32");
        assert_eq!(read(&leaf.join("memory.max")), "2097152");
        assert!(!leaf.join("cgroup.subtree_control").exists(), "a leaf");
        assert_eq!(command.procs_files(), vec![leaf.join("cgroup.procs")]);
        assert!(command.has(Controller::Pids) && command.has(Controller::Memory));

        // A second command of the agent shares its cgroup; a new configured limit applies.
        limits.agent.memory_mb = Some(64);
        let (second, errors) = cgroups.command(&limits, "8");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(second.procs_files(), vec![agent.join("cmd-8/cgroup.procs")]);
        assert_eq!(read(&agent.join("memory.max")), (64 * MIB).to_string());
        // A name in use is never shared.
        let (none, errors) = cgroups.command(&limits, "8");
        assert!(none.is_empty());
        assert!(errors[0].contains("pids+memory"), "{errors:?}");
        // The fake tree holds plain files, which the kernel's rmdir would not mind; this
        // leaves them for the temporary directory's removal.
        std::mem::forget(cgroups);
    }

    #[test]
    fn v1_controllers_get_one_tree_each() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "proc/self/cgroup", "3:pids:/a\n2:memory:/b\n");
        write(root, "sys/fs/cgroup/pids/cgroup.procs", "");
        write(root, "sys/fs/cgroup/memory/cgroup.procs", "");
        std::fs::create_dir_all(root.join("sys/fs/cgroup/pids/a")).unwrap();
        std::fs::create_dir_all(root.join("sys/fs/cgroup/memory/b")).unwrap();
        let cgroups = GatewayCgroups::set_up(root, "gateway-1-0");
        assert_eq!(cgroups.report().version, Some(CgroupVersion::V1));
        let (command, errors) = cgroups.command(&ResourceLimits::default(), "1");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            command.procs_files(),
            vec![
                root.join(
                    "sys/fs/cgroup/pids/a/rustyclaw/gateway-1-0/agent-main/cmd-1/cgroup.procs"
                ),
                root.join(
                    "sys/fs/cgroup/memory/b/rustyclaw/gateway-1-0/agent-main/cmd-1/cgroup.procs"
                ),
            ]
        );
        let agent = root.join("sys/fs/cgroup/pids/a/rustyclaw/gateway-1-0/agent-main");
        assert_eq!(read(&agent.join("pids.max")), "512");
        assert!(!agent.join("cgroup.subtree_control").exists());
        std::mem::forget(cgroups);
    }

    #[test]
    fn without_hierarchies_nothing_is_usable_and_the_report_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "proc/self/cgroup", "0::/\n");
        let cgroups = GatewayCgroups::set_up(root, "gateway-1-0");
        assert!(!cgroups.is_usable());
        let report = cgroups.report();
        assert_eq!(report.version, None);
        assert!(
            report
                .pids
                .as_ref()
                .unwrap_err()
                .contains("no cgroup v1 pids")
        );
        let (command, errors) = cgroups.command(&ResourceLimits::default(), "1");
        assert!(command.is_empty() && errors.is_empty());
    }
}
