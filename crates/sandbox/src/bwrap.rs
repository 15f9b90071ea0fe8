//! bubblewrap's command line for a sandboxed command: new PID, IPC, UTS and cgroup namespaces
//! (and network in strict mode), no capabilities, an empty root filled with read-only system
//! directories, a curated `/etc`, the workspace, a private `/tmp`, and the helper.
//!
//! Paths keep their host names inside the sandbox (the workspace is mounted at its own path),
//! so what a command prints matches what the file tools see.

use std::ffi::OsString;
use std::path::Path;

use crate::level::{SandboxLevel, WorkspaceMount};
use crate::roots::{RootKind, SystemLayout};

/// Where the helper executable is mounted inside the sandbox.
pub(crate) const HELPER_MOUNT: &str = "/run/rustyclaw/helper";

/// Everything the command line depends on.
#[derive(Debug, Clone)]
pub(crate) struct BwrapPlan<'a> {
    /// The level (strict adds a network namespace and drops the resolver configuration).
    pub level: SandboxLevel,
    /// The workspace (canonical), mounted at the same path.
    pub workspace: &'a Path,
    /// Read-write or read-only.
    pub workspace_mount: WorkspaceMount,
    /// The working directory (canonical, inside the workspace).
    pub cwd: &'a Path,
    /// The helper executable on the host, mounted at [`HELPER_MOUNT`].
    pub helper: Option<&'a Path>,
    /// Size of the private `/tmp` in bytes.
    pub tmp_size: u64,
}

/// bubblewrap's arguments, up to and including the `--` before the program.
pub(crate) fn args(plan: &BwrapPlan<'_>, layout: &SystemLayout) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut push = |items: &[&dyn AsRef<std::ffi::OsStr>]| {
        args.extend(items.iter().map(|i| i.as_ref().to_os_string()));
    };
    push(&[
        &"--die-with-parent",
        &"--new-session",
        &"--unshare-pid",
        &"--unshare-ipc",
        &"--unshare-uts",
        &"--unshare-cgroup-try",
    ]);
    if plan.level.denies_network() {
        push(&[&"--unshare-net"]);
    }
    push(&[&"--hostname", &"rustyclaw-sandbox", &"--cap-drop", &"ALL"]);
    for (path, kind) in &layout.roots {
        match kind {
            RootKind::Dir => push(&[&"--ro-bind", path, path]),
            RootKind::Symlink(target) => push(&[&"--symlink", target, path]),
        }
    }
    let network = !plan.level.denies_network();
    let etc = layout
        .etc
        .iter()
        .chain(layout.etc_network.iter().filter(|_| network));
    for entry in etc {
        push(&[&"--ro-bind-try", entry, entry]);
    }
    push(&[&"--proc", &"/proc", &"--dev", &"/dev"]);
    // The private /tmp comes before the workspace: a workspace under /tmp is mounted on top of
    // it rather than hidden by it.
    let tmp_size = plan.tmp_size.to_string();
    push(&[&"--size", &tmp_size, &"--tmpfs", &"/tmp"]);
    if let Some(helper) = plan.helper {
        push(&[&"--ro-bind", &helper, &HELPER_MOUNT]);
    }
    let bind = match plan.workspace_mount {
        WorkspaceMount::ReadWrite => "--bind",
        WorkspaceMount::ReadOnly => "--ro-bind",
    };
    push(&[&bind, &plan.workspace, &plan.workspace]);
    push(&[&"--chdir", &plan.cwd, &"--"]);
    args
}

/// Paths the in-sandbox helper restricts Landlock to: everything bubblewrap mounted.
pub(crate) fn landlock_paths(
    plan: &BwrapPlan<'_>,
    layout: &SystemLayout,
) -> (Vec<std::path::PathBuf>, Vec<std::path::PathBuf>) {
    let mut read_only: Vec<std::path::PathBuf> =
        layout.roots.iter().map(|(p, _)| p.clone()).collect();
    read_only.extend(["/etc", "/proc", "/run/rustyclaw"].map(std::path::PathBuf::from));
    let mut read_write = vec![
        std::path::PathBuf::from("/tmp"),
        std::path::PathBuf::from("/dev"),
    ];
    match plan.workspace_mount {
        WorkspaceMount::ReadWrite => read_write.push(plan.workspace.to_path_buf()),
        WorkspaceMount::ReadOnly => read_only.push(plan.workspace.to_path_buf()),
    }
    (read_only, read_write)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn layout() -> SystemLayout {
        SystemLayout {
            roots: vec![
                (PathBuf::from("/usr"), RootKind::Dir),
                (
                    PathBuf::from("/bin"),
                    RootKind::Symlink(PathBuf::from("usr/bin")),
                ),
            ],
            etc: vec![PathBuf::from("/etc/passwd")],
            etc_network: vec![PathBuf::from("/etc/resolv.conf")],
        }
    }

    fn render(level: SandboxLevel, mount: WorkspaceMount) -> String {
        let plan = BwrapPlan {
            level,
            workspace: Path::new("/tmp/ws"),
            workspace_mount: mount,
            cwd: Path::new("/tmp/ws/src"),
            helper: Some(Path::new("/opt/rustyclaw/bin/rustyclaw")),
            tmp_size: 1024,
        };
        args(&plan, &layout())
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn workspace_write_shares_the_network_and_binds_the_workspace_writable() {
        assert_eq!(
            render(SandboxLevel::WorkspaceWrite, WorkspaceMount::ReadWrite),
            "--die-with-parent --new-session --unshare-pid --unshare-ipc --unshare-uts \
             --unshare-cgroup-try --hostname rustyclaw-sandbox --cap-drop ALL \
             --ro-bind /usr /usr --symlink usr/bin /bin \
             --ro-bind-try /etc/passwd /etc/passwd --ro-bind-try /etc/resolv.conf /etc/resolv.conf \
             --proc /proc --dev /dev --size 1024 --tmpfs /tmp \
             --ro-bind /opt/rustyclaw/bin/rustyclaw /run/rustyclaw/helper \
             --bind /tmp/ws /tmp/ws --chdir /tmp/ws/src --"
        );
    }

    #[test]
    fn strict_unshares_the_network_and_drops_the_resolver() {
        let line = render(SandboxLevel::Strict, WorkspaceMount::ReadOnly);
        assert!(line.contains("--unshare-net"));
        assert!(!line.contains("resolv.conf"));
        assert!(line.contains("--ro-bind /tmp/ws /tmp/ws"));
        for never in ["/root", "/home", "/var", "shadow", "docker.sock"] {
            assert!(!line.contains(never), "{never} must never be mounted");
        }
    }

    #[test]
    fn landlock_follows_the_mounts() {
        let plan = BwrapPlan {
            level: SandboxLevel::Strict,
            workspace: Path::new("/w"),
            workspace_mount: WorkspaceMount::ReadOnly,
            cwd: Path::new("/w"),
            helper: None,
            tmp_size: 1,
        };
        let (ro, rw) = landlock_paths(&plan, &layout());
        assert!(ro.contains(&PathBuf::from("/w")));
        assert!(!rw.contains(&PathBuf::from("/w")));
        assert!(rw.contains(&PathBuf::from("/tmp")));
    }
}
