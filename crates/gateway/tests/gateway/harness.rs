//! A gateway on a loopback port over a temp state dir, the fake LLM, and a small WS client.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustyclaw_agent::{AgentRuntime, Models, RuntimeParts};
use rustyclaw_config::{Env, LocationOverrides, Locations};
use rustyclaw_gateway::{GatewayError, GatewayOptions, GatewayState};
use rustyclaw_providers::{Client as HttpClient, ClientOptions, ModelCatalog, RetryPolicy};
use rustyclaw_store::Store;
use rustyclaw_testkit::fake_llm::FakeLlm;
use rustyclaw_testkit::protocol_schema::ProtocolSchema;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const TOKEN: &str = "test-gateway-token";

pub struct Gateway {
    pub _dir: tempfile::TempDir,
    pub fake: FakeLlm,
    pub state: GatewayState,
    pub runtime: Arc<AgentRuntime>,
    /// The gateway's database (audit log, sessions).
    pub store: Store,
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), GatewayError>>>,
}

impl Gateway {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tune: impl FnOnce(&mut GatewayOptions)) -> Self {
        Self::start_configured(json!({}), tune).await
    }

    /// [`Self::start_with`] with the keys of `gateway` replacing those of the default `gateway`
    /// config section (e.g. a whole `auth` or `http` object).
    pub async fn start_configured(gateway: Value, tune: impl FnOnce(&mut GatewayOptions)) -> Self {
        Self::start_with_tools(gateway, tune, |_| {}).await
    }

    /// [`Self::start_configured`] with `add_tools` registering run-time tools (as an MCP
    /// client will) beside the built-in ones.
    pub async fn start_with_tools(
        gateway: Value,
        tune: impl FnOnce(&mut GatewayOptions),
        add_tools: impl FnOnce(&mut rustyclaw_tools::ToolRegistry),
    ) -> Self {
        let fake = FakeLlm::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("workspace");
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::write(workspace.join("AGENTS.md"), "# AGENTS.md\nBe brief.\n").unwrap();
        let mut config = json!({
            "gateway": {"auth": {"mode": "token", "token": TOKEN}},
            "models": {"mode": "replace", "providers": {"fake": {
                "baseUrl": fake.base_url(),
                "api": "openai-completions",
                "apiKey": "sk-fake-test-key-0000",
                "models": [{"id": "fake-model", "contextWindow": 32000, "maxTokens": 4096}]
            }}},
            "agents": {"defaults": {
                "workspace": workspace.display().to_string(),
                "model": {"primary": "fake/fake-model"}
            }},
            "messages": {"queue": {"debounceMs": 0}}
        });
        if let (Some(section), Value::Object(extra)) = (config["gateway"].as_object_mut(), gateway)
        {
            section.extend(extra);
        }
        let config_path = dir.path().join("openclaw.json");
        std::fs::write(&config_path, config.to_string()).unwrap();
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
        let client = HttpClient::new(ClientOptions {
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(10),
        })
        .unwrap();
        let retry = RetryPolicy {
            max_retries: 0,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(1),
        };
        let mut models =
            Models::with_parts(ModelCatalog::from_config(&config, &env), client, retry);
        models.attach_store(store.clone()).await;
        let sandbox = Arc::new(rustyclaw_sandbox::Sandbox::new(
            rustyclaw_sandbox::SandboxSetup::for_host(
                None,
                dir.path().to_path_buf(),
                Some(std::ffi::OsStr::new(rustyclaw_sandbox::exec::DEFAULT_PATH)),
            ),
        ));
        let tool_services =
            Arc::new(rustyclaw_tools::ToolServices::new(&config.tools, sandbox).unwrap());
        let mut tools = rustyclaw_tools::builtin_registry(&config.tools);
        add_tools(&mut tools);
        let config = Arc::new(config);
        let runtime = Arc::new(AgentRuntime::new(RuntimeParts {
            config: config.clone(),
            store: store.clone(),
            models,
            tools,
            tool_services,
            host_name: "testhost".into(),
            skills: None,
        }));
        let mut options = GatewayOptions {
            state_dir: Some(dir.path().display().to_string()),
            config_path: Some(dir.path().join("openclaw.json").display().to_string()),
            skills: Some(rustyclaw_skills::SkillsHost {
                env: Env::from_pairs([
                    ("HOME", dir.path().display().to_string()),
                    ("PATH", "/usr/bin:/bin".to_owned()),
                ]),
                state_dir: dir.path().to_path_buf(),
                default_state: false,
                exe_dir: None,
            }),
            memory: Some(Arc::new(rustyclaw_memory::MemoryService::new(
                dir.path(),
                Env::from_pairs([("HOME", dir.path().display().to_string())]),
                HttpClient::new(ClientOptions {
                    connect_timeout: Duration::from_secs(5),
                    idle_timeout: Duration::from_secs(10),
                })
                .unwrap(),
                config.clone(),
            ))),
            ..GatewayOptions::default()
        };
        tune(&mut options);
        let state = GatewayState::new(config, runtime.clone(), store.clone(), options);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(rustyclaw_gateway::serve(
            listener,
            state.clone(),
            async move {
                let _ = stopped.await;
            },
        ));
        Self {
            _dir: dir,
            fake,
            state,
            runtime,
            store,
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Stops the server and returns how long `serve` took to return.
    pub async fn stop(&mut self) -> Duration {
        let started = std::time::Instant::now();
        if let Some(stop) = self.stop.take() {
            stop.send(()).unwrap();
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        }
        started.elapsed()
    }
}

/// The connect params the official CLI sends (captured), with `token`.
pub fn connect_params(token: &str, scopes: &[&str]) -> Value {
    json!({
        "minProtocol": 4, "maxProtocol": 4,
        "client": {"id": "cli", "version": "test", "platform": "linux", "mode": "cli",
                   "instanceId": "3b0c7a4e-0000-4000-8000-000000000001"},
        "caps": [], "role": "operator", "scopes": scopes, "auth": {"token": token}
    })
}

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub challenge: Value,
    /// Events received while waiting for responses.
    pub events: Vec<Value>,
    next_id: u64,
    /// The method of every request sent, by id, so responses validate against its result.
    methods: HashMap<String, String>,
}

