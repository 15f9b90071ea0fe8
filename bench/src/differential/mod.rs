//! Differential conformance: the official `openclaw` CLI runs the same commands against the
//! real OpenClaw gateway and against `rustyclaw gateway run`, both configured alike and
//! answering with the same fake model, and the outputs are compared after masking what
//! differs on every run ([`normalize`]). The result is a table (command → same / differs, how /
//! not yet, which issue) kept in `docs/protocol.md`.
//!
//! Each command runs as a person on the gateway's machine would run it: with the gateway's own
//! state directory, so the CLI finds the port and token in its config — and so commands that
//! read OpenClaw's local files instead of asking the gateway show that difference too.

pub mod normalize;
pub mod table;
pub mod tui;

use std::time::Duration;

use anyhow::Result;
use serde_json::Value;

use crate::target::{Gateway, GatewayOptions, Target};

/// One command of the official CLI.
#[derive(Debug, Clone, Copy)]
pub struct Script {
    /// The arguments after `openclaw`.
    pub args: &'static [&'static str],
    /// The open issue whose feature the command needs, when rustyclaw does not have it yet.
    pub not_yet: Option<&'static str>,
    /// Why the outputs may differ by design, when they do.
    pub by_design: Option<&'static str>,
    /// Parts of the output that belong to a feature of another open issue, or that differ by
    /// design: differences at JSON paths containing the first string are reported with the
    /// second (the issue, or the reason), not as this command's.
    pub owned: &'static [(&'static str, &'static str)],
    /// Compare only the shape of each record (its keys and their types), not the values: for
    /// outputs whose content is each implementation's own (log lines). The same when every
    /// record form rustyclaw gives is one OpenClaw gives too.
    pub shape_only: bool,
}

const PLAIN: Script = Script {
    args: &[],
    not_yet: None,
    by_design: None,
    owned: &[],
    shape_only: false,
};

/// Heartbeats (`agents.defaults.heartbeat`) are issue #19's.
const HEARTBEAT: (&str, &str) = (".heartbeat", "not yet: #19 automation, heartbeats");
/// The task ledger (sub-agents, cron runs) is issue #19's.
const TASKS: (&str, &str) = (".task", "not yet: #19 automation, tasks");
/// OpenClaw loads its providers and tools as plugins; rustyclaw's are built in.
const PLUGINS: (&str, &str) = (
    ".plugins.loaded",
    "by design: rustyclaw's providers and tools are built in, not plugins",
);
/// Where sessions are stored: OpenClaw's per-agent SQLite file, rustyclaw's state database.
const SESSION_STORE: (&str, &str) = (
    ".path",
    "by design: sessions live in rustyclaw's state.sqlite",
);
/// The remote-desktop host of OpenClaw's desktop app.
const DESKTOP: (&str, &str) = (".hostDesktop", "by design: OpenClaw's desktop-app feature");
/// Node's event-loop statistics.
const EVENT_LOOP: (&str, &str) = (
    ".eventLoop",
    "by design: Node's event-loop statistics (rustyclaw runs no Node)",
);
/// The process listening on the gateway's port: OpenClaw's Node process or rustyclaw's binary.
const LISTENER_HINTS: (&str, &str) = (
    ".port.hints",
    "by design: the official CLI knows a gateway by its process name, `openclaw-gateway`",
);
const LISTENER: (&str, &str) = (
    ".listeners",
    "by design: the listening process is each implementation's own",
);
/// Node's worker-thread pools.
const WORKER_POOLS: (&str, &str) = (".workerPools", "by design: Node's worker-thread pools");
/// Node's heap statistics.
const NODE_MEMORY: (&str, &str) = (".processMemory", "by design: Node's heap statistics");
/// OpenClaw's internal transcript-record metadata in `chat.history`.
const RECORD_META: (&str, &str) = (
    ".__openclaw",
    "by design: OpenClaw's internal transcript-record metadata",
);

