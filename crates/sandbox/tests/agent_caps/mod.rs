#![cfg(test)]
//! The limits an agent's commands share, for real on this host (bubblewrap, the helper and
//! writable cgroup v1): several commands of one agent together stay under its process and
//! memory caps, another agent's commands are not counted with them, and the sandbox leaves no
//! cgroup behind.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rustyclaw_sandbox::{AgentKey, ExecSpec, ExitInfo, SandboxLevel, SandboxedProcess};

use crate::support::{host, marker, processes_with, sandbox_with, spec, survivors};

/// Waits for a file `go`, then starts up to 30 processes that sleep, and says how many it
/// started and why it stopped (perl: bash retries a failed fork for seconds).
const FORKER: &str = r#"$| = 1;
select(undef, undef, undef, 0.02) until -e "go";
my $n = 0;
for (1 .. 30) {
    my $pid = fork;
    if (!defined $pid) { print "fork failed: $!\n"; last }
    if ($pid == 0) { sleep 30; exit 0 }
    $n++;
}
print "forked $n\n";
sleep 30;
"#;

/// A command of `agent` in `ws` whose agent may run `max_processes` processes in all.
fn command_of(ws: &Path, agent: &str, max_processes: u64, script: &str) -> ExecSpec {
    let mut s = spec(ws, SandboxLevel::WorkspaceWrite, script);
    s.timeout = Some(Duration::from_secs(40));
    s.isolation.limits.agent.agent = AgentKey::new(agent).unwrap();
    s.isolation.limits.agent.max_processes = max_processes;
    s
}

/// Waits up to 20 s until every process printed a `forked` line; returns the counts.
async fn forked(processes: &[SandboxedProcess]) -> Vec<(usize, String)> {
    let text = |p: &SandboxedProcess| String::from_utf8_lossy(&p.output().bytes).into_owned();
    for _ in 0..400 {
        if processes.iter().all(|p| text(p).contains("forked")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    processes
        .iter()
        .map(|p| {
            let out = text(p);
            let n = out
                .lines()
                .find_map(|l| l.strip_prefix("forked "))
                .unwrap_or_else(|| panic!("no count: {out}"))
                .parse()
                .unwrap();
            (n, out)
        })
        .collect()
}

fn command_dirs(agent: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(agent)
        .map(|e| {
            e.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn one_agents_commands_share_its_process_cap_and_other_agents_are_apart() {
    const CAP: u64 = 40;
    let state = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("forker.pl"), FORKER).unwrap();
    let sandbox = sandbox_with(state.path(), host());
    let gateway = sandbox.agent_cgroups().pids.clone().unwrap();

    // Three commands of `alpha`, each allowed 256 processes of its own, and one of `beta`
    // with the same cap: alone in its agent, it starts all 30.
    let alpha: Vec<SandboxedProcess> = (0..3)
        .map(|_| {
            sandbox
                .spawn(command_of(ws.path(), "alpha", CAP, "perl forker.pl"))
                .unwrap()
        })
        .collect();
    let beta = sandbox
        .spawn(command_of(ws.path(), "beta", CAP, "perl forker.pl"))
        .unwrap();
    // Everything set up before anyone forks: the helpers, bubblewrap, perl.
    tokio::time::sleep(Duration::from_millis(500)).await;
    std::fs::write(ws.path().join("go"), "").unwrap();

    let counts = forked(&alpha).await;
    let total: usize = counts.iter().map(|(n, _)| n).sum();
    assert!(
        total + 3 <= usize::try_from(CAP).unwrap(),
        "alpha's commands started {total} processes besides their 3 perls: {counts:?}"
    );
    assert!(
        counts
            .iter()
            .any(|(_, out)| out.contains("fork failed: Resource temporarily unavailable")),
        "{counts:?}"
    );
    let agent = gateway.join("agent-alpha");
    let current: u64 = std::fs::read_to_string(agent.join("pids.current"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(current <= CAP, "{current}");
    assert_eq!(command_dirs(&agent).len(), 3, "one cgroup per command");
    let (beta_forked, out) = forked(std::slice::from_ref(&beta)).await.remove(0);
    assert_eq!(beta_forked, 30, "beta has its own cap: {out}");

    // A command's cgroups go when it ends; the agents' stay while the sandbox lives.
    for p in &alpha {
        assert!(p.kill());
        p.wait().await;
    }
    for _ in 0..100 {
        if command_dirs(&agent).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        command_dirs(&agent).is_empty(),
        "{:?}",
        command_dirs(&agent)
    );
    assert!(agent.is_dir());

    // Dropping the sandbox kills what still runs and removes every cgroup it made.
    let mark = marker("drop");
    let left = sandbox
        .spawn(command_of(
            ws.path(),
            "alpha",
            CAP,
            &format!(": {mark}; sleep 300; :"),
        ))
        .unwrap();
    for _ in 0..100 {
        if !processes_with(&mark).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!processes_with(&mark).is_empty());
    let memory = sandbox.agent_cgroups().memory.clone().unwrap();
    drop(sandbox);
    assert!(
        survivors(&mark).await.is_empty(),
        "a command outlived its sandbox"
    );
    assert!(
        !gateway.exists() && !memory.exists(),
        "{gateway:?} {memory:?}"
    );
    for p in [&left, &beta] {
        let exit: ExitInfo = p.wait().await;
        assert_eq!(exit.signal, Some(9), "{exit:?}");
    }
}

#[tokio::test]
async fn one_agents_commands_share_its_memory_cap() {
    let state = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    let sandbox = sandbox_with(state.path(), host());
    // Holds 40 MB for two seconds once `go` exists; each command may use 4096 MiB.
    let hog = "perl -e 'select(undef, undef, undef, 0.02) until -e \"go\"; \
               my $x = \"x\"; $x x= 40_000_000; print \"held\\n\"; sleep 2'";
    let with_cap = |mb: u64| {
        let mut s = command_of(ws.path(), "hungry", 512, hog);
        s.isolation.limits.agent.memory_mb = Some(mb);
        s
    };

    // One command alone fits under the agent's 64 MiB.
    std::fs::write(ws.path().join("go"), "").unwrap();
    let alone = sandbox.spawn(with_cap(64)).unwrap();
    let exit = alone.wait().await;
    let out = String::from_utf8_lossy(&alone.output().bytes).into_owned();
    assert_eq!((exit.code, out.as_str()), (Some(0), "held\n"));

    // Two at once do not: the kernel kills within the agent's cgroup.
    std::fs::remove_file(ws.path().join("go")).unwrap();
    let pair: Vec<SandboxedProcess> = (0..2)
        .map(|_| sandbox.spawn(with_cap(64)).unwrap())
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    std::fs::write(ws.path().join("go"), "").unwrap();
    let mut held = 0;
    for p in &pair {
        let exit = p.wait().await;
        let out = String::from_utf8_lossy(&p.output().bytes).into_owned();
        if exit.code == Some(0) && out == "held\n" {
            held += 1;
        }
    }
    assert!(held < 2, "two 40 MB commands ran under a 64 MiB agent cap");

    // With room for both, both hold.
    std::fs::remove_file(ws.path().join("go")).unwrap();
    let pair: Vec<SandboxedProcess> = (0..2)
        .map(|_| sandbox.spawn(with_cap(256)).unwrap())
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    std::fs::write(ws.path().join("go"), "").unwrap();
    for p in &pair {
        let exit = p.wait().await;
        let out = String::from_utf8_lossy(&p.output().bytes).into_owned();
        assert_eq!((exit.code, out.as_str()), (Some(0), "held\n"));
    }
}
