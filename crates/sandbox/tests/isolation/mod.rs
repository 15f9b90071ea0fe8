#![cfg(test)]
//! Escape attempts against the sandbox levels, for real, on this host: each attempt must fail
//! when sandboxed and succeed with the policy relaxed (level `off`, or a looser limit), so these
//! tests fail when isolation breaks. Every attempt runs twice: with bubblewrap plus the helper,
//! and with the helper alone (bubblewrap forced missing), which is how hosts without bubblewrap
//! degrade.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use rustyclaw_sandbox::{
    ExecError, ExitReason, HostCapabilities, Layer, ResourceLimits, Sandbox, SandboxLevel,
    WorkspaceMount,
};
use tempfile::TempDir;

use crate::support::{
    host, marker, processes_with, run, sandbox, sandbox_with, spec, survivors, without_bubblewrap,
};

const SANDBOXED: [SandboxLevel; 2] = [SandboxLevel::WorkspaceWrite, SandboxLevel::Strict];

/// A sandbox with a workspace and a directory outside it.
struct Fixture {
    _state: TempDir,
    ws: TempDir,
    outside: TempDir,
    sandbox: Sandbox,
}

impl Fixture {
    fn new(caps: HostCapabilities) -> Self {
        let state = tempfile::tempdir().unwrap();
        let sandbox = sandbox_with(state.path(), caps);
        Fixture {
            _state: state,
            ws: tempfile::tempdir().unwrap(),
            outside: tempfile::tempdir().unwrap(),
            sandbox,
        }
    }

    fn ws(&self) -> &Path {
        self.ws.path()
    }
}