/// Upstream's protocol schema, loaded once per test binary.
fn schema() -> &'static ProtocolSchema {
    static SCHEMA: OnceLock<ProtocolSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        ProtocolSchema::from_env().unwrap_or_else(|error| {
            panic!(
                "every frame the gateway sends is validated against upstream's schema: {error}. \
                 Run scripts/conformance-deps.sh and `source ~/.cache/rustyclaw-conformance/env`"
            )
        })
    })
}

/// Fields OpenClaw 2026.9.6 really sends (see the captures in
/// `shared/conformance/openclaw-2026.9.6/`) that the published 2026.9.1 schema does not list
/// yet, as (which frames: the event, the response's `payload.type` or else its method; JSON
/// pointer of the parent object; field). They are removed from a
/// copy of the frame before validation; nothing else is tolerated.
const NEWER_FIELDS: &[(&str, &str, &str)] = &[
    // hello-ok.json: `auth.method` says how the client authenticated ("token").
    ("hello-ok", "/payload/auth", "method"),
    // cli-via-proxy.jsonl: every `agent` event names its session and agent; the TUI and
    // `openclaw agent` route events by `sessionKey`.
    ("agent", "/payload", "sessionKey"),
    ("agent", "/payload", "agentId"),
    ("agent", "/payload", "sessionId"),
    // OpenClaw 2026.9.6's `ChannelsStatusResultSchema` (dist/channels-*.mjs) adds
    // `statusIssues`, which the CLI prints instead of judging the accounts itself.
    ("channels.status", "/payload", "statusIssues"),
    // `openclaw health --json` against OpenClaw 2026.9.6 (the differential run in
    // bench/src/differential): the health snapshot reports `modelRuntime`.
    ("hello-ok", "/payload/snapshot/health", "modelRuntime"),
    ("health", "/payload", "modelRuntime"),
    // 2026.9.6 documents a content hash on agent files (docs/gateway/protocol); the 2026.9.1
    // schema predates it.
    ("agents.files.get", "/payload/file", "hash"),
    ("agents.files.set", "/payload/file", "hash"),
];

