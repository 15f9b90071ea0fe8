//! Config changes that lower isolation or widen the tool policy: recognised case by case by
//! `weakenings` (a pure function of the running and the new config), then logged, audited and
//! announced to operators by `GatewayState::announce_weakening`.

use std::time::Duration;

use pretty_assertions::assert_eq;
use rustyclaw_config::{Config, Env, LocationOverrides, Locations};
use rustyclaw_gateway::RestartRequest;
use rustyclaw_gateway::weakening::weakenings;
use serde_json::{Value, json};

use super::harness::{Client, Gateway, Read, TOKEN, connect_params};

/// The resolved config of `file` (an `openclaw.json` document).
fn config(file: Value) -> Config {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openclaw.json");
    std::fs::write(&path, file.to_string()).unwrap();
    let env = Env::from_pairs([("HOME", dir.path().display().to_string())]);
    let locations = Locations::resolve(
        &LocationOverrides {
            state_dir: Some(dir.path().to_path_buf()),
            config: Some(path),
        },
        &env,
    )
    .unwrap();
    rustyclaw_config::load(&locations, &env).unwrap().config
}

/// `(path, from, to)` of each weakening from `old` to `new`.
fn changes(old: Value, new: Value) -> Vec<(String, Value, Value)> {
    weakenings(&config(old), &config(new))
        .into_iter()
        .map(|w| (w.path, w.from, w.to))
        .collect()
}

fn change(path: &str, from: Value, to: Value) -> (String, Value, Value) {
    (path.to_owned(), from, to)
}

fn defaults_sandbox(sandbox: Value) -> Value {
    json!({"agents": {"defaults": {"sandbox": sandbox}}})
}

#[test]
fn lowering_the_sandbox_mode_is_recognised_step_by_step() {
    let all = defaults_sandbox(json!({"mode": "all"}));
    let non_main = defaults_sandbox(json!({"mode": "non-main"}));
    let off = defaults_sandbox(json!({"mode": "off"}));
    let path = "agents.defaults.sandbox.mode";
    assert_eq!(
        changes(all.clone(), non_main.clone()),
        [change(path, json!("all"), json!("non-main"))]
    );
    assert_eq!(
        changes(non_main.clone(), off.clone()),
        [change(path, json!("non-main"), json!("off"))]
    );
    // Unset is rustyclaw's default, `all`: turning the sandbox off in a file that never
    // mentioned it is a lowering.
    assert_eq!(
        changes(json!({}), off.clone()),
        [change(path, json!("all"), json!("off"))]
    );
    let weakening = &weakenings(&config(json!({})), &config(off.clone()))[0];
    assert!(
        weakening.summary.contains("run on the host"),
        "{}",
        weakening.summary
    );
    // Raising it, or writing the default out, is not.
    assert_eq!(changes(off, all.clone()), []);
    assert_eq!(changes(json!({}), all), []);
}

#[test]
fn widening_the_sandbox_is_recognised() {
    let strict = defaults_sandbox(json!({
        "workspaceAccess": "ro", "level": "strict", "scope": "session", "require": true
    }));
    let loose = defaults_sandbox(json!({
        "workspaceAccess": "rw", "level": "workspace-write", "scope": "shared",
        "hostNetwork": true
    }));
    let at = "agents.defaults.sandbox";
    assert_eq!(
        changes(strict.clone(), loose.clone()),
        [
            change(&format!("{at}.workspaceAccess"), json!("ro"), json!("rw")),
            change(&format!("{at}.scope"), json!("session"), json!("shared")),
            change(
                &format!("{at}.level"),
                json!("strict"),
                json!("workspace-write")
            ),
            change(&format!("{at}.require"), json!(true), json!(false)),
            change(&format!("{at}.hostNetwork"), json!(false), json!(true)),
        ]
    );
    assert_eq!(changes(loose, strict), []);
}

