//! A runtime wired to a temp state dir, a real store and a fake LLM.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustyclaw_agent::{
    AgentRuntime, ChannelId, Event, EventKind, Inbound, MessageOrigin, Models, Op, RunId,
    RunOutcome, RuntimeParts,
};
use rustyclaw_config::{Env, LocationOverrides, Locations};
use rustyclaw_protocol::{AgentId, SessionKey, TranscriptLine};
use rustyclaw_providers::{Client, ClientOptions, ModelCatalog, RetryPolicy};
use rustyclaw_store::Store;
use rustyclaw_testkit::fake_llm::FakeLlm;
use rustyclaw_tools::{Messenger, ToolRegistry};
use serde_json::Value;
use tokio::sync::broadcast;

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub runtime: AgentRuntime,
    pub store: Store,
    pub events: broadcast::Receiver<Event>,
    /// Events received while waiting for another run.
    backlog: Vec<Event>,
}

pub fn workspace_of(dir: &Path) -> PathBuf {
    dir.join("workspace")
}

/// A config using `fake` as provider `fake` with model `fake-model`, merged with `extra`
/// (deep-merged; `providers` is replaced whole).
pub fn config_text(fake: &FakeLlm, workspace: &Path, extra: Value) -> String {
    let mut config = serde_json::json!({
        "models": {
            "mode": "replace",
            "providers": {
                "fake": {
                    "baseUrl": fake.base_url(),
                    "api": "openai-completions",
                    "apiKey": "sk-fake-test-key-0000",
                    "models": [{"id": "fake-model", "contextWindow": 32000, "maxTokens": 4096}]
                }
            }
        },
        "agents": {"defaults": {
            "workspace": workspace.display().to_string(),
            "model": {"primary": "fake/fake-model"}
        }},
        "messages": {"queue": {"debounceMs": 0}}
    });
    merge(&mut config, extra);
    config.to_string()
}

