//! Rules on one simple command: its assignments, redirections, arguments, and what its program
//! does with them (files, disks, permissions, accounts, services, logs).

use super::names::{is_reader, only_describes};
use super::paths::{PathClass, Secret, classify, secret, tamper_rule, write_rule};
use super::{Analysis, Invocation, network, options};
use crate::rules::{self, Rule};
use crate::shell::RedirectOp;

/// Services whose stopping disables a defence (auditing, MAC, firewall, logging, EDR).
const SECURITY_SERVICES: &[&str] = &[
    "auditd",
    "apparmor",
    "firewalld",
    "ufw",
    "fail2ban",
    "selinux",
    "falcon-sensor",
    "clamav",
    "clamd",
    "osqueryd",
    "wazuh",
    "ossec",
    "sysmon",
    "sshguard",
    "iptables",
    "nftables",
    "rsyslog",
    "syslog",
    "systemd-journald",
    "auditbeat",
    "crowdstrike",
];

/// Groups whose members administer the machine.
const ADMIN_GROUPS: &[&str] = &["sudo", "wheel", "admin", "root", "adm", "docker", "lxd"];

/// `NAME=value` before the command or given to `env`.
pub(super) fn assignments(a: &mut Analysis, inv: &Invocation<'_>) {
    let pairs = inv
        .command
        .assignments
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .chain(inv.env.iter().copied());
    for (name, value) in pairs {
        match name {
            "LD_PRELOAD" | "LD_AUDIT" | "DYLD_INSERT_LIBRARIES" => {
                a.add(&rules::LD_PRELOAD_ENV, &inv.display);
            }
            "HISTFILE" if value.is_empty() || value == "/dev/null" => {
                a.add(&rules::HISTORY_DISABLED, &inv.display);
            }
            "HISTSIZE" | "HISTFILESIZE" | "SAVEHIST" if value == "0" => {
                a.add(&rules::HISTORY_DISABLED, &inv.display);
            }
            _ => {}
        }
    }
}

/// Files written, read or connected to through redirections.
pub(super) fn redirects(a: &mut Analysis, inv: &Invocation<'_>) {
    for redirect in &inv.command.redirects {
        let target = redirect.target.as_str();
        match redirect.op {
            RedirectOp::Write | RedirectOp::Append | RedirectOp::ReadWrite => {
                if let Some(rule) = write_rule(target, redirect.op == RedirectOp::Append) {
                    a.add(rule, &inv.display);
                    if rule.id == rules::DEV_TCP.id {
                        network::socket_redirect(a, inv);
                    }
                }
                if redirect.op == RedirectOp::Write && super::names::is_downloader(&inv.name) {
                    a.note_download(target);
                }
                if redirect.op == RedirectOp::ReadWrite {
                    read_from(a, inv, target);
                }
            }
            RedirectOp::Read => read_from(a, inv, target),
            RedirectOp::Duplicate | RedirectOp::Heredoc | RedirectOp::HereString => {}
        }
    }
}

fn read_from(a: &mut Analysis, inv: &Invocation<'_>, target: &str) {
    if target.starts_with("/dev/tcp/") || target.starts_with("/dev/udp/") {
        a.add(&rules::DEV_TCP, &inv.display);
        network::socket_redirect(a, inv);
        return;
    }
    if let Some(kind) = secret(target) {
        a.add(&rules::SECRET_PATH, &inv.display);
        read_secret(a, inv, kind);
    }
}

fn read_secret(a: &mut Analysis, inv: &Invocation<'_>, kind: Secret) {
    let rule = match kind {
        Secret::Shadow => &rules::SHADOW_READ,
        Secret::Credentials => &rules::SECRET_FILE_READ,
    };
    a.add(rule, &inv.display);
    a.note_secret_read(&inv.display);
}

