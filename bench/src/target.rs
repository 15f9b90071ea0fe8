//! The two gateways under test and how each is started: in a fresh temporary home with its
//! own state directory, a config that points its model at the fake LLM, token auth, loopback.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::channels::Channels;
use crate::client::{Client, Endpoint};
use crate::process::{Launch, Running};

/// The fake provider's API key (any value works; it only has to be sent).
const FAKE_API_KEY: &str = "sk-bench-fake-key";

/// Which implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// This project's binary.
    RustyClaw,
    /// The official OpenClaw, run by Node.
    OpenClaw,
}

impl Kind {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::RustyClaw => "rustyclaw",
            Self::OpenClaw => "OpenClaw",
        }
    }
}

/// An installed gateway to measure.
#[derive(Debug, Clone)]
pub struct Target {
    /// Which one.
    pub kind: Kind,
    /// The program to run: the `rustyclaw` binary, or `node`.
    pub program: PathBuf,
    /// OpenClaw's entry script (`openclaw.mjs`), passed to `node`.
    pub script: Option<PathBuf>,
}

/// How a gateway is configured for one benchmark.
#[derive(Debug, Clone, Default)]
pub struct GatewayOptions {
    /// Run `exec` on the host instead of in rustyclaw's sandbox (OpenClaw's default has no
    /// sandbox, so this only changes rustyclaw).
    pub no_sandbox: bool,
    /// Chat channels to connect (rustyclaw only).
    pub channels: Channels,
    /// Give rustyclaw the very config OpenClaw gets (the one OpenClaw's onboarding writes), so
    /// a comparison of the two has nothing but the implementation to tell them apart.
    pub upstream_config: bool,
    /// The `memory` section of rustyclaw's config (the memory figure's provider).
    pub memory: Option<Value>,
}

impl Target {
    /// rustyclaw from `binary`.
    pub fn rustyclaw(binary: impl Into<PathBuf>) -> Self {
        Self {
            kind: Kind::RustyClaw,
            program: binary.into(),
            script: None,
        }
    }

    /// OpenClaw: `node` running `script`.
    pub fn openclaw(node: impl Into<PathBuf>, script: impl Into<PathBuf>) -> Self {
        Self {
            kind: Kind::OpenClaw,
            program: node.into(),
            script: Some(script.into()),
        }
    }

    /// The CLI invoked with `args` in `home` (a fresh one per gateway; any dir for `--version`).
    pub fn cli(&self, home: &Path, args: &[&str]) -> Launch {
        let state = home.join(".openclaw");
        let mut launch = Launch::new(&self.program, home)
            .env("HOME", home)
            .env("OPENCLAW_STATE_DIR", &state)
            .env("OPENCLAW_CONFIG_PATH", state.join("openclaw.json"))
            // Offline and quiet: no update check, no mDNS, no colours in the logs.
            .env("OPENCLAW_NO_AUTO_UPDATE", "1")
            .env("OPENCLAW_DISABLE_BONJOUR", "1")
            .env("NO_COLOR", "1")
            .env("TMPDIR", shared_tmp(self.kind));
        // Log filter directives for looking into a run (rustyclaw's own variable).
        if let Some(filter) = std::env::var_os("RUSTYCLAW_LOG") {
            launch = launch.env("RUSTYCLAW_LOG", filter);
        }
        if let Some(script) = &self.script {
            launch = launch.args([script.as_os_str()]);
        }
        launch.args(args.iter().copied())
    }

    /// Starts the gateway in a fresh temporary home, its model at `fake_base_url`; returns
    /// once the process runs (not once it is ready: see [`Gateway::wait_ready`]).
    pub fn start(&self, fake_base_url: &str, options: GatewayOptions) -> Result<Gateway> {
        let home = self.new_home()?;
        self.start_in(home, fake_base_url, options)
    }

    /// A fresh temporary home (kept with `BENCH_KEEP_HOMES`), for a figure that prepares it
    /// before [`Target::start_in`].
    pub fn new_home(&self) -> Result<tempfile::TempDir> {
        let mut home = tempfile::Builder::new()
            .prefix(&format!("bench-{}-", self.kind.name().to_lowercase()))
            .tempdir()
            .context("creating a temporary home")?;
        // For looking into a run afterwards: logs, transcripts, state.
        if std::env::var_os("BENCH_KEEP_HOMES").is_some() {
            home.disable_cleanup(true);
        }
        Ok(home)
    }

