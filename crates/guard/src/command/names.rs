//! Families of programs the command rules reason about.

/// Shells: run a script from a file, `-c`, or standard input.
pub(crate) fn is_shell(name: &str) -> bool {
    matches!(
        name,
        "sh" | "bash"
            | "zsh"
            | "dash"
            | "ksh"
            | "mksh"
            | "ash"
            | "fish"
            | "csh"
            | "tcsh"
            | "yash"
            | "posh"
            | "rbash"
    )
}

/// Script interpreters: like shells, they run code from standard input when given no file.
pub(crate) fn is_interpreter(name: &str) -> bool {
    name.starts_with("python")
        || matches!(
            name,
            "perl"
                | "ruby"
                | "node"
                | "nodejs"
                | "php"
                | "lua"
                | "luajit"
                | "pwsh"
                | "powershell"
                | "osascript"
                | "deno"
                | "bun"
                | "tclsh"
                | "irb"
                | "jshell"
        )
}

/// Programs that execute their argument as code (`eval "$x"`, `source file`).
pub(crate) fn is_executor(name: &str) -> bool {
    is_shell(name) || is_interpreter(name) || matches!(name, "eval" | "source" | ".")
}

/// HTTP download tools.
pub(crate) fn is_downloader(name: &str) -> bool {
    matches!(
        name,
        "curl"
            | "wget"
            | "wget2"
            | "fetch"
            | "aria2c"
            | "http"
            | "https"
            | "httpie"
            | "xh"
            | "curlie"
            | "lwp-request"
            | "lwp-download"
            | "axel"
            | "iwr"
            | "irm"
            | "invoke-webrequest"
            | "invoke-restmethod"
    )
}

/// Raw network clients (a connection whose data can be anything, a shell included).
pub(crate) fn is_network_client(name: &str, args: &[&str]) -> bool {
    match name {
        "nc" | "ncat" | "netcat" | "socat" | "telnet" | "cryptcat" | "pwncat" | "sbd" => true,
        "openssl" => args.first() == Some(&"s_client"),
        _ => false,
    }
}

/// Filters that turn encoded text back into something runnable.
pub(crate) fn is_decoder(name: &str, args: &[&str]) -> bool {
    let has = |flags: &[&str]| args.iter().any(|a| flags.contains(a));
    match name {
        "base64" | "base32" | "basenc" => has(&["-d", "--decode", "-D", "-di", "-id"]),
        "xxd" => args.iter().any(|a| a.starts_with('-') && a.contains('r')),
        "openssl" => has(&["-d", "base64", "enc"]),
        "gzip" | "bzip2" | "xz" | "zstd" => has(&["-d", "--decompress", "-dc", "-cd"]),
        "gunzip" | "zcat" | "bunzip2" | "unxz" | "xzcat" | "uudecode" | "rev" | "tr" => true,
        _ => false,
    }
}

/// Programs that print or copy a file's content (reading a secret with one is a disclosure).
pub(crate) fn is_reader(name: &str) -> bool {
    matches!(
        name,
        "cat"
            | "tac"
            | "less"
            | "more"
            | "head"
            | "tail"
            | "bat"
            | "batcat"
            | "nl"
            | "base64"
            | "base32"
            | "xxd"
            | "od"
            | "hexdump"
            | "hd"
            | "strings"
            | "cp"
            | "scp"
            | "rsync"
            | "tar"
            | "zip"
            | "7z"
            | "7za"
            | "gzip"
            | "bzip2"
            | "xz"
            | "zstd"
            | "gpg"
            | "openssl"
            | "grep"
            | "egrep"
            | "fgrep"
            | "rg"
            | "awk"
            | "gawk"
            | "sed"
            | "sort"
            | "uniq"
            | "cut"
            | "dd"
            | "jq"
            | "yq"
            | "type"
            | "get-content"
            | "gc"
            | "curl"
            | "wget"
            | "paste"
            | "column"
            | "fold"
            | "pr"
            | "vis"
            | "view"
    )
}

/// Programs that only resolve or describe a name without running it (`command -v rm`).
pub(crate) fn only_describes(name: &str, args: &[&str]) -> bool {
    match name {
        "command" => args.first().is_some_and(|a| matches!(*a, "-v" | "-V")),
        "which" | "type" | "whereis" | "man" | "help" | "apropos" | "whatis" => true,
        _ => false,
    }
}

/// `/usr/bin/rm` → `rm`, `\rm` → `rm`, `RM.exe` → `rm`.
pub(crate) fn command_name(word: &str) -> String {
    let word = word.trim_start_matches('\\');
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    let base = base.strip_suffix(".exe").unwrap_or(base);
    base.to_ascii_lowercase()
}

/// Names worth resolving when a command is spelled as a wildcard (`/???/r?`).
pub(crate) const GLOB_CANDIDATES: &[&str] = &[
    "rm", "sh", "bash", "dash", "zsh", "nc", "ncat", "netcat", "socat", "curl", "wget", "python",
    "python3", "perl", "ruby", "php", "chmod", "chown", "dd", "mkfs", "shred", "base64", "cat",
    "sudo", "su", "telnet", "find", "mv", "kill", "xxd", "openssl",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_and_classified() {
        assert_eq!(command_name("/usr/bin/rm"), "rm");
        assert_eq!(command_name(r"\rm"), "rm");
        assert_eq!(command_name("CURL.exe"), "curl");
        assert!(is_shell("bash") && !is_shell("bashful"));
        assert!(is_interpreter("python3.12"));
        assert!(is_decoder("base64", &["-d"]) && !is_decoder("base64", &["file"]));
        assert!(is_network_client(
            "openssl",
            &["s_client", "-connect", "x:443"]
        ));
        assert!(!is_network_client("openssl", &["req"]));
        assert!(only_describes("command", &["-v", "rm"]));
    }
}
