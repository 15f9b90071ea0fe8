//! Appending to a session's transcript and rebuilding the model context from it.

use std::collections::HashMap;

use rustyclaw_protocol::transcript::{
    AgentMessage, EntryBody, MessageContent, SessionHeader, TranscriptEntry, TranscriptLine,
    UserMessage, format_timestamp,
};
use rustyclaw_protocol::{EntryId, SessionId};
use rustyclaw_store::Store;

use crate::clock::now_ms;
use crate::error::AgentError;

/// Lines read per store call when loading a transcript.
const PAGE: usize = 2_000;

/// Appends entries to one transcript, chaining each to the previous one.
#[derive(Debug, Clone)]
pub(crate) struct TranscriptWriter {
    session_id: SessionId,
    leaf: Option<EntryId>,
    /// Whether the `session` header is stored.
    has_header: bool,
    cwd: String,
}

fn new_entry_id() -> Result<EntryId, AgentError> {
    EntryId::new(uuid::Uuid::new_v4().to_string()).map_err(|e| AgentError::Internal {
        detail: format!("generated entry id rejected: {e}"),
    })
}

impl TranscriptWriter {
    /// A writer for a transcript with no lines yet.
    pub fn fresh(session_id: SessionId, cwd: String) -> Self {
        Self {
            session_id,
            leaf: None,
            has_header: false,
            cwd,
        }
    }

    /// Stores `bodies` in order (with the header first if the transcript is new) and returns
    /// their entry ids. Durable when this returns.
    pub async fn append(
        &mut self,
        store: &Store,
        bodies: Vec<EntryBody>,
    ) -> Result<Vec<EntryId>, AgentError> {
        let mut lines = Vec::with_capacity(bodies.len() + 1);
        let timestamp = format_timestamp(now_ms());
        if !self.has_header {
            lines.push(TranscriptLine::Session(SessionHeader::new(
                self.session_id.clone(),
                timestamp.clone(),
                self.cwd.clone(),
            )));
        }
        let mut ids = Vec::with_capacity(bodies.len());
        let mut parent = self.leaf.clone();
        for body in bodies {
            let id = new_entry_id()?;
            lines.push(TranscriptLine::Entry(TranscriptEntry::new(
                id.clone(),
                parent.clone(),
                timestamp.clone(),
                body,
            )));
            parent = Some(id.clone());
            ids.push(id);
        }
        store
            .append_transcript(&self.session_id, &lines)
            .await
            .map_err(|source| AgentError::Store { source })?;
        self.has_header = true;
        self.leaf = parent;
        Ok(ids)
    }
}

/// A message in the model's context with the entry that stored it.
#[derive(Debug, Clone)]
pub(crate) struct ContextItem {
    pub entry_id: EntryId,
    pub message: AgentMessage,
}

/// The active branch of a transcript as the model sees it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// Summary of compacted history, sent first.
    pub summary: Option<String>,
    /// Messages after the last compaction or reset.
    pub items: Vec<ContextItem>,
    /// Compactions seen.
    pub compactions: u64,
    /// The last `model_change` on the branch: `(provider, model)`.
    pub last_model: Option<(String, String)>,
    /// The last `thinking_level_change` on the branch.
    pub last_thinking: Option<rustyclaw_protocol::ThinkingLevel>,
}

impl Context {
    /// The messages to send: the summary as a user message, then the items.
    pub fn messages(&self) -> Vec<AgentMessage> {
        let mut out = Vec::with_capacity(self.items.len() + 1);
        if let Some(summary) = &self.summary {
            out.push(summary_message(summary));
        }
        out.extend(self.items.iter().map(|i| i.message.clone()));
        out
    }