    /// The config file of `home` written for `options` (what [`Target::start_in`] writes), for
    /// a figure that runs a command there before the gateway.
    pub fn write_config(
        &self,
        home: &Path,
        fake_base_url: &str,
        options: &GatewayOptions,
    ) -> Result<(u16, String)> {
        let state = home.join(".openclaw");
        let workspace = state.join("workspace");
        for dir in [&workspace, &shared_tmp(self.kind)] {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let port = free_port()?;
        let token = uuid::Uuid::new_v4().simple().to_string();
        let config = match self.kind {
            Kind::RustyClaw if options.upstream_config => {
                openclaw_config(port, &token, fake_base_url, &workspace, &state)
            }
            Kind::RustyClaw => rustyclaw_config(port, &token, fake_base_url, &workspace, options),
            Kind::OpenClaw => openclaw_config(port, &token, fake_base_url, &workspace, &state),
        };
        let config_path = state.join("openclaw.json");
        std::fs::write(&config_path, serde_json::to_vec_pretty(&config)?)
            .with_context(|| format!("writing {}", config_path.display()))?;
        Ok((port, token))
    }

    /// Starts the gateway in `home` (see [`Target::start`]).
    pub fn start_in(
        &self,
        home: tempfile::TempDir,
        fake_base_url: &str,
        options: GatewayOptions,
    ) -> Result<Gateway> {
        if self.kind == Kind::OpenClaw && !options.channels.is_empty() {
            bail!("chat channels are only benchmarked on rustyclaw");
        }
        let (port, token) = self.write_config(home.path(), fake_base_url, &options)?;
        let port_arg = port.to_string();
        let launch = self.cli(
            home.path(),
            &["gateway", "run", "--port", &port_arg, "--bind", "loopback"],
        );
        let started = Instant::now();
        let running = launch.spawn(&home.path().join("gateway.log"))?;
        Ok(Gateway {
            kind: self.kind,
            running,
            endpoint: Endpoint {
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                token,
            },
            started,
            _home: home,
        })
    }
}

/// A running gateway and the temporary home it lives in (deleted when dropped).
#[derive(Debug)]
pub struct Gateway {
    /// Which implementation.
    pub kind: Kind,
    /// The process.
    pub running: Running,
    /// Where to connect.
    pub endpoint: Endpoint,
    /// When the process was started.
    pub started: Instant,
    _home: tempfile::TempDir,
}

impl Gateway {
    /// Polls with real handshakes until one gets `hello-ok`; returns the time from process
    /// start to that `hello-ok`.
    pub async fn wait_ready(&mut self, limit: Duration) -> Result<Duration> {
        loop {
            if let Ok(client) = Client::connect(&self.endpoint, None).await {
                let ready = self.started.elapsed();
                client.close().await;
                return Ok(ready);
            }
            if self.running.exited() {
                bail!(
                    "{} gateway exited before it was ready:\n{}",
                    self.kind.name(),
                    self.running.log_tail(30)
                );
            }
            if self.started.elapsed() > limit {
                bail!(
                    "{} gateway was not ready after {limit:?}:\n{}",
                    self.kind.name(),
                    self.running.log_tail(30)
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// The temporary home it runs in (its state directory is `<home>/.openclaw`).
    pub fn home(&self) -> &Path {
        self._home.path()
    }

    /// Resident memory of the gateway and every process it started, in bytes.
    pub fn rss(&self) -> Result<u64> {
        self.running.tree_rss()
    }

    /// The anonymous part of [`Self::rss`] (heap, stacks; not code mapped from files).
    pub fn anon(&self) -> Result<u64> {
        self.running.tree_anon()
    }

    /// Stops it (SIGTERM, then SIGKILL after 15 s) and removes its home.
    pub async fn stop(self) {
        self.running.stop(Duration::from_secs(15)).await;
    }
}

/// The temporary directory a gateway gets (`TMPDIR`), kept across runs: Node keeps its
/// compile cache there, which a user's second start finds warm, so only the first start of a
/// benchmark run pays for it, as the page cache is warm for both gateways after the first.
fn shared_tmp(kind: Kind) -> PathBuf {
    std::env::temp_dir().join(format!(
        "rustyclaw-bench-tmp-{}",
        kind.name().to_lowercase()
    ))
}

/// A loopback port that was free a moment ago.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .context("finding a free loopback port")?;
    Ok(listener.local_addr()?.port())
}

fn rustyclaw_config(
    port: u16,
    token: &str,
    base_url: &str,
    workspace: &Path,
    options: &GatewayOptions,
) -> Value {
    let sandbox = if options.no_sandbox { "off" } else { "all" };
    let mut config = json!({
        "gateway": {"port": port, "bind": "loopback", "auth": {"mode": "token", "token": token}},
        "models": {"providers": {"fake": {
            "baseUrl": base_url, "api": "openai-completions", "apiKey": FAKE_API_KEY,
            "models": [{"id": "fake-model", "contextWindow": 128000, "maxTokens": 4096}]
        }}},
        "agents": {"defaults": {
            "workspace": workspace,
            "model": {"primary": "fake/fake-model"},
            "sandbox": {"mode": sandbox}
        }}
    });
    if let Some(channels) = options.channels.config() {
        config["channels"] = channels;
    }
    if let Some(memory) = &options.memory {
        config["memory"] = memory.clone();
    }
    config
}

/// The config OpenClaw's own onboarding writes for a custom OpenAI-compatible provider
/// (captured from 2026.9.6), with the keys that keep it offline.
fn openclaw_config(
    port: u16,
    token: &str,
    base_url: &str,
    workspace: &Path,
    state: &Path,
) -> Value {
    json!({
        "agents": {"defaults": {
            "workspace": workspace,
            "model": {"primary": "fake/fake-model"},
            "models": {"fake/fake-model": {}}
        }},
        "gateway": {"mode": "local", "port": port, "bind": "loopback",
                    "auth": {"mode": "token", "token": token}, "tailscale": {"mode": "off"}},
        "tools": {"profile": "full"},
        "models": {"mode": "merge", "providers": {"fake": {
            "baseUrl": base_url, "api": "openai-completions", "apiKey": FAKE_API_KEY,
            "models": [{"id": "fake-model", "name": "fake-model", "contextWindow": 128000,
                        "maxTokens": 4096, "input": ["text"], "reasoning": false,
                        "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0}}]
        }}, "catalogRefresh": {"enabled": false}},
        // Its log file defaults to /tmp/openclaw/, shared by every gateway on the machine.
        "logging": {"file": state.join("logs/openclaw.log")},
        "update": {"checkOnStart": false},
        "discovery": {"mdns": {"mode": "off"}}
    })
}
