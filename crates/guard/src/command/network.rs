//! Rules on programs that talk to the network or run code: downloaders, raw sockets, remote
//! copies, shells and interpreters.

use super::checks::positional;
use super::names::{is_downloader, is_executor, is_interpreter, is_shell};
use super::{Analysis, Invocation, value_of};
use crate::rules;
use crate::shell::{self, RedirectOp, Vars};

/// Words that show inline code opening a network connection.
const SOCKET_WORDS: &[&str] = &[
    "socket",
    "/dev/tcp",
    "fsockopen",
    "tcpsocket",
    "net.connect",
    "net.socket",
    "io::socket::inet",
    "/inet/tcp",
    "tcpclient",
    "new-object system.net.sockets",
];

/// Words that show inline code handing a process to that connection.
const EXEC_WORDS: &[&str] = &[
    "subprocess",
    "pty.spawn",
    "dup2",
    "/bin/sh",
    "/bin/bash",
    "exec(",
    "exec \"",
    "exec '",
    "system(",
    "popen",
    "child_process",
    "spawn(",
    "cmd.exe",
    "sh -i",
    "proc_open",
    "shell_exec",
    "execve",
    "iex",
    "invoke-expression",
];

/// Words that show inline code fetching something from the web.
const FETCH_WORDS: &[&str] = &[
    "urlopen",
    "urllib",
    "requests.get",
    "http.client",
    "httpclient",
    "fetch(",
    "net::http",
    "open-uri",
    "lwp::simple",
    "file_get_contents(\"http",
    "file_get_contents('http",
    "downloadstring",
    "invoke-webrequest",
];

/// Program-specific rules for the network and code execution.
pub(super) fn by_name(a: &mut Analysis, inv: &Invocation<'_>, depth: usize) {
    let name = inv.name.as_str();
    let args = inv.args.as_slice();
    let d = inv.display.as_str();
    if is_executor(name) && runs_download(inv, depth) {
        a.add(&rules::DOWNLOAD_RUN_BY_SHELL, d);
    }
    match name {
        "curl" | "http" | "https" | "httpie" | "xh" | "curlie" => curl(a, inv),
        "wget" | "wget2" => wget(a, inv),
        "nc" | "ncat" | "netcat" | "cryptcat" | "pwncat" => netcat(a, inv),
        "socat" => {
            let lower: Vec<String> = args.iter().map(|x| x.to_ascii_lowercase()).collect();
            if lower
                .iter()
                .any(|x| x.contains("exec:") || x.contains("system:"))
            {
                a.add(&rules::SOCAT_EXEC, d);
            } else if lower.iter().any(|x| {
                (x.contains("tcp") || x.contains("udp") || x.contains("openssl"))
                    && !x.contains("listen")
            }) {
                raw_send(a, d);
            }
        }
        "telnet" | "mail" | "mailx" | "sendmail" | "mutt" | "swaks" | "msmtp" => raw_send(a, d),
        "openssl" if args.first() == Some(&"s_client") => raw_send(a, d),
        "scp" | "rsync" | "sftp" => remote_copy(a, inv),
        "aws"
            if args.contains(&"s3")
                && copies(args)
                && last_positional(args, |x| x.starts_with("s3://")) =>
        {
            upload(a, d);
        }
        "gsutil" if copies(args) && last_positional(args, |x| x.starts_with("gs://")) => {
            upload(a, d);
        }
        "rclone"
            if matches!(args.first(), Some(&("copy" | "sync" | "move" | "copyto")))
                && last_positional(args, |x| x.contains(':')) =>
        {
            upload(a, d);
        }
        "gh" if args.starts_with(&["gist", "create"]) => upload(a, d),
        "ftp" | "tftp" | "lftp" | "smbclient" => upload(a, d),
        "dig" | "nslookup" | "host" | "drill" | "ping" | "ping6" | "resolvectl"
            if inv.command.words.iter().skip(1).any(|w| w.computed) =>
        {
            a.add(&rules::DNS_EXFILTRATION, d);
            a.note_network_send(d);
        }
        "ssh" => {
            let skip = super::options(
                args,
                &[
                    "-p", "-i", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-b", "-c", "-E", "-e",
                    "-m", "-O", "-Q", "-S", "-W", "-w", "-B",
                ],
            );
            // After the host, the rest is a command run remotely: still the agent's doing.
            if let Some(remote) = args.get(skip + 1..).filter(|r| !r.is_empty()) {
                a.text(&remote.join(" "), depth + 1);
            }
        }
        "eval" => a.text(&args.join(" "), depth + 1),
        "source" | "." => {
            if let Some(file) = args.first() {
                a.note_executed(file, d);
            }
        }
        "watch" => {
            let skip = super::options(args, &["-n", "--interval", "-d", "--differences"]);
            if let Some(rest) = args.get(skip..) {
                a.text(&rest.join(" "), depth + 1);
            }
        }
        "script" => {
            if let Some(script) = value_of(args, &["-c", "--command"]) {
                a.text(script, depth + 1);
            }
        }
        "awk" | "gawk" | "mawk" | "nawk"
            if args
                .iter()
                .any(|x| x.contains("/inet/tcp/") || x.contains("/inet/udp/")) =>
        {
            a.add(&rules::SCRIPTED_REVERSE_SHELL, d);
        }
        n if is_shell(n) => shell(a, inv, depth),
        n if is_interpreter(n) => interpreter(a, inv),
        _ => {}
    }
}

