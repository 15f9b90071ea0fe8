//! What a path names: the root, a home, a system directory, a credentials file, a disk.

use crate::rules::{self, Rule};

/// Top-level directories of the operating system (Linux and macOS).
const SYSTEM_TOPS: &[&str] = &[
    "etc",
    "usr",
    "var",
    "boot",
    "bin",
    "sbin",
    "lib",
    "lib32",
    "lib64",
    "libx32",
    "opt",
    "sys",
    "proc",
    "dev",
    "srv",
    "System",
    "Library",
    "Applications",
    "private",
];

/// Directories whose files belong to the system (deleting one is worth a review).
const SYSTEM_FILE_TOPS: &[&str] = &[
    "etc", "usr", "boot", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "System", "Library",
];

/// Shell history files.
const HISTORY_FILES: &[&str] = &[
    ".bash_history",
    ".zsh_history",
    ".history",
    ".sh_history",
    ".ash_history",
    ".python_history",
    ".node_repl_history",
    ".mysql_history",
    ".psql_history",
    ".sqlite_history",
    ".lesshst",
    "fish_history",
];

/// Files every new shell of the user reads.
const SHELL_STARTUP_FILES: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".config/fish/config.fish",
];

/// What a path is, for deletion and permission rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathClass {
    /// `/`, `/*`.
    Root,
    /// A home directory or everything in it (`~`, `$HOME/*`, `/home/alice`, `/root`).
    Home,
    /// A top-level system directory (`/etc`, `/usr/lib`).
    SystemDir,
    /// Something inside a system directory (`/etc/hosts`).
    SystemFile,
    /// Everything here or above (`.`, `..`, `*`, `../*`).
    Broad,
    /// `$VAR/` or `$VAR/*`: the root when the variable is empty.
    UnsetVariable,
    /// Anything else.
    Other,
}

