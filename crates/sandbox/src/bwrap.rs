//! bubblewrap's command line for a sandboxed command: new PID, IPC, UTS, cgroup and (unless the
//! configuration shares the host's) network namespaces, no capabilities, an empty root filled with read-only system
//! directories, a curated `/etc`, the workspace and a private `/tmp`. The helper is not mounted:
//! bubblewrap inherits it as an open descriptor and executes it as [`HELPER_IN_SANDBOX`], which
//! works even when the file on disk has been replaced or deleted (bubblewrap cannot bind-mount
//! a deleted file).
//!
//! Paths keep their host names inside the sandbox (the workspace is mounted at its own path),
//! so what a command prints matches what the file tools see.

use std::ffi::OsString;
use std::path::Path;

use crate::level::WorkspaceMount;
use crate::roots::{RootKind, SystemLayout};

/// How the command inside the sandbox executes the helper: the descriptor the outer helper
/// passes on ([`HELPER_FD`](crate::helper::HELPER_FD)).
pub(crate) const HELPER_IN_SANDBOX: &str = "/proc/self/fd/1000";

/// The network a command gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NetworkPlan<'a> {
    /// The host's network namespace and resolver configuration.
    Host,
    /// A namespace of its own that the helper connects through slirp4netns: bubblewrap leaves
    /// the helper `CAP_NET_ADMIN` to wall off the host's addresses (it drops it before the
    /// command runs), and the resolver is slirp4netns's (`resolv_conf`), since the host's may
    /// name a resolver on its loopback.
    Private {
        /// The resolver configuration mounted at `/etc/resolv.conf`.
        resolv_conf: &'a Path,
    },
    /// A namespace with only loopback.
    None,
}