/// The path inside an argument: `@file` (curl), `if=/x` (dd), `--file=/x`, `x=@file`.
fn path_in(arg: &str) -> &str {
    if let Some(rest) = arg.strip_prefix('@') {
        return rest;
    }
    if let Some((_, rest)) = arg.split_once("=@") {
        return rest;
    }
    match arg.split_once('=') {
        Some((key, rest))
            if key
                .trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            rest
        }
        _ => arg,
    }
}

/// Credentials named in the arguments: mentioned, or read by a program that prints or copies.
pub(super) fn arguments(a: &mut Analysis, inv: &Invocation<'_>) {
    if only_describes(&inv.name, &inv.args) {
        return;
    }
    let reader = is_reader(&inv.name);
    // A copy's destination is written, not read (`cp .env.example .env`), and an SSH identity
    // (`scp -i ~/.ssh/id_rsa`) is used to log in, not sent.
    let destination = matches!(inv.name.as_str(), "cp" | "scp" | "rsync" | "install")
        .then(|| positional(&inv.args).last().copied())
        .flatten();
    let ssh_like = matches!(inv.name.as_str(), "scp" | "sftp" | "rsync" | "ssh");
    let mut option_value = false;
    for arg in &inv.args {
        let is_option_value = std::mem::replace(
            &mut option_value,
            ssh_like && matches!(*arg, "-i" | "-F" | "-o" | "-S" | "-E" | "-J"),
        );
        if is_option_value {
            continue;
        }
        if let Some(kind) = secret(path_in(arg)) {
            a.add(&rules::SECRET_PATH, &inv.display);
            if reader && destination != Some(*arg) {
                read_secret(a, inv, kind);
            }
        }
    }
    if let Some(word) = inv.name_word
        && word.text.contains('/')
    {
        a.note_executed(&word.text, &inv.display);
    }
}

/// Arguments that are not options (after `--`, everything).
pub(super) fn positional<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut options_done = false;
    for arg in args {
        if !options_done && *arg == "--" {
            options_done = true;
        } else if options_done || !arg.starts_with('-') || *arg == "-" {
            out.push(*arg);
        }
    }
    out
}

/// Whether a short-option cluster (`-rf`) or a long option is present.
fn has_flag(args: &[&str], short: char, long: &[&str]) -> bool {
    args.iter().any(|arg| {
        long.contains(arg)
            || (arg.starts_with('-')
                && !arg.starts_with("--")
                && arg.len() > 1
                && arg[1..].chars().all(|c| c.is_ascii_alphabetic())
                && arg[1..].contains(short))
    })
}

