//! The figures: each module measures one table of `docs/benchmarks.md` for every target.

pub mod burst;
pub mod connections;
pub mod footprint;
pub mod idle;
pub mod idle_channels;
pub mod irc_latency;
pub mod memory;
pub mod slow_clients;
pub mod startup;
pub mod throughput;
pub mod tool;
pub mod turns;
pub mod ui_load;

use std::time::Duration;

use anyhow::Result;
use rustyclaw_testkit::FakeLlm;

use crate::fake::{self, Reply};
use crate::report::{Figure, Series};
use crate::target::{Kind, Target};

/// How much of everything to do. [`Plan::full`] is the documented run, [`Plan::quick`] a
/// short one, [`Plan::smoke`] the few iterations the test suite runs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `--version`/`--help` runs for rustyclaw and for OpenClaw.
    pub cold_runs: (usize, usize),
    /// Start-to-`hello-ok` runs for rustyclaw and OpenClaw.
    pub ready_runs: (usize, usize),
    /// Idle gateways started (both targets at once) and how long each settles.
    pub idle_runs: usize,
    /// Settle time before the idle RSS reading.
    pub idle_settle: Duration,
    /// Direct messages timed over IRC (one a [`irc_latency::PACE`]).
    pub irc_dms: u64,
    /// Channel messages mentioning the bot timed over IRC.
    pub irc_mentions: u64,
    /// Messages timed to an echo user on the IRC server (the server alone).
    pub irc_echoes: u64,
    /// Turns in the one-session run; the first reading is taken at `turn_checkpoint`.
    pub session_turns: u64,
    /// Turn count of the first RSS reading.
    pub turn_checkpoint: u64,
    /// Turns per session in the 100-session run.
    pub turns_per_session: u64,
    /// Sessions in the many-session run.
    pub sessions: u64,
    /// Repetitions of the message runs for rustyclaw (OpenClaw runs once: minutes each).
    pub message_runs: usize,
    /// Turns with the streamed reply.
    pub streamed_turns: u64,
    /// Throughput: concurrent sessions, and how long to drive them (rustyclaw, OpenClaw).
    pub throughput_sessions: u64,
    /// Throughput measuring window per target.
    pub throughput_window: (Duration, Duration),
    /// Throughput repetitions for rustyclaw.
    pub throughput_runs: usize,
    /// Idle connections held by rustyclaw and OpenClaw.
    pub connections: (usize, usize),
    /// Clients subscribed for the fan-out, and events sent to them.
    pub fanout_clients: usize,
    /// Events in the fan-out run.
    pub fanout_events: usize,
    /// Tool-call turns per configuration.
    pub tool_turns: u64,
    /// Cold loads of the Control UI for rustyclaw and OpenClaw.
    pub ui_loads: (usize, usize),
    /// The slow-client attack: clients that never read, and turns with the large reply.
    pub attack_clients: usize,
    /// Turns of the large reply during the attack.
    pub attack_turns: u64,
    /// How long after the clients left the last RSS reading is taken.
    pub attack_after: Duration,
    /// The burst of large messages: senders, each sending one message of `burst_bytes`.
    pub burst_clients: usize,
    /// Bytes of each message of the burst.
    pub burst_bytes: usize,
    /// How long after the burst the last RSS reading is taken.
    pub burst_after: Duration,
    /// Memory corpora measured, in chunks.
    pub memory_chunks: Vec<usize>,
    /// `memory.search` requests timed per corpus and mode.
    pub memory_searches: usize,
}

impl Plan {
    /// The documented run (15–20 minutes with OpenClaw on 2 cores).
    pub fn full() -> Self {
        Self {
            cold_runs: (50, 5),
            ready_runs: (10, 3),
            idle_runs: 3,
            idle_settle: Duration::from_secs(60),
            irc_dms: 200,
            irc_mentions: 50,
            irc_echoes: 30,
            session_turns: 1000,
            turn_checkpoint: 100,
            turns_per_session: 10,
            sessions: 100,
            message_runs: 3,
            streamed_turns: 100,
            throughput_sessions: 100,
            throughput_window: (Duration::from_secs(10), Duration::from_secs(30)),
            throughput_runs: 3,
            connections: (50_000, 2_000),
            fanout_clients: 1000,
            fanout_events: 100,
            tool_turns: 30,
            ui_loads: (10, 5),
            attack_clients: 500,
            attack_turns: 7,
            attack_after: Duration::from_secs(60),
            burst_clients: 19,
            burst_bytes: 16 << 20,
            burst_after: Duration::from_secs(60),
            memory_chunks: vec![10_000, 100_000],
            memory_searches: 200,
        }
    }