/// Everything the command line depends on.
#[derive(Debug, Clone)]
pub(crate) struct BwrapPlan<'a> {
    /// The network.
    pub network: NetworkPlan<'a>,
    /// The workspace (canonical), mounted at the same path.
    pub workspace: &'a Path,
    /// Read-write or read-only.
    pub workspace_mount: WorkspaceMount,
    /// The working directory (canonical, inside the workspace).
    pub cwd: &'a Path,
    /// Size of the private `/tmp` in bytes.
    pub tmp_size: u64,
    /// Further host directories mounted read-only at their own paths (canonical, existing).
    pub read_only: &'a [std::path::PathBuf],
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
    if plan.network != NetworkPlan::Host {
        push(&[&"--unshare-net"]);
    }
    push(&[&"--hostname", &"rustyclaw-sandbox", &"--cap-drop", &"ALL"]);
    if let NetworkPlan::Private { .. } = plan.network {
        push(&[&"--cap-add", &"CAP_NET_ADMIN"]);
    }
    for (path, kind) in &layout.roots {
        match kind {
            RootKind::Dir => push(&[&"--ro-bind", path, path]),
            RootKind::Symlink(target) => push(&[&"--symlink", target, path]),
        }
    }
    let host_network = plan.network == NetworkPlan::Host;
    let etc = layout
        .etc
        .iter()
        .chain(layout.etc_network.iter().filter(|_| host_network));
    for entry in etc {
        push(&[&"--ro-bind-try", entry, entry]);
    }
    if let NetworkPlan::Private { resolv_conf } = plan.network {
        push(&[&"--ro-bind", &resolv_conf, &"/etc/resolv.conf"]);
    }
    push(&[&"--proc", &"/proc", &"--dev", &"/dev"]);
    // The private /tmp comes before the workspace: a workspace under /tmp is mounted on top of
    // it rather than hidden by it.
    let tmp_size = plan.tmp_size.to_string();
    push(&[&"--size", &tmp_size, &"--tmpfs", &"/tmp"]);
    let bind = match plan.workspace_mount {
        WorkspaceMount::ReadWrite => "--bind",
        WorkspaceMount::ReadOnly => "--ro-bind",
    };
    push(&[&bind, &plan.workspace, &plan.workspace]);
    // After the workspace, so a directory inside it stays read-only.
    for dir in plan.read_only {
        push(&[&"--ro-bind", dir, dir]);
    }
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
    read_only.extend(["/etc", "/proc"].map(std::path::PathBuf::from));
    read_only.extend(plan.read_only.iter().cloned());
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

    fn render(network: NetworkPlan<'_>, mount: WorkspaceMount) -> String {
        let plan = BwrapPlan {
            network,
            workspace: Path::new("/tmp/ws"),
            workspace_mount: mount,
            cwd: Path::new("/tmp/ws/src"),
            tmp_size: 1024,
            read_only: &[],
        };
        args(&plan, &layout())
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_host_network_is_shared_only_when_asked_and_the_workspace_is_writable() {
        assert_eq!(
            render(NetworkPlan::Host, WorkspaceMount::ReadWrite),
            "--die-with-parent --new-session --unshare-pid --unshare-ipc --unshare-uts \
             --unshare-cgroup-try --hostname rustyclaw-sandbox --cap-drop ALL \
             --ro-bind /usr /usr --symlink usr/bin /bin \
             --ro-bind-try /etc/passwd /etc/passwd --ro-bind-try /etc/resolv.conf /etc/resolv.conf \
             --proc /proc --dev /dev --size 1024 --tmpfs /tmp \
             --bind /tmp/ws /tmp/ws --chdir /tmp/ws/src --"
        );
    }

    #[test]
    fn a_private_network_keeps_net_admin_for_the_helper_and_uses_slirps_resolver() {
        let line = render(
            NetworkPlan::Private {
                resolv_conf: Path::new("/state/sandboxes/.net/resolv.conf"),
            },
            WorkspaceMount::ReadWrite,
        );
        assert!(line.contains("--unshare-net"), "{line}");
        assert!(
            line.contains("--cap-drop ALL --cap-add CAP_NET_ADMIN"),
            "{line}"
        );
        assert!(
            line.contains("--ro-bind /state/sandboxes/.net/resolv.conf /etc/resolv.conf"),
            "{line}"
        );
        assert!(!line.contains("--ro-bind-try /etc/resolv.conf"), "{line}");
    }

    #[test]
    fn strict_unshares_the_network_and_drops_the_resolver() {
        let line = render(NetworkPlan::None, WorkspaceMount::ReadOnly);
        assert!(line.contains("--unshare-net"));
        assert!(!line.contains("CAP_NET_ADMIN"));
        assert!(!line.contains("resolv.conf"));
        assert!(line.contains("--ro-bind /tmp/ws /tmp/ws"));
        for never in ["/root", "/home", "/var", "shadow", "docker.sock"] {
            assert!(!line.contains(never), "{never} must never be mounted");
        }
    }

    #[test]
    fn further_directories_are_mounted_read_only_after_the_workspace() {
        let plan = BwrapPlan {
            network: NetworkPlan::None,
            workspace: Path::new("/w"),
            workspace_mount: WorkspaceMount::ReadWrite,
            cwd: Path::new("/w"),
            tmp_size: 1,
            read_only: &[PathBuf::from("/state/tools")],
        };
        let line = args(&plan, &layout())
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            line.contains("--bind /w /w --ro-bind /state/tools /state/tools --chdir"),
            "{line}"
        );
    }

    #[test]
    fn landlock_follows_the_mounts() {
        let plan = BwrapPlan {
            network: NetworkPlan::None,
            workspace: Path::new("/w"),
            workspace_mount: WorkspaceMount::ReadOnly,
            cwd: Path::new("/w"),
            tmp_size: 1,
            read_only: &[PathBuf::from("/state/tools")],
        };
        let (ro, rw) = landlock_paths(&plan, &layout());
        assert!(ro.contains(&PathBuf::from("/w")));
        assert!(ro.contains(&PathBuf::from("/state/tools")));
        assert!(!rw.contains(&PathBuf::from("/state/tools")));
        assert!(!rw.contains(&PathBuf::from("/w")));
        assert!(rw.contains(&PathBuf::from("/tmp")));
    }
}
