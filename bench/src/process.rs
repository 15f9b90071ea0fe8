//! Child processes under measurement: starting them in their own process group with output
//! sent to a log file, their memory (the whole process tree, as a user's `top` would add it
//! up), stopping them, and the open-file limit the connection benchmark needs.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rustix::process::{Pid, Signal};
use tokio::process::{Child, Command};

/// What to run: program, arguments, environment (on top of a cleared one) and working dir.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Its whole environment besides `PATH` (the benchmarks control every variable).
    pub env: Vec<(OsString, OsString)>,
    /// Working directory.
    pub dir: PathBuf,
}

impl Launch {
    /// A launch of `program` in `dir` with no arguments and no environment yet.
    pub fn new(program: impl Into<PathBuf>, dir: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            dir: dir.into(),
        }
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    fn command(&self) -> Command {
        #[expect(
            clippy::disallowed_methods,
            reason = "the benchmark harness starts the programs it measures"
        )]
        let mut command = Command::new(&self.program);
        command.args(&self.args).env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        command
            .envs(self.env.iter().cloned())
            .current_dir(&self.dir);
        command
    }

    /// Runs to completion with output discarded; returns the wall time from spawn to exit.
    pub async fn time_run(&self) -> Result<Duration> {
        let mut command = self.command();
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let started = Instant::now();
        let status = command
            .status()
            .await
            .with_context(|| format!("running {}", self.program.display()))?;
        let took = started.elapsed();
        if !status.success() {
            bail!(
                "{} {:?} exited with {status}",
                self.program.display(),
                self.args
            );
        }
        Ok(took)
    }

    /// Runs to completion, within `limit`; returns the exit code (`None` when killed or timed
    /// out), standard output and standard error, whatever the outcome.
    pub async fn output_within(&self, limit: Duration) -> Result<(Option<i32>, String, String)> {
        let mut command = self.command();
        command.stdin(Stdio::null()).kill_on_drop(true);
        let output = match tokio::time::timeout(limit, command.output()).await {
            Ok(output) => output.with_context(|| format!("running {}", self.program.display()))?,
            Err(_) => return Ok((None, String::new(), format!("no exit within {limit:?}"))),
        };
        Ok((
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ))
    }

    /// Runs to completion and returns its standard output, trimmed.
    pub async fn output_text(&self) -> Result<String> {
        let mut command = self.command();
        command.stdin(Stdio::null());
        let output = command
            .output()
            .await
            .with_context(|| format!("running {}", self.program.display()))?;
        if !output.status.success() {
            bail!(
                "{} {:?} exited with {}",
                self.program.display(),
                self.args,
                output.status
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// Starts the program in a new process group (so stopping it stops its helpers too), its
    /// output appended to `log`.
    pub fn spawn(&self, log: &Path) -> Result<Running> {
        let file = std::fs::File::create(log)
            .with_context(|| format!("creating log file {}", log.display()))?;
        let err = file
            .try_clone()
            .context("duplicating the log file handle")?;
        let mut command = self.command();
        command
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .process_group(0)
            .kill_on_drop(true);
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", self.program.display()))?;
        let pid = child
            .id()
            .context("the child exited before it was watched")?;
        Ok(Running {
            child,
            pid,
            log: log.to_owned(),
        })
    }
}

/// A started program.
#[derive(Debug)]
pub struct Running {
    child: Child,
    /// Its process id (also its process group id).
    pub pid: u32,
    /// Where its output goes.
    pub log: PathBuf,
}

impl Running {
    /// Resident memory of the process and all its descendants, in bytes.
    pub fn tree_rss(&self) -> Result<u64> {
        tree_rss(self.pid)
    }

    /// The anonymous part of [`Self::tree_rss`] (`RssAnon`: heap, stacks, private data; not
    /// the program's own code and libraries mapped from files), in bytes.
    pub fn tree_anon(&self) -> Result<u64> {
        tree_sum(self.pid, "RssAnon:")
    }

    /// Whether it has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// The last `lines` lines of its log, for error messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// SIGTERM to the process group, then SIGKILL after `grace`; waits for the exit.
    pub async fn stop(mut self, grace: Duration) {
        let group = Pid::from_raw(i32::try_from(self.pid).unwrap_or(i32::MAX));
        if let Some(group) = group {
            let _ = rustix::process::kill_process_group(group, Signal::TERM);
        }
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            if let Some(group) = group {
                let _ = rustix::process::kill_process_group(group, Signal::KILL);
            }
            let _ = self.child.wait().await;
        }
        // Helpers that outlived their parent (or ignored TERM) go too.
        if let Some(group) = group {
            let _ = rustix::process::kill_process_group(group, Signal::KILL);
        }
    }
}

/// Sum of `VmRSS` over `root` and its descendants, in bytes.
pub fn tree_rss(root: u32) -> Result<u64> {
    tree_sum(root, "VmRSS:")
}

/// Sum of the `/proc/<pid>/status` field `field` (kB) over `root` and its descendants, in bytes.
fn tree_sum(root: u32, field: &str) -> Result<u64> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").context("reading /proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(parent) = parent_of(pid) {
            children.entry(parent).or_default().push(pid);
        }
    }
    let mut total = 0;
    let mut stack = vec![root];
    let mut seen = 0usize;
    while let Some(pid) = stack.pop() {
        seen += 1;
        total += status_kib(pid, field).unwrap_or(0) * 1024;
        if let Some(kids) = children.get(&pid) {
            stack.extend(kids);
        }
    }
    if seen == 0 || status_kib(root, field).is_none() {
        bail!("process {root} is gone");
    }
    Ok(total)
}

/// The parent pid from `/proc/<pid>/stat` (the field after the parenthesised name, which
/// may itself contain spaces or parentheses).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// A kB field of `/proc/<pid>/status`; `None` once the process is gone (kernel threads have
/// no memory fields: 0).
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    Some(kib)
}

/// Raises this process's open-file limit (inherited by the gateways it starts) to at least
/// `wanted`, lifting the hard limit when privileged; returns the soft limit now in force.
pub fn raise_open_files(wanted: u64) -> u64 {
    let current = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    let soft = current.current.unwrap_or(u64::MAX);
    if soft >= wanted {
        return soft;
    }
    let hard = current.maximum.unwrap_or(u64::MAX);
    let raised = rustix::process::Rlimit {
        current: Some(wanted),
        maximum: Some(hard.max(wanted)),
    };
    if rustix::process::setrlimit(rustix::process::Resource::Nofile, raised).is_ok() {
        return wanted;
    }
    // Unprivileged: the hard limit is as far as it goes.
    let capped = rustix::process::Rlimit {
        current: Some(hard.min(wanted)),
        maximum: current.maximum,
    };
    if rustix::process::setrlimit(rustix::process::Resource::Nofile, capped).is_ok() {
        return hard.min(wanted);
    }
    soft
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_of_this_process_has_resident_memory() {
        let rss = tree_rss(std::process::id()).unwrap();
        assert!(rss > 1024 * 1024, "{rss}");
    }

    #[test]
    fn the_anonymous_part_is_smaller_than_the_whole() {
        let rss = tree_sum(std::process::id(), "VmRSS:").unwrap();
        let anon = tree_sum(std::process::id(), "RssAnon:").unwrap();
        assert!(anon > 0 && anon < rss, "{anon} of {rss}");
    }

    #[test]
    fn a_missing_process_is_an_error() {
        assert!(tree_rss(u32::MAX - 1).is_err());
    }
}
