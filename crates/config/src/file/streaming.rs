//! Block streaming: a reply sent in blocks while the model writes it (OpenClaw's
//! `concepts/streaming.md`). The defaults live under `agents.defaults`
//! (`blockStreamingDefault`, `blockStreamingBreak`, `blockStreamingChunk`,
//! `blockStreamingCoalesce`, `humanDelay`); a channel or account turns it on or off with
//! `streaming.block.enabled` and tunes the merging of blocks with `streaming.block.coalesce`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ChunkMode;

/// `agents.defaults.blockStreamingDefault`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnOff {
    /// On.
    On,
    /// Off.
    Off,
}

/// `agents.defaults.blockStreamingBreak`: when blocks leave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlockStreamingBreak {
    /// As soon as a block is complete (the default).
    #[default]
    TextEnd,
    /// When the model's message ends (before a tool call, or at the end of the run).
    MessageEnd,
}

/// `breakPreference` of `blockStreamingChunk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BlockBreakPreference {
    /// A blank line (the default).
    Paragraph,
    /// A line end.
    Newline,
    /// A sentence end.
    Sentence,
}

/// `agents.defaults.blockStreamingChunk`: how big a block is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlockStreamingChunk {
    /// A block waits for this many characters (default 800).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_chars: Option<u32>,
    /// No block is longer (default 1200, at most the channel's `textChunkLimit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<u32>,
    /// Where a block prefers to end: `paragraph` (default), `newline` or `sentence`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_preference: Option<BlockBreakPreference>,
}

/// `blockStreamingCoalesce` and `streaming.block.coalesce`: consecutive blocks merged into one
/// message before they are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlockCoalesce {
    /// Merged blocks wait for this many characters (default: the chunk's `minChars`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_chars: Option<u32>,
    /// Merged blocks are sent once this long (default: the channel's `textChunkLimit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<u32>,
    /// Blocks are sent after this long without a new one, milliseconds (default 1000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_ms: Option<u64>,
}

/// `humanDelay`: a random pause between block replies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HumanDelaySection {
    /// `off` (default), `natural` (800–2500 ms) or `custom` (`minMs`–`maxMs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<HumanDelayMode>,
    /// Shortest pause for `custom`, milliseconds (default 800).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_ms: Option<u64>,
    /// Longest pause for `custom`, milliseconds (default 2500).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<u64>,
}

/// `humanDelay.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HumanDelayMode {
    /// No pause.
    Off,
    /// 800–2500 ms.
    Natural,
    /// `minMs`–`maxMs`.
    Custom,
}

/// `channels.<id>.streaming.block`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StreamingBlock {
    /// Send replies in blocks as they are written (default: `agents.defaults.blockStreamingDefault`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// How blocks are merged before they are sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coalesce: Option<BlockCoalesce>,
}

/// `channels.irc.streaming` (IRC cannot edit what it sent, so it has no preview modes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IrcStreaming {
    /// How long replies are split: `length` or `newline` (wins over the flat `chunkMode`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk_mode: Option<ChunkMode>,
    /// Block streaming.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<StreamingBlock>,
}
