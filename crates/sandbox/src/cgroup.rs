//! cgroup v1 `pids` and `memory` limits for one command, and the kill switch they give.
//!
//! Each sandboxed command gets its own cgroup in each writable controller, created *beneath
//! the gateway's own cgroup* (`<mount>/<own path>/rustyclaw/<gateway pid>-<n>`), so limits set
//! on the gateway by its supervisor (systemd, a container runtime) still bound its commands.
//! The helper joins the cgroups before anything else runs, so every process the command starts
//! is listed in them: that list is what a timeout kills, including daemons that left the
//! process group with `setsid`. `pids.max` is also the fork-bomb guard for a root gateway,
//! for which the kernel does not enforce `RLIMIT_NPROC`.
//!
//! cgroup v2 (a unified hierarchy) is reported as unsupported for now; the layer report says so.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::level::ResourceLimits;

/// Name of the directory holding rustyclaw's cgroups inside the gateway's own cgroup.
const DIR_NAME: &str = "rustyclaw";

/// A cgroup v1 controller rustyclaw limits commands with.
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

/// Finds the directory where this process can create cgroups of `controller`: its own cgroup
/// in that hierarchy, plus [`DIR_NAME`]. `root` is `/` except in tests. The directory itself
/// need not exist yet.
pub(crate) fn locate(root: &Path, controller: Controller) -> Result<PathBuf, String> {
    let name = controller.name();
    let mount = root.join("sys/fs/cgroup");
    if mount.join("cgroup.controllers").is_file() {
        return Err("cgroup v2 (unified hierarchy) is not supported yet".to_owned());
    }
    let hierarchy = mount.join(name);
    if !hierarchy.join("cgroup.procs").is_file() {
        return Err(format!(
            "no cgroup v1 {name} hierarchy at {}",
            hierarchy.display()
        ));
    }
    let own = std::fs::read_to_string(root.join("proc/self/cgroup"))
        .map_err(|e| format!("cannot read /proc/self/cgroup: {e}"))?;
    let own_path = own
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, ':');
            let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
            controllers.split(',').any(|c| c == name).then_some(path)
        })
        .next()
        .ok_or_else(|| format!("this process is in no {name} cgroup"))?;
    let own_dir = hierarchy.join(own_path.trim_start_matches('/'));
    if rustix::fs::access(&own_dir, rustix::fs::Access::WRITE_OK).is_err() {
        return Err(format!(
            "{} is not writable (run the gateway as root or delegate the cgroup to its user)",
            own_dir.display()
        ));
    }
    Ok(own_dir.join(DIR_NAME))
}

/// The cgroups of one command.
#[derive(Debug)]
pub(crate) struct CommandCgroups {
    /// Created directories with their controllers.
    dirs: Vec<(Controller, PathBuf)>,
}

impl CommandCgroups {
    /// Creates `<parent>/<name>` for every parent and sets its limit. A controller that fails
    /// is left out and its error returned alongside, for the caller to report or refuse on.
    pub(crate) fn create(
        parents: &[(Controller, PathBuf)],
        name: &str,
        limits: &ResourceLimits,
    ) -> (CommandCgroups, Vec<String>) {
        let mut dirs = Vec::new();
        let mut errors = Vec::new();
        for (controller, parent) in parents {
            let dir = parent.join(name);
            let (file, value) = match controller {
                Controller::Pids => ("pids.max", limits.max_processes),
                Controller::Memory => (
                    "memory.limit_in_bytes",
                    limits.memory_mb.saturating_mul(1024 * 1024),
                ),
            };
            // `create_dir`, not `create_dir_all`: a cgroup that exists already belongs to
            // another command and must not be shared.
            let made = make_dir(parent, &dir)
                .and_then(|()| std::fs::write(dir.join(file), value.to_string()));
            match made {
                Ok(()) => dirs.push((*controller, dir)),
                Err(e) => {
                    if e.kind() != std::io::ErrorKind::AlreadyExists {
                        let _ = std::fs::remove_dir(&dir);
                    }
                    errors.push(format!(
                        "cannot set up the {} cgroup {}: {e}",
                        controller.name(),
                        dir.display()
                    ));
                }
            }
        }
        (CommandCgroups { dirs }, errors)
    }

    /// Whether no cgroup could be created.
    pub(crate) fn is_empty(&self) -> bool {
        self.dirs.is_empty()
    }

