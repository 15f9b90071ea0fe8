//! The sandbox helper: the in-child half of the sandbox.
//!
//! `unsafe` is forbidden in this workspace, so nothing can run between `fork` and `exec` in the
//! gateway (no `pre_exec`). Instead the gateway starts a helper — its own executable re-invoked
//! with [`HELPER_ARG`] first, or the `rustyclaw-sandbox-helper` binary of this crate in its
//! tests — which restricts *itself* and then replaces itself with the command through `execve`,
//! so the command inherits every restriction:
//!
//! 1. joins the cgroups the parent prepared (writes `0`, "this process", to `cgroup.procs`);
//! 2. sets the resource limits (`setrlimit`);
//! 3. drops every capability (a root gateway without bubblewrap would otherwise hand them on);
//! 4. sets `PR_SET_NO_NEW_PRIVS` and applies Landlock rules (filesystem, TCP, scopes);
//! 5. installs the seccomp filter (last, so the steps above may use any system call).
//!
//! With bubblewrap, the helper runs twice: outside bubblewrap for steps 1–2 (bubblewrap's own
//! set-up needs the mount system calls Landlock and seccomp would deny, and inside a cgroup
//! namespace the cgroup files are out of reach), and inside it for steps 3–5.
//!
//! On the private network (`workspace-write`), the outer helper does not become bubblewrap but
//! supervises it ([`usernet`]): it starts bubblewrap paused, attaches `slirp4netns` to the new
//! network namespace, and lets the command go once the network is up; the inner helper first
//! adds a `prohibit` route for each of the host's addresses (bubblewrap leaves it
//! `CAP_NET_ADMIN` for that), then drops every capability.
//!
//! A layer that cannot be applied is a warning on standard error (the command's merged output)
//! unless `--require` was given, then the helper exits with [`EXIT_REFUSED`] before running
//! anything. Linux only: elsewhere the helper refuses to run.

mod executable;
mod plan;

#[cfg(target_os = "linux")]
mod apply;
#[cfg(target_os = "linux")]
mod landlock;
#[cfg(target_os = "linux")]
mod seccomp;
#[cfg(target_os = "linux")]
mod usernet;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

pub use executable::HelperExecutable;
pub use plan::{HELPER_ARG, HELPER_FD, HelperPlan, LandlockPlan, RlimitKind};

/// Exit code of the helper when it refuses to run the command (a required layer failed or its
/// arguments were malformed).
pub const EXIT_REFUSED: u8 = 125;
/// Exit code of the helper when the program could not be executed.
pub const EXIT_EXEC_FAILED: u8 = 127;

/// What the helper's self-test (`--probe`) found, as reported on its standard output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    /// The Landlock ABI of the kernel, `None` when Landlock is unavailable.
    pub landlock_abi: Option<u32>,
    /// Why Landlock is unavailable or partial, when it is.
    pub landlock_detail: String,
    /// `Ok` when the seccomp filter could be installed, else why not.
    pub seccomp: Result<(), String>,
}

impl Default for ProbeReport {
    /// Nothing works (what an empty report means).
    fn default() -> Self {
        ProbeReport::parse("")
    }
}

impl ProbeReport {
    /// Parses the helper's `--probe` output.
    pub fn parse(text: &str) -> ProbeReport {
        let mut report = ProbeReport {
            landlock_abi: None,
            landlock_detail: "the helper did not report on Landlock".to_owned(),
            seccomp: Err("the helper did not report on seccomp".to_owned()),
        };
        for line in text.lines() {
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            match key {
                "landlock-abi" => report.landlock_abi = value.parse().ok(),
                "landlock" => report.landlock_detail = value.to_owned(),
                "seccomp" if value == "ok" => report.seccomp = Ok(()),
                "seccomp" => report.seccomp = Err(value.to_owned()),
                _ => {}
            }
        }
        report
    }

    fn render(&self) -> String {
        let abi = self
            .landlock_abi
            .map_or_else(|| "none".to_owned(), |a| a.to_string());
        let seccomp = match &self.seccomp {
            Ok(()) => "ok".to_owned(),
            Err(e) => e.clone(),
        };
        format!(
            "landlock-abi {abi}\nlandlock {}\nseccomp {seccomp}\n",
            self.landlock_detail
        )
    }
}

/// Runs helper mode. `args` are the process arguments after the executable's name, starting
/// with [`HELPER_ARG`]. Returns only when the command could not be executed (or after a
/// `--probe`); on success the process has become the command.
pub fn main_from_args(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let mut args = args.into_iter();
    if args.next().as_deref() != Some(std::ffi::OsStr::new(HELPER_ARG)) {
        return refuse(&format!("the first argument must be {HELPER_ARG}"));
    }
    let (plan, program) = match HelperPlan::parse(args) {
        Ok(parsed) => parsed,
        Err(message) => return refuse(&message),
    };
    run(&plan, &program)
}

#[cfg(target_os = "linux")]
fn run(plan: &HelperPlan, program: &[OsString]) -> ExitCode {
    if plan.probe {
        let report = apply::probe();
        // A closed standard output leaves the parent with an empty report, which it reads as
        // "nothing works": the safe reading.
        let _ = std::io::stdout().write_all(report.render().as_bytes());
        return ExitCode::SUCCESS;
    }
    if let Err(failure) = apply::apply(plan) {
        return refuse(&failure);
    }
    match &plan.user_net {
        Some(slirp) => usernet::supervise(slirp, program),
        None => apply::exec(program),
    }
}

#[cfg(not(target_os = "linux"))]
fn run(plan: &HelperPlan, _program: &[OsString]) -> ExitCode {
    if plan.probe {
        let report = ProbeReport {
            landlock_abi: None,
            landlock_detail: "Landlock is Linux-only".to_owned(),
            seccomp: Err("seccomp is Linux-only".to_owned()),
        };
        let _ = std::io::stdout().write_all(report.render().as_bytes());
        return ExitCode::SUCCESS;
    }
    refuse("the sandbox helper only runs on Linux")
}

/// Prints why the helper will not run the command and exits with [`EXIT_REFUSED`].
fn refuse(message: &str) -> ExitCode {
    // Standard error is the command's merged output, so the model and the user see why.
    let _ = writeln!(std::io::stderr(), "rustyclaw-sandbox: {message}");
    ExitCode::from(EXIT_REFUSED)
}

/// Reports a layer that could not be applied and was not required.
#[cfg(target_os = "linux")]
fn warn(message: &str) {
    let _ = writeln!(std::io::stderr(), "rustyclaw-sandbox: warning: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_reports_round_trip() {
        let report = ProbeReport {
            landlock_abi: Some(6),
            landlock_detail: "fully enforced".to_owned(),
            seccomp: Err("EINVAL".to_owned()),
        };
        assert_eq!(ProbeReport::parse(&report.render()), report);
        let empty = ProbeReport::parse("");
        assert_eq!(empty.landlock_abi, None);
        assert!(empty.seccomp.is_err());
    }
}