/// A shell or interpreter whose input or output is a `/dev/tcp` socket is a reverse shell.
pub(super) fn socket_redirect(a: &mut Analysis, inv: &Invocation<'_>) {
    a.note_network_send(&inv.display);
    if is_shell(&inv.name) || is_interpreter(&inv.name) {
        a.add(&rules::SHELL_OVER_SOCKET, &inv.display);
    }
}

/// Whether a cloud CLI is asked to copy (`cp`, `sync`, `mv`, `rsync`).
fn copies(args: &[&str]) -> bool {
    args.iter()
        .any(|x| matches!(*x, "cp" | "sync" | "mv" | "rsync"))
}

/// Whether the last non-option argument (a copy's destination) satisfies `test`.
fn last_positional(args: &[&str], test: impl Fn(&str) -> bool) -> bool {
    positional(args).last().is_some_and(|x| test(x))
}

fn raw_send(a: &mut Analysis, excerpt: &str) {
    a.add(&rules::RAW_NETWORK_SEND, excerpt);
    a.note_network_send(excerpt);
}

fn upload(a: &mut Analysis, excerpt: &str) {
    a.add(&rules::FILE_UPLOAD, excerpt);
    a.note_network_send(excerpt);
}

/// Whether a substitution of this executor's command downloads something
/// (`bash <(curl …)`, `eval "$(wget -qO- …)"`, `sh -c "$(curl …)"`).
fn runs_download(inv: &Invocation<'_>, depth: usize) -> bool {
    if depth >= shell::MAX_DEPTH {
        return false;
    }
    inv.command.substitutions.iter().any(|substitution| {
        shell::parse(&substitution.source, &mut Vars::new(), depth + 1)
            .commands()
            .any(|c| {
                c.name()
                    .is_some_and(|w| is_downloader(&super::names::command_name(&w.text)))
            })
    })
}

/// The file `curl -d @file` / `-F x=@file` / `-F x=<file` uploads.
fn uploaded_file(value: &str) -> Option<&str> {
    value
        .strip_prefix('@')
        .or_else(|| value.split_once("=@").map(|(_, f)| f))
        .or_else(|| value.split_once("=<").map(|(_, f)| f))
}