/// Program-specific rules.
pub(super) fn by_name(a: &mut Analysis, inv: &Invocation<'_>, depth: usize) {
    let name = inv.name.as_str();
    let args = inv.args.as_slice();
    if only_describes(name, args) {
        return;
    }
    let d = inv.display.as_str();
    let first = args.first().copied().unwrap_or("");
    let any = |wanted: &[&str]| args.iter().any(|arg| wanted.contains(arg));
    match name {
        "rm" | "unlink" | "srm" => rm(a, inv),
        "shred" | "wipe" => shred(a, inv),
        // Formatting an image file is harmless; formatting a device is not.
        "mke2fs" | "mkswap" | "newfs" | "mkdosfs" | "mkntfs" | "mkexfatfs" | "mkfs"
            if formats_device(args) =>
        {
            a.add(&rules::FORMAT_FILESYSTEM, d);
        }
        n if n.starts_with("mkfs.") && formats_device(args) => {
            a.add(&rules::FORMAT_FILESYSTEM, d);
        }
        "wipefs" | "blkdiscard" => a.add(&rules::DISK_WIPE, d),
        "diskutil"
            if matches!(
                first.to_ascii_lowercase().as_str(),
                "erasedisk"
                    | "erasevolume"
                    | "zerodisk"
                    | "randomdisk"
                    | "secureerase"
                    | "partitiondisk"
                    | "reformat"
            ) =>
        {
            a.add(&rules::DISK_WIPE, d);
        }
        "sgdisk" if any(&["--zap-all", "-Z", "--clear", "-o", "--zap", "-z"]) => {
            a.add(&rules::DISK_WIPE, d);
        }
        "fdisk" | "sfdisk" | "cfdisk" | "parted" | "gdisk" | "sgdisk"
            if !any(&["-l", "--list", "print", "-p", "--print", "-d", "--dump"]) =>
        {
            a.add(&rules::PARTITION_EDIT, d);
        }
        "hdparm"
            if args
                .iter()
                .any(|x| x.starts_with("--security-erase") || x.starts_with("--trim-sector")) =>
        {
            a.add(&rules::DISK_WIPE, d);
        }
        "nvme" if matches!(first, "format" | "sanitize") => a.add(&rules::DISK_WIPE, d),
        "dd" => {
            for target in args.iter().filter_map(|x| x.strip_prefix("of=")) {
                if let Some(rule) = write_rule(target, false) {
                    a.add(rule, d);
                }
            }
        }
        "chmod" => chmod(a, inv),
        "chown" | "chgrp" => {
            if has_flag(args, 'R', &["--recursive"])
                && positional(args)
                    .iter()
                    .skip(1)
                    .any(|p| matches!(classify(p), PathClass::Root | PathClass::SystemDir))
            {
                a.add(&rules::RECURSIVE_PERMISSIONS_SYSTEM, d);
            }
        }
        "find" => find(a, inv, depth),
        "mv" => {
            let paths = positional(args);
            if let Some((dest, sources)) = paths.split_last() {
                let system = sources.iter().any(|p| {
                    matches!(
                        classify(p),
                        PathClass::Root | PathClass::Home | PathClass::SystemDir
                    )
                });
                if system || (*dest == "/dev/null" && !sources.is_empty()) {
                    a.add(&rules::MOVE_SYSTEM, d);
                }
                for source in sources {
                    if let Some(rule) = tamper_rule(source) {
                        a.add(rule, d);
                    }
                }
                write_to(a, d, dest, false);
            }
        }
        "cp" | "install" | "ln" => {
            if let Some(dest) = positional(args)
                .last()
                .filter(|_| positional(args).len() >= 2)
            {
                write_to(a, d, dest, false);
            }
        }
        "tee" => {
            let append = has_flag(args, 'a', &["--append"]);
            for file in positional(args) {
                write_to(a, d, file, append);
            }
        }
        "sed" | "perl"
            if args.iter().any(|x| {
                x.starts_with("-i")
                    || x.starts_with("--in-place")
                    || (name == "perl"
                        && x.starts_with('-')
                        && !x.starts_with("--")
                        && x.contains('i'))
            }) =>
        {
            // The script itself is positional too, but never names a sensitive file.
            for file in positional(args) {
                write_to(a, d, file, false);
            }
        }
        "truncate" => {
            let sizes = |p: &&str| {
                p.chars()
                    .all(|c| c.is_ascii_digit() || "+-<>%/KMGTPEZYkmgb".contains(c))
            };
            for file in positional(args).iter().filter(|p| !sizes(p)) {
                write_to(a, d, file, false);
            }
        }
        "touch"
            if args.iter().any(|x| {
                matches!(*x, "-r" | "-t" | "-d" | "--date" | "--reference")
                    || x.starts_with("--date=")
                    || x.starts_with("--reference=")
            }) =>
        {
            a.add(&rules::TIMESTAMP_FORGERY, d);
        }
        "kill" if (args.len() >= 2 && args.last() == Some(&"-1")) => a.add(&rules::KILL_ALL, d),
        "killall5" => a.add(&rules::KILL_ALL, d),
        "shutdown" | "reboot" | "halt" | "poweroff" => a.add(&rules::SHUTDOWN, d),
        "init" | "telinit" if matches!(first, "0" | "6") => a.add(&rules::SHUTDOWN, d),
        "systemctl" => systemctl(a, inv),
        "service" if args.get(1) == Some(&"stop") && is_security_service(first) => {
            a.add(&rules::SECURITY_CONTROLS_DISABLED, d);
        }
        "git" => git(a, inv),
        "crontab" => {
            if any(&["-r"]) {
                a.add(&rules::CRONTAB_REMOVE, d);
            } else if !any(&["-l", "-e", "-v"]) {
                a.add(&rules::CRON_PERSISTENCE, d);
            }
        }
        "useradd" | "adduser" | "chpasswd" | "passwd" | "groupadd" => {
            a.add(&rules::ACCOUNT_CHANGE, d)
        }
        "usermod" | "gpasswd" | "dscl" | "dseditgroup" => {
            let admin = args.iter().any(|x| {
                x.split(',').any(|g| ADMIN_GROUPS.contains(&g)) || x.contains("/Groups/admin")
            });
            let uid0 = args
                .windows(2)
                .any(|w| matches!(w[0], "-u" | "--uid") && w[1] == "0")
                || any(&["-o", "--non-unique"]);
            if admin || uid0 {
                a.add(&rules::ACCOUNT_CHANGE, d);
            }
        }
        "vipw" | "vigr" => a.add(&rules::ACCOUNT_DATABASE_WRITE, d),
        "visudo" if !any(&["-c", "--check"]) => a.add(&rules::SUDOERS_WRITE, d),
        "setcap" => a.add(&rules::FILE_CAPABILITIES, d),
        "docker" | "podman" | "nerdctl" if matches!(first, "run" | "create" | "exec") => {
            let host_root = args
                .windows(2)
                .any(|w| matches!(w[0], "-v" | "--volume") && w[1].starts_with("/:"))
                || args
                    .iter()
                    .any(|x| x.starts_with("--volume=/:") || x.starts_with("-v/:"));
            let privileged = args.iter().any(|x| {
                *x == "--privileged"
                    || *x == "--pid=host"
                    || x.starts_with("--cap-add=ALL")
                    || x.starts_with("--cap-add=SYS_ADMIN")
            });
            if host_root || privileged {
                a.add(&rules::PRIVILEGED_CONTAINER, d);
            }
        }
        "nsenter"
            if args
                .windows(2)
                .any(|w| matches!(w[0], "-t" | "--target") && w[1] == "1")
                || any(&["--target=1"]) =>
        {
            a.add(&rules::PRIVILEGED_CONTAINER, d);
        }
        "launchctl" if matches!(first, "load" | "bootstrap" | "enable" | "submit") => {
            a.add(&rules::SERVICE_PERSISTENCE, d);
        }
        "update-rc.d" | "chkconfig" | "rc-update" if any(&["enable", "defaults", "on", "add"]) => {
            a.add(&rules::SERVICE_PERSISTENCE, d);
        }
        "history" if any(&["-c", "-w", "-d"]) => a.add(&rules::HISTORY_DISABLED, d),
        "unset" if any(&["HISTFILE"]) => a.add(&rules::HISTORY_DISABLED, d),
        "set" if args.windows(2).any(|w| w[0] == "+o" && w[1] == "history") => {
            a.add(&rules::HISTORY_DISABLED, d);
        }
        "journalctl" if args.iter().any(|x| x.starts_with("--vacuum")) => {
            a.add(&rules::LOG_TAMPERING, d)
        }
        "wevtutil" if matches!(first.to_ascii_lowercase().as_str(), "cl" | "clear-log") => {
            a.add(&rules::LOG_TAMPERING, d);
        }
        "clear-eventlog" | "remove-eventlog" => a.add(&rules::LOG_TAMPERING, d),
        "setenforce" if matches!(first, "0" | "permissive" | "Permissive") => {
            a.add(&rules::SECURITY_CONTROLS_DISABLED, d);
        }
        "auditctl" if any(&["-D"]) || args.windows(2).any(|w| w[0] == "-e" && w[1] == "0") => {
            a.add(&rules::SECURITY_CONTROLS_DISABLED, d);
        }
        "ufw" if first == "disable" => a.add(&rules::SECURITY_CONTROLS_DISABLED, d),
        "iptables" | "ip6tables" if any(&["-F", "--flush"]) => {
            a.add(&rules::SECURITY_CONTROLS_DISABLED, d);
        }
        "nft" if any(&["flush"]) && any(&["ruleset"]) => {
            a.add(&rules::SECURITY_CONTROLS_DISABLED, d)
        }
        "spctl" if any(&["--master-disable", "--global-disable"]) => {
            a.add(&rules::SECURITY_CONTROLS_DISABLED, d);
        }
        "csrutil" if first == "disable" => a.add(&rules::SECURITY_CONTROLS_DISABLED, d),
        "aa-teardown" => a.add(&rules::SECURITY_CONTROLS_DISABLED, d),
        "set-mppreference"
            if args
                .iter()
                .any(|x| x.to_ascii_lowercase().starts_with("-disable")) =>
        {
            a.add(&rules::SECURITY_CONTROLS_DISABLED, d);
        }
        "env" | "printenv" if positional(args).is_empty() => environment_dump(a, d),
        "export" | "declare" | "typeset"
            if args
                .iter()
                .all(|x| matches!(*x, "-p" | "-x" | "-px" | "-xp"))
                && inv.command.assignments.is_empty() =>
        {
            environment_dump(a, d);
        }
        "set" if args.is_empty() => environment_dump(a, d),
        "compgen" if any(&["-v", "-e"]) => environment_dump(a, d),
        "get-childitem" | "gci" | "dir" | "ls"
            if args.iter().any(|x| x.eq_ignore_ascii_case("env:")) =>
        {
            environment_dump(a, d);
        }
        _ => network::by_name(a, inv, depth),
    }
    if args
        .iter()
        .any(|x| x.starts_with("/proc/") && x.ends_with("/environ"))
    {
        environment_dump(a, d);
    }
}

