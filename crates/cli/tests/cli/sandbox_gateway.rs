//! The sandbox against the gateway that runs it, through the real binary: a sandboxed command
//! cannot reach the gateway (loopback, the LAN address it binds, slirp4netns's host alias), and
//! an in-place upgrade followed by a config-triggered restart leaves every layer in place.

use std::time::Duration;

use rustyclaw_testkit::bin::RunningChild;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use rustyclaw_testkit::{RustyClaw, TempStateDir};
use serde_json::{Value, json};

use super::{fake_llm_config, free_port, rc, wait_for_starts};

const TOKEN: &str = "sandbox-gateway-token-31337";

/// Starts `program gateway run <args>` over `dir`; returns it once it listens.
async fn start(program: &RustyClaw, args: &[&str]) -> RunningChild {
    let server = program
        .clone()
        .args(["gateway", "run"])
        .args(args)
        .spawn()
        .unwrap();
    server
        .wait_for_line(
            rustyclaw_testkit::bin::Stream::Stdout,
            |l| l.contains("gateway listening on ws://"),
            Duration::from_secs(20),
        )
        .await
        .unwrap();
    server
}

/// One `exec` of `command` through `rustyclaw agent` (via the gateway); the tool result the
/// model was shown.
async fn exec_via_gateway(dir: &TempStateDir, fake: &FakeLlm, command: &str) -> String {
    let before = fake.requests().len();
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_1",
        "exec",
        json!({ "command": command }),
    )]));
    fake.push(Turn::text("done"));
    let out = rc(dir)
        .args(["agent", "-m", "run it", "--session-id", "probe", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}\n{}", out.stdout_str(), out.stderr_str());
    let report: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(report["via"], "gateway", "{report}");
    let requests = fake.requests();
    let body = requests[before + 1].body.clone().unwrap();
    let messages = body["messages"].as_array().unwrap();
    let tool = messages.iter().rev().find(|m| m["role"] == "tool").unwrap();
    tool["content"].as_str().unwrap().to_owned()
}

fn write_config(dir: &TempStateDir, fake: &FakeLlm, port: u16, bind: &str) {
    let mut config = fake_llm_config(dir, fake, TOKEN);
    config["gateway"]["port"] = json!(port);
    config["gateway"]["bind"] = json!(bind);
    // The probes below look like reconnaissance to the risk guards, which would stop them
    // before the sandbox is tested.
    config["tools"] = json!({"guards": {"mode": "off"}});
    dir.write_config(&config.to_string()).unwrap();
}

#[tokio::test]
async fn a_sandboxed_command_cannot_reach_the_gateway_on_any_address() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let port = free_port();
    write_config(&dir, &fake, port, "lan");
    let mut server = start(&rc(&dir), &[]).await;

    let mut targets = vec!["127.0.0.1".to_owned(), "10.0.2.2".to_owned()];
    targets.extend(
        rustyclaw_sandbox::host_ipv4_addresses()
            .unwrap()
            .into_iter()
            .filter(|a| !a.is_loopback())
            .map(|a| a.to_string()),
    );
    assert!(
        targets.len() > 2,
        "no LAN address on this host: {targets:?}"
    );
    // The attack: talk to the gateway's HTTP endpoint from inside the sandbox.
    let script: String = targets
        .iter()
        .map(|a| {
            format!(
                "if exec 3<>/dev/tcp/{a}/{port}; then printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3; \
                 head -c 12 <&3 | tr -d '\\r\\n'; echo \" reached-{a}\"; exec 3<&-; \
                 else echo blocked-{a}; fi 2>/dev/null; "
            )
        })
        .collect();
    let result = exec_via_gateway(&dir, &fake, &script).await;
    for target in &targets {
        assert!(result.contains(&format!("blocked-{target}")), "{result}");
    }
    assert!(!result.contains("reached-"), "{result}");

    // The same gateway is reachable from the host on both addresses (the test is not vacuous).
    for target in &targets[..1] {
        assert!(std::net::TcpStream::connect((target.as_str(), port)).is_ok());
    }
    let lan = targets[2].as_str();
    assert!(std::net::TcpStream::connect((lan, port)).is_ok());
    server.kill().await.unwrap();
}

#[tokio::test]
async fn sandbox_host_network_opts_back_into_the_hosts_loopback() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let port = free_port();
    let mut config = fake_llm_config(&dir, &fake, TOKEN);
    config["gateway"]["port"] = json!(port);
    config["agents"]["defaults"]["sandbox"] = json!({"hostNetwork": true});
    config["tools"] = json!({"guards": {"mode": "off"}});
    dir.write_config(&config.to_string()).unwrap();
    let mut server = start(&rc(&dir), &[]).await;
    let result = exec_via_gateway(
        &dir,
        &fake,
        &format!("(exec 3<>/dev/tcp/127.0.0.1/{port}) && echo reached || echo blocked"),
    )
    .await;
    assert!(result.contains("reached"), "{result}");
    server.kill().await.unwrap();
}

#[tokio::test]
async fn an_upgrade_in_place_then_a_restart_keeps_every_sandbox_layer() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let port = free_port();
    write_config(&dir, &fake, port, "loopback");
    // The gateway runs from a copy of the binary that the "upgrade" then replaces.
    let install = tempfile::tempdir().unwrap();
    let installed = install.path().join("rustyclaw");
    std::fs::copy(env!("CARGO_BIN_EXE_rustyclaw"), &installed).unwrap();
    let program = RustyClaw::new(&installed).state_dir(&dir);
    let mut server = start(&program, &[]).await;

    // A package manager writes the new version beside the old and renames it over: the
    // running gateway's executable is now `… (deleted)`, and the path names another program.
    let staged = install.path().join("rustyclaw.new");
    std::fs::write(
        &staged,
        "#!/bin/sh\necho this is not the sandbox helper\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&staged, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::rename(&staged, &installed).unwrap();

    // A config write that needs a restart (the auth limiter is built when the gateway starts)
    // restarts it in-process.
    let snapshot = rc(&dir)
        .args(["gateway", "call", "config.get", "--token", TOKEN])
        .run()
        .await
        .unwrap();
    assert!(snapshot.success(), "{}", snapshot.stderr_str());
    let snapshot: Value = serde_json::from_str(&snapshot.stdout_str()).unwrap();
    let patch = json!({"raw": json!({"gateway": {"auth": {"rateLimit": {"maxAttempts": 50}}}}).to_string(), "baseHash": snapshot["hash"]});
    let out = rc(&dir)
        .args([
            "gateway",
            "call",
            "config.patch",
            "--token",
            TOKEN,
            "--params",
        ])
        .arg(patch.to_string())
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    wait_for_starts(&server, 2).await;

    let outside = tempfile::tempdir().unwrap();
    let result = exec_via_gateway(
        &dir,
        &fake,
        &format!(
            "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status | tr -s '\\t ' ' '; \
             (echo x > '{}/escape') 2>/dev/null && echo wrote-outside || echo no-write",
            outside.path().display()
        ),
    )
    .await;
    assert!(result.contains("Seccomp: 2"), "seccomp lost: {result}");
    assert!(result.contains("NoNewPrivs: 1"), "{result}");
    assert!(
        result.contains("no-write"),
        "landlock/bubblewrap lost: {result}"
    );
    assert!(!outside.path().join("escape").exists());
    assert!(
        !server.stderr().contains("sandbox layers are missing"),
        "{}",
        server.stderr()
    );
    server.kill().await.unwrap();
}
