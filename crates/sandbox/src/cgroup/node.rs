//! Operations on cgroup directories: creating one, setting its limits, killing what runs in it
//! and removing it with everything beneath it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{CgroupVersion, Controller};

/// Creates `dir`, a cgroup that holds other cgroups, unless it exists, and under cgroup v2
/// enables `controllers` for its children.
pub(super) fn make_inner(
    dir: &Path,
    version: CgroupVersion,
    controllers: &[Controller],
) -> Result<(), String> {
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("cannot create {}: {e}", dir.display())),
    }
    if version == CgroupVersion::V2 {
        let line: Vec<String> = controllers
            .iter()
            .map(|c| format!("+{}", c.name()))
            .collect();
        let control = dir.join("cgroup.subtree_control");
        std::fs::write(&control, line.join(" "))
            .map_err(|e| format!("cannot write {}: {e}", control.display()))?;
    }
    Ok(())
}

/// Sets the limits of the cgroup `dir` for `controllers`: at most `max_processes` processes and
/// threads, `memory_bytes` of memory with swap. A value already in place is not written again,
/// so a running agent's limits are only touched when the configuration changed them.
pub(super) fn set_limits(
    dir: &Path,
    version: CgroupVersion,
    controllers: &[Controller],
    max_processes: u64,
    memory_bytes: u64,
) -> Result<(), String> {
    for controller in controllers {
        match (controller, version) {
            (Controller::Pids, _) => {
                write_if_changed(&dir.join("pids.max"), &max_processes.to_string())?;
            }
            (Controller::Memory, CgroupVersion::V2) => {
                write_if_changed(&dir.join("memory.max"), &memory_bytes.to_string())?;
                // Swap counts against the limit: the commands get no swap of their own.
                let swap = dir.join("memory.swap.max");
                if swap.is_file() {
                    write_if_changed(&swap, "0")?;
                }
            }
            (Controller::Memory, CgroupVersion::V1) => set_v1_memory(dir, memory_bytes)?,
        }
    }
    Ok(())
}

/// cgroup v1 memory: `memory.limit_in_bytes`, and `memory.memsw.limit_in_bytes` (memory plus
/// swap) to the same value where swap is accounted. The kernel keeps memory+swap at or above
/// memory alone, so memsw is raised first and lowered last.
fn set_v1_memory(dir: &Path, bytes: u64) -> Result<(), String> {
    let limit = dir.join("memory.limit_in_bytes");
    let memsw = dir.join("memory.memsw.limit_in_bytes");
    let current = std::fs::read_to_string(&limit)
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok());
    let raising = current.is_none_or(|c| bytes > c);
    let value = bytes.to_string();
    if memsw.is_file() && raising {
        write_if_changed(&memsw, &value)?;
    }
    write_if_changed(&limit, &value)?;
    if memsw.is_file() && !raising {
        write_if_changed(&memsw, &value)?;
    }
    Ok(())
}

fn write_if_changed(file: &Path, value: &str) -> Result<(), String> {
    if std::fs::read_to_string(file).is_ok_and(|t| t.trim() == value) {
        return Ok(());
    }
    std::fs::write(file, value)
        .map_err(|e| format!("cannot write {value} to {}: {e}", file.display()))
}

/// The processes listed in the `cgroup.procs` of each of `dirs`.
pub(super) fn pids_in(dirs: &[PathBuf]) -> Vec<i32> {
    let mut pids: Vec<i32> = dirs
        .iter()
        .filter_map(|d| std::fs::read_to_string(d.join("cgroup.procs")).ok())
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

/// Sends SIGKILL to every process in `dirs` until they are empty (a fork racing the kill adds
/// processes, so the lists are re-read), for at most a few rounds. Under cgroup v2 with
/// `cgroup.kill` (Linux 5.14+) the kernel kills each whole subtree at once first.
pub(super) fn kill_all(dirs: &[PathBuf]) {
    for dir in dirs {
        let kill = dir.join("cgroup.kill");
        if kill.is_file() {
            let _ = std::fs::write(kill, "1");
        }
    }
    for _ in 0..50 {
        let pids = pids_in(dirs);
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

/// `dir` and every cgroup beneath it, deepest first.
fn subtree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(subtree(&entry.path()));
            }
        }
    }
    out.push(dir.to_path_buf());
    out
}