/// Whether a filesystem tool's target is a device (or unknown), not an image file.
fn formats_device(args: &[&str]) -> bool {
    positional(args)
        .last()
        .is_none_or(|target| target.starts_with("/dev/") || target.contains('$'))
}

fn environment_dump(a: &mut Analysis, excerpt: &str) {
    a.add(&rules::ENVIRONMENT_DUMP, excerpt);
    a.note_environment_dump(excerpt);
}

fn is_security_service(unit: &str) -> bool {
    let unit = unit.trim_end_matches(".service");
    SECURITY_SERVICES.contains(&unit)
}

fn write_to(a: &mut Analysis, excerpt: &str, path: &str, append: bool) {
    if let Some(rule) = write_rule(path, append) {
        a.add(rule, excerpt);
    }
}

fn rm(a: &mut Analysis, inv: &Invocation<'_>) {
    let mut recursive = false;
    let mut paths = Vec::new();
    let mut options_done = false;
    for arg in &inv.args {
        if !options_done && *arg == "--" {
            options_done = true;
        } else if !options_done && arg.starts_with("--") {
            match *arg {
                "--recursive" => recursive = true,
                "--no-preserve-root" => a.add(&rules::RM_NO_PRESERVE_ROOT, &inv.display),
                _ => {}
            }
        } else if !options_done && arg.starts_with('-') && arg.len() > 1 {
            recursive |= arg.contains(['r', 'R']);
        } else {
            paths.push(*arg);
        }
    }
    for path in paths {
        if let Some(rule) = tamper_rule(path) {
            a.add(rule, &inv.display);
            continue;
        }
        let rule: Option<&'static Rule> = match (classify(path), recursive) {
            (PathClass::Root, true) => Some(&rules::RM_ROOT),
            (PathClass::Home, true) => Some(&rules::RM_HOME),
            (PathClass::Home, false) => Some(&rules::RM_BROAD),
            (PathClass::SystemDir, true) => Some(&rules::RM_SYSTEM_DIR),
            (PathClass::Root | PathClass::SystemDir | PathClass::SystemFile, _) => {
                Some(&rules::RM_SYSTEM_FILE)
            }
            (PathClass::Broad, true) => Some(&rules::RM_BROAD),
            (PathClass::UnsetVariable, true) => Some(&rules::RM_UNSET_VARIABLE),
            _ => None,
        };
        if let Some(rule) = rule {
            a.add(rule, &inv.display);
        }
    }
}

