//! Exec approvals end to end: a model asks for `exec` on the gateway host under
//! `security=allowlist, ask=on-miss`, the run waits for a human through the broker, and the
//! answer (or its absence) decides — with a real approvals file, real child processes and a
//! marker file that proves whether the command ran.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustyclaw_agent::{
    AgentRuntime, Event, EventKind, Op, RunId, RunOutcome, RunStatus, RuntimeParts,
};
use rustyclaw_config::{Env, LocationOverrides, Locations};
use rustyclaw_providers::{Client, ClientOptions, ModelCatalog, RetryPolicy};
use rustyclaw_store::Store;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use rustyclaw_tools::approvals::{
    ApprovalBroker, ApprovalRequest, ApprovalsStore, Decision, Outcome, SafeBins,
};
use rustyclaw_tools::{ExecApprovals, ExecSettings, ToolServices, WebFetchSettings};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::harness::{Harness, config_text, workspace_of};

/// A runtime whose exec runs on the gateway host under exec approvals kept in the state dir.
struct Host {
    dir: tempfile::TempDir,
    runtime: AgentRuntime,
    events: broadcast::Receiver<Event>,
    /// Events of other runs seen while waiting.
    others: Vec<Event>,
}

impl Host {
    async fn start(
        fake: &FakeLlm,
        exec: Value,
        approvals_file: Option<Value>,
        timeout: Duration,
    ) -> Host {
        let dir = tempfile::tempdir().unwrap();
        let workspace = workspace_of(dir.path());
        std::fs::create_dir_all(&workspace).unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        // `mark <file>`: proves it ran by creating <file>, and says so.
        let mark = bin.join("mark");
        std::fs::write(&mark, "#!/bin/sh\ntouch \"$1\"\necho \"marked $1\"\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&mark, std::fs::Permissions::from_mode(0o755)).unwrap();
        let config_path = dir.path().join("openclaw.json");
        std::fs::write(
            &config_path,
            config_text(fake, &workspace, json!({"tools": {"exec": exec}})),
        )
        .unwrap();
        if let Some(file) = approvals_file {
            std::fs::write(dir.path().join("exec-approvals.json"), file.to_string()).unwrap();
        }
        let env = Env::from_pairs([("HOME", dir.path().display().to_string())]);
        let locations = Locations::resolve(
            &LocationOverrides {
                state_dir: Some(dir.path().to_path_buf()),
                config: Some(config_path),
            },
            &env,
        )
        .unwrap();
        let config = rustyclaw_config::load(&locations, &env).unwrap().config;
        let store = Store::open(dir.path().join("state.sqlite")).await.unwrap();
        let client = Client::new(ClientOptions {
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(10),
        })
        .unwrap();
        let retry = RetryPolicy {
            max_retries: 0,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(1),
        };
        let mut models = rustyclaw_agent::Models::with_parts(
            ModelCatalog::from_config(&config, &env),
            client,
            retry,
        );
        models.attach_store(store.clone()).await;
        let tool_services = ToolServices::with_approvals(
            ExecSettings::from_config(
                &config.tools.exec,
                Arc::new(rustyclaw_sandbox::Sandbox::new(
                    rustyclaw_sandbox::SandboxSetup::for_host(
                        None,
                        dir.path().to_path_buf(),
                        Some(std::ffi::OsStr::new(rustyclaw_sandbox::exec::DEFAULT_PATH)),
                    ),
                )),
            ),
            WebFetchSettings::from_config(&config.tools.web_fetch),
            ExecApprovals {
                store: Some(Arc::new(ApprovalsStore::in_state_dir(dir.path()))),
                broker: ApprovalBroker::new(timeout),
                home: None,
                safe_bins: SafeBins::default(),
            },
        )
        .unwrap();
        let tools = rustyclaw_tools::builtin_registry(&config.tools);
        let runtime = AgentRuntime::new(RuntimeParts {
            config: Arc::new(config),
            store,
            models,
            tools,
            tool_services: Arc::new(tool_services),
            host_name: "testhost".into(),
            skills: None,
        });
        let events = runtime.subscribe();
        Host {
            dir,
            runtime,
            events,
            others: Vec::new(),
        }
    }

    fn mark(&self) -> PathBuf {
        self.dir.path().join("bin/mark")
    }

    fn marker(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `mark <marker>` as a command line.
    fn command(&self, marker: &str) -> String {
        format!(
            "{} {}",
            self.mark().display(),
            self.marker(marker).display()
        )
    }

    fn approvals_file(&self) -> Value {
        let text = std::fs::read_to_string(self.dir.path().join("exec-approvals.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn submit(&self, text: &str) -> RunId {
        let inbound = Harness::inbound(&Harness::main_key(), text);
        let run_id = inbound.run_id.clone();
        self.runtime.submit(Op::Message(inbound)).unwrap();
        run_id
    }

    /// Runs `text` and calls `on_request` for each approval request of the run.
    async fn run(
        &mut self,
        text: &str,
        mut on_request: impl FnMut(&Host, &ApprovalRequest),
    ) -> (RunOutcome, Vec<EventKind>) {
        let run_id = self.submit(text);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .expect("run did not finish in 30 s")
                .expect("event channel closed");
            if event.run_id != run_id {
                self.others.push(event);
                continue;
            }
            match event.kind {
                EventKind::Finished(outcome) => return (*outcome, seen),
                EventKind::ApprovalRequested(ref request) => {
                    on_request(self, request);
                    seen.push(event.kind);
                }
                other => seen.push(other),
            }
        }
    }
}

fn exec_call(id: &str, command: &str) -> Turn {
    Turn::tool_calls([ToolCall::new(id, "exec", json!({"command": command}))]).into()
}

fn allowlist_on_miss() -> Value {
    json!({"host": "gateway", "security": "allowlist", "ask": "on-miss"})
}

fn tool_result(events: &[EventKind]) -> (bool, String) {
    events
        .iter()
        .find_map(|e| match e {
            EventKind::ToolFinished {
                is_error, output, ..
            } => Some((*is_error, output.clone())),
            _ => None,
        })
        .expect("a tool result")
}

fn requests(events: &[EventKind]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, EventKind::ApprovalRequested(_)))
        .count()
}

fn resolutions(events: &[EventKind]) -> Vec<Outcome> {
    events
        .iter()
        .filter_map(|e| match e {
            EventKind::ApprovalResolved(r) => Some(r.outcome),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn allow_once_runs_the_command_and_its_output_is_the_tool_result() {
    let fake = FakeLlm::start().await.unwrap();
    let mut host = Host::start(&fake, allowlist_on_miss(), None, Duration::from_secs(60)).await;
    let command = host.command("once");
    fake.push(exec_call("call_1", &command));
    fake.push(Turn::text("It ran."));
    let _approver = host.runtime.approvals().register_approver();
    let (outcome, events) = host
        .run("mark it", |h, request| {
            let r = &request.request;
            assert_eq!(r.command, h.command("once"));
            assert_eq!(r.host, "gateway");
            assert_eq!(r.agent_id.as_deref(), Some("main"));
            assert_eq!(r.session_key.as_deref(), Some("agent:main:main"));
            assert_eq!(r.resolved_path.as_deref(), Some(h.mark().to_str().unwrap()));
            assert_eq!(
                r.cwd.as_deref(),
                Some(
                    std::fs::canonicalize(workspace_of(h.dir.path()))
                        .unwrap()
                        .to_str()
                        .unwrap()
                )
            );
            assert!(request.expires_at_ms - request.created_at_ms == 60_000);
            h.runtime
                .approvals()
                .resolve(&request.id, Decision::AllowOnce, Some("test"))
                .unwrap();
        })
        .await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    assert_eq!(requests(&events), 1);
    assert_eq!(
        resolutions(&events),
        [Outcome::Decided(Decision::AllowOnce)]
    );
    let (is_error, output) = tool_result(&events);
    assert!(!is_error, "{output}");
    assert!(output.contains("marked"), "{output}");
    assert!(host.marker("once").exists());
    let second = fake.requests()[1].body.clone().unwrap();
    let sent = second["messages"].to_string();
    assert!(sent.contains("marked"), "the output went back to the model");
    // allow-once remembers nothing.
    assert!(!host.dir.path().join("exec-approvals.json").exists());
    fake.assert_no_violations().unwrap();
}

#[tokio::test]
async fn deny_leaves_the_command_unrun_and_tells_the_model() {
    let fake = FakeLlm::start().await.unwrap();
    let mut host = Host::start(&fake, allowlist_on_miss(), None, Duration::from_secs(60)).await;
    fake.push(exec_call("call_1", &host.command("denied")));
    fake.push(Turn::text("Understood."));
    let _approver = host.runtime.approvals().register_approver();
    let (outcome, events) = host
        .run("mark it", |h, request| {
            h.runtime
                .approvals()
                .resolve(&request.id, Decision::Deny, None)
                .unwrap();
        })
        .await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    let (is_error, output) = tool_result(&events);
    assert!(is_error);
    assert!(
        output.starts_with("exec denied: the approver denied the command"),
        "{output}"
    );
    assert!(!host.marker("denied").exists(), "nothing ran");
}

#[tokio::test]
async fn allow_always_persists_the_program_and_the_next_call_needs_no_approval() {
    let fake = FakeLlm::start().await.unwrap();
    let mut host = Host::start(&fake, allowlist_on_miss(), None, Duration::from_secs(60)).await;
    fake.push(exec_call("call_1", &host.command("first")));
    fake.push(Turn::text("Done once."));
    fake.push(exec_call("call_2", &host.command("second")));
    fake.push(Turn::text("Done twice."));
    let _approver = host.runtime.approvals().register_approver();
    let (outcome, events) = host
        .run("mark it", |h, request| {
            h.runtime
                .approvals()
                .resolve(&request.id[..8], Decision::AllowAlways, None)
                .unwrap();
        })
        .await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    assert_eq!(requests(&events), 1);
    assert!(host.marker("first").exists());
    let canonical = std::fs::canonicalize(host.mark()).unwrap();
    let file = host.approvals_file();
    assert_eq!(file["version"], 1);
    let entry = &file["agents"]["main"]["allowlist"][0];
    assert_eq!(entry["pattern"], canonical.display().to_string());
    assert!(entry["id"].is_string());

    let (outcome, events) = host
        .run("mark it again", |_, request| {
            panic!("no approval expected, got {request:?}")
        })
        .await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    assert_eq!(requests(&events), 0);
    assert!(host.marker("second").exists());
    let entry = &host.approvals_file()["agents"]["main"]["allowlist"][0];
    assert_eq!(entry["lastUsedCommand"], host.command("second"));
    assert_eq!(entry["lastResolvedPath"], canonical.display().to_string());
    assert!(entry["lastUsedAt"].as_i64().unwrap() > 0);
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(host.dir.path().join("exec-approvals.json"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn with_no_approver_the_ask_fallback_applies_at_once() {
    let fake = FakeLlm::start().await.unwrap();
    // Default fallback: deny.
    let mut host = Host::start(&fake, allowlist_on_miss(), None, Duration::from_secs(60)).await;
    fake.push(exec_call("call_1", &host.command("nobody")));
    fake.push(Turn::text("Refused."));
    let started = std::time::Instant::now();
    let (_, events) = host.run("mark it", |_, _| panic!("nobody to ask")).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    let (is_error, output) = tool_result(&events);
    assert!(is_error);
    assert!(
        output.contains("no approver is available (askFallback=deny)"),
        "{output}"
    );
    assert!(!host.marker("nobody").exists());

    // askFallback=allowlist runs what the allowlist covers, even under ask=always.
    let fake = FakeLlm::start().await.unwrap();
    let mut host = Host::start(
        &fake,
        json!({"host": "gateway", "security": "allowlist", "ask": "always"}),
        Some(json!({"version": 1, "defaults": {"askFallback": "allowlist"}})),
        Duration::from_secs(60),
    )
    .await;
    let pattern = std::fs::canonicalize(host.mark()).unwrap();
    ApprovalsStore::in_state_dir(host.dir.path())
        .update(|f| f.add_pattern("main", &pattern.display().to_string(), 1))
        .unwrap();
    fake.push(Turn::tool_calls([
        ToolCall::new(
            "call_1",
            "exec",
            json!({"command": host.command("covered")}),
        ),
        ToolCall::new(
            "call_2",
            "exec",
            json!({"command": format!("touch {}", host.marker("uncovered").display())}),
        ),
    ]));
    fake.push(Turn::text("One of two."));
    let (_, events) = host.run("mark both", |_, _| panic!("nobody to ask")).await;
    let results: Vec<(bool, String)> = events
        .iter()
        .filter_map(|e| match e {
            EventKind::ToolFinished {
                is_error, output, ..
            } => Some((*is_error, output.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(results.len(), 2);
    assert!(!results[0].0, "{:?}", results[0]);
    assert!(host.marker("covered").exists());
    assert!(results[1].0);
    assert!(
        results[1].1.contains("askFallback=allowlist"),
        "{}",
        results[1].1
    );
    assert!(!host.marker("uncovered").exists());
}

#[tokio::test]
async fn an_expired_request_falls_back_to_deny() {
    let fake = FakeLlm::start().await.unwrap();
    let mut host = Host::start(&fake, allowlist_on_miss(), None, Duration::from_millis(300)).await;
    fake.push(exec_call("call_1", &host.command("late")));
    fake.push(Turn::text("Timed out."));
    let _approver = host.runtime.approvals().register_approver();
    let (outcome, events) = host.run("mark it", |_, _| {}).await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    assert_eq!(requests(&events), 1);
    assert_eq!(resolutions(&events), [Outcome::Expired]);
    let (is_error, output) = tool_result(&events);
    assert!(is_error);
    assert!(
        output.contains("the approval request expired (askFallback=deny)"),
        "{output}"
    );
    assert!(!host.marker("late").exists());
    assert!(host.runtime.approvals().pending().is_empty());
}

#[tokio::test]
async fn the_approve_directive_answers_from_the_same_chat_without_queueing() {
    let fake = FakeLlm::start().await.unwrap();
    let mut host = Host::start(&fake, allowlist_on_miss(), None, Duration::from_secs(60)).await;
    fake.push(exec_call("call_1", &host.command("chat")));
    fake.push(Turn::text("Approved in chat."));
    let _approver = host.runtime.approvals().register_approver();
    let mut directive_run = None;
    let (outcome, events) = host
        .run("mark it", |h, request| {
            directive_run = Some(h.submit(&format!("/approve {} allow-once", &request.id[..8])));
        })
        .await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
    assert!(host.marker("chat").exists());
    assert_eq!(
        resolutions(&events),
        [Outcome::Decided(Decision::AllowOnce)]
    );
    let directive_run = directive_run.unwrap();
    let notice = host
        .others
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Notice { text } if e.run_id == directive_run => Some(text.clone()),
            _ => None,
        })
        .expect("a confirmation");
    assert!(
        notice.starts_with("Exec approval allow-once submitted for "),
        "{notice}"
    );

    // Unknown ids and malformed directives get a clear answer.
    let mut h = host;
    let (outcome, _) = h.run("/approve 0000dead deny", |_, _| {}).await;
    let reply = outcome.reply_text().unwrap();
    assert!(reply.contains("unknown or expired approval id"), "{reply}");
    let (outcome, _) = h.run("/approve 0000dead", |_, _| {}).await;
    assert_eq!(
        outcome.reply_text().as_deref(),
        Some("Usage: /approve <id> allow-once|allow-always|deny")
    );
}

#[tokio::test]
async fn a_broken_approvals_file_refuses_host_commands_and_is_kept() {
    let fake = FakeLlm::start().await.unwrap();
    let broken = json!({"version": 1, "defaults": {"security": "sometimes"}});
    let mut host = Host::start(
        &fake,
        allowlist_on_miss(),
        Some(broken.clone()),
        Duration::from_secs(60),
    )
    .await;
    fake.push(exec_call("call_1", &host.command("broken")));
    fake.push(Turn::text("Cannot."));
    let (_, events) = host.run("mark it", |_, _| panic!("no request")).await;
    let (is_error, output) = tool_result(&events);
    assert!(is_error);
    assert!(
        output.contains(
            "exec-approvals.json is not a valid exec approvals file: at defaults.security"
        ),
        "{output}"
    );
    assert!(!host.marker("broken").exists());
    assert_eq!(host.approvals_file(), broken, "the file is not rewritten");
}