#[test]
fn raised_or_removed_limits_are_recognised() {
    let tight = defaults_sandbox(json!({
        "limits": {"cpuSeconds": 60, "memoryMb": 512, "maxProcesses": 64, "fileSizeMb": 100},
        "agentLimits": {"maxProcesses": 128, "memoryMb": 2048}
    }));
    let raised = defaults_sandbox(json!({
        "limits": {"cpuSeconds": 120, "memoryMb": 512, "maxProcesses": 64, "fileSizeMb": 100},
        "agentLimits": {"maxProcesses": 256, "memoryMb": 2048}
    }));
    let at = "agents.defaults.sandbox";
    assert_eq!(
        changes(tight.clone(), raised),
        [
            change(&format!("{at}.limits.cpuSeconds"), json!(60), json!(120)),
            change(
                &format!("{at}.agentLimits.maxProcesses"),
                json!(128),
                json!(256)
            ),
        ]
    );
    // Removing the limits falls back to the (higher) defaults; an agent-wide memory limit
    // removed means half the host's memory, whatever that is.
    assert_eq!(
        changes(tight.clone(), json!({})),
        [
            change(&format!("{at}.limits.cpuSeconds"), json!(60), json!(600)),
            change(&format!("{at}.limits.memoryMb"), json!(512), json!(4096)),
            change(&format!("{at}.limits.maxProcesses"), json!(64), json!(256)),
            change(&format!("{at}.limits.fileSizeMb"), json!(100), json!(1024)),
            change(
                &format!("{at}.agentLimits.maxProcesses"),
                json!(128),
                json!(512)
            ),
            change(
                &format!("{at}.agentLimits.memoryMb"),
                json!(2048),
                Value::Null
            ),
        ]
    );
    assert_eq!(changes(json!({}), tight), []);
}

#[test]
fn a_wider_tool_policy_is_recognised() {
    let narrow = json!({"tools": {
        "profile": "coding", "allow": ["read", "exec"], "deny": ["process", "web_fetch"]
    }});
    let wide = json!({"tools": {
        "profile": "full", "allow": ["read", "exec", "write"], "alsoAllow": ["browser"],
        "deny": ["process"]
    }});
    assert_eq!(
        changes(narrow.clone(), wide.clone()),
        [
            change("tools.profile", json!("coding"), json!("full")),
            change(
                "tools.allow",
                json!(["read", "exec"]),
                json!(["read", "exec", "write"])
            ),
            change("tools.alsoAllow", Value::Null, json!(["browser"])),
            change(
                "tools.deny",
                json!(["process", "web_fetch"]),
                json!(["process"])
            ),
        ]
    );
    assert_eq!(changes(wide, narrow.clone()), []);
    // An allow list removed allows everything; a deny list removed denies nothing.
    assert_eq!(
        changes(narrow.clone(), json!({"tools": {"profile": "coding"}})),
        [
            change("tools.allow", json!(["read", "exec"]), Value::Null),
            change("tools.deny", json!(["process", "web_fetch"]), Value::Null),
        ]
    );
    // Coding and messaging each offer tools the other lacks; minimal offers nothing new.
    let profile = |p: &str| json!({"tools": {"profile": p}});
    assert_eq!(changes(profile("coding"), profile("messaging")).len(), 1);
    assert_eq!(changes(profile("full"), profile("minimal")), []);
    // The sandbox's tool list: dropping `tools.sandbox.tools.deny` restores OpenClaw's default
    // deny list, emptying it lets the browser and the gateway tool into sandboxed sessions.
    let sandbox_deny = |deny: Value| json!({"tools": {"sandbox": {"tools": {"deny": deny}}}});
    let found = changes(json!({}), sandbox_deny(json!([])));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "tools.sandbox.tools.deny");
    assert_eq!(changes(sandbox_deny(json!(["browser"])), json!({})), []);
    let by_provider = |p: Value| json!({"tools": {"byProvider": {"openai": p}}});
    assert_eq!(
        changes(by_provider(json!({"profile": "minimal"})), json!({})),
        [change(
            "tools.byProvider.openai.profile",
            json!("minimal"),
            Value::Null
        )]
    );
}