fn shred(a: &mut Analysis, inv: &Invocation<'_>) {
    let targets = positional(&inv.args);
    let mut generic = !targets.is_empty();
    for target in targets {
        if super::paths::is_disk_device(target) {
            a.add(&rules::DISK_WIPE, &inv.display);
            generic = false;
        } else if let Some(rule) = tamper_rule(target) {
            a.add(rule, &inv.display);
            generic = false;
        }
    }
    if generic {
        a.add(&rules::SHRED, &inv.display);
    }
}

fn chmod(a: &mut Analysis, inv: &Invocation<'_>) {
    let args = inv.args.as_slice();
    let recursive = has_flag(args, 'R', &["--recursive"]);
    let paths = positional(args);
    // A symbolic mode such as `-w` or `u-s` starts with a dash; positional() drops it.
    let (mode, targets) = match args
        .iter()
        .find(|x| !x.starts_with("--") && (looks_like_mode(x)))
    {
        Some(mode) => (
            *mode,
            paths.into_iter().filter(|p| p != mode).collect::<Vec<_>>(),
        ),
        None => match paths.split_first() {
            Some((mode, rest)) => (*mode, rest.to_vec()),
            None => return,
        },
    };
    let (setuid, world_writable) = mode_bits(mode);
    if setuid {
        a.add(&rules::SETUID, &inv.display);
    }
    for target in targets {
        let class = classify(target);
        if recursive
            && (matches!(class, PathClass::Root | PathClass::SystemDir)
                || (world_writable && class == PathClass::Home))
        {
            a.add(&rules::RECURSIVE_PERMISSIONS_SYSTEM, &inv.display);
        }
        if world_writable
            && matches!(
                class,
                PathClass::Root | PathClass::SystemDir | PathClass::SystemFile
            )
        {
            a.add(&rules::WORLD_WRITABLE_SYSTEM, &inv.display);
        }
    }
}