/// How long shutdown waits for work: rustyclaw's waits on none.
const SHUTDOWN: (&str, &str) = (
    ".shutdownBudget",
    "by design: rustyclaw's shutdown waits on no work: a run in flight is reported interrupted after a restart and reruns on retry, channel messages and replies are stored before they are acknowledged or sent",
);
/// OpenClaw's runner diagnostics in an `agent` result.
const RUN_DIAGNOSTICS: &[(&str, &str)] = &[
    (".agentHarnessId", OPENCLAW_RUNNER),
    (".credentialSource", OPENCLAW_RUNNER),
    (".contextBudgetStatus", OPENCLAW_RUNNER),
    (".codeModeEngaged", OPENCLAW_RUNNER),
    (".bridgeCalls", OPENCLAW_RUNNER),
    (".terminalReceipt", OPENCLAW_RUNNER),
    (".systemPromptReport", OPENCLAW_RUNNER),
    (".executionTrace", OPENCLAW_RUNNER),
    (".requestShaping", OPENCLAW_RUNNER),
    (".completion", OPENCLAW_RUNNER),
    (".finalAssistantRawText", OPENCLAW_RUNNER),
    (".replayInvalid", OPENCLAW_RUNNER),
    (".livenessState", OPENCLAW_RUNNER),
    (".sourceReplyDeliveryState", OPENCLAW_RUNNER),
];
const OPENCLAW_RUNNER: &str = "by design: OpenClaw's embedded-runner diagnostics (harness, credential ledger, code mode, prompt and budget reports, receipts); rustyclaw reports the outcome, the model, usage per run and per last call, and the stop reason";
/// Extras OpenClaw's Control UI reads on its chat page and session list; its pages work
/// against rustyclaw without them (docs/protocol.md, "OpenClaw's Control UI").
const CONTROL_UI: &str = "not yet: OpenClaw Control UI extras (sharing, pins, unread marks, paging cursors, pending inputs); its chat works without them";
/// `chat.history`: the transcript records' metadata, and the paging, pending inputs, session
/// header and defaults of the Control UI's chat page.
const HISTORY_OWNED: &[(&str, &str)] = &[
    RECORD_META,
    (".idempotencyKey", CONTROL_UI),
    (".pendingInputs", CONTROL_UI),
    (".deltaCursor", CONTROL_UI),
    (".hasMore", CONTROL_UI),
    (".totalMessages", CONTROL_UI),
    (".defaults", CONTROL_UI),
    (".sessionInfo", CONTROL_UI),
];
/// `sessions.list`: where sessions are stored, and the row and default fields of the Control
/// UI's session list (sharing, pins, unread, placement, fast mode, thinking levels, …).
const SESSIONS_OWNED: &[(&str, &str)] = &[
    SESSION_STORE,
    (".defaults.agentRuntime", CONTROL_UI),
    (".defaults.modelSelectionTarget", CONTROL_UI),
    (".thinking", CONTROL_UI),
    (".visibility", CONTROL_UI),
    (".sharingRole", CONTROL_UI),
    (".permissionModePending", CONTROL_UI),
    (".createdVia", CONTROL_UI),
    (".participant", CONTROL_UI),
    (".expandedParticipants", CONTROL_UI),
    (".classification", CONTROL_UI),
    (".isMain", CONTROL_UI),
    (".isBackground", CONTROL_UI),
    (".displayName", CONTROL_UI),
    (".archived", CONTROL_UI),
    (".pinned", CONTROL_UI),
    (".unread", CONTROL_UI),
    (".lastActivityAt", CONTROL_UI),
    (".effective", CONTROL_UI),
    (".fastAutoOnSeconds", CONTROL_UI),
    (".lastRunId", CONTROL_UI),
    (".modelOverrideSource", CONTROL_UI),
    (".runtimeSelectionLocked", CONTROL_UI),
    (".agentRuntime", CONTROL_UI),
    (".contextBudgetStatus", CONTROL_UI),
    (".snapshotAt", CONTROL_UI),
    (".placement", CONTROL_UI),
    (".hasActiveRun", CONTROL_UI),
    (".activeRunIds", CONTROL_UI),
    (".sessionStartedAt", CONTROL_UI),
    (".cacheRead", CONTROL_UI),
    (".cacheWrite", CONTROL_UI),
    (".compactionCount", CONTROL_UI),
];

/// The prompt of the one turn the scripts run (the fake answers every prompt alike).
pub const TURN_PROMPT: &str = "hello from the differential harness";