    /// A short run (under 5 minutes with OpenClaw).
    pub fn quick() -> Self {
        Self {
            cold_runs: (10, 2),
            ready_runs: (3, 1),
            idle_runs: 1,
            idle_settle: Duration::from_secs(10),
            irc_dms: 30,
            irc_mentions: 10,
            irc_echoes: 10,
            session_turns: 200,
            turn_checkpoint: 100,
            turns_per_session: 2,
            sessions: 100,
            message_runs: 1,
            streamed_turns: 10,
            throughput_sessions: 100,
            throughput_window: (Duration::from_secs(3), Duration::from_secs(10)),
            throughput_runs: 1,
            connections: (2_000, 200),
            fanout_clients: 200,
            fanout_events: 20,
            tool_turns: 5,
            ui_loads: (3, 2),
            attack_clients: 500,
            attack_turns: 7,
            attack_after: Duration::from_secs(20),
            burst_clients: 19,
            burst_bytes: 16 << 20,
            burst_after: Duration::from_secs(20),
            memory_chunks: vec![10_000],
            memory_searches: 50,
        }
    }

    /// A few iterations of every load generator, for the test suite.
    pub fn smoke() -> Self {
        Self {
            cold_runs: (2, 1),
            ready_runs: (1, 1),
            idle_runs: 1,
            idle_settle: Duration::from_millis(200),
            irc_dms: 2,
            irc_mentions: 1,
            irc_echoes: 2,
            session_turns: 6,
            turn_checkpoint: 3,
            turns_per_session: 1,
            sessions: 4,
            message_runs: 1,
            streamed_turns: 2,
            throughput_sessions: 4,
            throughput_window: (Duration::from_millis(500), Duration::from_secs(2)),
            throughput_runs: 1,
            connections: (50, 10),
            fanout_clients: 10,
            fanout_events: 3,
            tool_turns: 1,
            ui_loads: (1, 1),
            attack_clients: 10,
            attack_turns: 1,
            attack_after: Duration::from_millis(500),
            burst_clients: 2,
            burst_bytes: 1 << 20,
            burst_after: Duration::from_millis(500),
            memory_chunks: vec![300],
            memory_searches: 3,
        }
    }
}

/// Everything a figure needs: the targets, the plan, and the fake models.
pub struct Bench {
    /// Gateways to measure, rustyclaw first.
    pub targets: Vec<Target>,
    /// How much to do.
    pub plan: Plan,
    /// The model that answers at once.
    pub instant: FakeLlm,
    /// The model that streams its reply.
    pub streamed: FakeLlm,
    /// The model that sends a long reply as fast as it can.
    pub large: FakeLlm,
    /// RSS samples collected for the chart.
    pub series: Vec<Series>,
}

impl Bench {
    /// Starts both fake models.
    pub async fn new(targets: Vec<Target>, plan: Plan) -> Result<Self> {
        Ok(Self {
            targets,
            plan,
            instant: fake::start(Reply::Instant).await?,
            streamed: fake::start(Reply::Streamed).await?,
            large: fake::start(Reply::Large).await?,
            series: Vec::new(),
        })
    }

    /// The base URL of a fake model.
    pub fn base_url(&self, reply: Reply) -> String {
        match reply {
            Reply::Instant => self.instant.base_url(),
            Reply::Streamed => self.streamed.base_url(),
            Reply::Large => self.large.base_url(),
        }
    }

    /// The target of `kind`, if measured.
    pub fn target(&self, kind: Kind) -> Option<&Target> {
        self.targets.iter().find(|t| t.kind == kind)
    }

    /// Measures figure `id`.
    pub async fn figure(&mut self, id: &str) -> Result<Figure> {
        match id {
            "size" => footprint::size(self).await,
            "startup" => startup::cold_start(self).await,
            "ready" => startup::ready(self).await,
            "idle" => idle::idle_rss(self).await,
            "idlechannels" => idle_channels::idle_channels(self).await,
            "turns" => turns::turns(self).await,
            "throughput" => throughput::throughput(self).await,
            "connections" => connections::connections(self).await,
            "slowclients" => slow_clients::slow_clients(self).await,
            "burst" => burst::burst(self).await,
            "tool" => tool::tool_call(self).await,
            "irclatency" => irc_latency::irc_latency(self).await,
            "uiload" => ui_load::ui_load(self).await,
            "memory" => memory::memory(self).await,
            other => anyhow::bail!("unknown figure {other:?}; known: {}", FIGURES.join(", ")),
        }
    }
}

/// Every figure, in report order.
pub const FIGURES: &[&str] = &[
    "size",
    "startup",
    "ready",
    "idle",
    "idlechannels",
    "turns",
    "throughput",
    "connections",
    "slowclients",
    "burst",
    "tool",
    "irclatency",
    "uiload",
    "memory",
];

/// Bytes to megabytes (10^6, as `ls -l --si` and the targets count).
pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// A duration in milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Writes a progress line to stderr.
pub fn progress(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "[bench] {line}");
}