#[test]
fn looser_exec_elevated_and_guards_are_recognised() {
    let strict = json!({"tools": {
        "exec": {"host": "sandbox", "security": "allowlist", "ask": "always"},
        "guards": {"mode": "enforce"}
    }});
    let loose = json!({"tools": {
        "exec": {"host": "gateway", "security": "full", "ask": "off"},
        "elevated": {"enabled": true, "allowFrom": {"telegram": ["123"]}},
        "guards": {"mode": "audit", "command": {"block": 95}},
        "web": {"fetch": {"allowPrivateNetwork": true}}
    }});
    assert_eq!(
        changes(strict.clone(), loose.clone()),
        [
            change("tools.elevated.enabled", Value::Null, json!(true)),
            change(
                "tools.elevated.allowFrom.telegram",
                Value::Null,
                json!(["123"])
            ),
            change("tools.exec.host", json!("sandbox"), json!("gateway")),
            change("tools.exec.security", json!("allowlist"), json!("full")),
            change("tools.exec.ask", json!("always"), json!("off")),
            change("tools.guards.mode", json!("enforce"), json!("audit")),
            change("tools.guards.command.block", json!(80), json!(95)),
            change(
                "tools.web.fetch.allowPrivateNetwork",
                json!(false),
                json!(true)
            ),
        ]
    );
    assert_eq!(changes(loose, strict), []);
}

#[test]
fn agents_are_compared_by_id_and_inherited_changes_reported_once() {
    let agents = |defaults: Value, list: Value| json!({"agents": {"defaults": {"sandbox": defaults}, "list": list}});
    // Lowering the defaults lowers every agent that follows them: one report, under the
    // defaults. The agent with its own `mode: "all"` is unaffected.
    let before = agents(
        json!({"mode": "all"}),
        json!([{"id": "main"}, {"id": "ops", "sandbox": {"mode": "all"}}]),
    );
    let after = agents(
        json!({"mode": "off"}),
        json!([{"id": "main"}, {"id": "ops", "sandbox": {"mode": "all"}}]),
    );
    assert_eq!(
        changes(before.clone(), after),
        [change(
            "agents.defaults.sandbox.mode",
            json!("all"),
            json!("off")
        )]
    );
    // An agent lowering its own sandbox, even at another index, is reported under its id.
    let after = agents(
        json!({"mode": "all"}),
        json!([{"id": "ops", "sandbox": {"mode": "non-main", "hostNetwork": true}}, {"id": "main"}]),
    );
    assert_eq!(
        changes(before.clone(), after),
        [
            change(
                "agents.list[id=ops].sandbox.mode",
                json!("all"),
                json!("non-main")
            ),
            change(
                "agents.list[id=ops].sandbox.hostNetwork",
                json!(false),
                json!(true)
            ),
        ]
    );
    // A new agent is held to the defaults it would otherwise have had.
    let after = agents(
        json!({"mode": "all"}),
        json!([{"id": "main"}, {"id": "ops"}, {"id": "yolo", "sandbox": {"mode": "off"}}]),
    );
    assert_eq!(
        changes(before, after),
        [change(
            "agents.list[id=yolo].sandbox.mode",
            json!("all"),
            json!("off")
        )]
    );
    // An agent's own tool policy: its profile over the global one, its lists on their own.
    let tools = |agent_tools: Value| {
        json!({"tools": {"profile": "minimal"}, "agents": {"list": [
            {"id": "main"}, {"id": "ops", "tools": agent_tools}
        ]}})
    };
    assert_eq!(
        changes(
            tools(json!({"deny": ["exec"]})),
            tools(json!({"profile": "full", "deny": []}))
        ),
        [
            change(
                "agents.list[id=ops].tools.profile",
                json!("minimal"),
                json!("full")
            ),
            change("agents.list[id=ops].tools.deny", json!(["exec"]), json!([])),
        ]
    );
    // Widening the global profile is reported once, not again for each agent following it.
    assert_eq!(
        changes(
            tools(json!({})),
            json!({"tools": {"profile": "coding"}, "agents": {"list": [{"id": "main"}, {"id": "ops"}]}})
        ),
        [change("tools.profile", json!("minimal"), json!("coding"))]
    );
}