fn curl(a: &mut Analysis, inv: &Invocation<'_>) {
    let args = inv.args.as_slice();
    let d = inv.display.as_str();
    let mut data = inv
        .command
        .words
        .iter()
        .skip(1)
        .any(|w| w.computed && !w.text.starts_with("/dev/fd/"));
    let mut uploads = Vec::new();
    let mut remote_name = false;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i];
        let next = args.get(i + 1).copied();
        match arg {
            "-d" | "--data" | "--data-binary" | "--data-raw" | "--data-ascii"
            | "--data-urlencode" | "--json" | "-F" | "--form" | "--form-string" => {
                data = true;
                uploads.extend(next.and_then(uploaded_file));
                i += 1;
            }
            "-T" | "--upload-file" => {
                uploads.extend(next);
                i += 1;
            }
            "-o" | "--output" => {
                if let Some(file) = next.filter(|f| !matches!(*f, "-" | "/dev/null")) {
                    a.note_download(file);
                }
                i += 1;
            }
            "-O" | "--remote-name" | "--remote-name-all" => remote_name = true,
            "-X" | "--request" | "-H" | "--header" | "-u" | "--user" | "-A" | "--user-agent"
            | "-e" | "--referer" | "-b" | "--cookie" | "-K" | "--config" | "-m" | "--max-time" => {
                i += 1;
            }
            _ if arg.starts_with("--data")
                || arg.starts_with("--json=")
                || arg.starts_with("--form=") =>
            {
                data = true;
                uploads.extend(arg.split_once('=').and_then(|(_, v)| uploaded_file(v)));
            }
            _ if arg.starts_with("-d") && arg.len() > 2 && !arg.starts_with("--") => {
                data = true;
                uploads.extend(uploaded_file(&arg[2..]));
            }
            _ if arg.starts_with("--upload-file=") => {
                uploads.extend(arg.split_once('=').map(|(_, v)| v));
            }
            _ if arg.starts_with("-o") && arg.len() > 2 && !arg.starts_with("--") => {
                a.note_download(&arg[2..]);
            }
            _ if arg.starts_with('-') && !arg.starts_with("--") && arg.ends_with('O') => {
                remote_name = true;
            }
            _ => {}
        }
        i += 1;
    }
    if remote_name {
        for url in args.iter().filter(|x| x.contains("://")) {
            a.note_download(url);
        }
    }
    if !uploads.is_empty() {
        upload(a, d);
    }
    if data {
        a.note_network_send(d);
    }
}

fn wget(a: &mut Analysis, inv: &Invocation<'_>) {
    let args = inv.args.as_slice();
    let d = inv.display.as_str();
    let mut output = None;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i];
        if matches!(arg, "--post-file" | "--body-file")
            || arg.starts_with("--post-file=")
            || arg.starts_with("--body-file=")
        {
            upload(a, d);
        } else if arg.starts_with("--post-data")
            || arg.starts_with("--body-data")
            || arg.starts_with("--method")
        {
            a.note_network_send(d);
        } else if matches!(arg, "-O" | "--output-document") {
            output = args.get(i + 1).copied();
            i += 1;
        } else if let Some(file) = arg.strip_prefix("--output-document=") {
            output = Some(file);
        } else if let Some(file) = arg.strip_prefix("-O").filter(|f| !f.is_empty()) {
            output = Some(file);
        }
        i += 1;
    }
    if inv.command.words.iter().skip(1).any(|w| w.computed) {
        a.note_network_send(d);
    }
    match output {
        Some("-") => {}
        Some(file) => a.note_download(file),
        None => {
            for url in args.iter().filter(|x| x.contains("://")) {
                a.note_download(url);
            }
        }
    }
}

fn netcat(a: &mut Analysis, inv: &Invocation<'_>) {
    let args = inv.args.as_slice();
    let cluster = |x: &str, flag: char| {
        x.starts_with('-')
            && !x.starts_with("--")
            && x[1..].chars().all(|c| c.is_ascii_alphabetic())
            && x.contains(flag)
    };
    let exec = args.iter().any(|x| {
        matches!(*x, "-e" | "-c" | "--exec" | "--sh-exec" | "--lua-exec")
            || x.starts_with("--exec=")
            || x.starts_with("--sh-exec=")
            || cluster(x, 'e')
    });
    if exec {
        a.add(&rules::NETCAT_EXEC, &inv.display);
    }
    let listening = args.iter().any(|x| *x == "--listen" || cluster(x, 'l'));
    if !listening && !positional(args).is_empty() {
        raw_send(a, &inv.display);
    }
}

fn remote_copy(a: &mut Analysis, inv: &Invocation<'_>) {
    let args = inv.args.as_slice();
    let skip_values = [
        "-P", "-i", "-o", "-F", "-e", "-J", "-l", "-c", "-S", "--rsh", "-p",
    ];
    let mut paths = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i];
        if skip_values.contains(&arg) {
            i += 2;
            continue;
        }
        if !arg.starts_with('-') {
            paths.push(arg);
        }
        i += 1;
    }
    let Some((dest, sources)) = paths.split_last() else {
        return;
    };
    if sources.is_empty() {
        return;
    }
    if is_remote(dest) {
        upload(a, &inv.display);
    } else if let Some(rule) = super::paths::write_rule(dest, false) {
        a.add(rule, &inv.display);
    }
}