/// Every command compared, in the order they run (the turn comes before what reads it back).
pub const SCRIPTS: &[Script] = &[
    Script {
        args: &["health", "--json"],
        owned: &[HEARTBEAT, PLUGINS, SESSION_STORE, EVENT_LOOP],
        ..PLAIN
    },
    Script {
        args: &["gateway", "probe", "--json"],
        ..PLAIN
    },
    Script {
        args: &["gateway", "status", "--json"],
        owned: &[LISTENER, LISTENER_HINTS],
        ..PLAIN
    },
    Script {
        args: &["status", "--json"],
        owned: &[
            HEARTBEAT,
            TASKS,
            SESSION_STORE,
            EVENT_LOOP,
            NODE_MEMORY,
            DESKTOP,
            WORKER_POOLS,
            SHUTDOWN,
        ],
        ..PLAIN
    },
    Script {
        args: &["gateway", "call", "status", "--json"],
        owned: &[
            HEARTBEAT,
            TASKS,
            DESKTOP,
            SESSION_STORE,
            EVENT_LOOP,
            NODE_MEMORY,
            WORKER_POOLS,
            SHUTDOWN,
        ],
        ..PLAIN
    },
    Script {
        args: &["gateway", "call", "health", "--json"],
        owned: &[HEARTBEAT, PLUGINS, SESSION_STORE, EVENT_LOOP],
        ..PLAIN
    },
    Script {
        args: &["models", "list", "--json"],
        ..PLAIN
    },
    Script {
        args: &["devices", "list", "--json"],
        ..PLAIN
    },
    Script {
        args: &["approvals", "get", "--json"],
        ..PLAIN
    },
    Script {
        args: &["channels", "status", "--json"],
        owned: &[EVENT_LOOP],
        ..PLAIN
    },
    Script {
        args: &[
            "agent",
            "--message",
            TURN_PROMPT,
            "--session-id",
            "differential-1",
            "--json",
        ],
        owned: RUN_DIAGNOSTICS,
        ..PLAIN
    },
    Script {
        args: &[
            "gateway",
            "call",
            "chat.history",
            "--json",
            "--params",
            r#"{"sessionKey":"agent:main:explicit:differential-1"}"#,
        ],
        owned: HISTORY_OWNED,
        ..PLAIN
    },
    Script {
        args: &["gateway", "call", "sessions.list", "--json"],
        owned: SESSIONS_OWNED,
        ..PLAIN
    },
    Script {
        args: &["sessions", "--json"],
        by_design: Some(
            "reads OpenClaw's session files (`agents/<id>/sessions/`), which rustyclaw keeps in its database",
        ),
        ..PLAIN
    },
    Script {
        args: &["logs", "--json", "--limit", "5"],
        shape_only: true,
        ..PLAIN
    },
    Script {
        args: &["cron", "list", "--json"],
        not_yet: Some("#19 automation"),
        ..PLAIN
    },
    Script {
        args: &["hooks", "list", "--json"],
        not_yet: Some("#19 automation"),
        ..PLAIN
    },
    Script {
        args: &["skills", "list", "--json"],
        not_yet: Some("#18 memory and skills"),
        ..PLAIN
    },
    Script {
        args: &["memory", "status", "--json"],
        not_yet: Some("#18 memory and skills"),
        ..PLAIN
    },
    Script {
        args: &[
            "message",
            "send",
            "--channel",
            "telegram",
            "--target",
            "1",
            "--message",
            "hi",
            "--json",
        ],
        ..PLAIN
    },
];

/// What one command printed against one gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// Exit code (`None`: killed or timed out).
    pub code: Option<i32>,
    /// Standard output, normalized (JSON when it parses).
    pub stdout: Value,
}

/// How long one CLI command may take (the official CLI needs seconds to start).
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

/// Runs `script` with the official CLI (`cli`) against `gateway`.
pub async fn observe(
    cli: &Target,
    gateway: &Gateway,
    facts: &normalize::RunFacts,
    script: &Script,
) -> Result<Observed> {
    let (code, stdout, stderr) = cli
        .cli(gateway.home(), script.args)
        .env("OPENCLAW_GATEWAY_TOKEN", &gateway.endpoint.token)
        .output_within(COMMAND_LIMIT)
        .await?;
    // For looking into a difference: the raw outputs, per gateway and command.
    let args: Vec<&str> = script
        .args
        .iter()
        .take(3)
        .map(|a| a.trim_start_matches('-'))
        .collect();
    dump(
        &format!("{}-{}", gateway.kind.name().to_lowercase(), args.join("_")),
        &format!("exit: {code:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"),
    );
    let stdout = match parse_json(&stdout) {
        Some(value) if script.shape_only => normalize::shape(&value),
        Some(value) => normalize::json(&value, facts),
        None => Value::String(normalize::text(stdout.trim(), facts)),
    };
    Ok(Observed { code, stdout })
}