/// `path` with `$HOME` as `~`, repeated slashes collapsed, `.`/`..` resolved where that is
/// safe (absolute and home paths), and no trailing slash.
pub(crate) fn normalize(path: &str) -> String {
    let path = path.trim();
    let path = if let Some(rest) = path.strip_prefix("${HOME}") {
        format!("~{rest}")
    } else if let Some(rest) = path.strip_prefix("$HOME") {
        format!("~{rest}")
    } else {
        path.to_owned()
    };
    let (anchor, rest) = if let Some(rest) = path.strip_prefix('/') {
        ("/", rest)
    } else if path == "~" || path.starts_with("~/") {
        ("~/", path.get(1..).unwrap_or("").trim_start_matches('/'))
    } else {
        ("", path.as_str())
    };
    let mut parts: Vec<&str> = Vec::new();
    for segment in rest.split('/') {
        match segment {
            "" => {}
            "." if !anchor.is_empty() => {}
            ".." if !anchor.is_empty() => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match anchor {
        "/" => format!("/{joined}"),
        "~/" if joined.is_empty() => "~".to_owned(),
        "~/" => format!("~/{joined}"),
        _ if joined.is_empty() && path.starts_with('.') => ".".to_owned(),
        _ => joined,
    }
}

/// The part of `path` (normalized) inside a home directory, if it is in one.
pub(crate) fn home_relative(path: &str) -> Option<&str> {
    if path == "~" {
        return Some("");
    }
    if let Some(rest) = path.strip_prefix("~/") {
        return Some(rest);
    }
    if path == "/root" {
        return Some("");
    }
    if let Some(rest) = path.strip_prefix("/root/") {
        return Some(rest);
    }
    for base in ["/home/", "/Users/"] {
        if let Some(rest) = path.strip_prefix(base) {
            return Some(rest.split_once('/').map_or("", |(_, inside)| inside));
        }
    }
    None
}

/// Classifies a path for deletion and permission rules.
pub(crate) fn classify(raw: &str) -> PathClass {
    let trimmed = raw.trim();
    if let Some(class) = unset_variable(trimmed) {
        return class;
    }
    let path = normalize(trimmed);
    if path == "/" || path == "/*" || path == "/.*" {
        return PathClass::Root;
    }
    if is_broad(&path) {
        return PathClass::Broad;
    }
    if let Some(inside) = home_relative(&path) {
        let whole_home = matches!(inside, "" | "*" | ".*");
        return if whole_home {
            PathClass::Home
        } else {
            PathClass::Other
        };
    }
    if matches!(path.as_str(), "/home" | "/home/*" | "/Users" | "/Users/*") {
        return PathClass::Home;
    }
    let Some(rest) = path.strip_prefix('/') else {
        return PathClass::Other;
    };
    let (top, below) = rest.split_once('/').unwrap_or((rest, ""));
    if top.contains(['*', '?', '[']) {
        return glob_class(&path);
    }
    if !SYSTEM_TOPS.contains(&top) {
        return PathClass::Other;
    }
    if below.is_empty() || below == "*" || (top == "usr" && !below.contains('/')) {
        return PathClass::SystemDir;
    }
    if SYSTEM_FILE_TOPS.contains(&top) {
        PathClass::SystemFile
    } else {
        PathClass::Other
    }
}

fn unset_variable(path: &str) -> Option<PathClass> {
    let rest = path.strip_prefix('$')?;
    let (name, tail) = if let Some(braced) = rest.strip_prefix('{') {
        let (inner, tail) = braced.split_once('}')?;
        if inner.contains(":?") || inner.contains('?') {
            return Some(PathClass::Other);
        }
        (inner, tail)
    } else {
        let end = rest
            .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
            .unwrap_or(rest.len());
        rest.split_at(end)
    };
    if name.is_empty() {
        return None;
    }
    matches!(tail, "/" | "/*" | "/.*").then_some(PathClass::UnsetVariable)
}

fn is_broad(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.starts_with('~')
        && path
            .split('/')
            .all(|segment| matches!(segment, "." | ".." | "*" | ".*" | ""))
}

/// A wildcard path (`/e??`, `/*/`) that matches the root or a system directory.
fn glob_class(pattern: &str) -> PathClass {
    let pattern = pattern.trim_end_matches('/');
    let tops = SYSTEM_TOPS.iter().map(|top| format!("/{top}"));
    if tops
        .into_iter()
        .any(|candidate| glob_match(pattern, &candidate))
    {
        return PathClass::SystemDir;
    }
    if ["/home", "/root", "/Users"]
        .iter()
        .any(|candidate| glob_match(pattern, candidate))
    {
        return PathClass::Home;
    }
    PathClass::Other
}

/// Shell wildcard matching: `*` and `?` never cross a `/`; `[…]` classes with ranges and `!`.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_from(&p, &t)
}

fn glob_from(p: &[char], t: &[char]) -> bool {
    let Some((&first, rest)) = p.split_first() else {
        return t.is_empty();
    };
    match first {
        '*' => {
            for skip in 0..=t.len() {
                if glob_from(rest, &t[skip..]) {
                    return true;
                }
                if t.get(skip) == Some(&'/') {
                    break;
                }
            }
            false
        }
        '?' => t.first().is_some_and(|c| *c != '/') && glob_from(rest, &t[1..]),
        '[' => {
            let Some(close) = rest.iter().position(|c| *c == ']') else {
                return t.first() == Some(&'[') && glob_from(rest, &t[1..]);
            };
            let Some(&c) = t.first() else { return false };
            let (negate, set) = match rest[..close].split_first() {
                Some(('!' | '^', set)) => (true, set),
                _ => (false, &rest[..close]),
            };
            let mut matched = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == '-' {
                    matched |= set[i] <= c && c <= set[i + 2];
                    i += 3;
                } else {
                    matched |= set[i] == c;
                    i += 1;
                }
            }
            matched != negate && glob_from(&rest[close + 1..], &t[1..])
        }
        literal => t.first() == Some(&literal) && glob_from(rest, &t[1..]),
    }
}

/// How sensitive a credentials path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Secret {
    /// Password hashes (`/etc/shadow`).
    Shadow,
    /// Keys, tokens, cloud credentials, `.env` files.
    Credentials,
}

/// Whether `raw` names a file or directory that holds credentials.
pub(crate) fn secret(raw: &str) -> Option<Secret> {
    let path = normalize(raw);
    let lower = path.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "/etc/shadow"
            | "/etc/gshadow"
            | "/etc/master.passwd"
            | "/etc/shadow-"
            | "/etc/security/opasswd"
    ) {
        return Some(Secret::Shadow);
    }
    let base = lower.rsplit('/').next().unwrap_or(&lower);
    let private_key = matches!(
        base,
        "id_rsa"
            | "id_dsa"
            | "id_ecdsa"
            | "id_ed25519"
            | "id_ecdsa_sk"
            | "id_ed25519_sk"
            | "identity"
    ) || [".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".ppk"]
        .iter()
        .any(|ext| base.ends_with(ext) && base.len() > ext.len());
    let env_file = base == ".env"
        || base.strip_prefix(".env.").is_some_and(|suffix| {
            !matches!(
                suffix,
                "example" | "sample" | "template" | "dist" | "defaults" | "schema"
            )
        });
    let credential_files = [
        ".aws/credentials",
        ".aws",
        ".config/gcloud",
        ".azure",
        ".kube/config",
        ".docker/config.json",
        ".netrc",
        "_netrc",
        ".git-credentials",
        ".npmrc",
        ".pypirc",
        ".pgpass",
        ".my.cnf",
        ".gnupg",
        ".password-store",
        ".vault-token",
        ".config/gh/hosts.yml",
        ".terraform.d/credentials.tfrc.json",
        ".rustyclaw",
        ".openclaw",
        ".ssh",
        "credentials.json",
        "auth-profiles.json",
        "keychains",
    ];
    let in_credential_dir = credential_files.iter().any(|c| {
        lower == *c
            || lower.ends_with(&format!("/{c}"))
            || lower.contains(&format!("/{c}/"))
            || lower.starts_with(&format!("{c}/"))
    });
    let ssh_host_key = lower.starts_with("/etc/ssh/ssh_host_") && !lower.ends_with(".pub");
    let process_environment = lower.starts_with("/proc/") && lower.ends_with("/environ");
    let public = base.ends_with(".pub") || base == "known_hosts" || base == "authorized_keys";
    ((private_key || env_file || in_credential_dir || ssh_host_key || process_environment)
        && !public)
        .then_some(Secret::Credentials)
}