/// Panics unless `frame` (a response to `method` when known) validates against the schema.
fn validate(frame: &Value, method: Option<&str>) {
    let kind = if frame["type"] == "res" {
        frame
            .pointer("/payload/type")
            .and_then(Value::as_str)
            .or(method)
    } else {
        frame["event"].as_str()
    };
    let mut checked = frame.clone();
    for (which, parent, field) in NEWER_FIELDS {
        if kind == Some(*which)
            && let Some(Value::Object(parent)) = checked.pointer_mut(parent)
        {
            parent.remove(*field);
        }
    }
    let frame = &checked;
    let result = match method {
        Some(method) => schema().validate_response(method, frame),
        None => schema().validate_frame(frame),
    };
    if let Err(errors) = result {
        panic!(
            "the gateway sent a frame upstream's schema rejects:\n{frame:#}\nerrors:\n{}",
            errors.join("\n")
        );
    }
}

/// What a read produced.
#[derive(Debug, PartialEq)]
pub enum Read {
    Frame(Value),
    Closed(u16, String),
    /// The connection ended without a close frame (or with an error).
    Gone,
}

impl Client {
    /// Opens a socket and reads the challenge.
    pub async fn open(gateway: &Gateway) -> Self {
        Self::open_with(gateway, &[]).await
    }

    /// [`Self::open`] with extra request headers (e.g. `X-Forwarded-For`).
    pub async fn open_with(gateway: &Gateway, headers: &[(&'static str, &str)]) -> Self {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = gateway.url().into_client_request().unwrap();
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.parse().unwrap());
        }
        let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let mut client = Self {
            ws,
            challenge: Value::Null,
            events: Vec::new(),
            next_id: 0,
            methods: HashMap::new(),
        };
        let Read::Frame(challenge) = client.read().await else {
            panic!("no challenge")
        };
        assert_eq!(challenge["event"], "connect.challenge");
        client.challenge = challenge;
        client
    }

    /// Opens a socket and completes the handshake with the admin scope; returns the hello-ok.
    pub async fn connect(gateway: &Gateway) -> (Self, Value) {
        let mut client = Self::open(gateway).await;
        let response = client
            .request("connect", connect_params(TOKEN, &["operator.admin"]))
            .await;
        assert_eq!(response["ok"], true, "{response}");
        (client, response["payload"].clone())
    }

    pub async fn send(&mut self, frame: Value) {
        if frame["type"] == "req"
            && let (Some(id), Some(method)) = (frame["id"].as_str(), frame["method"].as_str())
        {
            self.methods.insert(id.to_owned(), method.to_owned());
        }
        self.send_text(frame.to_string()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    pub async fn read(&mut self) -> Read {
        self.read_checked(true).await
    }

    /// [`Self::read`] without validating the frame against the schema (for floods of large
    /// frames, where validation would dominate the test's time).
    pub async fn read_unchecked(&mut self) -> Read {
        self.read_checked(false).await
    }

    async fn read_checked(&mut self, check: bool) -> Read {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(20), self.ws.next())
                .await
                .expect("no frame within 20 s");
            return match next {
                Some(Ok(Message::Text(text))) => {
                    let frame: Value = serde_json::from_str(&text).unwrap();
                    let method = (frame["type"] == "res")
                        .then(|| frame["id"].as_str().and_then(|id| self.methods.get(id)))
                        .flatten();
                    if check {
                        validate(&frame, method.map(String::as_str));
                    }
                    Read::Frame(frame)
                }
                Some(Ok(Message::Close(Some(frame)))) => {
                    Read::Closed(u16::from(frame.code), frame.reason.to_string())
                }
                Some(Ok(Message::Close(None))) => Read::Closed(1005, String::new()),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => Read::Gone,
            };
        }
    }