fn looks_like_mode(text: &str) -> bool {
    let numeric = text.len() >= 3 && text.len() <= 4 && text.chars().all(|c| c.is_digit(8));
    let symbolic = text.contains(['+', '-', '='])
        && text.chars().all(|c| "ugoarwxXst+-=,".contains(c))
        && !text.starts_with("--");
    numeric || symbolic
}

/// (setuid or setgid, writable by others) for a chmod mode.
fn mode_bits(mode: &str) -> (bool, bool) {
    if mode.chars().all(|c| c.is_digit(8)) {
        let digits: Vec<u32> = mode.chars().filter_map(|c| c.to_digit(8)).collect();
        let special = if digits.len() == 4 { digits[0] } else { 0 };
        let others = digits.last().copied().unwrap_or(0);
        return (special & 0o6 != 0, others & 0o2 != 0);
    }
    let mut setuid = false;
    let mut world = false;
    for clause in mode.split(',') {
        let (who, perms) = match clause.find(['+', '=']) {
            Some(i) => (&clause[..i], &clause[i + 1..]),
            None => continue,
        };
        setuid |= perms.contains('s');
        world |= perms.contains('w') && (who.contains('o') || who.contains('a'));
    }
    (setuid, world)
}

fn find(a: &mut Analysis, inv: &Invocation<'_>, depth: usize) {
    let args = inv.args.as_slice();
    let starts: Vec<&str> = args
        .iter()
        .take_while(|x| !(x.starts_with('-') || x.starts_with('(') || x.starts_with('!')))
        .copied()
        .collect();
    let mut deletes = args.contains(&"-delete");
    let mut i = 0;
    while i < args.len() {
        if matches!(args[i], "-exec" | "-execdir" | "-ok" | "-okdir") {
            let end = args[i + 1..]
                .iter()
                .position(|x| matches!(*x, ";" | "+"))
                .map_or(args.len(), |p| i + 1 + p);
            let exec = &args[i + 1..end];
            if exec.first().is_some_and(|c| {
                matches!(
                    super::names::command_name(c).as_str(),
                    "rm" | "shred" | "unlink"
                )
            }) {
                deletes = true;
            }
            a.text(&exec.join(" "), depth + 1);
            i = end;
        }
        i += 1;
    }
    if deletes
        && starts.iter().any(|s| {
            matches!(
                classify(s),
                PathClass::Root | PathClass::Home | PathClass::SystemDir
            )
        })
    {
        a.add(&rules::FIND_DELETE_SYSTEM, &inv.display);
    }
}