/// Whether the path is a block device (a disk or partition).
pub(crate) fn is_disk_device(path: &str) -> bool {
    let Some(device) = normalize(path).strip_prefix("/dev/").map(str::to_owned) else {
        return false;
    };
    [
        "sd", "hd", "vd", "xvd", "nvme", "mmcblk", "disk", "rdisk", "mapper/", "md", "dm-", "nbd",
    ]
    .iter()
    .any(|prefix| device.starts_with(prefix))
}

/// The rule a write to `path` (`>`, `tee`, `cp … path`) breaks, if any. Appending to a log or a
/// history file is ordinary; truncating or replacing one is tampering.
pub(crate) fn write_rule(raw: &str, append: bool) -> Option<&'static Rule> {
    let path = normalize(raw);
    if path.starts_with("/dev/tcp/") || path.starts_with("/dev/udp/") {
        return Some(&rules::DEV_TCP);
    }
    if is_disk_device(&path) {
        return Some(&rules::RAW_DISK_WRITE);
    }
    let base = path.rsplit('/').next().unwrap_or(&path);
    if path == "/etc/sudoers" || path.starts_with("/etc/sudoers.d") {
        return Some(&rules::SUDOERS_WRITE);
    }
    if matches!(
        path.as_str(),
        "/etc/passwd"
            | "/etc/shadow"
            | "/etc/group"
            | "/etc/gshadow"
            | "/etc/passwd-"
            | "/etc/master.passwd"
    ) {
        return Some(&rules::ACCOUNT_DATABASE_WRITE);
    }
    if base == "authorized_keys" || base == "authorized_keys2" {
        return Some(&rules::AUTHORIZED_KEYS_WRITE);
    }
    if path == "/etc/ld.so.preload" {
        return Some(&rules::LD_PRELOAD_FILE);
    }
    if HISTORY_FILES.contains(&base) {
        return (!append).then_some(&rules::HISTORY_WIPED);
    }
    if path.starts_with("/var/log/") || path == "/var/log" {
        return (!append).then_some(&rules::LOG_TAMPERING);
    }
    if path.starts_with("/etc/cron")
        || path.starts_with("/var/spool/cron")
        || path == "/etc/anacrontab"
    {
        return Some(&rules::CRON_PERSISTENCE);
    }
    let home = home_relative(&path);
    let service_dirs = [
        "/etc/systemd/",
        "/lib/systemd/",
        "/usr/lib/systemd/",
        "/etc/init.d/",
        "/etc/rc.local",
        "/Library/LaunchDaemons/",
        "/Library/LaunchAgents/",
        "/etc/xdg/autostart/",
    ];
    let home_service = home.is_some_and(|inside| {
        [
            "Library/LaunchAgents/",
            ".config/systemd/",
            ".config/autostart/",
        ]
        .iter()
        .any(|dir| inside.starts_with(dir))
    });
    if home_service || service_dirs.iter().any(|dir| path.starts_with(dir)) {
        return Some(&rules::SERVICE_PERSISTENCE);
    }
    if path.starts_with("/etc/profile")
        || matches!(
            path.as_str(),
            "/etc/bash.bashrc"
                | "/etc/bashrc"
                | "/etc/environment"
                | "/etc/zshrc"
                | "/etc/zshenv"
                | "/etc/zprofile"
        )
        || path.starts_with("/etc/zsh/")
    {
        return Some(&rules::SYSTEM_PROFILE_WRITE);
    }
    if home.is_some_and(|inside| SHELL_STARTUP_FILES.contains(&inside)) {
        return Some(&rules::SHELL_STARTUP_WRITE);
    }
    let binary_dirs = [
        "/bin/",
        "/sbin/",
        "/usr/bin/",
        "/usr/sbin/",
        "/lib/",
        "/lib64/",
        "/lib32/",
        "/usr/lib/",
        "/usr/lib64/",
        "/boot/",
    ];
    if binary_dirs.iter().any(|dir| path.starts_with(dir)) {
        return Some(&rules::SYSTEM_BINARY_WRITE);
    }
    if path.starts_with("/etc/") || path.starts_with("/proc/sys/") || path.starts_with("/sys/") {
        return Some(&rules::SYSTEM_CONFIG_WRITE);
    }
    None
}