/// The two ways this host isolates.
fn hosts() -> [(&'static str, HostCapabilities); 2] {
    [
        ("bubblewrap", host()),
        ("helper only", without_bubblewrap()),
    ]
}

#[tokio::test]
async fn this_host_provides_every_layer_with_bubblewrap() {
    let state = tempfile::tempdir().unwrap();
    let sandbox = sandbox(state.path());
    let strict = sandbox.layers(SandboxLevel::Strict);
    assert!(
        strict.missing().is_empty(),
        "CI hosts have bubblewrap, Landlock, seccomp and writable cgroup v1: {}",
        strict.missing_summary()
    );
    assert_eq!(strict.active(), Layer::ALL.to_vec());
    let ww = sandbox.layers(SandboxLevel::WorkspaceWrite);
    assert!(ww.missing().is_empty(), "{}", ww.missing_summary());
    assert!(ww.is_active(Layer::NetNamespace) && !ww.is_active(Layer::LandlockNet));
    assert!(sandbox.layers(SandboxLevel::Off).active().is_empty());
}

#[tokio::test]
async fn writes_outside_the_workspace_fail_unless_off() {
    let unique = marker("write");
    for (host, caps) in hosts() {
        let f = Fixture::new(caps);
        for level in SANDBOXED {
            let sibling = f.outside.path().join(format!("{}.txt", level.label()));
            let system = [
                format!("/etc/{unique}"),
                format!("/root/{unique}"),
                format!("/usr/{unique}"),
            ];
            for target in std::iter::once(sibling.display().to_string()).chain(system) {
                let (exit, out) = run(
                    &f.sandbox,
                    spec(f.ws(), level, &format!("echo escaped > '{target}'")),
                )
                .await;
                assert_ne!(exit.code, Some(0), "{host}/{level}: wrote {target}: {out}");
                assert!(
                    !Path::new(&target).exists(),
                    "{host}/{level}: {target} exists"
                );
            }
            let (exit, out) = run(&f.sandbox, spec(f.ws(), level, "echo kept > inside.txt")).await;
            assert_eq!(exit.code, Some(0), "{host}/{level}: {out}");
            assert_eq!(
                std::fs::read_to_string(f.ws().join("inside.txt")).unwrap(),
                "kept\n"
            );
        }
        let sibling = f.outside.path().join("off.txt");
        let script = format!("echo escaped > '{}'", sibling.display());
        let (exit, _) = run(&f.sandbox, spec(f.ws(), SandboxLevel::Off, &script)).await;
        assert_eq!(exit.code, Some(0));
        assert!(sibling.exists(), "off writes anywhere the user can");
    }
}

#[tokio::test]
async fn secrets_outside_the_allowed_roots_are_unreadable_unless_off() {
    for (host, caps) in hosts() {
        let f = Fixture::new(caps);
        let ssh = f.outside.path().join("home/.ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        std::fs::write(ssh.join("id_rsa"), "PRIVATE-KEY-MATERIAL\n").unwrap();
        let script = format!(
            "cat '{}/id_rsa'; ls '{}'; cat /etc/shadow",
            ssh.display(),
            ssh.display()
        );
        for level in SANDBOXED {
            let (exit, out) = run(&f.sandbox, spec(f.ws(), level, &script)).await;
            assert_ne!(exit.code, Some(0), "{host}/{level}");
            assert!(
                !out.contains("PRIVATE-KEY-MATERIAL"),
                "{host}/{level}: {out}"
            );
            assert!(!out.contains("root:"), "{host}/{level}: /etc/shadow leaked");
        }
        let (_, out) = run(&f.sandbox, spec(f.ws(), SandboxLevel::Off, &script)).await;
        assert!(out.contains("PRIVATE-KEY-MATERIAL"), "off reads it: {out}");
    }
}

/// A script that tries every address of this host (and slirp4netns's alias for the host's
/// loopback) on `port` and says which it reached, and whether a routed network is up.
fn reach_script(port: u16) -> (String, Vec<String>) {
    let mut targets = vec!["127.0.0.1".to_owned(), "10.0.2.2".to_owned()];
    targets.extend(
        rustyclaw_sandbox::host_ipv4_addresses()
            .unwrap()
            .into_iter()
            .filter(|a| !a.is_loopback())
            .map(|a| a.to_string()),
    );
    let script = targets
        .iter()
        .map(|a| {
            format!(
                "(exec 3<>/dev/tcp/{a}/{port}) 2>/dev/null && echo reached-{a} || echo blocked-{a}; "
            )
        })
        .collect::<String>()
        + "grep -q '^tap0' /proc/net/route && echo routed || echo not-routed";
    (script, targets)
}

#[tokio::test]
async fn no_level_but_off_reaches_the_hosts_own_services() {
    // Every address of the host, as a gateway bound to the LAN listens.
    let listener = TcpListener::bind("0.0.0.0:0").unwrap();
    let (script, targets) = reach_script(listener.local_addr().unwrap().port());
    assert!(
        targets.len() > 2,
        "this host has a non-loopback address: {targets:?}"
    );
    let f = Fixture::new(host());
    for level in SANDBOXED {
        let (_, out) = run(&f.sandbox, spec(f.ws(), level, &script)).await;
        for target in &targets {
            assert!(out.contains(&format!("blocked-{target}")), "{level}: {out}");
        }
        let network = if level == SandboxLevel::Strict {
            "not-routed"
        } else {
            "routed"
        };
        assert!(out.contains(&format!("\n{network}")), "{level}: {out}");
    }
    let (_, out) = run(&f.sandbox, spec(f.ws(), SandboxLevel::Off, &script)).await;
    assert!(
        out.contains("reached-127.0.0.1") && out.contains(&format!("reached-{}", targets[2])),
        "{out}"
    );

    // Opting into the host's network (sandbox.hostNetwork) brings loopback back.
    let mut shared = spec(f.ws(), SandboxLevel::WorkspaceWrite, &script);
    shared.isolation.host_network = true;
    let (_, out) = run(&f.sandbox, shared).await;
    assert!(out.contains("reached-127.0.0.1"), "{out}");
    assert!(out.contains("not-routed"), "{out}");

    // Without bubblewrap there is no namespace to give: the report says so, and `require`
    // refuses instead of running on the host's network.
    let f = Fixture::new(without_bubblewrap());
    let report = f.sandbox.layers(SandboxLevel::WorkspaceWrite);
    assert!(!report.is_active(Layer::NetNamespace));
    let (_, out) = run(
        &f.sandbox,
        spec(f.ws(), SandboxLevel::WorkspaceWrite, &script),
    )
    .await;
    assert!(out.contains("reached-127.0.0.1"), "degraded: {out}");
    let (_, out) = run(&f.sandbox, spec(f.ws(), SandboxLevel::Strict, &script)).await;
    assert!(
        out.contains("blocked-127.0.0.1"),
        "strict without bubblewrap: {out}"
    );
}

#[tokio::test]
async fn without_slirp4netns_workspace_write_reports_the_shared_network() {
    let mut caps = host();
    caps.user_net =
        rustyclaw_sandbox::LayerStatus::Missing("forced missing by the test".to_owned());
    let f = Fixture::new(caps);
    let report = f.sandbox.layers(SandboxLevel::WorkspaceWrite);
    let missing = report.missing_summary();
    assert!(
        missing.contains("net-namespace (forced missing by the test"),
        "{missing}"
    );
    let mut required = spec(f.ws(), SandboxLevel::WorkspaceWrite, "echo ran");
    required.isolation.require = true;
    assert!(matches!(
        f.sandbox.spawn(required),
        Err(ExecError::LayersMissing { .. })
    ));
}

#[tokio::test]
async fn host_processes_are_invisible_and_unreachable_unless_off() {
    let me = std::process::id();
    let probe = format!("kill -0 {me} && echo reached");
    for (host, caps) in hosts() {
        let f = Fixture::new(caps);
        for level in SANDBOXED {
            let (_, out) = run(&f.sandbox, spec(f.ws(), level, &probe)).await;
            assert!(
                !out.contains("reached"),
                "{host}/{level}: signalled the test: {out}"
            );
        }
        let (_, out) = run(&f.sandbox, spec(f.ws(), SandboxLevel::Off, &probe)).await;
        assert!(out.contains("reached"));
    }
    // With a PID namespace the process table itself holds only the sandbox.
    let f = Fixture::new(host());
    let script = "ps -e -o pid= | wc -l; test -e /proc/1/cmdline && tr '\\0' ' ' < /proc/1/cmdline";
    let (exit, out) = run(
        &f.sandbox,
        spec(f.ws(), SandboxLevel::WorkspaceWrite, script),
    )
    .await;
    assert_eq!(exit.code, Some(0), "{out}");
    let count: usize = out.lines().next().unwrap().trim().parse().unwrap();
    assert!(count < 10, "the sandbox sees {count} processes: {out}");
    assert!(out.contains("bwrap"), "pid 1 is bubblewrap's reaper: {out}");
    let (_, out) = run(&f.sandbox, spec(f.ws(), SandboxLevel::Off, script)).await;
    let count: usize = out.lines().next().unwrap().trim().parse().unwrap();
    assert!(count >= 10, "off sees the host's processes");
}

#[tokio::test]
async fn a_fork_bomb_is_contained_and_killed() {
    for (host, caps) in hosts() {
        let f = Fixture::new(caps);
        let mark = marker("bomb");
        let mut s = spec(
            f.ws(),
            SandboxLevel::WorkspaceWrite,
            // The shell stays (as an interactive one would), so the bomb keeps forking until
            // the timeout.
            &format!(": {mark}; bomb() {{ bomb | bomb & }}; bomb; sleep 30"),
        );
        s.isolation.limits.max_processes = 64;
        s.timeout = Some(Duration::from_secs(2));
        let (exit, out) = run(&f.sandbox, s).await;
        assert_eq!(exit.reason, ExitReason::TimedOut, "{host}");
        assert!(exit.duration < Duration::from_secs(10), "{host}: {exit:?}");
        assert!(
            out.contains("Resource temporarily unavailable"),
            "{host}: the process limit stopped the bomb: {out}"
        );
        assert!(
            survivors(&mark).await.is_empty(),
            "{host}: the bomb survived"
        );
        // The machine still starts processes.
        let (exit, out) = run(&f.sandbox, spec(f.ws(), SandboxLevel::Off, "echo alive")).await;
        assert_eq!((exit.code, out.as_str()), (Some(0), "alive\n"));
    }
}

#[tokio::test]
async fn the_process_limit_is_what_stops_forks() {
    let script = "for i in $(seq 100); do sleep 2 & done; wait; echo all-started";
    for (host, caps) in hosts() {
        let f = Fixture::new(caps);
        let mut tight = spec(f.ws(), SandboxLevel::WorkspaceWrite, script);
        tight.isolation.limits.max_processes = 32;
        tight.timeout = Some(Duration::from_secs(2));
        let (exit, out) = run(&f.sandbox, tight).await;
        assert!(!out.contains("all-started"), "{host}: {exit:?} {out}");
        let mut loose = spec(f.ws(), SandboxLevel::WorkspaceWrite, script);
        loose.isolation.limits.max_processes = 512;
        let (exit, out) = run(&f.sandbox, loose).await;
        assert_eq!(exit.code, Some(0), "{host}: {out}");
        assert!(out.contains("all-started"));
    }
}

#[tokio::test]
async fn nothing_outlives_a_timeout_or_the_command_unless_off() {
    for (host, caps) in hosts() {
        let f = Fixture::new(caps);
        for level in SANDBOXED {
            let mark = marker("daemon");
            let daemon = format!("setsid bash -c ': {mark}; sleep 1000; :' & echo started");
            let mut s = spec(f.ws(), level, &format!("{daemon}; sleep 30"));
            s.timeout = Some(Duration::from_millis(500));
            let (exit, out) = run(&f.sandbox, s).await;
            assert_eq!(exit.reason, ExitReason::TimedOut, "{host}/{level}");
            assert!(out.contains("started"));
            assert!(exit.duration < Duration::from_secs(5));
            assert!(
                survivors(&mark).await.is_empty(),
                "{host}/{level}: daemon survived"
            );

            // A daemon left behind by a command that exits on its own ends with it too.
            let mark = marker("left");
            let daemon = format!("setsid bash -c ': {mark}; sleep 1000; :' & echo started");
            let (exit, _) = run(&f.sandbox, spec(f.ws(), level, &daemon)).await;
            assert_eq!(exit.code, Some(0));
            assert!(
                survivors(&mark).await.is_empty(),
                "{host}/{level}: daemon survived"
            );
        }
    }
    // Off: a setsid daemon leaves the process group, so it outlives the timeout.
    let f = Fixture::new(host());
    let mark = marker("offdaemon");
    let mut s = spec(
        f.ws(),
        SandboxLevel::Off,
        &format!("setsid bash -c ': {mark}; sleep 1000; :' & sleep 30"),
    );
    s.timeout = Some(Duration::from_millis(500));
    let (exit, _) = run(&f.sandbox, s).await;
    assert_eq!(exit.reason, ExitReason::TimedOut);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let left = processes_with(&mark);
    for pid in &left {
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_raw(i32::try_from(*pid).unwrap()).unwrap(),
            rustix::process::Signal::KILL,
        );
    }
    assert!(!left.is_empty(), "off leaves the daemon running");
}

#[tokio::test]
async fn require_refuses_when_a_layer_is_missing_and_degrades_otherwise() {
    let f = Fixture::new(without_bubblewrap());
    let mut required = spec(f.ws(), SandboxLevel::WorkspaceWrite, "echo ran");
    required.isolation.require = true;
    let err = f.sandbox.spawn(required).unwrap_err();
    let ExecError::LayersMissing { level, missing } = &err else {
        panic!("expected LayersMissing, got {err:?}");
    };
    assert_eq!(*level, SandboxLevel::WorkspaceWrite);
    let missing: Vec<Layer> = missing.iter().map(|(l, _)| *l).collect();
    assert_eq!(
        missing,
        vec![Layer::Bubblewrap, Layer::PidNamespace, Layer::NetNamespace]
    );
    let message = err.to_string();
    assert!(
        message.contains("bubblewrap (forced missing by the test)"),
        "{message}"
    );
    assert!(message.contains("sandbox.require"), "{message}");

    let relaxed = spec(f.ws(), SandboxLevel::WorkspaceWrite, "echo ran");
    let process = f.sandbox.spawn(relaxed).unwrap();
    assert!(!process.layers().contains(&Layer::Bubblewrap));
    assert!(process.layers().contains(&Layer::LandlockFs));
    assert_eq!(process.wait().await.code, Some(0));
    assert_eq!(String::from_utf8_lossy(&process.output().bytes), "ran\n");

    // With every layer present, require changes nothing.
    let full = Fixture::new(host());
    let mut required = spec(full.ws(), SandboxLevel::Strict, "echo ran");
    required.isolation.require = true;
    let (exit, out) = run(&full.sandbox, required).await;
    assert_eq!((exit.code, out.as_str()), (Some(0), "ran\n"));
}

#[tokio::test]
async fn a_read_only_workspace_can_be_read_but_not_written() {
    for (host, caps) in hosts() {
        let f = Fixture::new(caps);
        std::fs::write(f.ws().join("source.txt"), "readable\n").unwrap();
        for level in SANDBOXED {
            let mut s = spec(f.ws(), level, "cat source.txt; echo new > new.txt");
            s.isolation.workspace_mount = WorkspaceMount::ReadOnly;
            let (exit, out) = run(&f.sandbox, s).await;
            assert!(out.starts_with("readable\n"), "{host}/{level}: {out}");
            assert_ne!(exit.code, Some(0), "{host}/{level}");
            assert!(!f.ws().join("new.txt").exists());
        }
    }
}

#[tokio::test]
async fn tmp_is_private_to_the_command() {
    let mark = marker("tmp");
    let f = Fixture::new(host());
    let script = format!("echo hidden > /tmp/{mark} && cat /tmp/{mark}");
    let (exit, out) = run(
        &f.sandbox,
        spec(f.ws(), SandboxLevel::WorkspaceWrite, &script),
    )
    .await;
    assert_eq!((exit.code, out.as_str()), (Some(0), "hidden\n"));
    assert!(!Path::new(&format!("/tmp/{mark}")).exists());

    // Without bubblewrap, TMPDIR points at a scratch directory that goes with the command.
    let f = Fixture::new(without_bubblewrap());
    let script =
        format!("echo x > /tmp/{mark} || echo no-tmp; echo y > \"$TMPDIR/f\" && echo \"$TMPDIR\"");
    let (exit, out) = run(
        &f.sandbox,
        spec(f.ws(), SandboxLevel::WorkspaceWrite, &script),
    )
    .await;
    assert_eq!(exit.code, Some(0), "{out}");
    assert!(out.contains("no-tmp"), "{out}");
    let scratch = out.lines().last().unwrap();
    assert!(
        !Path::new(scratch).exists(),
        "the scratch directory is removed"
    );
    assert!(!Path::new(&format!("/tmp/{mark}")).exists());
}

#[tokio::test]
async fn file_size_and_memory_limits_apply() {
    let f = Fixture::new(host());
    let write = "head -c 2097152 /dev/zero > big";
    let mut tight = spec(f.ws(), SandboxLevel::WorkspaceWrite, write);
    tight.isolation.limits.file_size_mb = 1;
    let (exit, out) = run(&f.sandbox, tight).await;
    assert_ne!(exit.code, Some(0), "{out}");
    assert_eq!(
        std::fs::metadata(f.ws().join("big")).unwrap().len(),
        1 << 20
    );
    let (exit, out) = run(
        &f.sandbox,
        spec(f.ws(), SandboxLevel::WorkspaceWrite, write),
    )
    .await;
    assert_eq!(exit.code, Some(0), "{out}");
    assert_eq!(
        std::fs::metadata(f.ws().join("big")).unwrap().len(),
        2 << 20
    );

    let hog = "x=$(head -c 64000000 /dev/zero | tr '\\0' x); echo ${#x}";
    let limits = ResourceLimits {
        memory_mb: 24,
        ..ResourceLimits::default()
    };
    let mut tight = spec(f.ws(), SandboxLevel::WorkspaceWrite, hog);
    tight.isolation.limits = limits;
    let (exit, out) = run(&f.sandbox, tight).await;
    assert!(!out.contains("64000000"), "{exit:?} {out}");
    let (exit, out) = run(&f.sandbox, spec(f.ws(), SandboxLevel::WorkspaceWrite, hog)).await;
    assert_eq!((exit.code, out.trim()), (Some(0), "64000000"));
}

#[tokio::test]
async fn the_workspace_may_not_hold_the_state_directory() {
    let ws = tempfile::tempdir().unwrap();
    let state = ws.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let sandbox = sandbox(&state);
    let err = sandbox
        .spawn(spec(ws.path(), SandboxLevel::WorkspaceWrite, "true"))
        .unwrap_err();
    assert!(matches!(err, ExecError::UnsafeWorkspace { .. }), "{err:?}");
}

#[tokio::test]
async fn a_read_only_directory_is_readable_but_never_writable_and_never_the_state() {
    for (host, caps) in hosts() {
        let f = Fixture::new(caps);
        let shared = tempfile::tempdir().unwrap();
        std::fs::write(shared.path().join("tool"), "installed").unwrap();
        let script = format!(
            "cat {dir}/tool; echo x > {dir}/planted; echo wrote=$?",
            dir = shared.path().display()
        );
        let mut readable = spec(f.ws(), SandboxLevel::WorkspaceWrite, &script);
        readable.isolation.read_only = vec![shared.path().to_path_buf()];
        let (_, out) = run(&f.sandbox, readable).await;
        assert!(out.contains("installed"), "{host}: {out}");
        assert!(out.contains("wrote=1"), "{host}: {out}");
        assert!(!shared.path().join("planted").exists(), "{host}");
    }

    let ws = tempfile::tempdir().unwrap();
    let parent = tempfile::tempdir().unwrap();
    let state = parent.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let sandbox = sandbox(&state);
    let mut exposing = spec(ws.path(), SandboxLevel::WorkspaceWrite, "true");
    exposing.isolation.read_only = vec![parent.path().to_path_buf()];
    let err = sandbox.spawn(exposing).unwrap_err();
    assert!(matches!(err, ExecError::UnsafeReadOnly { .. }), "{err:?}");
}
