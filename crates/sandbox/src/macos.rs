//! macOS: a `sandbox-exec` profile (SBPL, the Seatbelt policy language) for a level.
//!
//! **Not executed anywhere yet.** rustyclaw's backends are Linux-only (bubblewrap, Landlock,
//! seccomp, cgroups); this renders the profile a macOS backend would pass to
//! `sandbox-exec -p <profile> <shell> -c <script>`, so the policy is written and reviewed (and
//! unit-tested for its text) before that backend exists. It compiles on every platform.
//!
//! The profile denies by default, allows starting and forking processes, reading the system
//! locations programs need, writing only beneath the workspace and the temporary directory, and
//! network access only at `workspace-write`.

use std::path::Path;

use crate::level::{SandboxLevel, WorkspaceMount};

/// System locations a command may read on macOS.
const READABLE: &[&str] = &[
    "/usr",
    "/bin",
    "/sbin",
    "/System",
    "/Library",
    "/Applications/Xcode.app",
    "/opt/homebrew",
    "/private/etc",
    "/private/var/db/timezone",
    "/dev",
];

/// The SBPL profile for `level`, or `None` for [`SandboxLevel::Off`] (no profile: the command
/// runs unconfined).
pub fn render_profile(
    level: SandboxLevel,
    workspace: &Path,
    workspace_mount: WorkspaceMount,
    tmp: &Path,
) -> Option<String> {
    if !level.is_sandboxed() {
        return None;
    }
    let mut p = String::from("(version 1)\n(deny default)\n");
    p.push_str("(allow process-exec)\n(allow process-fork)\n");
    p.push_str("(allow signal (target same-sandbox))\n");
    p.push_str("(allow sysctl-read)\n(allow file-read-metadata)\n");
    p.push_str("(allow file-read*\n");
    for path in READABLE {
        p.push_str(&format!("    (subpath {})\n", quote(path)));
    }
    p.push_str(&format!("    (subpath {}))\n", quote_path(workspace)));
    p.push_str("(allow file-read* file-write*\n");
    p.push_str(&format!("    (subpath {})\n", quote_path(tmp)));
    if workspace_mount == WorkspaceMount::ReadWrite {
        p.push_str(&format!("    (subpath {})\n", quote_path(workspace)));
    }
    p.push_str("    (literal \"/dev/null\")\n    (literal \"/dev/tty\"))\n");
    if !level.denies_network() {
        p.push_str("(allow network*)\n(allow system-socket)\n(allow mach-lookup)\n");
    }
    Some(p)
}

fn quote_path(path: &Path) -> String {
    quote(&path.to_string_lossy())
}

/// An SBPL string literal: backslashes and quotes escaped.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(level: SandboxLevel, mount: WorkspaceMount) -> String {
        render_profile(
            level,
            Path::new("/Users/me/ws"),
            mount,
            Path::new("/private/tmp/rc"),
        )
        .unwrap()
    }

    #[test]
    fn workspace_write_allows_writes_in_the_workspace_and_the_network() {
        let profile = render(SandboxLevel::WorkspaceWrite, WorkspaceMount::ReadWrite);
        assert!(profile.starts_with("(version 1)\n(deny default)\n"));
        assert!(profile.contains("(allow process-exec)\n(allow process-fork)\n"));
        assert!(profile.contains(
            "(allow file-read* file-write*\n    (subpath \"/private/tmp/rc\")\n    (subpath \"/Users/me/ws\")\n"
        ));
        assert!(profile.contains("(allow network*)"));
        assert!(
            !profile.contains("/Users/me\""),
            "the home directory is not readable"
        );
    }

    #[test]
    fn strict_has_no_network_and_a_read_only_workspace_is_not_writable() {
        let profile = render(SandboxLevel::Strict, WorkspaceMount::ReadOnly);
        assert!(!profile.contains("network"));
        let writable = profile
            .split("(allow file-read* file-write*")
            .nth(1)
            .unwrap();
        assert!(!writable.contains("/Users/me/ws"));
        assert!(
            profile.contains("(subpath \"/Users/me/ws\"))"),
            "still readable"
        );
    }

    #[test]
    fn off_has_no_profile_and_paths_are_escaped() {
        assert!(
            render_profile(
                SandboxLevel::Off,
                Path::new("/w"),
                WorkspaceMount::ReadWrite,
                Path::new("/t")
            )
            .is_none()
        );
        assert_eq!(quote(r#"/a "b"\c"#), r#""/a \"b\"\\c""#);
    }
}
