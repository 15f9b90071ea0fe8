//! An automation job in OpenClaw 9.6's shape (the protocol's `CronJob`): what runs
//! ([`Payload`]), where ([`SessionTarget`]), when ([`Schedule`]), where its result goes
//! ([`Delivery`]) and its state. Fields rustyclaw does not run yet (stream and on-exit
//! schedules, condition triggers, pacing, script payloads) are refused when a job is created,
//! with a message saying so, rather than stored and never honoured.

use serde::{Deserialize, Serialize};

use crate::schedule::Schedule;
use crate::timing::JobTiming;

/// Where a job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionTarget {
    /// The agent's main session (system events only).
    Main,
    /// A fresh session per run.
    Isolated,
    /// The session the job was created from.
    Current,
    /// A named session (`session:<key>`).
    Session(String),
}

impl SessionTarget {
    /// The wire form: `main`, `isolated`, `current` or `session:<key>`.
    pub fn as_wire(&self) -> String {
        match self {
            Self::Main => "main".to_owned(),
            Self::Isolated => "isolated".to_owned(),
            Self::Current => "current".to_owned(),
            Self::Session(key) => format!("session:{key}"),
        }
    }

    /// Parses the wire form.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "main" => Self::Main,
            "isolated" => Self::Isolated,
            "current" => Self::Current,
            other => Self::Session(
                other
                    .strip_prefix("session:")
                    .filter(|k| !k.trim().is_empty())?
                    .to_owned(),
            ),
        })
    }
}

impl Serialize for SessionTarget {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_wire())
    }
}

impl<'de> Deserialize<'de> for SessionTarget {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "sessionTarget \"{text}\" must be main, isolated, current or session:<key>"
            ))
        })
    }
}

/// When a main-session event wakes the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WakeMode {
    /// At the next heartbeat.
    #[serde(rename = "next-heartbeat")]
    NextHeartbeat,
    /// At once.
    #[serde(rename = "now")]
    Now,
}

/// What a job runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum Payload {
    /// A system event put into the main session (no model call by itself).
    #[serde(rename_all = "camelCase")]
    SystemEvent {
        /// The event's text.
        text: String,
        /// Tools the woken turn may use.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tools_allow: Option<Vec<String>>,
        /// Whether `tools_allow` is the default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tools_allow_is_default: Option<bool>,
    },
    /// A model turn.
    #[serde(rename_all = "camelCase")]
    AgentTurn {
        /// The prompt.
        message: String,
        /// Model override (`provider/model`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
        /// Fallback models.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fallbacks: Option<Vec<String>>,
        /// Thinking level.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thinking: Option<String>,
        /// Time the run may take.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_seconds: Option<f64>,
        /// Let outside content through unwrapped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        allow_unsafe_external_content: Option<bool>,
        /// Skip the workspace bootstrap files.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        light_context: Option<bool>,
        /// Tools the turn may use.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tools_allow: Option<Vec<String>>,
        /// Whether `tools_allow` is the default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tools_allow_is_default: Option<bool>,
    },
    /// A process on the gateway host (through the sandbox).
    #[serde(rename_all = "camelCase")]
    Command {
        /// The program and its arguments.
        argv: Vec<String>,
        /// Working directory.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<String>,
        /// Variables.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        env: Option<std::collections::BTreeMap<String, String>>,
        /// Standard input.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input: Option<String>,
        /// Time it may take.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_seconds: Option<f64>,
        /// Time it may go without output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        no_output_timeout_seconds: Option<f64>,
        /// Output kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output_max_bytes: Option<u64>,
        /// Tools (unused by a command; kept for upstream's shape).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tools_allow: Option<Vec<String>>,
        /// Whether `tools_allow` is the default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tools_allow_is_default: Option<bool>,
    },
}

/// How a run's result is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryMode {
    /// Kept in the job's session only.
    None,
    /// Sent to a chat target.
    Announce,
    /// Posted to a URL.
    Webhook,
}

/// Where a run's result goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Delivery {
    /// How.
    pub mode: DeliveryMode,
    /// The channel (`last` = the one the owner last used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The target (a chat id, or the webhook URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// A thread or topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<serde_json::Value>,
    /// The channel account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// A failed delivery does not fail the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_effort: Option<bool>,
}

/// A job's state: its timing and what its last run said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobState {
    /// Timing (next, running, last run).
    #[serde(flatten)]
    pub timing: JobTiming,
    /// The last run's error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// A job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// Its id.
    pub id: String,
    /// The agent it belongs to (default: the default agent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The session it was created from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_key: Option<String>,
    /// Its name.
    pub name: String,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it runs.
    pub enabled: bool,
    /// Delete after a successful run (default for one-shots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_after_run: Option<bool>,
    /// Creation time.
    pub created_at_ms: i64,
    /// Last change.
    pub updated_at_ms: i64,
    /// When it runs.
    pub schedule: Schedule,
    /// Where it runs.
    pub session_target: SessionTarget,
    /// When a main-session event wakes the agent.
    pub wake_mode: WakeMode,
    /// What it runs.
    pub payload: Payload,
    /// Where its result goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    /// Its state.
    pub state: JobState,
}

