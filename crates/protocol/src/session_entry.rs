//! `SessionEntry`: the per-conversation record OpenClaw keeps for each session key
//! (`src/config/sessions/types.ts`; the values of `sessions.json`, `session_nodes.entry_json` in
//! 2026.9's SQLite).
//!
//! Only fields a runtime and the gateway act on are modelled. Everything else — and upstream adds
//! fields with almost every release (`skillsSnapshot`, `systemPromptReport`,
//! `contextBudgetStatus`, …) — is kept in [`SessionEntry::other`], so importing an OpenClaw entry
//! and exporting it again loses nothing. The gateway rewrites entries freely, so there is no
//! cross-field validation here; the store checks what it relies on.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ids::SessionId;
use crate::levels::{ElevatedLevel, ReasoningLevel, ThinkingLevel, VerboseLevel};
use crate::open_enum::open_string_enum;
use crate::serde_util::js_number_opt;
use crate::session_key::SessionKey;

open_string_enum! {
    /// The kind of chat a session belongs to (`chatType`).
    pub enum ChatType {
        /// One-to-one.
        Direct = "direct",
        /// A group chat.
        Group = "group",
        /// A channel of a server or workspace.
        Channel = "channel",
        /// A room.
        Room = "room",
    }
}

open_string_enum! {
    /// State of the session's latest run (`status`).
    pub enum RunStatus {
        /// A run is in progress.
        Running = "running",
        /// The last run finished normally.
        Done = "done",
        /// The last run failed.
        Failed = "failed",
        /// The last run was stopped.
        Killed = "killed",
        /// The last run hit its time limit.
        Timeout = "timeout",
    }
}

open_string_enum! {
    /// What happens to a message arriving while a run is active (`/queue`; `queueMode`).
    pub enum QueueMode {
        /// Inject into the running turn.
        Steer = "steer",
        /// Run after the current turn.
        Followup = "followup",
        /// Batch everything that arrived into one follow-up turn.
        Collect = "collect",
        /// Steer now and keep the message for a follow-up turn too.
        SteerBacklog = "steer-backlog",
        /// Abort the running turn and start over.
        Interrupt = "interrupt",
        /// Legacy name for queueing behind the run.
        Queue = "queue",
    }
}

open_string_enum! {
    /// Whether replies may be delivered to the session's channel (`sendPolicy`).
    pub enum SendPolicy {
        /// Deliver.
        Allow = "allow",
        /// Run but do not deliver.
        Deny = "deny",
    }
}

open_string_enum! {
    /// When the agent answers in a group (`groupActivation`).
    pub enum GroupActivation {
        /// Only when mentioned.
        Mention = "mention",
        /// Every message.
        Always = "always",
    }
}

/// A thread id as OpenClaw stores it: Telegram topics are numbers, Slack/Discord/Matrix threads
/// are strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ThreadId {
    /// A numeric thread id.
    Number(i64),
    /// A textual thread id.
    Text(String),
}

/// Where a session came from (`origin`). Open shape upstream: unknown fields are kept in `other`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionOrigin {
    /// Human-readable label of the origin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The channel/provider the first message came through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The surface (app) the first message came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surface: Option<String>,
    /// Kind of chat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_type: Option<ChatType>,
    /// Sender address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Recipient address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Channel account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Thread within the chat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<ThreadId>,
    /// Fields not modelled here, preserved for re-export.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Where replies of a session are delivered (`deliveryContext`). Unknown fields are kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryContext {
    /// Channel to deliver on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Recipient on that channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Channel account to send from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Thread to reply in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<ThreadId>,
    /// Fields not modelled here, preserved for re-export.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The record of one session key (see the [module documentation](self)). Timestamps are Unix
/// milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionEntry {
    /// The current transcript of this conversation; changes on reset.
    pub session_id: SessionId,
    /// Last change of this entry.
    pub updated_at: i64,

    /// When the current session id started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_started_at: Option<i64>,
    /// Last inbound or outbound message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_interaction_at: Option<i64>,
    /// When the entry was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// What created the entry (`run`, `chat`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_via: Option<String>,
    /// Legacy transcript file name of this session (file-backed OpenClaw).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_file: Option<String>,

    /// User-set label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Display name shown by clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Channel the conversation lives on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Kind of chat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_type: Option<ChatType>,
    /// Group id for group chats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// Group subject/title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Where the session came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<SessionOrigin>,
    /// Where replies go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_context: Option<DeliveryContext>,
    /// Channel of the last message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_channel: Option<String>,
    /// Recipient of the last reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_to: Option<String>,
    /// Channel account of the last message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_account_id: Option<String>,
    /// Thread of the last message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_thread_id: Option<ThreadId>,

    /// `/think` level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_level: Option<ThinkingLevel>,
    /// `/verbose` level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verbose_level: Option<VerboseLevel>,
    /// `/reasoning` level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_level: Option<ReasoningLevel>,
    /// `/fast` mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fast_mode: Option<bool>,
    /// `/elevated` level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elevated_level: Option<ElevatedLevel>,
    /// `/queue` mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_mode: Option<QueueMode>,
    /// Reply delivery policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_policy: Option<SendPolicy>,
    /// Group activation mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_activation: Option<GroupActivation>,

    /// Provider chosen with `/model` for this session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_override: Option<String>,
    /// Model chosen with `/model` for this session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_override: Option<String>,
    /// Auth profile pinned for this session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_profile_override: Option<String>,
    /// Provider of the last run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<String>,
    /// Model of the last run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,

    /// Context window of the model, in tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_tokens: Option<u64>,
    /// Input tokens of the last run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// Output tokens of the last run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    /// Total tokens of the last run (the prompt size the next run starts from).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
    /// Whether `total_tokens` was measured after the last change to the context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_tokens_fresh: Option<bool>,
    /// Prompt-cache reads of the last run, in tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read: Option<u64>,
    /// Prompt-cache writes of the last run, in tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<u64>,
    /// Estimated cost of the session so far, in US dollars.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number_opt"
    )]
    pub estimated_cost_usd: Option<f64>,
    /// Number of compactions of the transcript.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compaction_count: Option<u64>,

    /// State of the latest run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// Start of the latest run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<i64>,
    /// End of the latest run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    /// Duration of the latest run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_ms: Option<u64>,
    /// Whether the latest run was aborted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aborted_last_run: Option<bool>,
    /// Whether the system prompt introduction has been sent in this session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_sent: Option<bool>,

    /// Session that spawned this one (sub-agents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spawned_by: Option<SessionKey>,
    /// Parent session of a sub-agent or thread session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_session_key: Option<SessionKey>,
    /// Sub-agent nesting depth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spawn_depth: Option<u32>,

    /// Fields not modelled here, kept verbatim so an imported OpenClaw entry re-exports unchanged.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl SessionEntry {
    /// A fresh entry: only the required fields set.
    pub fn new(session_id: SessionId, updated_at: i64) -> Self {
        Self {
            session_id,
            updated_at,
            session_started_at: None,
            last_interaction_at: None,
            created_at: None,
            created_via: None,
            session_file: None,
            label: None,
            display_name: None,
            channel: None,
            chat_type: None,
            group_id: None,
            subject: None,
            origin: None,
            delivery_context: None,
            last_channel: None,
            last_to: None,
            last_account_id: None,
            last_thread_id: None,
            thinking_level: None,
            verbose_level: None,
            reasoning_level: None,
            fast_mode: None,
            elevated_level: None,
            queue_mode: None,
            send_policy: None,
            group_activation: None,
            provider_override: None,
            model_override: None,
            auth_profile_override: None,
            model_provider: None,
            model: None,
            context_tokens: None,
            input_tokens: None,
            output_tokens: None,
            total_tokens: None,
            total_tokens_fresh: None,
            cache_read: None,
            cache_write: None,
            estimated_cost_usd: None,
            compaction_count: None,
            status: None,
            started_at: None,
            ended_at: None,
            runtime_ms: None,
            aborted_last_run: None,
            system_sent: None,
            spawned_by: None,
            parent_session_key: None,
            spawn_depth: None,
            other: Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const CAPTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/openclaw-2026.9.6/session-nodes-entry.json"
    );

    fn captured_entry() -> Value {
        let text = std::fs::read_to_string(CAPTURE).unwrap();
        let rows: Value = serde_json::from_str(&text).unwrap();
        rows[0]["entry"].clone()
    }

    #[test]
    fn captured_entry_round_trips() {
        let original = captured_entry();
        let entry: SessionEntry = serde_json::from_value(original.clone()).unwrap();
        assert_eq!(entry.session_id.as_str(), "bench");
        assert_eq!(entry.updated_at, 1_795_291_993_765);
        assert_eq!(entry.status, Some(RunStatus::Done));
        assert_eq!(entry.chat_type, Some(ChatType::Direct));
        assert_eq!(entry.context_tokens, Some(128_000));
        assert_eq!(entry.estimated_cost_usd, Some(0.0));
        assert!(entry.other.contains_key("skillsSnapshot"));
        assert!(entry.other.contains_key("delivery"));
        let reserialized = serde_json::to_value(&entry).unwrap();
        assert_eq!(reserialized, original);
    }

    #[test]
    fn required_fields_and_open_enums() {
        let missing = serde_json::from_str::<SessionEntry>(r#"{"sessionId":"s"}"#).unwrap_err();
        assert!(missing.to_string().contains("updatedAt"), "{missing}");

        let json = r#"{"sessionId":"s","updatedAt":1,"status":"paused","thinkingLevel":"max",
            "lastThreadId":42,"deliveryContext":{"channel":"telegram","threadId":"t1","x":1},
            "estimatedCostUsd":0.25}"#;
        let entry: SessionEntry = serde_json::from_str(json).unwrap();
        assert_eq!(entry.status, Some(RunStatus::Unknown("paused".into())));
        assert_eq!(
            entry.thinking_level,
            Some(ThinkingLevel::Unknown("max".into()))
        );
        assert_eq!(entry.last_thread_id, Some(ThreadId::Number(42)));
        let delivery = entry.delivery_context.as_ref().unwrap();
        assert_eq!(delivery.thread_id, Some(ThreadId::Text("t1".into())));
        assert_eq!(delivery.other["x"], 1);
        let back = serde_json::to_value(&entry).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(json).unwrap());
    }

    #[test]
    fn new_entry_serializes_minimally() {
        let entry = SessionEntry::new(SessionId::new("s1").unwrap(), 5);
        assert_eq!(
            serde_json::to_string(&entry).unwrap(),
            r#"{"sessionId":"s1","updatedAt":5}"#
        );
    }
}