/// `host:path`, `user@host:path` or `rsync://…` (but not `C:\…` or `./a:b`).
fn is_remote(path: &str) -> bool {
    if path.starts_with("rsync://") {
        return true;
    }
    match path.split_once(':') {
        Some((host, _)) => {
            host.len() > 1
                && !host.contains('/')
                && !host.starts_with('.')
                && !host.starts_with('~')
        }
        None => false,
    }
}

/// The script text a shell runs from `-c`, or its heredoc; a script file it runs.
fn shell(a: &mut Analysis, inv: &Invocation<'_>, depth: usize) {
    let args = inv.args.as_slice();
    let mut seen_c = false;
    let mut script_file = None;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i];
        if matches!(arg, "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file") {
            i += 2;
            continue;
        }
        if arg == "-c"
            || (arg.starts_with('-')
                && !arg.starts_with("--")
                && arg[1..].chars().all(|c| c.is_ascii_alphabetic())
                && arg.contains('c'))
        {
            seen_c = true;
        } else if !arg.starts_with('-') && !arg.starts_with('+') {
            if seen_c {
                a.text(arg, depth + 1);
            } else {
                script_file = Some(arg);
            }
            break;
        }
        i += 1;
    }
    if let Some(file) = script_file.filter(|f| *f != "/dev/stdin") {
        a.note_executed(file, &inv.display);
    }
    for redirect in &inv.command.redirects {
        if matches!(redirect.op, RedirectOp::Heredoc | RedirectOp::HereString)
            && let Some(body) = &redirect.body
        {
            a.text(body, depth + 1);
        }
    }
}

/// Inline code of an interpreter (`python -c`, `perl -e`, heredocs).
pub(super) fn inline_code<'c>(inv: &Invocation<'c>) -> Vec<&'c str> {
    let flags: &[&str] = match inv.name.as_str() {
        n if n.starts_with("python") => &["-c"],
        "php" => &["-r"],
        "pwsh" | "powershell" => &["-c", "-command", "-Command", "-EncodedCommand"],
        _ => &["-e", "-E", "--eval", "-p", "--print"],
    };
    let mut code: Vec<&str> = Vec::new();
    code.extend(value_of(&inv.args, flags));
    code.extend(
        inv.command
            .redirects
            .iter()
            .filter(|r| matches!(r.op, RedirectOp::Heredoc | RedirectOp::HereString))
            .filter_map(|r| r.body.as_deref()),
    );
    code
}

fn interpreter(a: &mut Analysis, inv: &Invocation<'_>) {
    for code in inline_code(inv) {
        let lower = code.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
        if has(SOCKET_WORDS) && has(EXEC_WORDS) {
            a.add(&rules::SCRIPTED_REVERSE_SHELL, &inv.display);
        }
        if has(FETCH_WORDS) && has(&["exec(", "eval(", "iex", "invoke-expression", "| sh", "|sh"]) {
            a.add(&rules::DOWNLOAD_RUN_BY_SHELL, &inv.display);
        }
    }
    let script = positional(&inv.args)
        .into_iter()
        .next()
        .filter(|_| inline_code(inv).is_empty());
    if let Some(file) = script {
        a.note_executed(file, &inv.display);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_paths_are_told_from_local_ones() {
        assert!(is_remote("user@host:/tmp/x"));
        assert!(is_remote("host:"));
        assert!(is_remote("rsync://mirror/x"));
        assert!(!is_remote("./a:b"));
        assert!(!is_remote("C:/x"));
        assert!(!is_remote("/tmp/x"));
        assert!(!is_remote("build/"));
    }

    #[test]
    fn upload_arguments_name_their_file() {
        assert_eq!(uploaded_file("@~/.ssh/id_rsa"), Some("~/.ssh/id_rsa"));
        assert_eq!(uploaded_file("file=@data.bin"), Some("data.bin"));
        assert_eq!(uploaded_file("{\"a\":1}"), None);
    }
}
