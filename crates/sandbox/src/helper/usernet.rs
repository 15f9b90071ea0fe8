//! The private network of a `workspace-write` command: bubblewrap gives the command a network
//! namespace of its own, and `slirp4netns` connects it to the outside through the host's
//! sockets, as an ordinary user process would.
//!
//! `slirp4netns --disable-host-loopback` refuses connections to the host's loopback (the
//! gateway listens there), the namespace's own `127.0.0.1` is empty, and the inner helper adds
//! a `prohibit` route for each of the host's other addresses (a gateway bound to the LAN), so
//! nothing listening on the host is reachable while the rest of the network is.
//!
//! bubblewrap reports the command's pid on `--info-fd` and waits on `--block-fd` before it
//! runs the command: this helper reads the pid, starts slirp4netns on that pid's namespace,
//! waits until slirp4netns says the interface is configured (`--ready-fd`), then releases
//! bubblewrap and waits for it. slirp4netns ends when this helper closes its `--exit-fd`, or
//! dies with it, so it never outlives the command.

use std::ffi::OsString;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::process::{Child, ExitCode, Stdio};
use std::time::{Duration, Instant};

use rustix::io::FdFlags;
use rustix::pipe::PipeFlags;

use super::{EXIT_REFUSED, refuse};

/// The MTU slirp4netns recommends for throughput (its maximum is 65521).
const MTU: &str = "65520";

/// Runs `program` (bubblewrap and its arguments, which unshare the network) with slirp4netns
/// attached; returns bubblewrap's exit code.
pub(super) fn supervise(slirp: &Path, program: &[OsString]) -> ExitCode {
    match run(slirp, program) {
        Ok(code) => code,
        Err(message) => refuse(&format!("private network: {message}")),
    }
}

/// A pipe whose `child_end` survives `exec` (so a started program can use it by number) and
/// whose other end stays with this process only.
struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
}

fn pipe() -> Result<Pipe, String> {
    let (read, write) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC)
        .map_err(|e| format!("cannot create a pipe: {e}"))?;
    Ok(Pipe { read, write })
}

/// Lets `fd` be inherited by the next program started.
fn inheritable(fd: &OwnedFd) -> Result<(), String> {
    rustix::io::fcntl_setfd(fd, FdFlags::empty())
        .map_err(|e| format!("cannot pass a descriptor on: {e}"))
}

fn run(slirp: &Path, program: &[OsString]) -> Result<ExitCode, String> {
    let Some((bwrap, bwrap_args)) = program.split_first() else {
        return Err("no program to run".to_owned());
    };
    let info = pipe()?;
    let block = pipe()?;
    inheritable(&info.write)?;
    inheritable(&block.read)?;
    #[expect(
        clippy::disallowed_methods,
        reason = "rustyclaw-sandbox is the crate that owns process spawning"
    )]
    let mut sandbox = std::process::Command::new(bwrap)
        .arg("--info-fd")
        .arg(info.write.as_raw_fd().to_string())
        .arg("--block-fd")
        .arg(block.read.as_raw_fd().to_string())
        .args(bwrap_args)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", Path::new(bwrap).display()))?;
    // Only bubblewrap keeps these ends: the info pipe reaches end-of-file when it is done.
    drop(info.write);
    drop(block.read);
    match attach(slirp, info.read, &mut sandbox) {
        Ok(network) => {
            // One byte releases bubblewrap into the command.
            if rustix::io::write(&block.write, b"1").is_err() {
                let _ = sandbox.kill();
            }
            drop(block.write);
            let status = sandbox.wait().map_err(|e| format!("cannot wait: {e}"))?;
            network.stop();
            Ok(exit_code(status))
        }
        Err(message) => {
            // bubblewrap must not run the command unconnected or half set up.
            let _ = sandbox.kill();
            let _ = sandbox.wait();
            Err(message)
        }
    }
}

/// The running slirp4netns and the descriptor whose closing ends it.
struct Network {
    child: Child,
    exit: OwnedFd,
}

impl Network {
    /// Ends slirp4netns once the command is over. It has nothing left to deliver, and its
    /// own exit after the exit descriptor closes takes tens of milliseconds that every
    /// command would wait for, so it is killed instead.
    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        drop(self.exit);
    }
}

