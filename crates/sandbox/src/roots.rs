//! The host paths a sandboxed command may read: the system directories programs and libraries
//! live in, and a curated part of `/etc`.
//!
//! `/etc` is curated rather than mounted whole because it holds secrets (`shadow`, `sudoers`,
//! `ssh/` host keys, credentials of services) next to what programs need (the dynamic loader's
//! cache, user names, CA certificates, the resolver). `/home`, `/root`, `/run`, `/var` and the
//! gateway's state directory are never reachable.

use std::path::{Path, PathBuf};

/// System directories mounted read-only when they exist. `/opt` is included because toolchains
/// install there; it is read-only like the rest.
const SYSTEM_ROOTS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt",
];

/// Entries of `/etc` a command may read. Never `shadow`, `gshadow`, `sudoers`, `ssh`.
const ETC_ENTRIES: &[&str] = &[
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "host.conf",
    "gai.conf",
    "services",
    "protocols",
    "ssl",
    "ca-certificates",
    "ca-certificates.conf",
    "pki",
    "crypto-policies",
    "alternatives",
    "localtime",
    "timezone",
    "bash.bashrc",
    "profile",
    "profile.d",
    "inputrc",
    "shells",
    "os-release",
    "lsb-release",
    "debian_version",
    "mime.types",
    "magic",
    "locale.alias",
    "gitconfig",
];

/// `/etc` entries that only matter with network access (name resolution).
const ETC_NETWORK_ENTRIES: &[&str] = &["resolv.conf"];

/// Device files a command may read and write when `/dev` is the host's (no bubblewrap).
pub(crate) const DEVICE_FILES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
];

/// What a system root is on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RootKind {
    /// A real directory, bind-mounted read-only.
    Dir,
    /// A symbolic link (`/bin -> usr/bin` on merged-`/usr` systems), recreated as a link.
    Symlink(PathBuf),
}

/// The system roots and `/etc` entries present on this host, found once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SystemLayout {
    /// Existing system roots.
    pub roots: Vec<(PathBuf, RootKind)>,
    /// Existing `/etc` entries (absolute), network-only ones excluded.
    pub etc: Vec<PathBuf>,
    /// Existing network-only `/etc` entries (absolute).
    pub etc_network: Vec<PathBuf>,
}

impl SystemLayout {
    /// Looks at the host.
    pub(crate) fn detect() -> Self {
        let roots = SYSTEM_ROOTS
            .iter()
            .map(PathBuf::from)
            .filter_map(|path| {
                let meta = std::fs::symlink_metadata(&path).ok()?;
                if meta.file_type().is_symlink() {
                    let target = std::fs::read_link(&path).ok()?;
                    // A link that leads nowhere is not worth recreating.
                    path.exists().then_some((path, RootKind::Symlink(target)))
                } else {
                    meta.is_dir().then_some((path, RootKind::Dir))
                }
            })
            .collect();
        let existing = |names: &[&str]| -> Vec<PathBuf> {
            names
                .iter()
                .map(|n| Path::new("/etc").join(n))
                .filter(|p| p.exists())
                .collect()
        };
        SystemLayout {
            roots,
            etc: existing(ETC_ENTRIES),
            etc_network: existing(ETC_NETWORK_ENTRIES),
        }
    }

    /// Paths a command may read without bubblewrap (for Landlock): the system roots (links
    /// resolve to their targets), `/etc` entries, and `/proc`.
    pub(crate) fn readable(&self, network: bool) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self.roots.iter().map(|(p, _)| p.clone()).collect();
        paths.extend(self.etc.iter().cloned());
        if network {
            paths.extend(self.etc_network.iter().cloned());
        }
        paths.push(PathBuf::from("/proc"));
        paths
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_lists_secret_files() {
        for secret in ["shadow", "gshadow", "sudoers", "ssh", "sudoers.d"] {
            assert!(!ETC_ENTRIES.contains(&secret));
            assert!(!ETC_NETWORK_ENTRIES.contains(&secret));
        }
        let layout = SystemLayout::detect();
        assert!(layout.roots.iter().any(|(p, _)| p == Path::new("/usr")));
        assert!(
            layout
                .readable(false)
                .iter()
                .all(|p| !p.starts_with("/root"))
        );
        assert!(
            !layout
                .readable(false)
                .contains(&PathBuf::from("/etc/resolv.conf"))
        );
    }
}