/// The JSON document in `stdout` (some commands print lines before it, or JSON lines).
fn parse_json(stdout: &str) -> Option<Value> {
    let trimmed = stdout.trim();
    if let Ok(value) = serde_json::from_str(trimmed) {
        return Some(value);
    }
    // JSON lines (`logs --json`): an array of them.
    let lines: Option<Vec<Value>> = trimmed
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).ok())
        .collect();
    lines.filter(|l| !l.is_empty()).map(Value::Array)
}

/// With `DIFFERENTIAL_DUMP` set, writes `text` to `<that dir>/<name>.txt`: the raw outputs,
/// for looking into a difference.
fn dump(name: &str, text: &str) {
    if let Some(dir) = std::env::var_os("DIFFERENTIAL_DUMP") {
        let dir = std::path::Path::new(&dir);
        let _ = std::fs::create_dir_all(dir);
        let _ = std::fs::write(dir.join(format!("{name}.txt")), text);
    }
}

/// Both gateways, configured alike, over one fake model.
struct Pair {
    _fake: rustyclaw_testkit::FakeLlm,
    openclaw: Gateway,
    rustyclaw: Gateway,
}

impl Pair {
    /// Starts both and waits until each answers.
    async fn start(openclaw: &Target, rustyclaw: &Target) -> Result<Self> {
        let fake = crate::fake::start(crate::fake::Reply::Instant).await?;
        let base = fake.base_url();
        let options = GatewayOptions {
            upstream_config: true,
            ..GatewayOptions::default()
        };
        let mut theirs = openclaw.start(&base, options.clone())?;
        let mut ours = rustyclaw.start(&base, options)?;
        theirs.wait_ready(Duration::from_secs(180)).await?;
        ours.wait_ready(Duration::from_secs(30)).await?;
        Ok(Self {
            _fake: fake,
            openclaw: theirs,
            rustyclaw: ours,
        })
    }

    async fn stop(self) {
        self.openclaw.stop().await;
        self.rustyclaw.stop().await;
    }
}

/// Starts both gateways, runs every script and the TUI session, stops them; the rows.
pub async fn compare(openclaw: &Target, rustyclaw: &Target) -> Result<Vec<table::Row>> {
    let pair = Pair::start(openclaw, rustyclaw).await?;
    let mut rows = run_all(openclaw, &pair.openclaw, &pair.rustyclaw).await;
    if let Ok(rows) = &mut rows {
        rows.push(tui_row(openclaw, &pair.openclaw, &pair.rustyclaw).await);
    }
    pair.stop().await;
    rows
}

/// Starts both gateways and runs only the TUI session: for looking into the TUI row.
pub async fn compare_tui(openclaw: &Target, rustyclaw: &Target) -> Result<table::Row> {
    let pair = Pair::start(openclaw, rustyclaw).await?;
    let row = tui_row(openclaw, &pair.openclaw, &pair.rustyclaw).await;
    pair.stop().await;
    Ok(row)
}

/// The official TUI's session ([`tui::STEPS`]) against each gateway in turn: the same when
/// the same steps complete on both and neither screen says "unknown method".
async fn tui_row(cli: &Target, openclaw: &Gateway, rustyclaw: &Gateway) -> table::Row {
    let command = tui::COMMAND.to_owned();
    let theirs = tui::run(cli, openclaw).await;
    let ours = tui::run(cli, rustyclaw).await;
    for (name, result) in [("openclaw", &theirs), ("rustyclaw", &ours)] {
        let text = match result {
            Ok(session) => tui::transcript(session),
            Err(error) => format!("failed: {error:#}"),
        };
        dump(&format!("{name}-tui"), &text);
    }
    let verdict = match (theirs, ours) {
        (Ok(theirs), Ok(ours)) => tui::verdict(&theirs, &ours),
        (Err(error), _) => table::Verdict::Differs(vec![format!(
            "the session could not run against OpenClaw: {error:#}"
        )]),
        (_, Err(error)) => table::Verdict::Differs(vec![format!(
            "the session could not run against rustyclaw: {error:#}"
        )]),
    };
    table::Row { command, verdict }
}