    /// What arrives until `done` holds for a frame, labelled: `ping` for a WebSocket ping, else
    /// the response's id or the event's name (with its `stream` or `state`), each with the
    /// wall-clock milliseconds at which it was read and the frame (null for a ping). After a ping the client sleeps `pause`
    /// before reading on: its library sends the pong only on that next read. Frames are
    /// validated as `read` does.
    pub async fn arrivals_until(
        &mut self,
        pause: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Vec<(String, u64, Value)> {
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64
        };
        let mut seen = Vec::new();
        loop {
            let next = tokio::time::timeout(Duration::from_secs(20), self.ws.next())
                .await
                .expect("no frame within 20 s");
            let text = match next {
                Some(Ok(Message::Ping(_))) => {
                    seen.push(("ping".to_owned(), now(), Value::Null));
                    tokio::time::sleep(pause).await;
                    continue;
                }
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(_)) => continue,
                other => panic!("the connection ended: {other:?}"),
            };
            let frame: Value = serde_json::from_str(&text).unwrap();
            let method = (frame["type"] == "res")
                .then(|| frame["id"].as_str().and_then(|id| self.methods.get(id)))
                .flatten();
            validate(&frame, method.map(String::as_str));
            let payload = &frame["payload"];
            let label = match (
                frame["type"].as_str(),
                payload["stream"].as_str().or(payload["state"].as_str()),
            ) {
                (Some("res"), _) => format!("res {}", frame["id"].as_str().unwrap_or("")),
                (_, Some(detail)) => format!("{} {detail}", frame["event"].as_str().unwrap_or("")),
                (_, None) => frame["event"].as_str().unwrap_or("").to_owned(),
            };
            let finished = done(&frame);
            seen.push((label, now(), frame));
            if finished {
                return seen;
            }
        }
    }

    /// Sends a request and returns its (first) response, keeping events seen meanwhile.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = format!("r{}", self.next_id);
        self.send(json!({"type": "req", "id": id, "method": method, "params": params}))
            .await;
        self.response(&id).await
    }

    /// The next response with `id`.
    pub async fn response(&mut self, id: &str) -> Value {
        loop {
            match self.read().await {
                Read::Frame(frame) if frame["type"] == "res" && frame["id"] == id => return frame,
                Read::Frame(frame) if frame["type"] == "event" => self.events.push(frame),
                other => panic!("unexpected {other:?} while waiting for {id}"),
            }
        }
    }

    /// Reads events until one satisfies `done`, returning all read (and earlier buffered ones).
    pub async fn events_until(&mut self, done: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut seen = std::mem::take(&mut self.events);
        if seen.iter().any(&done) {
            return seen;
        }
        loop {
            match self.read().await {
                Read::Frame(frame) => {
                    let stop = frame["type"] == "event" && done(&frame);
                    seen.push(frame);
                    if stop {
                        return seen;
                    }
                }
                other => panic!("connection ended: {other:?}"),
            }
        }
    }
}

/// Lines of a captured conformance file.
pub fn conformance(name: &str) -> Vec<Value> {
    let path = format!(
        "{}/../../../shared/conformance/openclaw-2026.9.6/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The captured exchange of one handshake-error case: (the c2s frame, the s2c response if any,
/// the close code and reason).
pub fn captured_case(tag: &str) -> (Value, Option<Value>, (u16, String)) {
    let lines: Vec<Value> = conformance("handshake-errors.jsonl")
        .into_iter()
        .filter(|l| l["tag"] == tag)
        .collect();
    let sent = lines.iter().find(|l| l["dir"] == "c2s").unwrap()["frame"].clone();
    let response = lines
        .iter()
        .find(|l| l["dir"] == "s2c" && l["frame"]["type"] == "res")
        .map(|l| l["frame"].clone());
    let close = lines
        .iter()
        .find(|l| l["frame"]["event"] == "closed")
        .unwrap()["frame"]
        .clone();
    let close = (
        close["code"].as_u64().unwrap() as u16,
        close["reason"].as_str().unwrap().to_owned(),
    );
    (sent, response, close)
}