#[test]
fn unrelated_changes_and_secrets_are_not_reported() {
    let old = json!({"gateway": {"auth": {"mode": "token", "token": "old-secret-token"}},
                     "agents": {"defaults": {"timeoutSeconds": 60}}});
    let new = json!({"gateway": {"auth": {"mode": "token", "token": "new-secret-token"}},
                     "agents": {"defaults": {"timeoutSeconds": 600}},
                     "tools": {"exec": {"timeoutSec": 10}}});
    assert_eq!(changes(old, new), []);
}

fn restart(reason: &str) -> RestartRequest {
    RestartRequest {
        reason: reason.to_owned(),
        actors: vec!["gateway:cli".to_owned()],
        delay: Duration::ZERO,
    }
}

/// The next event named `name`, skipping others.
async fn next_event(client: &mut Client, name: &str) -> Value {
    loop {
        match client.read().await {
            Read::Frame(frame) if frame["event"] == name => return frame,
            Read::Frame(_) => {}
            other => panic!("no {name} event: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_weakening_is_announced_to_operators_audited_and_repeated_after_a_restart() {
    let gateway = Gateway::start().await;
    let (mut reader, _) = Client::connect(&gateway).await;
    // A client without `operator.read` (approvals only) does not get it.
    let mut approver = Client::open(&gateway).await;
    let hello = approver
        .request("connect", connect_params(TOKEN, &["operator.approvals"]))
        .await;
    assert_eq!(hello["ok"], true, "{hello}");

    let old = config(json!({}));
    let new = config(defaults_sandbox(json!({"mode": "off"})));
    let found = gateway
        .state
        .announce_weakening(&old, &new, &restart("config.patch"))
        .await;
    assert_eq!(found.len(), 1);
    let event = next_event(&mut reader, "config.weakened").await;
    let payload = &event["payload"];
    assert_eq!(payload["reason"], "config.patch");
    assert_eq!(payload["actors"], json!(["gateway:cli"]));
    assert_eq!(payload["applied"], false);
    assert_eq!(
        payload["changes"][0]["path"], "agents.defaults.sandbox.mode",
        "{payload}"
    );
    assert_eq!(payload["changes"][0]["to"], "off");
    let message = payload["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "config.patch by gateway:cli loosens security: sandbox mode lowered from all to off"
        ),
        "{message}"
    );
    // Nothing for the approvals-only client (a tick or nothing within the wait).
    let nothing = tokio::time::timeout(Duration::from_millis(300), approver.read()).await;
    assert!(
        !matches!(&nothing, Ok(Read::Frame(f)) if f["event"] == "config.weakened"),
        "{nothing:?}"
    );

    let audit = gateway.store.list_audit(10).await.unwrap();
    let record = audit
        .iter()
        .find(|r| r.record.action == "config.weakened")
        .expect("an audit record");
    assert_eq!(record.record.actor, "gateway:cli");
    assert_eq!(
        record.record.detail["weakens"][0]["path"],
        "agents.defaults.sandbox.mode"
    );

    // Nothing is announced for a change that loosens nothing.
    let quiet = gateway
        .state
        .announce_weakening(&new, &old, &restart("config.apply"))
        .await;
    assert!(quiet.is_empty());

    // The gateway that replaces this one tells operators who connect, marked applied.
    let restarted = Gateway::start().await;
    restarted.state.inherit_control_state(&gateway.state);
    let (mut back, _) = Client::connect(&restarted).await;
    let event = next_event(&mut back, "config.weakened").await;
    assert_eq!(event["payload"]["applied"], true);
    assert_eq!(event["payload"]["changes"], payload["changes"]);
    // Operators connecting to the announcing gateway after the broadcast get it too, once.
    let (mut late, _) = Client::connect(&gateway).await;
    let event = next_event(&mut late, "config.weakened").await;
    assert_eq!(event["payload"]["applied"], false);
}
