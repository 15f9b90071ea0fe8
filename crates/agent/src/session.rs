//! A session as a run sees it: its stored entry, its transcript writer and its context,
//! loaded once per lane and kept in memory between turns.

use rustyclaw_protocol::{AgentId, SessionEntry, SessionId, SessionKey};
use rustyclaw_store::Store;

use crate::clock::now_ms;
use crate::error::AgentError;
use crate::session_patch::PendingPatches;
use crate::transcript::{self, Context, TranscriptWriter};

/// A loaded session.
pub(crate) struct SessionState {
    pub key: SessionKey,
    pub agent_id: AgentId,
    pub entry: SessionEntry,
    pub writer: TranscriptWriter,
    pub context: Context,
}

fn new_session_id(requested: Option<&str>) -> Result<SessionId, AgentError> {
    let id = match requested {
        Some(id) => id.to_owned(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    SessionId::new(id).map_err(|e| AgentError::Internal {
        detail: format!("invalid session id: {e}"),
    })
}

impl SessionState {
    /// Loads the session of `key`, or prepares a new one (stored on its first append).
    pub async fn load_or_create(
        store: &Store,
        key: &SessionKey,
        agent_id: &AgentId,
        requested_id: Option<&str>,
        cwd: &str,
    ) -> Result<Self, AgentError> {
        let existing = store
            .get_session(key)
            .await
            .map_err(|source| AgentError::Store { source })?;
        match existing {
            Some(entry) => {
                let loaded = transcript::load(store, &entry.session_id, cwd).await?;
                Ok(Self {
                    key: key.clone(),
                    agent_id: agent_id.clone(),
                    entry,
                    writer: loaded.writer,
                    context: loaded.context,
                })
            }
            None => Ok(Self::fresh(
                key,
                agent_id,
                new_session_id(requested_id)?,
                cwd,
            )),
        }
    }

    fn fresh(key: &SessionKey, agent_id: &AgentId, session_id: SessionId, cwd: &str) -> Self {
        let now = now_ms();
        let mut entry = SessionEntry::new(session_id.clone(), now);
        entry.created_at = Some(now);
        entry.session_started_at = Some(now);
        Self {
            key: key.clone(),
            agent_id: agent_id.clone(),
            entry,
            writer: TranscriptWriter::fresh(session_id, cwd.to_owned()),
            context: Context::default(),
        }
    }

    /// `/new`: a new session id and an empty transcript; settings (thinking, verbose, queue,
    /// model override) and the conversation's delivery route (`origin`, `deliveryContext`,
    /// `last*`) carry over as upstream's reset keeps them. The old transcript stays in the store.
    pub fn start_over(&mut self, cwd: &str) -> Result<(), AgentError> {
        let previous = self.entry.clone();
        let session_id = new_session_id(None)?;
        let mut fresh = Self::fresh(&self.key, &self.agent_id, session_id, cwd);
        fresh.entry.channel = previous.channel;
        fresh.entry.chat_type = previous.chat_type;
        fresh.entry.group_id = previous.group_id;
        fresh.entry.subject = previous.subject;
        fresh.entry.origin = previous.origin;
        fresh.entry.delivery_context = previous.delivery_context;
        fresh.entry.last_channel = previous.last_channel;
        fresh.entry.last_to = previous.last_to;
        fresh.entry.last_account_id = previous.last_account_id;
        fresh.entry.last_thread_id = previous.last_thread_id;
        fresh.entry.thinking_level = previous.thinking_level;
        fresh.entry.verbose_level = previous.verbose_level;
        fresh.entry.queue_mode = previous.queue_mode;
        fresh.entry.model_override = previous.model_override;
        fresh.entry.provider_override = previous.provider_override;
        fresh.entry.label = previous.label;
        *self = fresh;
        Ok(())
    }

    /// Stores the entry, with the patches made to the session from outside since the last save
    /// applied first (they win over the lane's copy: see [`crate::session_patch`]).
    pub async fn save(
        &mut self,
        store: &Store,
        patches: &PendingPatches,
    ) -> Result<(), AgentError> {
        patches.apply(&self.key, &mut self.entry);
        self.entry.updated_at = now_ms();
        store
            .upsert_session(&self.key, &self.entry)
            .await
            .map_err(|source| AgentError::Store { source })
    }
}
