//! The official `openclaw tui` in a pseudo-terminal, the same keystrokes against each gateway: a
//! turn, `/status`, `/model`, `/new`, and a slow reply aborted with Escape. Each step waits for
//! what a user would wait for (its reply, its panel, the TUI idle again); the comparison is
//! which steps completed on each gateway and whether any screen said "unknown method".

use std::time::Duration;

use anyhow::Result;
use rustyclaw_testkit::Tui;

use crate::fake::{INSTANT_REPLY, SLOW_FIRST_WORD, SLOW_PROMPT};
use crate::target::{Gateway, Target};

/// What one step types.
#[derive(Debug, Clone, Copy)]
pub enum Keys {
    /// Nothing: the step waits for the TUI's own start.
    None,
    /// A line typed and sent with Enter.
    Line(&'static str),
}

/// A check of the screen.
pub type ScreenCheck = fn(&str) -> bool;

/// One step of the session.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// What a reader of the table calls it.
    pub name: &'static str,
    /// What is typed.
    pub keys: Keys,
    /// When the step has done what it should, from the screen.
    pub done: ScreenCheck,
    /// Keys pressed once `done` holds (closing a panel, aborting a reply), and what the screen
    /// shows afterwards.
    pub then: Option<(&'static [u8], ScreenCheck)>,
}

/// The TUI's status line when it is connected and waiting for input (`gateway connected |
/// idle` at first, `connected | idle` after a run).
fn idle(screen: &str) -> bool {
    screen.contains("connected | idle")
}

/// Escape: closes a panel, aborts a reply.
const ESCAPE: &[u8] = b"\x1b";

/// The session, in order.
pub const STEPS: &[Step] = &[
    Step {
        name: "connect",
        keys: Keys::None,
        done: idle,
        then: None,
    },
    Step {
        name: "a turn",
        keys: Keys::Line("hello from the TUI"),
        done: |s| s.contains(INSTANT_REPLY) && idle(s),
        then: None,
    },
    Step {
        name: "/status",
        keys: Keys::Line("/status"),
        done: |s| s.contains("🧵 Session:") && idle(s),
        then: None,
    },
    Step {
        name: "/model",
        keys: Keys::Line("/model"),
        // The model picker, with its search line.
        done: |s| s.contains("search:"),
        then: Some((ESCAPE, |s| !s.contains("search:") && idle(s))),
    },
    Step {
        name: "/new",
        keys: Keys::Line("/new"),
        // The switch is done when the TUI says so; typing before that goes nowhere.
        done: |s| s.contains("new session:") && idle(s),
        then: None,
    },
    Step {
        name: "abort a streaming reply",
        keys: Keys::Line(SLOW_PROMPT),
        done: |s| s.contains(SLOW_FIRST_WORD),
        then: Some((ESCAPE, |s| s.contains("aborted"))),
    },
];

/// How one step went on one gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResult {
    /// The step's name.
    pub name: &'static str,
    /// Whether it did what it should within its time.
    pub done: bool,
    /// The screen when it ended (done or timed out).
    pub screen: String,
}

/// How long one step may take (the Node TUI starts in seconds on a loaded machine).
const STEP_LIMIT: Duration = Duration::from_secs(90);

/// Runs the session against `gateway` with the official CLI `cli`; every step's result, and
/// whether the TUI's output ever said "unknown method".
pub async fn run(cli: &Target, gateway: &Gateway) -> Result<(Vec<StepResult>, bool)> {
    let url = format!("ws://{}", gateway.endpoint.addr);
    let launch = cli.cli(
        gateway.home(),
        &["tui", "--url", &url, "--token", &gateway.endpoint.token],
    );
    let mut envs = launch.env.clone();
    if let Some(path) = std::env::var_os("PATH") {
        envs.push(("PATH".into(), path));
    }
    let mut tui = Tui::start_program(&launch.program, &launch.args, envs, &launch.dir)?;
    let mut results = Vec::new();
    for step in STEPS {
        if let Keys::Line(line) = step.keys {
            tui.submit(line).await?;
        }
        let mut outcome = tui.wait_for(step.name, STEP_LIMIT, step.done).await;
        if let (Ok(_), Some((keys, after))) = (&outcome, step.then) {
            // Give the TUI a moment to take the step's input before the next key.
            tokio::time::sleep(Duration::from_millis(300)).await;
            tui.type_keys(keys).await?;
            outcome = tui.wait_for(step.name, STEP_LIMIT, after).await;
        }
        let (done, screen) = match outcome {
            Ok(screen) => (true, screen),
            Err(rustyclaw_testkit::TuiError::Timeout { screen, .. }) => (false, screen),
            Err(error) => return Err(error.into()),
        };
        results.push(StepResult {
            name: step.name,
            done,
            screen,
        });
    }
    let transcript = tui.close().await;
    Ok((results, transcript.contains("unknown method")))
}

/// The session's screens step by step, for looking into a difference.
pub fn transcript((steps, unknown): &(Vec<StepResult>, bool)) -> String {
    let mut text = format!("unknown method seen: {unknown}\n");
    for step in steps {
        text.push_str(&format!(
            "=== {} (done: {})\n{}\n",
            step.name, step.done, step.screen
        ));
    }
    text
}

/// The table's row name for the session.
pub const COMMAND: &str =
    "openclaw tui (a turn, /status, /model, /new, Escape on a streaming reply)";

/// The same when every step that completed on OpenClaw completed on rustyclaw and rustyclaw
/// never said "unknown method"; otherwise the steps that differ.
pub fn verdict(
    openclaw: &(Vec<StepResult>, bool),
    rustyclaw: &(Vec<StepResult>, bool),
) -> super::table::Verdict {
    let mut found = Vec::new();
    for step in STEPS {
        let done = |results: &[StepResult]| results.iter().any(|r| r.name == step.name && r.done);
        // A step the Node TUI missed on a loaded machine (its input taken as a paste, a slow
        // start) is not rustyclaw's difference; one rustyclaw misses is.
        if done(&openclaw.0) && !done(&rustyclaw.0) {
            found.push(format!("{}: done on OpenClaw, not on rustyclaw", step.name));
        }
    }
    if rustyclaw.1 && !openclaw.1 {
        found.push("rustyclaw's session showed \"unknown method\"".to_owned());
    }
    if found.is_empty() {
        super::table::Verdict::Same
    } else {
        super::table::Verdict::Differs(found)
    }
}