    /// Whether a cgroup of `controller` was created.
    pub(crate) fn has(&self, controller: Controller) -> bool {
        self.dirs.iter().any(|(c, _)| *c == controller)
    }

    /// The `cgroup.procs` files the helper joins.
    pub(crate) fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs
            .iter()
            .map(|(_, d)| d.join("cgroup.procs"))
            .collect()
    }

    /// Sends SIGKILL to every process in the cgroups until they are empty (a fork racing the
    /// kill adds processes, so the list is re-read), for at most a few rounds.
    pub(crate) fn kill_all(&self) {
        for _ in 0..50 {
            let pids = self.pids();
            if pids.is_empty() {
                return;
            }
            for pid in pids {
                if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                    // ESRCH: it exited meanwhile.
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                }
            }
            std::thread::yield_now();
        }
    }

    fn pids(&self) -> Vec<i32> {
        let mut pids: Vec<i32> = self
            .procs_files()
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .flat_map(|text| {
                text.lines()
                    .filter_map(|l| l.trim().parse().ok())
                    .collect::<Vec<i32>>()
            })
            .collect();
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// Kills what is left and removes the cgroups. A cgroup stays busy until its last process
    /// has been reaped, so removal is retried for a short while.
    pub(crate) async fn remove(&self) {
        for (_, dir) in &self.dirs {
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

/// Creates `dir` inside `parent`, creating `parent` too. A parent removed between the two
/// steps (another sandbox of this process dropping an empty one) is created again once.
fn make_dir(parent: &Path, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(parent)?;
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(parent)?;
            std::fs::create_dir(dir)
        }
        other => other,
    }
}

/// Removes cgroups left behind by gateways that are gone (a crash between creation and
/// removal), killing anything still in them.
pub(crate) fn sweep_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name
            .to_str()
            .and_then(|n| n.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if owner == std::process::id() || Path::new(&format!("/proc/{owner}")).exists() {
            continue;
        }
        let stale = CommandCgroups {
            dirs: vec![(Controller::Pids, entry.path())],
        };
        stale.kill_all();
        let _ = std::fs::remove_dir(entry.path());
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

    #[test]
    fn locates_the_own_cgroup_of_each_controller() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "proc/self/cgroup",
            "8:pids:/\n4:memory:/svc/abc\n1:cpu,cpuacct:/\n0::/\n",
        );
        write(root, "sys/fs/cgroup/pids/cgroup.procs", "");
        write(root, "sys/fs/cgroup/memory/cgroup.procs", "");
        std::fs::create_dir_all(root.join("sys/fs/cgroup/memory/svc/abc")).unwrap();
        assert_eq!(
            locate(root, Controller::Pids).unwrap(),
            root.join("sys/fs/cgroup/pids/rustyclaw")
        );
        assert_eq!(
            locate(root, Controller::Memory).unwrap(),
            root.join("sys/fs/cgroup/memory/svc/abc/rustyclaw")
        );
    }

    #[test]
    fn explains_missing_hierarchies() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "proc/self/cgroup", "0::/\n");
        assert!(
            locate(root, Controller::Pids)
                .unwrap_err()
                .contains("no cgroup v1 pids")
        );
        write(
            root,
            "sys/fs/cgroup/cgroup.controllers",
            "cpu memory pids\n",
        );
        assert!(locate(root, Controller::Memory).unwrap_err().contains("v2"));
    }

    #[test]
    fn creates_limits_and_removes_command_cgroups() {
        // Plain directories stand in for the cgroup filesystem: the files are written the same.
        let dir = tempfile::tempdir().unwrap();
        let pids = dir.path().join("pids");
        let limits = ResourceLimits {
            max_processes: 32,
            memory_mb: 2,
            ..ResourceLimits::default()
        };
        let (cgroups, errors) = CommandCgroups::create(
            &[
                (Controller::Pids, pids.clone()),
                (Controller::Memory, dir.path().join("memory")),
            ],
            "1-1",
            &limits,
        );
        assert!(errors.is_empty());
        assert_eq!(
            std::fs::read_to_string(pids.join("1-1/pids.max")).unwrap(),
            "32"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("memory/1-1/memory.limit_in_bytes")).unwrap(),
            "2097152"
        );
        assert_eq!(cgroups.procs_files()[0], pids.join("1-1/cgroup.procs"));
        assert!(cgroups.pids().is_empty());
    }
}