    /// Applies one entry of the active branch.
    pub fn apply(&mut self, id: &EntryId, body: &EntryBody) {
        match body {
            EntryBody::Message(entry) => self.items.push(ContextItem {
                entry_id: id.clone(),
                message: entry.message.clone(),
            }),
            EntryBody::CustomMessage(entry) => self.items.push(ContextItem {
                entry_id: id.clone(),
                message: AgentMessage::User(UserMessage::new(entry.content.clone(), 0)),
            }),
            EntryBody::Compaction(entry) => {
                self.keep_from(Some(&entry.first_kept_entry_id));
                self.summary = Some(entry.summary.clone());
                self.compactions += 1;
            }
            EntryBody::Reset(entry) => {
                self.keep_from(entry.first_kept_entry_id.as_ref());
                self.summary = None;
            }
            EntryBody::ModelChange(entry) => {
                self.last_model = Some((entry.provider.clone(), entry.model_id.clone()));
            }
            EntryBody::ThinkingLevelChange(entry) => {
                self.last_thinking = Some(entry.thinking_level.clone());
            }
            EntryBody::BranchSummary(_)
            | EntryBody::Custom(_)
            | EntryBody::Label(_)
            | EntryBody::SessionInfo(_) => {}
        }
    }

    /// About how many bytes the context holds: its messages as JSON, counted without building
    /// the text (what the runtime weighs against its cache budget).
    pub fn approx_bytes(&self) -> usize {
        let mut counter = ByteCounter(0);
        for item in &self.items {
            // Writing to a counter cannot fail; a message that cannot be serialized counts
            // for what was written of it.
            let _ = serde_json::to_writer(&mut counter, &item.message);
        }
        counter.0 + self.summary.as_ref().map_or(0, String::len)
    }

    /// Drops items before `first_kept` (all of them when it is `None` or unknown).
    fn keep_from(&mut self, first_kept: Option<&EntryId>) {
        match first_kept.and_then(|id| self.items.iter().position(|i| &i.entry_id == id)) {
            Some(at) => {
                self.items.drain(..at);
            }
            None => self.items.clear(),
        }
    }
}

/// An `io::Write` that only counts the bytes written to it.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How a compaction summary is presented to the model.
pub(crate) fn summary_message(summary: &str) -> AgentMessage {
    AgentMessage::User(UserMessage::new(
        MessageContent::Text(format!(
            "The earlier part of this conversation was compacted. Summary of it:\n<summary>\n{summary}\n</summary>"
        )),
        0,
    ))
}

/// A transcript loaded from the store: its writer positioned at the leaf and the context.
pub(crate) struct Loaded {
    pub writer: TranscriptWriter,
    pub context: Context,
}

/// Loads the transcript of `session_id` (which may not exist yet).
pub(crate) async fn load(
    store: &Store,
    session_id: &SessionId,
    cwd: &str,
) -> Result<Loaded, AgentError> {
    let mut entries: Vec<TranscriptEntry> = Vec::new();
    let mut has_header = false;
    let mut after = 0;
    loop {
        let page = store
            .transcript(session_id, after, PAGE)
            .await
            .map_err(|source| AgentError::Store { source })?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        let full = page.len() == PAGE;
        for stored in page {
            match stored.line {
                TranscriptLine::Session(_) => has_header = true,
                TranscriptLine::Entry(entry) => entries.push(entry),
            }
        }
        if !full {
            break;
        }
    }
    // The active branch is the parent chain of the last entry written.
    let index: HashMap<&EntryId, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (&e.id, i))
        .collect();
    let mut branch = Vec::new();
    let mut cursor = entries.len().checked_sub(1);
    while let Some(at) = cursor {
        branch.push(at);
        cursor = entries[at]
            .parent_id
            .as_ref()
            .and_then(|p| index.get(p).copied());
    }
    branch.reverse();
    let mut context = Context::default();
    for at in &branch {
        let entry = &entries[*at];
        context.apply(&entry.id, &entry.body);
    }
    let leaf = entries.last().map(|e| e.id.clone());
    Ok(Loaded {
        writer: TranscriptWriter {
            session_id: session_id.clone(),
            leaf,
            has_header,
            cwd: cwd.to_owned(),
        },
        context,
    })
}