/// Kills every process in `dir` and in the cgroups beneath it, then removes them all, deepest
/// first. A cgroup stays busy until its last process has been reaped, so removal is retried
/// for up to a second; this blocks, and runs only at start-up (cgroups left by a gateway that
/// died) and when a sandbox is dropped. Returns whether everything is gone.
pub(super) fn teardown(dir: &Path) -> bool {
    for _ in 0..100 {
        let dirs = subtree(dir);
        kill_all(&dirs);
        let mut left = false;
        for d in &dirs {
            match std::fs::remove_dir(d) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(_) => left = true,
            }
        }
        if !left {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// Removes the cgroups left in `parent` (a `<own cgroup>/rustyclaw` directory) by gateways
/// that are gone (a crash, a SIGKILL), killing anything still in them: directories named
/// `gateway-<pid>-<n>`, and `<pid>-<n>` from versions that put command cgroups there directly.
pub(super) fn sweep_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name.to_str().and_then(owner_pid) else {
            continue;
        };
        if owner == std::process::id() || Path::new(&format!("/proc/{owner}")).exists() {
            continue;
        }
        if !teardown(&entry.path()) {
            tracing::warn!(cgroup = %entry.path().display(), "could not remove the cgroups of a gateway that is gone");
        }
    }
}

/// The pid in a gateway directory's name.
fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("gateway-").unwrap_or(name);
    rest.split_once('-')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_written_per_version_and_only_when_changed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let both = [Controller::Pids, Controller::Memory];
        set_limits(d, CgroupVersion::V1, &both, 32, 2 << 20).unwrap();
        let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap();
        assert_eq!(read("pids.max"), "32");
        assert_eq!(read("memory.limit_in_bytes"), "2097152");
        assert!(
            !d.join("memory.memsw.limit_in_bytes").exists(),
            "no swap accounting"
        );

        std::fs::write(d.join("memory.memsw.limit_in_bytes"), "9223372036854771712").unwrap();
        set_limits(d, CgroupVersion::V1, &both, 32, 1 << 20).unwrap();
        assert_eq!(read("memory.limit_in_bytes"), "1048576");
        assert_eq!(read("memory.memsw.limit_in_bytes"), "1048576");

        let v2 = tempfile::tempdir().unwrap();
        let d = v2.path();
        std::fs::write(d.join("memory.swap.max"), "max").unwrap();
        set_limits(d, CgroupVersion::V2, &both, 512, 4 << 30).unwrap();
        let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap();
        assert_eq!(read("pids.max"), "512");
        assert_eq!(read("memory.max"), "4294967296");
        assert_eq!(read("memory.swap.max"), "0");
        assert!(!d.join("memory.limit_in_bytes").exists());

        // An unchanged value is not written again (the kernel can refuse a memory limit
        // below current use even when it equals the one in place).
        let old = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        for f in ["pids.max", "memory.max"] {
            let file = std::fs::File::options()
                .write(true)
                .open(d.join(f))
                .unwrap();
            file.set_modified(old).unwrap();
        }
        set_limits(d, CgroupVersion::V2, &both, 512, 2 << 30).unwrap();
        let modified = |f: &str| std::fs::metadata(d.join(f)).unwrap().modified().unwrap();
        assert_eq!(modified("pids.max"), old);
        assert_ne!(modified("memory.max"), old);
        assert_eq!(read("memory.max"), "2147483648");
    }

    #[test]
    fn inner_cgroups_enable_their_controllers_under_v2_only() {
        let dir = tempfile::tempdir().unwrap();
        let v1 = dir.path().join("v1");
        make_inner(&v1, CgroupVersion::V1, &[Controller::Pids]).unwrap();
        assert!(v1.is_dir() && !v1.join("cgroup.subtree_control").exists());
        let v2 = dir.path().join("v2");
        let both = [Controller::Pids, Controller::Memory];
        make_inner(&v2, CgroupVersion::V2, &both).unwrap();
        make_inner(&v2, CgroupVersion::V2, &both).unwrap();
        assert_eq!(
            std::fs::read_to_string(v2.join("cgroup.subtree_control")).unwrap(),
            "+pids +memory"
        );
    }

    #[test]
    fn gateway_directories_name_their_owner() {
        assert_eq!(owner_pid("gateway-123-0"), Some(123));
        assert_eq!(owner_pid("77-12"), Some(77));
        assert_eq!(owner_pid("agent-main"), None);
        assert_eq!(owner_pid("rustyclaw-gateway"), None);
    }

    #[test]
    fn pids_are_read_from_every_procs_file() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        for (d, procs) in [(&a, "5\n3\n"), (&b, "3\n9\n")] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join("cgroup.procs"), procs).unwrap();
        }
        assert_eq!(pids_in(&[a, b]), vec![3, 5, 9]);
    }
}
