//! Where this process may create cgroups: its own cgroup in each hierarchy, made ready for
//! children (under cgroup v2 that means enabling the controllers for them).
//!
//! Every function takes the filesystem `root` (`/` except in tests, which build a fake tree of
//! plain files), so detection and the v2 preparation are unit-tested on any host.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::{CgroupVersion, Controller, DIR_NAME, GATEWAY_LEAF, read_words};

/// One mebibyte.
const MIB: u64 = 1024 * 1024;
/// Memory limits at or above this are "unlimited" (cgroup v1 reports a huge page-aligned
/// number instead of a word).
const UNLIMITED: u64 = 1 << 62;
/// The agent-wide memory when neither the host's memory nor a limit can be read.
const FALLBACK_AGENT_MEMORY_MB: u64 = 4096;

/// Where rustyclaw's cgroups go on this host.
#[derive(Debug)]
pub(crate) struct Located {
    /// The hierarchy mounted at `/sys/fs/cgroup`, `None` when there is none.
    pub version: Option<CgroupVersion>,
    /// `<own cgroup>/rustyclaw` in the `pids` hierarchy, or why there is none.
    pub pids: Result<PathBuf, String>,
    /// `<own cgroup>/rustyclaw` in the `memory` hierarchy, or why there is none. Under v2 the
    /// same directory as `pids`.
    pub memory: Result<PathBuf, String>,
    /// What an agent's memory defaults to, in MiB: half the host's memory, or half the limit of
    /// the gateway's own cgroup (or of one above it) when that is lower.
    pub default_agent_memory_mb: u64,
}

/// Finds (and, under v2, prepares) the cgroups this process can create children in. `root` is
/// `/` except in tests.
pub(crate) fn locate(root: &Path) -> Located {
    let mount = root.join("sys/fs/cgroup");
    let host_memory = mem_total(root);
    if mount.join("cgroup.controllers").is_file() {
        let (own, pids, memory) = match own_v2(root, &mount) {
            Ok(own) => {
                let [pids, memory] = prepare_v2(&own, std::process::id());
                let base = own.join(DIR_NAME);
                (
                    Some(own),
                    pids.map(|()| base.clone()),
                    memory.map(|()| base.clone()),
                )
            }
            Err(why) => (None, Err(why.clone()), Err(why)),
        };
        let limit = own.and_then(|own| lowest_limit(&mount, &own, "memory.max"));
        return Located {
            version: Some(CgroupVersion::V2),
            pids,
            memory,
            default_agent_memory_mb: half(host_memory, limit),
        };
    }
    let pids = own_v1(root, &mount, Controller::Pids);
    let memory = own_v1(root, &mount, Controller::Memory);
    let limit = memory
        .as_ref()
        .ok()
        .and_then(|own| lowest_limit(&mount.join("memory"), own, "memory.limit_in_bytes"));
    let version = [Controller::Pids, Controller::Memory]
        .iter()
        .any(|c| mount.join(c.name()).join("cgroup.procs").is_file())
        .then_some(CgroupVersion::V1);
    Located {
        version,
        pids: pids.map(|own| own.join(DIR_NAME)),
        memory: memory.map(|own| own.join(DIR_NAME)),
        default_agent_memory_mb: half(host_memory, limit),
    }
}

/// This process's cgroup in the cgroup v1 hierarchy of `controller`.
fn own_v1(root: &Path, mount: &Path, controller: Controller) -> Result<PathBuf, String> {
    let name = controller.name();
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
    writable(&own_dir)?;
    Ok(own_dir)
}

/// This process's cgroup in the unified hierarchy (the `0::/path` line), or its parent when
/// the process is in the leaf an earlier sandbox of this process moved it to.
fn own_v2(root: &Path, mount: &Path) -> Result<PathBuf, String> {
    let own = std::fs::read_to_string(root.join("proc/self/cgroup"))
        .map_err(|e| format!("cannot read /proc/self/cgroup: {e}"))?;
    let path = own
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .ok_or_else(|| "this process is in no cgroup v2 cgroup (no 0:: line)".to_owned())?;
    let mut own_dir = mount.join(path.trim_start_matches('/'));
    if own_dir.file_name() == Some(OsStr::new(GATEWAY_LEAF))
        && let Some(parent) = own_dir.parent()
    {
        own_dir = parent.to_path_buf();
    }
    writable(&own_dir)?;
    Ok(own_dir)
}

