//! Host capability probe: which isolation layers this machine can provide.
//!
//! The probe only reads files under `/proc` and `/sys` and searches `PATH`; it starts no process,
//! so it is cheap enough to run on every `rustyclaw doctor` and gateway start.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Whether one isolation layer is usable, with a human-readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerStatus {
    /// The layer is present; the string says what was found (a path, an ABI version).
    Available(String),
    /// The layer is missing; the string says why and how to get it.
    Missing(String),
    /// The probe could not tell (for example securityfs is not mounted); the string says why.
    Unknown(String),
}

impl LayerStatus {
    /// A one-word label: `available`, `missing` or `unknown`.
    pub fn label(&self) -> &'static str {
        match self {
            LayerStatus::Available(_) => "available",
            LayerStatus::Missing(_) => "missing",
            LayerStatus::Unknown(_) => "unknown",
        }
    }

    /// True when the layer can be used.
    pub fn is_available(&self) -> bool {
        matches!(self, LayerStatus::Available(_))
    }

    /// The explanation attached to either state.
    pub fn detail(&self) -> &str {
        match self {
            LayerStatus::Available(s) | LayerStatus::Missing(s) | LayerStatus::Unknown(s) => s,
        }
    }
}

/// The isolation layers found on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCapabilities {
    /// The `bwrap` executable (bubblewrap), used for mount/PID/network namespaces.
    pub bubblewrap: LayerStatus,
    /// The Landlock LSM, for filesystem and TCP rules applied inside the child.
    pub landlock: LayerStatus,
    /// Kernel seccomp filtering, for the system-call filter applied inside the child.
    pub seccomp: LayerStatus,
    /// User namespaces, which bubblewrap needs when not running as root.
    pub user_namespaces: LayerStatus,
    /// A writable cgroup hierarchy for memory and process-count limits.
    pub cgroups: LayerStatus,
    /// The `slirp4netns` executable: user-mode networking for a private network namespace
    /// that reaches the outside but not the host's own services.
    pub user_net: LayerStatus,
}

impl HostCapabilities {
    /// Probes the running host. `path_var` is the `PATH` value to search for `bwrap` (passed in
    /// because only the config crate reads the environment).
    pub fn probe(path_var: Option<&OsStr>) -> Self {
        Self::probe_at(Path::new("/"), path_var)
    }

    /// Probes a host whose `/proc` and `/sys` live under `root` (tests point this at a fixture tree).
    pub fn probe_at(root: &Path, path_var: Option<&OsStr>) -> Self {
        HostCapabilities {
            bubblewrap: probe_bubblewrap(path_var),
            landlock: probe_landlock(root),
            seccomp: probe_seccomp(root),
            user_namespaces: probe_user_namespaces(root),
            cgroups: probe_cgroups(root),
            user_net: probe_user_net(path_var),
        }
    }