/// Deep-merges `extra` into `base` (objects merge, everything else replaces).
fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(base), Value::Object(extra)) => {
            for (k, v) in extra {
                match base.get_mut(&k) {
                    Some(slot) if k != "providers" => merge(slot, v),
                    _ => {
                        base.insert(k, v);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

impl Harness {
    pub async fn start(fake: &FakeLlm) -> Self {
        Self::start_with(fake, serde_json::json!({})).await
    }

    pub async fn start_with(fake: &FakeLlm, extra: Value) -> Self {
        Self::start_with_tools(fake, extra, |_| {}).await
    }

    /// Like [`Harness::start_with`], with `add_tools` registering tools beside the built-in ones
    /// (the way tools learnt at run time, an MCP server's, reach the runtime).
    pub async fn start_with_tools(
        fake: &FakeLlm,
        extra: Value,
        add_tools: impl FnOnce(&mut ToolRegistry),
    ) -> Self {
        let dir = Self::state_dir(fake, extra);
        Self::build(dir, add_tools, None).await
    }

    /// Like [`Harness::start_with`], with chat channels reached through `messenger` (the way
    /// the host hands its channels to the tools).
    pub async fn start_with_messenger(
        fake: &FakeLlm,
        extra: Value,
        messenger: Arc<dyn Messenger>,
    ) -> Self {
        let dir = Self::state_dir(fake, extra);
        Self::build(dir, |_| {}, Some(messenger)).await
    }

    fn state_dir(fake: &FakeLlm, extra: Value) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let workspace = workspace_of(dir.path());
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::write(workspace.join("AGENTS.md"), "# AGENTS.md\nBe brief.\n").unwrap();
        std::fs::write(
            dir.path().join("openclaw.json"),
            config_text(fake, &workspace, extra),
        )
        .unwrap();
        dir
    }

    /// A second runtime over the same state dir and database (a restart).
    pub async fn reopen(self) -> Self {
        let Harness { dir, .. } = self;
        Self::build(dir, |_| {}, None).await
    }

    async fn build(
        dir: tempfile::TempDir,
        add_tools: impl FnOnce(&mut ToolRegistry),
        messenger: Option<Arc<dyn Messenger>>,
    ) -> Self {
        let config_path = dir.path().join("openclaw.json");
        let env = Env::from_pairs([("HOME", dir.path().display().to_string())]);
        let locations = Locations::resolve(
            &LocationOverrides {
                state_dir: Some(dir.path().to_path_buf()),
                config: Some(config_path),
            },
            &env,
        )
        .unwrap();
        let loaded = rustyclaw_config::load(&locations, &env).unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let config = loaded.config;
        let store = Store::open(dir.path().join("state.sqlite")).await.unwrap();
        let client = Client::new(ClientOptions {
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(10),
        })
        .unwrap();
        let retry = RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(2),
        };
        let mut models =
            Models::with_parts(ModelCatalog::from_config(&config, &env), client, retry);
        models.attach_store(store.clone()).await;
        // No sandbox helper in this test binary: bubblewrap (where present) is the only layer.
        let sandbox = Arc::new(rustyclaw_sandbox::Sandbox::new(
            rustyclaw_sandbox::SandboxSetup::for_host(
                None,
                dir.path().to_path_buf(),
                Some(std::ffi::OsStr::new(rustyclaw_sandbox::exec::DEFAULT_PATH)),
            ),
        ));
        let mut tool_services = rustyclaw_tools::ToolServices::new(&config.tools, sandbox).unwrap();
        if let Some(messenger) = messenger {
            tool_services = tool_services.with_messenger(messenger);
        }
        let tool_services = Arc::new(tool_services);
        let mut tools = rustyclaw_tools::builtin_registry(&config.tools);
        add_tools(&mut tools);
        let runtime = AgentRuntime::new(RuntimeParts {
            config: Arc::new(config),
            store: store.clone(),
            models,
            tools,
            tool_services,
            host_name: "testhost".into(),
            // Skills come from the harness's state dir (`skills/`) and workspace only.
            skills: Some(rustyclaw_skills::SkillsHost {
                env: Env::from_pairs([
                    ("HOME", dir.path().display().to_string()),
                    ("PATH", "/usr/bin:/bin".to_owned()),
                ]),
                state_dir: dir.path().to_path_buf(),
                default_state: false,
                exe_dir: None,
            }),
        });
        let events = runtime.subscribe();
        Self {
            dir,
            runtime,
            store,
            events,
            backlog: Vec::new(),
        }
    }

    pub fn workspace(&self) -> PathBuf {
        workspace_of(self.dir.path())
    }

    pub fn main_key() -> SessionKey {
        SessionKey::parse("agent:main:main").unwrap()
    }

    pub fn inbound(key: &SessionKey, text: &str) -> Inbound {
        Inbound {
            session_key: key.clone(),
            agent_id: AgentId::main(),
            text: text.into(),
            attachments: Vec::new(),
            run_id: RunId::random(),
            thinking: None,
            queue_mode: None,
            origin: MessageOrigin::from_channel(ChannelId::new("test")),
            session_id: None,
        }
    }

    /// Submits a message to the main session and waits for its outcome.
    pub async fn send(&mut self, text: &str) -> (RunOutcome, Vec<EventKind>) {
        let inbound = Self::inbound(&Self::main_key(), text);
        let run_id = inbound.run_id.clone();
        self.runtime.submit(Op::Message(inbound)).unwrap();
        self.wait(&run_id).await
    }

    /// Collects the events of `run_id` until it finishes.
    pub async fn wait(&mut self, run_id: &RunId) -> (RunOutcome, Vec<EventKind>) {
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let (mine, others): (Vec<Event>, Vec<Event>) = std::mem::take(&mut self.backlog)
            .into_iter()
            .partition(|e| &e.run_id == run_id);
        self.backlog = others;
        let mut mine = mine.into_iter();
        loop {
            let event = match mine.next() {
                Some(event) => event,
                None => tokio::time::timeout_at(deadline, self.events.recv())
                    .await
                    .expect("run did not finish in 30 s")
                    .expect("event channel closed"),
            };
            if &event.run_id != run_id {
                self.backlog.push(event);
                continue;
            }
            match event.kind {
                EventKind::Finished(outcome) => return (*outcome, seen),
                other => seen.push(other),
            }
        }
    }

    /// The stored transcript of the main session.
    pub async fn transcript(&self) -> Vec<TranscriptLine> {
        let entry = self
            .store
            .get_session(&Self::main_key())
            .await
            .unwrap()
            .expect("main session stored");
        self.store
            .transcript(&entry.session_id, 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.line)
            .collect()
    }

    /// Message roles in the stored transcript, in order.
    pub async fn roles(&self) -> Vec<String> {
        self.transcript()
            .await
            .iter()
            .filter_map(|l| match l {
                TranscriptLine::Entry(e) => match &e.body {
                    rustyclaw_protocol::transcript::EntryBody::Message(m) => {
                        Some(m.message.role().to_owned())
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }
}

/// A tool of an MCP server named `notes`, as an MCP client would register it at run time: its
/// name and schema are data, and what it returns is the server's text, from outside.
pub struct NotesTool {
    /// The tool's name (`notes__search`).
    pub name: String,
    /// The server's answer to a query.
    pub answer: fn(&str) -> String,
    /// Calls so far.
    pub calls: std::sync::atomic::AtomicUsize,
}

impl NotesTool {
    pub fn new(name: &str, answer: fn(&str) -> String) -> Arc<Self> {
        Arc::new(NotesTool {
            name: name.to_owned(),
            answer,
            calls: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    pub fn calls(&self) -> usize {
        self.calls.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Registers `tool` as an MCP server's tool.
    pub fn register(tool: &Arc<Self>, registry: &mut ToolRegistry) {
        registry
            .register_dyn(
                rustyclaw_tools::policy::MCP_PLUGIN_ID,
                Arc::clone(tool) as Arc<dyn rustyclaw_tools::DynTool>,
                rustyclaw_tools::Shadowing::Refuse,
            )
            .unwrap();
    }
}

impl rustyclaw_tools::DynTool for NotesTool {
    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> String {
        "Search the user's notes server.".to_owned()
    }

    fn parameters(&self) -> Value {
        serde_json::json!({
            "type": "object",
            "properties": { "query": { "type": "string", "description": "What to look for." } },
            "required": ["query"]
        })
    }

    fn call_json<'a>(
        &'a self,
        args: Value,
        _cx: &'a rustyclaw_tools::ToolContext,
    ) -> rustyclaw_tools::ToolFuture<'a> {
        Box::pin(async move {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let query = args.get("query").and_then(Value::as_str).unwrap_or("");
            Ok(
                rustyclaw_tools::ToolOutput::text((self.answer)(query)).untrusted(
                    rustyclaw_tools::ExternalSource::Mcp {
                        server: "notes".to_owned(),
                    },
                ),
            )
        })
    }
}
