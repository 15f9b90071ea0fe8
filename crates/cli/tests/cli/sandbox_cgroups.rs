//! The cgroups of sandboxed commands, through the real gateway binary on this cgroup v1 host:
//! background commands of one agent together stay under the agent's process cap, and no
//! cgroup outlives its command, its gateway, or a gateway that was killed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::bin::RunningChild;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use serde_json::{Value, json};

use super::{fake_llm_config, free_port, rc, start_gateway};

const TOKEN: &str = "sandbox-cgroups-token-4242";

/// Waits for a file `go`, then starts up to 30 processes that sleep for a minute, and says
/// how many it started and why it stopped.
const FORKER: &str = r#"$| = 1;
print "ready\n";
select(undef, undef, undef, 0.05) until -e "go";
my $n = 0;
for (1 .. 30) {
    my $pid = fork;
    if (!defined $pid) { print "fork failed: $!\n"; last }
    if ($pid == 0) { sleep 60; exit 0 }
    $n++;
}
print "forked $n\n";
sleep 60;
"#;

fn write_config(dir: &TempStateDir, fake: &FakeLlm, sandbox: Value) {
    let mut config = fake_llm_config(dir, fake, TOKEN);
    config["gateway"]["port"] = json!(free_port());
    config["agents"]["defaults"]["sandbox"] = sandbox;
    // The commands below fork on purpose; the risk guards would stop them first.
    config["tools"] = json!({"guards": {"mode": "off"}});
    dir.write_config(&config.to_string()).unwrap();
}

/// Starts each of `commands` as a background `exec` of the agent `main`, through
/// `rustyclaw agent` and the gateway, and returns once the turn has ended.
async fn start_in_background(
    dir: &TempStateDir,
    fake: &FakeLlm,
    session: &str,
    commands: &[String],
) {
    fake.push(Turn::tool_calls(commands.iter().enumerate().map(
        |(i, command)| {
            ToolCall::new(
                &format!("call_{i}"),
                "exec",
                json!({"command": command, "background": true, "timeout": 0}),
            )
        },
    )));
    fake.push(Turn::text("started"));
    let out = rc(dir)
        .args([
            "agent",
            "-m",
            "start them",
            "--session-id",
            session,
            "--json",
        ])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}\n{}", out.stdout_str(), out.stderr_str());
    let results = fake.requests()[fake.requests().len() - 1]
        .body
        .clone()
        .unwrap()
        .to_string();
    assert_eq!(
        results.matches("Command still running").count(),
        commands.len(),
        "{results}"
    );
}

/// The directories of the gateway `pid` in the pids and memory hierarchies.
fn gateway_dirs(pid: u32) -> Vec<PathBuf> {
    let own = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    ["pids", "memory"]
        .iter()
        .map(|controller| {
            let path = own
                .lines()
                .find_map(|line| {
                    let mut fields = line.splitn(3, ':');
                    let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
                    controllers
                        .split(',')
                        .any(|c| c == *controller)
                        .then_some(path)
                })
                .unwrap();
            Path::new("/sys/fs/cgroup")
                .join(controller)
                .join(path.trim_start_matches('/'))
                .join("rustyclaw")
                .join(format!("gateway-{pid}-0"))
        })
        .collect()
}

/// The command cgroups (`cmd-*`) inside `agent_dir`.
fn command_dirs(agent_dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(agent_dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("cmd-"))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

/// Live processes whose pids cgroup lies inside `dir` (read from `/proc`, not from the
/// cgroup's own counters).
fn processes_in(dir: &Path) -> usize {
    let relative = dir.strip_prefix("/sys/fs/cgroup/pids").unwrap();
    let inside = format!("/{}/", relative.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|e| std::fs::read_to_string(e.path().join("cgroup")).ok())
        .filter(|own| {
            own.lines().any(|line| {
                line.split_once(":pids:")
                    .is_some_and(|(_, path)| format!("{path}/").starts_with(&inside))
            })
        })
        .count()
}

/// Waits up to `limit` for `done`, checking every 50 ms.
async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

fn terminate(server: &RunningChild) {
    let pid = i32::try_from(server.id().unwrap()).unwrap();
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
}

/// How many live processes have `marker` in their command line (a command's helper and
/// bubblewrap carry its script too).
fn processes_with(marker: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let zombie = stat
                .rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'));
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            !zombie && String::from_utf8_lossy(&cmdline).contains(marker)
        })
        .count()
}