/// Makes `own` able to hold limited child cgroups under cgroup v2: `pids` and `memory` must be
/// available to it (its parent delegated them) and enabled in its `cgroup.subtree_control`.
///
/// cgroup v2 lets a cgroup that holds processes enable no controllers for its children ("no
/// internal processes"). A gateway alone in its cgroup (a systemd service with `Delegate=yes`,
/// a container running only the gateway) moves itself into a leaf, [`GATEWAY_LEAF`], as
/// systemd's delegation rules ask; a gateway sharing its cgroup with other processes cannot,
/// and the controllers are reported missing with that reason.
fn prepare_v2(own: &Path, self_pid: u32) -> [Result<(), String>; 2] {
    let controllers = [Controller::Pids, Controller::Memory];
    let available = read_words(&own.join("cgroup.controllers"));
    let enabled = read_words(&own.join("cgroup.subtree_control"));
    let mut results = controllers.map(|c| {
        if available.iter().any(|a| a == c.name()) {
            Ok(())
        } else {
            Err(format!(
                "cgroup v2: the {} controller is not delegated to {} (its cgroup.controllers \
                 lists: {}); the cgroup above must enable it for this one",
                c.name(),
                own.display(),
                if available.is_empty() {
                    "nothing".to_owned()
                } else {
                    available.join(" ")
                }
            ))
        }
    });
    let wanted: Vec<usize> = (0..controllers.len())
        .filter(|&i| results[i].is_ok() && !enabled.iter().any(|e| e == controllers[i].name()))
        .collect();
    if wanted.is_empty() {
        return results;
    }
    let procs = read_words(&own.join("cgroup.procs"));
    let others = procs.iter().filter(|p| **p != self_pid.to_string()).count();
    let mut failure = None;
    if !procs.is_empty() && others == 0 {
        let leaf = own.join(GATEWAY_LEAF);
        // "0" names the writing process, whatever its pid is in this namespace.
        let moved = std::fs::create_dir_all(&leaf)
            .and_then(|()| std::fs::write(leaf.join("cgroup.procs"), "0"));
        if let Err(e) = moved {
            failure = Some(format!(
                "cgroup v2: cannot move the gateway into {} to free {} for child cgroups: {e}",
                leaf.display(),
                own.display()
            ));
        }
    }
    if failure.is_none() {
        let line: Vec<String> = wanted
            .iter()
            .map(|&i| format!("+{}", controllers[i].name()))
            .collect();
        if let Err(e) = std::fs::write(own.join("cgroup.subtree_control"), line.join(" ")) {
            failure = Some(if others > 0 {
                format!(
                    "cgroup v2: {} also holds {others} other process(es), and a cgroup with \
                     processes in it cannot enable controllers for child cgroups (the \"no \
                     internal processes\" rule; {e}); run the gateway in a cgroup of its own, \
                     such as a systemd service with Delegate=yes",
                    own.display()
                )
            } else {
                format!(
                    "cgroup v2: cannot enable {} for the children of {}: {e}",
                    line.join(" "),
                    own.display()
                )
            });
        }
    }
    if let Some(why) = failure {
        for i in wanted {
            results[i] = Err(why.clone());
        }
    }
    results
}

fn writable(dir: &Path) -> Result<(), String> {
    rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).map_err(|_| {
        format!(
            "{} is not writable (run the gateway as root, or in a cgroup delegated to its user: \
             a systemd service with Delegate=yes)",
            dir.display()
        )
    })
}