/// Whether deleting `path` tampers with history or logs (checked before the generic rm rules).
pub(crate) fn tamper_rule(raw: &str) -> Option<&'static Rule> {
    let path = normalize(raw);
    let base = path.rsplit('/').next().unwrap_or(&path);
    if HISTORY_FILES.contains(&base) {
        return Some(&rules::HISTORY_WIPED);
    }
    (path.starts_with("/var/log/") || path == "/var/log").then_some(&rules::LOG_TAMPERING)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_home_slashes_and_dots() {
        assert_eq!(normalize("$HOME/"), "~");
        assert_eq!(normalize("${HOME}/.ssh//id_rsa"), "~/.ssh/id_rsa");
        assert_eq!(normalize("//"), "/");
        assert_eq!(normalize("/tmp/../"), "/");
        assert_eq!(normalize("/./etc/./"), "/etc");
        assert_eq!(normalize("./build/"), "./build");
        assert_eq!(normalize("target"), "target");
    }

    #[test]
    fn classifies_deletion_targets() {
        use PathClass::*;
        for (path, class) in [
            ("/", Root),
            ("/*", Root),
            ("//", Root),
            ("/tmp/..", Root),
            ("~", Home),
            ("~/", Home),
            ("$HOME", Home),
            ("~/*", Home),
            ("/home/alice", Home),
            ("/root", Home),
            ("/Users/bob/*", Home),
            ("/etc", SystemDir),
            ("/usr/lib", SystemDir),
            ("/var/*", SystemDir),
            ("/e??", SystemDir),
            ("/etc/passwd", SystemFile),
            (".", Broad),
            ("*", Broad),
            ("../..", Broad),
            ("$DIR/", UnsetVariable),
            ("${BUILD}/*", UnsetVariable),
            ("${BUILD:?}/*", Other),
            ("target", Other),
            ("./build", Other),
            ("/tmp/x", Other),
            ("~/.cache/pip", Other),
            ("node_modules", Other),
            ("/var/tmp/x", Other),
        ] {
            assert_eq!(classify(path), class, "{path}");
        }
    }

    #[test]
    fn recognises_credentials_but_not_public_files() {
        for path in [
            "~/.ssh/id_rsa",
            "/home/a/.ssh/id_ed25519",
            "~/.ssh",
            "~/.aws/credentials",
            ".env",
            "app/.env.production",
            "/proc/self/environ",
            "server.key",
            "~/.rustyclaw/openclaw.json",
        ] {
            assert_eq!(secret(path), Some(Secret::Credentials), "{path}");
        }
        assert_eq!(secret("/etc/shadow"), Some(Secret::Shadow));
        for path in [
            "~/.ssh/id_rsa.pub",
            "~/.ssh/known_hosts",
            ".env.example",
            "README.md",
            "keys.txt",
            ".key",
        ] {
            assert_eq!(secret(path), None, "{path}");
        }
    }

    #[test]
    fn writes_to_sensitive_places() {
        let id = |p: &str, append| write_rule(p, append).map(|r| r.id);
        assert_eq!(id("/dev/sda", false), Some("raw-disk-write"));
        assert_eq!(id("/dev/null", false), None);
        assert_eq!(id("/etc/sudoers.d/x", true), Some("sudoers-write"));
        assert_eq!(
            id("~/.ssh/authorized_keys", true),
            Some("authorized-keys-write")
        );
        assert_eq!(id("~/.bash_history", false), Some("history-file-wiped"));
        assert_eq!(id("~/.bash_history", true), None);
        assert_eq!(id("/var/log/auth.log", false), Some("system-log-tampering"));
        assert_eq!(id("~/.bashrc", true), Some("shell-startup-write"));
        assert_eq!(
            id("~/.config/systemd/user/x.service", false),
            Some("service-persistence")
        );
        assert_eq!(id("/etc/hosts", true), Some("system-config-write"));
        assert_eq!(id("out.txt", false), None);
    }

    #[test]
    fn globs_match_like_the_shell() {
        assert!(glob_match("/???/r?", "/bin/rm"));
        assert!(glob_match("/b[i]n/*", "/bin/rm"));
        assert!(!glob_match("/*", "/bin/rm"));
        assert!(glob_match("/usr/bin/[!x]m", "/usr/bin/rm"));
    }
}