#[tokio::test]
async fn background_commands_of_one_agent_together_stay_under_its_process_cap() {
    const CAP: usize = 40;
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    // Each command alone may start 256 processes; the agent's commands together only 40.
    write_config(&dir, &fake, json!({"agentLimits": {"maxProcesses": CAP}}));
    let (server, _) = start_gateway(&dir, &[]).await;
    let gateway = server.id().unwrap();

    // Three commands each try to start 30 processes that stay, once all three are ready
    // (perl, because bash retries a failed fork for seconds instead of reporting it).
    std::fs::write(dir.workspace().join("forker.pl"), FORKER).unwrap();
    let commands: Vec<String> = (0..3)
        .map(|k| format!("perl forker.pl > out-{k}.txt 2>&1"))
        .collect();
    start_in_background(&dir, &fake, "cap", &commands).await;
    let dirs = gateway_dirs(gateway);
    let agent = dirs[0].join("agent-main");
    assert_eq!(
        std::fs::read_to_string(agent.join("pids.max"))
            .unwrap()
            .trim(),
        CAP.to_string()
    );
    let outputs = || -> Vec<String> {
        (0..3)
            .map(|k| std::fs::read_to_string(dir.workspace().join(format!("out-{k}.txt"))))
            .map(Result::unwrap_or_default)
            .collect()
    };
    let ready = eventually(Duration::from_secs(30), || {
        outputs().iter().all(|o| o.starts_with("ready"))
    })
    .await;
    assert!(ready, "{:?} {}", outputs(), server.stderr());
    std::fs::write(dir.workspace().join("go"), "").unwrap();
    let mut peak = 0;
    let all_reported = eventually(Duration::from_secs(30), || {
        peak = peak.max(processes_in(&agent));
        outputs().iter().all(|o| o.contains("forked"))
    })
    .await;
    let outputs = outputs();
    assert!(all_reported, "{outputs:?} {}", server.stderr());
    // Every process started is still alive (they sleep for a minute), so the sum counts
    // processes that ran at the same time.
    let forked: usize = outputs
        .iter()
        .filter_map(|o| o.lines().find_map(|l| l.strip_prefix("forked ")))
        .map(|n| n.trim().parse::<usize>().unwrap())
        .sum();
    assert!(
        forked + 3 <= CAP,
        "the agent's commands started {forked} processes besides their 3 perls: {outputs:?}"
    );
    assert!(forked >= 10, "the cap leaves room for work: {outputs:?}");
    assert!(
        outputs
            .iter()
            .any(|o| o.contains("fork failed: Resource temporarily unavailable")),
        "a fork inside failed: {outputs:?}"
    );
    peak = peak.max(processes_in(&agent));
    assert!(
        (forked + 3..=CAP).contains(&peak),
        "{peak} processes in the agent's cgroup"
    );
    // No command reached its own limit: the agent's is what refused the forks.
    let commands = command_dirs(&agent);
    assert_eq!(commands.len(), 3);
    for command in &commands {
        assert_eq!(
            std::fs::read_to_string(command.join("pids.max"))
                .unwrap()
                .trim(),
            "256"
        );
    }

    // Stopping the gateway kills the commands and removes every cgroup it made.
    terminate(&server);
    let out = server.wait().await.unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert_eq!(processes_in(&agent), 0);
    assert!(
        dirs.iter().all(|d| !d.exists()),
        "the gateway's cgroups outlived it: {dirs:?}"
    );
}