/// Why a job cannot be created as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// A main-session job must carry a system event.
    #[error(
        "main-session jobs run a system event: use payload.kind \"systemEvent\", or sessionTarget \"isolated\" for an agent turn"
    )]
    MainNeedsSystemEvent,
    /// A system event only makes sense in the main session.
    #[error(
        "a system event goes to the main session: use sessionTarget \"main\", or payload.kind \"agentTurn\""
    )]
    SystemEventNeedsMain,
    /// The name is empty.
    #[error("name must not be empty")]
    NoName,
    /// A field rustyclaw does not run yet.
    #[error("{0} is not supported by rustyclaw yet")]
    Unsupported(&'static str),
}

impl Job {
    /// Checks the combinations OpenClaw refuses.
    pub fn check(&self) -> Result<(), JobError> {
        if self.name.trim().is_empty() {
            return Err(JobError::NoName);
        }
        match (&self.session_target, &self.payload) {
            (SessionTarget::Main, Payload::SystemEvent { .. }) => Ok(()),
            (SessionTarget::Main, _) => Err(JobError::MainNeedsSystemEvent),
            (_, Payload::SystemEvent { .. }) => Err(JobError::SystemEventNeedsMain),
            _ => Ok(()),
        }
    }
}

/// The fields of a `cron.add` request that rustyclaw refuses for now, and why.
pub fn unsupported_fields(params: &serde_json::Value) -> Option<&'static str> {
    let kind = params
        .get("schedule")
        .and_then(|s| s.get("kind"))
        .and_then(serde_json::Value::as_str);
    if matches!(kind, Some("on-exit")) {
        return Some("schedule.kind \"on-exit\"");
    }
    if matches!(kind, Some("stream")) {
        return Some("schedule.kind \"stream\"");
    }
    if params.get("trigger").is_some() {
        return Some("trigger (condition scripts)");
    }
    if params.get("pacing").is_some() {
        return Some("pacing (dynamic cadence)");
    }
    let payload = params
        .get("payload")
        .and_then(|p| p.get("kind"))
        .and_then(serde_json::Value::as_str);
    if matches!(payload, Some("script")) {
        return Some("payload.kind \"script\" (code-mode scripts)");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn sample() -> Job {
        Job {
            id: "0b6c7a3e-5d1f-4f7e-9a44-2f3c1d9e8b10".into(),
            agent_id: Some("main".into()),
            session_key: None,
            name: "Morning brief".into(),
            description: None,
            enabled: true,
            delete_after_run: None,
            created_at_ms: 1_796_601_600_000,
            updated_at_ms: 1_796_601_600_000,
            schedule: Schedule::Cron {
                expr: "0 7 * * *".into(),
                tz: Some("Europe/Berlin".into()),
                stagger_ms: None,
            },
            session_target: SessionTarget::Isolated,
            wake_mode: WakeMode::Now,
            payload: Payload::AgentTurn {
                message: "Summarise my day".into(),
                model: None,
                fallbacks: None,
                thinking: None,
                timeout_seconds: None,
                allow_unsafe_external_content: None,
                light_context: Some(true),
                tools_allow: Some(vec!["*".into()]),
                tools_allow_is_default: None,
            },
            delivery: Some(Delivery {
                mode: DeliveryMode::Announce,
                channel: Some("last".into()),
                to: None,
                thread_id: None,
                account_id: None,
                best_effort: None,
            }),
            state: JobState::default(),
        }
    }

    #[test]
    fn a_job_round_trips_in_upstreams_shape() {
        let job = sample();
        let value = serde_json::to_value(&job).unwrap();
        assert_eq!(value["sessionTarget"], "isolated");
        assert_eq!(value["wakeMode"], "now");
        assert_eq!(value["payload"]["kind"], "agentTurn");
        assert_eq!(value["payload"]["lightContext"], true);
        assert_eq!(value["schedule"]["kind"], "cron");
        let back: Job = serde_json::from_value(value).unwrap();
        assert_eq!(back, job);
        let custom = SessionTarget::parse("session:agent:main:ops").unwrap();
        assert_eq!(custom.as_wire(), "session:agent:main:ops");
        assert_eq!(SessionTarget::parse("session:"), None);
    }

    #[test]
    fn upstreams_refusals_and_rustyclaws_gaps_are_said() {
        let mut job = sample();
        job.session_target = SessionTarget::Main;
        assert_eq!(job.check(), Err(JobError::MainNeedsSystemEvent));
        job.payload = Payload::SystemEvent {
            text: "check the oven".into(),
            tools_allow: None,
            tools_allow_is_default: None,
        };
        assert_eq!(job.check(), Ok(()));
        job.session_target = SessionTarget::Isolated;
        assert_eq!(job.check(), Err(JobError::SystemEventNeedsMain));
        assert_eq!(
            unsupported_fields(&json!({"schedule": {"kind": "stream", "command": ["x"]}})),
            Some("schedule.kind \"stream\"")
        );
        assert_eq!(
            unsupported_fields(&json!({"trigger": {"script": "x"}})),
            Some("trigger (condition scripts)")
        );
        assert_eq!(
            unsupported_fields(&json!({"schedule": {"kind": "every"}})),
            None
        );
        let unknown: Result<Payload, _> =
            serde_json::from_value(json!({"kind": "agentTurn", "message": "x", "bogus": 1}));
        assert!(
            unknown.is_err(),
            "unknown payload fields are refused, as upstream's schema does"
        );
    }
}