/// Runs every script against both gateways (the two runs of a script at once) and returns the
/// table's rows. Scripts whose feature is not there yet are not run.
pub async fn run_all(
    cli: &Target,
    openclaw: &Gateway,
    rustyclaw: &Gateway,
) -> Result<Vec<table::Row>> {
    let facts = |gateway: &Gateway| normalize::RunFacts {
        home: gateway.home().display().to_string(),
        port: gateway.endpoint.addr.port(),
        token: gateway.endpoint.token.clone(),
    };
    let (of, rf) = (facts(openclaw), facts(rustyclaw));
    let mut rows = Vec::new();
    for script in SCRIPTS {
        let command = table::command_line(script);
        if let Some(issue) = script.not_yet {
            rows.push(table::Row {
                command,
                verdict: table::Verdict::NotYet(issue.to_owned()),
            });
            continue;
        }
        let (a, b) = tokio::join!(
            observe(cli, openclaw, &of, script),
            observe(cli, rustyclaw, &rf, script)
        );
        rows.push(table::Row {
            verdict: table::verdict(script, &a?, &b?),
            command,
        });
    }
    Ok(rows)
}

/// Where two normalized outputs differ: JSON paths with both sides, at most `limit`.
pub fn differences(openclaw: &Observed, rustyclaw: &Observed, limit: usize) -> Vec<String> {
    let mut found = Vec::new();
    if openclaw.code != rustyclaw.code {
        found.push(format!(
            "exit code: OpenClaw {:?}, rustyclaw {:?}",
            openclaw.code, rustyclaw.code
        ));
    }
    diff("", &openclaw.stdout, &rustyclaw.stdout, &mut found, limit);
    found.truncate(limit);
    found
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

fn diff(path: &str, a: &Value, b: &Value, found: &mut Vec<String>, limit: usize) {
    if found.len() >= limit || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, value) in x {
                let here = format!("{path}.{key}");
                match y.get(key) {
                    Some(other) => diff(&here, value, other, found, limit),
                    None => found.push(format!("`{here}` only in OpenClaw")),
                }
            }
            for key in y.keys().filter(|k| !x.contains_key(*k)) {
                found.push(format!("`{path}.{key}` only in rustyclaw"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}[{i}]"), p, q, found, limit);
            }
        }
        (Value::Array(x), Value::Array(y)) => found.push(format!(
            "`{}` has {} items in OpenClaw, {} in rustyclaw",
            if path.is_empty() { "." } else { path },
            x.len(),
            y.len()
        )),
        _ => found.push(format!(
            "`{}`: OpenClaw {}, rustyclaw {}",
            if path.is_empty() { "." } else { path },
            short(a),
            short(b)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn observed(code: i32, stdout: Value) -> Observed {
        Observed {
            code: Some(code),
            stdout,
        }
    }

    #[test]
    fn differences_name_paths_and_both_sides() {
        let a = observed(
            0,
            json!({"ok": true, "a": {"b": 1}, "list": [1, 2], "only": 1}),
        );
        let b = observed(
            1,
            json!({"ok": true, "a": {"b": 2}, "list": [1], "extra": 1}),
        );
        assert_eq!(
            differences(&a, &b, 10),
            [
                "exit code: OpenClaw Some(0), rustyclaw Some(1)",
                "`.a.b`: OpenClaw 1, rustyclaw 2",
                "`.list` has 2 items in OpenClaw, 1 in rustyclaw",
                "`.only` only in OpenClaw",
                "`.extra` only in rustyclaw",
            ]
        );
        assert!(differences(&a, &a, 10).is_empty());
    }

    #[test]
    fn json_lines_are_read_as_an_array() {
        assert_eq!(
            parse_json("{\"a\":1}\n{\"a\":2}\n"),
            Some(json!([{"a": 1}, {"a": 2}]))
        );
        assert_eq!(parse_json("plain text"), None);
    }
}