#[tokio::test]
async fn no_cgroup_outlives_a_gateway_that_stops_or_is_killed() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    write_config(&dir, &fake, json!({}));

    // A stopped gateway (SIGTERM) kills its background commands and removes every cgroup.
    let (server, _) = start_gateway(&dir, &[]).await;
    let dirs = gateway_dirs(server.id().unwrap());
    let marker = format!("rcmark-stop-{}", std::process::id());
    start_in_background(
        &dir,
        &fake,
        "stop",
        &[
            format!(": {marker}; sleep 300; :"),
            format!(": {marker}; sleep 300; :"),
            "true".to_owned(),
        ],
    )
    .await;
    let running = || -> Vec<usize> {
        dirs.iter()
            .map(|d| command_dirs(&d.join("agent-main")).len())
            .collect()
    };
    assert!(
        eventually(Duration::from_secs(10), || running() == [2, 2]).await,
        "two commands run, the finished one's cgroups are gone: {:?}",
        running()
    );
    assert!(processes_with(&marker) > 0);
    terminate(&server);
    let out = server.wait().await.unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert_eq!(processes_with(&marker), 0, "commands outlived the gateway");
    assert!(dirs.iter().all(|d| !d.exists()), "left behind: {dirs:?}");

    // A killed gateway (SIGKILL) cleans nothing up; the next one to start does.
    let (mut server, _) = start_gateway(&dir, &[]).await;
    let dirs = gateway_dirs(server.id().unwrap());
    let marker = format!("rcmark-crash-{}", std::process::id());
    start_in_background(&dir, &fake, "crash", &[format!(": {marker}; sleep 300; :")]).await;
    assert!(eventually(Duration::from_secs(10), || processes_with(&marker) > 0).await);
    server.kill().await.unwrap();
    // The command and its cgroups survive the crash until a gateway starts (any gateway
    // using the same parent cgroup: tests running beside this one may get there first).
    let (next, _) = start_gateway(&dir, &[]).await;
    assert_eq!(processes_with(&marker), 0, "the next gateway killed it");
    assert!(dirs.iter().all(|d| !d.exists()), "left behind: {dirs:?}");
    let next_dirs = gateway_dirs(next.id().unwrap());
    terminate(&next);
    assert!(next.wait().await.unwrap().success());
    assert!(next_dirs.iter().all(|d| !d.exists()), "{next_dirs:?}");
}

#[tokio::test]
async fn doctor_reports_each_agents_shared_caps() {
    let dir = TempStateDir::new().unwrap();
    std::fs::create_dir_all(dir.workspace()).unwrap();
    dir.write_config(
        &json!({"agents": {
            "defaults": {"sandbox": {"agentLimits": {"maxProcesses": 300}}},
            "list": [
                {"id": "main"},
                {"id": "ops", "sandbox": {"agentLimits": {"maxProcesses": 64, "memoryMb": 512}}},
                {"id": "free", "sandbox": {"mode": "off"}}
            ]
        }})
        .to_string(),
    )
    .unwrap();
    let out = rc(&dir).args(["doctor", "--json"]).run().await.unwrap();
    let report: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    let sandbox = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "sandbox")
        .unwrap();
    let details: Vec<&str> = sandbox["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    let line = |prefix: &str| {
        details
            .iter()
            .find(|d| d.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {details:?}"))
            .to_string()
    };
    assert!(
        line("agent-wide process cap: ")
            .contains("cgroup v1, /sys/fs/cgroup/pids/rustyclaw/gateway-<pid>-<n>/agent-<id>"),
        "{details:?}"
    );
    assert!(line("agent-wide memory cap: ").contains("cgroup v1"));
    assert!(line("agent main: ").contains("its commands together: 300 processes"));
    assert_eq!(
        line("agent ops: "),
        "agent ops: its commands together: 64 processes, 512 MiB; each command: 256 processes, 4096 MiB"
    );
    assert!(
        !details.iter().any(|d| d.starts_with("agent free")),
        "an unsandboxed agent has no caps: {details:?}"
    );
}