/// Reads the command's pid from bubblewrap, starts slirp4netns on its namespace and waits
/// until the interface is up.
fn attach(slirp: &Path, info: OwnedFd, sandbox: &mut Child) -> Result<Network, String> {
    let pid = child_pid(info).ok_or_else(|| match sandbox.try_wait() {
        Ok(Some(status)) => format!("bubblewrap exited before the command started ({status})"),
        _ => "bubblewrap did not report the command's process id".to_owned(),
    })?;
    // bubblewrap configures the namespace's loopback itself, and slirp4netns touching the
    // namespace at the same moment makes that fail now and then; let bubblewrap finish.
    wait_for_loopback(pid)?;
    let ready = pipe()?;
    let exit = pipe()?;
    inheritable(&ready.write)?;
    inheritable(&exit.read)?;
    let mut args: Vec<OsString> = [
        "--configure",
        "--mtu",
        MTU,
        "--disable-host-loopback",
        "--enable-sandbox",
        "--enable-seccomp",
    ]
    .map(OsString::from)
    .into();
    args.extend([
        "--ready-fd".into(),
        ready.write.as_raw_fd().to_string().into(),
        "--exit-fd".into(),
        exit.read.as_raw_fd().to_string().into(),
    ]);
    if !rustix::process::geteuid().is_root() {
        // Unprivileged bubblewrap owns the network namespace through a user namespace.
        args.push("--userns-path".into());
        args.push(format!("/proc/{pid}/ns/user").into());
    }
    args.push(pid.to_string().into());
    args.push("tap0".into());
    #[expect(
        clippy::disallowed_methods,
        reason = "rustyclaw-sandbox is the crate that owns process spawning"
    )]
    let mut child = std::process::Command::new(slirp)
        .args(&args)
        .stdin(Stdio::null())
        // Its progress lines would land in the command's output.
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", slirp.display()))?;
    drop(ready.write);
    drop(exit.read);
    let mut byte = [0u8; 1];
    let mut ready_read = std::fs::File::from(ready.read);
    match ready_read.read(&mut byte) {
        Ok(1) => Ok(Network {
            child,
            exit: exit.write,
        }),
        _ => {
            let status = child
                .wait()
                .map_or_else(|e| e.to_string(), |s| s.to_string());
            Err(format!(
                "{} could not configure the network ({status}); run it by hand to see why, or \
                 set sandbox.hostNetwork to share the host's network",
                slirp.display()
            ))
        }
    }
}

/// How long bubblewrap may take to bring the namespace's loopback up.
const LOOPBACK_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits until the loopback of `pid`'s network namespace is up: its local routing table then
/// holds `127.0.0.1` (the kernel adds it when an interface with that address comes up, which
/// is bubblewrap's last network step).
fn wait_for_loopback(pid: u32) -> Result<(), String> {
    let trie = format!("/proc/{pid}/net/fib_trie");
    let deadline = Instant::now() + LOOPBACK_TIMEOUT;
    loop {
        match std::fs::read_to_string(&trie) {
            Ok(text) if text.contains("127.0.0.1") => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(format!("cannot watch the command's network namespace: {e}")),
        }
        if Instant::now() > deadline {
            return Err("bubblewrap did not bring the namespace's loopback up".to_owned());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The `child-pid` of bubblewrap's info JSON (`{"child-pid": 123, …}`).
fn child_pid(info: OwnedFd) -> Option<u32> {
    let mut text = String::new();
    let mut file = std::fs::File::from(info);
    let mut chunk = [0u8; 512];
    // bubblewrap writes the object and closes the descriptor; read until then, or a bound.
    while text.len() < 4096 {
        let n = file.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        text.push_str(&String::from_utf8_lossy(&chunk[..n]));
        if text.contains('}') {
            break;
        }
    }
    parse_child_pid(&text)
}

fn parse_child_pid(text: &str) -> Option<u32> {
    let rest = &text[text.find("\"child-pid\"")? + "\"child-pid\"".len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|pid| *pid > 0)
}

/// bubblewrap's exit code as this helper's (a signal as 128 + its number, as shells do).
fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(i32::from(EXIT_REFUSED));
    ExitCode::from(u8::try_from(code).unwrap_or(EXIT_REFUSED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bubblewraps_child_pid() {
        assert_eq!(
            parse_child_pid("{\n    \"child-pid\": 4242,\n    \"net-namespace\": 1\n}"),
            Some(4242)
        );
        assert_eq!(parse_child_pid("{\"child-pid\":7}"), Some(7));
        assert_eq!(parse_child_pid("{\"child-pid\": 0}"), None);
        assert_eq!(parse_child_pid("{\"child-pid\": \"x\"}"), None);
        assert_eq!(parse_child_pid(""), None);
    }
}