/// The lowest memory limit (`file`) of `own` and the cgroups above it up to `hierarchy`.
fn lowest_limit(hierarchy: &Path, own: &Path, file: &str) -> Option<u64> {
    own.ancestors()
        .take_while(|dir| dir.starts_with(hierarchy))
        .filter_map(|dir| std::fs::read_to_string(dir.join(file)).ok())
        .filter_map(|text| text.trim().parse::<u64>().ok())
        .filter(|limit| *limit < UNLIMITED)
        .min()
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
fn mem_total(root: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(root.join("proc/meminfo")).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
    let kib: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
    kib.checked_mul(1024)
}

/// Half of the smaller of `host` and `limit`, in MiB (at least 1).
fn half(host: Option<u64>, limit: Option<u64>) -> u64 {
    let available = match (host, limit) {
        (Some(h), Some(l)) => h.min(l),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => return FALLBACK_AGENT_MEMORY_MB,
    };
    (available / 2 / MIB).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, content: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    fn read(root: &Path, rel: &str) -> String {
        std::fs::read_to_string(root.join(rel)).unwrap()
    }

    #[test]
    fn v1_finds_the_own_cgroup_of_each_controller() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "proc/self/cgroup",
            "8:pids:/\n4:memory:/svc/abc\n1:cpu,cpuacct:/\n0::/\n",
        );
        write(root, "proc/meminfo", "MemTotal:        8000000 kB\n");
        write(root, "sys/fs/cgroup/pids/cgroup.procs", "");
        write(root, "sys/fs/cgroup/memory/cgroup.procs", "");
        // The service is limited to 2 GiB by the cgroup above its own.
        write(
            root,
            "sys/fs/cgroup/memory/svc/memory.limit_in_bytes",
            "2147483648\n",
        );
        write(
            root,
            "sys/fs/cgroup/memory/svc/abc/memory.limit_in_bytes",
            "9223372036854771712\n",
        );
        let found = locate(root);
        assert_eq!(found.version, Some(CgroupVersion::V1));
        assert_eq!(
            found.pids.unwrap(),
            root.join("sys/fs/cgroup/pids/rustyclaw")
        );
        assert_eq!(
            found.memory.unwrap(),
            root.join("sys/fs/cgroup/memory/svc/abc/rustyclaw")
        );
        assert_eq!(
            found.default_agent_memory_mb, 1024,
            "half of the 2 GiB limit"
        );
    }

    #[test]
    fn without_a_limit_agents_get_half_the_hosts_memory() {
        assert_eq!(half(Some(8 << 30), None), 4096);
        assert_eq!(half(Some(8 << 30), Some(1 << 30)), 512);
        assert_eq!(half(None, None), FALLBACK_AGENT_MEMORY_MB);
        assert_eq!(half(Some(1024), None), 1);
    }

    #[test]
    fn v1_explains_missing_hierarchies() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "proc/self/cgroup", "0::/\n");
        let found = locate(root);
        assert_eq!(found.version, None);
        assert!(found.pids.unwrap_err().contains("no cgroup v1 pids"));
    }

    /// A unified hierarchy in which this process lives in `own` with `procs`.
    fn v2_tree(root: &Path, own: &str, procs: &str, controllers: &str) -> PathBuf {
        write(root, "proc/self/cgroup", &format!("0::{own}\n"));
        write(root, "proc/meminfo", "MemTotal:        4000000 kB\n");
        write(
            root,
            "sys/fs/cgroup/cgroup.controllers",
            "cpu io memory pids\n",
        );
        let dir = root.join("sys/fs/cgroup").join(own.trim_start_matches('/'));
        let rel = dir.strip_prefix(root).unwrap().to_str().unwrap().to_owned();
        write(root, &format!("{rel}/cgroup.controllers"), controllers);
        write(root, &format!("{rel}/cgroup.subtree_control"), "");
        write(root, &format!("{rel}/cgroup.procs"), procs);
        dir
    }

    #[test]
    fn v2_is_detected_and_a_gateway_alone_in_its_cgroup_moves_into_a_leaf() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let me = std::process::id();
        let own = v2_tree(
            root,
            "/system.slice/rustyclaw.service",
            &format!("{me}\n"),
            "cpu memory pids\n",
        );
        write(
            root,
            "sys/fs/cgroup/system.slice/memory.max",
            "1073741824\n",
        );
        write(
            root,
            "sys/fs/cgroup/system.slice/rustyclaw.service/memory.max",
            "max\n",
        );
        let found = locate(root);
        assert_eq!(found.version, Some(CgroupVersion::V2));
        assert_eq!(found.pids.unwrap(), own.join("rustyclaw"));
        assert_eq!(found.memory.unwrap(), own.join("rustyclaw"));
        // The gateway left its cgroup for a leaf, then enabled the controllers for children.
        let rel = own.strip_prefix(root).unwrap().to_str().unwrap().to_owned();
        assert_eq!(
            read(root, &format!("{rel}/{GATEWAY_LEAF}/cgroup.procs")),
            "0"
        );
        assert_eq!(
            read(root, &format!("{rel}/cgroup.subtree_control")),
            "+pids +memory"
        );
        assert_eq!(found.default_agent_memory_mb, 512, "half the slice's limit");

        // A second sandbox of the same process finds itself in the leaf and uses its parent.
        write(
            root,
            "proc/self/cgroup",
            &format!("0::/system.slice/rustyclaw.service/{GATEWAY_LEAF}\n"),
        );
        write(
            root,
            &format!("{rel}/cgroup.subtree_control"),
            "pids memory\n",
        );
        write(root, &format!("{rel}/cgroup.procs"), "");
        assert_eq!(locate(root).pids.unwrap(), own.join("rustyclaw"));
    }

    #[test]
    fn v2_controllers_already_enabled_are_used_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let own = v2_tree(root, "/user.slice/rc", "1\n2\n", "memory pids\n");
        let rel = own.strip_prefix(root).unwrap().to_str().unwrap().to_owned();
        write(
            root,
            &format!("{rel}/cgroup.subtree_control"),
            "memory pids\n",
        );
        let found = locate(root);
        assert!(found.pids.is_ok() && found.memory.is_ok());
        assert!(!own.join(GATEWAY_LEAF).exists(), "nothing moved");
        assert_eq!(
            read(root, &format!("{rel}/cgroup.subtree_control")),
            "memory pids\n"
        );
    }

    #[test]
    fn v2_reports_a_cgroup_shared_with_other_processes_plainly() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let me = std::process::id();
        let own = v2_tree(root, "/", &format!("1\n{me}\n"), "memory pids\n");
        // The kernel refuses the write ("no internal processes"); a directory refuses it too.
        let control = own.join("cgroup.subtree_control");
        std::fs::remove_file(&control).unwrap();
        std::fs::create_dir(&control).unwrap();
        let found = locate(root);
        for why in [found.pids.unwrap_err(), found.memory.unwrap_err()] {
            assert!(why.contains("no internal processes"), "{why}");
            assert!(why.contains("1 other process"), "{why}");
            assert!(why.contains("Delegate=yes"), "{why}");
        }
        assert!(!own.join(GATEWAY_LEAF).exists(), "not alone: nothing moved");
    }

    #[test]
    fn v2_reports_controllers_that_are_not_delegated() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let own = v2_tree(root, "/user.slice/rc", "", "cpu pids\n");
        let found = locate(root);
        assert_eq!(found.pids.unwrap(), own.join("rustyclaw"));
        let why = found.memory.unwrap_err();
        assert!(why.contains("memory controller is not delegated"), "{why}");
        let rel = own.strip_prefix(root).unwrap().to_str().unwrap().to_owned();
        assert_eq!(
            read(root, &format!("{rel}/cgroup.subtree_control")),
            "+pids"
        );
    }

    #[test]
    fn v2_without_a_cgroup_line_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "proc/self/cgroup", "1:name=systemd:/\n");
        write(root, "sys/fs/cgroup/cgroup.controllers", "memory pids\n");
        let found = locate(root);
        assert_eq!(found.version, Some(CgroupVersion::V2));
        assert!(found.pids.unwrap_err().contains("no 0:: line"));
    }
}