fn systemctl(a: &mut Analysis, inv: &Invocation<'_>) {
    let words = positional(&inv.args);
    let Some((verb, units)) = words.split_first() else {
        return;
    };
    match *verb {
        "enable" | "link" | "reenable" => a.add(&rules::SERVICE_PERSISTENCE, &inv.display),
        "stop" | "disable" | "mask" | "kill" if units.iter().any(|u| is_security_service(u)) => {
            a.add(&rules::SECURITY_CONTROLS_DISABLED, &inv.display);
        }
        "poweroff" | "reboot" | "halt" | "kexec" => a.add(&rules::SHUTDOWN, &inv.display),
        _ => {}
    }
}

fn git(a: &mut Analysis, inv: &Invocation<'_>) {
    let args = inv.args.as_slice();
    let skip = options(
        args,
        &["-C", "-c", "--git-dir", "--work-tree", "--namespace"],
    );
    if args.get(skip) != Some(&"push") {
        return;
    }
    let rest = &args[skip + 1..];
    let refspecs = positional(rest);
    let force = rest.iter().any(|x| {
        matches!(*x, "--force" | "--mirror" | "--force-if-includes")
            || x.starts_with("--force-with-lease")
            || (x.starts_with('-') && !x.starts_with("--") && x.contains('f'))
    }) || refspecs.iter().any(|r| r.starts_with('+'));
    if !force {
        return;
    }
    let main = refspecs.iter().any(|r| {
        let r = r.trim_start_matches('+');
        let target = r.rsplit(':').next().unwrap_or(r);
        let target = target.strip_prefix("refs/heads/").unwrap_or(target);
        matches!(target, "main" | "master")
    });
    let rule = if main {
        &rules::GIT_FORCE_PUSH_MAIN
    } else {
        &rules::GIT_FORCE_PUSH
    };
    a.add(rule, &inv.display);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chmod_modes_are_decoded() {
        assert_eq!(mode_bits("4755"), (true, false));
        assert_eq!(mode_bits("2755"), (true, false));
        assert_eq!(mode_bits("1777"), (false, true));
        assert_eq!(mode_bits("777"), (false, true));
        assert_eq!(mode_bits("644"), (false, false));
        assert_eq!(mode_bits("u+s"), (true, false));
        assert_eq!(mode_bits("o+w"), (false, true));
        assert_eq!(mode_bits("+x"), (false, false));
        assert_eq!(mode_bits("a=rwx"), (false, true));
    }

    #[test]
    fn argument_paths_are_found_inside_options() {
        assert_eq!(path_in("@~/.ssh/id_rsa"), "~/.ssh/id_rsa");
        assert_eq!(path_in("file=@.env"), ".env");
        assert_eq!(path_in("if=/etc/shadow"), "/etc/shadow");
        assert_eq!(path_in("--env-file=.env"), ".env");
        assert_eq!(path_in("https://x/?a=b"), "https://x/?a=b");
    }
}