    /// Every layer with its name, in a stable order, for reports.
    pub fn layers(&self) -> [(&'static str, &LayerStatus); 6] {
        [
            ("bubblewrap", &self.bubblewrap),
            ("landlock", &self.landlock),
            ("seccomp", &self.seccomp),
            ("user-namespaces", &self.user_namespaces),
            ("cgroups", &self.cgroups),
            ("slirp4netns", &self.user_net),
        ]
    }
}

/// Finds an executable named `name` in the directories of `path_var`.
pub fn find_in_path(name: &str, path_var: Option<&OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let dirs = path_var?;
    std::env::split_paths(dirs)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

fn probe_bubblewrap(path_var: Option<&OsStr>) -> LayerStatus {
    match find_in_path("bwrap", path_var) {
        Some(path) => LayerStatus::Available(path.display().to_string()),
        None => LayerStatus::Missing(
            "bwrap not found on PATH; install it with `apt-get install bubblewrap`".to_owned(),
        ),
    }
}

fn probe_user_net(path_var: Option<&OsStr>) -> LayerStatus {
    match find_in_path("slirp4netns", path_var) {
        Some(path) => LayerStatus::Available(path.display().to_string()),
        None => LayerStatus::Missing(
            "slirp4netns not found on PATH; install it with `apt-get install slirp4netns`"
                .to_owned(),
        ),
    }
}

fn read_trimmed(root: &Path, rel: &str) -> Option<String> {
    std::fs::read_to_string(root.join(rel))
        .ok()
        .map(|s| s.trim().to_owned())
}

fn probe_landlock(root: &Path) -> LayerStatus {
    match read_trimmed(root, "sys/kernel/security/lsm") {
        Some(lsms) if lsms.split(',').any(|l| l == "landlock") => {
            LayerStatus::Available(format!("active LSMs: {lsms}"))
        }
        Some(lsms) => LayerStatus::Missing(format!(
            "landlock is not among the active LSMs ({lsms}); boot with `lsm=landlock,…`"
        )),
        None => LayerStatus::Unknown(
            "cannot read /sys/kernel/security/lsm (securityfs is not mounted here)".to_owned(),
        ),
    }
}

fn probe_seccomp(root: &Path) -> LayerStatus {
    let status = read_trimmed(root, "proc/self/status").unwrap_or_default();
    match status.lines().find_map(|l| l.strip_prefix("Seccomp:")) {
        Some(mode) => LayerStatus::Available(format!("seccomp mode {}", mode.trim())),
        None => LayerStatus::Missing("kernel reports no seccomp support".to_owned()),
    }
}

fn probe_user_namespaces(root: &Path) -> LayerStatus {
    let max =
        read_trimmed(root, "proc/sys/user/max_user_namespaces").and_then(|s| s.parse::<u64>().ok());
    let debian_switch = read_trimmed(root, "proc/sys/kernel/unprivileged_userns_clone");
    match (max, debian_switch.as_deref()) {
        (Some(0), _) => LayerStatus::Missing(
            "user namespaces disabled (user.max_user_namespaces = 0)".to_owned(),
        ),
        (_, Some("0")) => LayerStatus::Missing(
            "unprivileged user namespaces disabled (kernel.unprivileged_userns_clone = 0)"
                .to_owned(),
        ),
        (Some(n), _) => LayerStatus::Available(format!("max_user_namespaces = {n}")),
        (None, _) => {
            LayerStatus::Missing("cannot read /proc/sys/user/max_user_namespaces".to_owned())
        }
    }
}

fn probe_cgroups(root: &Path) -> LayerStatus {
    let cgroup = root.join("sys/fs/cgroup");
    if cgroup.join("cgroup.controllers").is_file() {
        let controllers =
            read_trimmed(root, "sys/fs/cgroup/cgroup.controllers").unwrap_or_default();
        return LayerStatus::Available(format!("cgroup v2 (controllers: {controllers})"));
    }
    let v1: Vec<&str> = ["memory", "pids"]
        .into_iter()
        .filter(|c| cgroup.join(c).is_dir())
        .collect();
    if v1.is_empty() {
        LayerStatus::Missing("no cgroup v2 hierarchy and no v1 memory/pids controllers".to_owned())
    } else {
        LayerStatus::Available(format!("cgroup v1 ({})", v1.join(", ")))
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
    fn reads_layers_from_a_fixture_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "sys/kernel/security/lsm",
            "lockdown,capability,landlock,apparmor\n",
        );
        write(root, "proc/self/status", "Name:\tx\nSeccomp:\t0\n");
        write(root, "proc/sys/user/max_user_namespaces", "63304\n");
        std::fs::create_dir_all(root.join("sys/fs/cgroup/memory")).unwrap();
        let caps = HostCapabilities::probe_at(root, None);
        assert!(caps.landlock.is_available());
        assert_eq!(
            caps.seccomp,
            LayerStatus::Available("seccomp mode 0".into())
        );
        assert!(caps.user_namespaces.is_available());
        assert_eq!(
            caps.cgroups,
            LayerStatus::Available("cgroup v1 (memory)".into())
        );
        assert!(!caps.bubblewrap.is_available());
    }

    #[test]
    fn reports_missing_layers_with_reasons() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "sys/kernel/security/lsm", "capability,apparmor");
        write(root, "proc/sys/user/max_user_namespaces", "0");
        let caps = HostCapabilities::probe_at(root, None);
        assert!(caps.landlock.detail().contains("not among the active LSMs"));
        assert!(caps.user_namespaces.detail().contains("disabled"));
        assert!(!caps.seccomp.is_available());
        assert!(!caps.cgroups.is_available());
    }

    #[test]
    fn finds_executables_on_path_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("bwrap");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o644)).unwrap();
        let path = std::ffi::OsString::from(dir.path());
        assert_eq!(find_in_path("bwrap", Some(&path)), None, "not executable");
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_in_path("bwrap", Some(&path)), Some(exe));
    }
}
