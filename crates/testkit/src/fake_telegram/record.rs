//! What the bot did, kept for assertions: every call, and the messages it sent as they now
//! stand (after edits and deletions).

use serde_json::{Map, Value};

use super::faults::Fault;
use super::params::{self, Encoding, UploadedFile};

/// One Bot API call received, in arrival order (wrong tokens and scripted failures included).
#[derive(Debug, Clone)]
pub struct RecordedCall {
    /// Position in arrival order, from 0.
    pub index: usize,
    /// The method as written in the path, e.g. `sendMessage`.
    pub method: String,
    /// Whether the path carried the fake's token.
    pub authorized: bool,
    /// How the parameters were sent.
    pub encoding: Encoding,
    /// The parameters: JSON values from a JSON body, strings from a query or form.
    pub params: Map<String, Value>,
    /// The file parts of a multipart call.
    pub files: Vec<UploadedFile>,
    /// The scripted fault that answered it, if one did.
    pub fault: Option<Fault>,
}

impl RecordedCall {
    /// Whether this is a call of `method` (case-insensitive, as Telegram matches methods).
    pub fn is(&self, method: &str) -> bool {
        self.method.eq_ignore_ascii_case(method)
    }

    /// Parameter `name` as a string (numbers and booleans rendered as text).
    pub fn str_param(&self, name: &str) -> Option<String> {
        params::string(&self.params, name)
    }

    /// Parameter `name` as an integer, from a JSON number or a form string.
    pub fn int_param(&self, name: &str) -> Option<i64> {
        params::int(&self.params, name)
    }

    /// Parameter `name` as JSON, decoding it from a form string if need be.
    pub fn json_param(&self, name: &str) -> Option<Value> {
        params::json(&self.params, name)
    }
}

/// A message the bot sent, as it now stands in its chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotMessage {
    /// The call that sent it, e.g. `sendMessage`, `sendPhoto`.
    pub method: String,
    /// The chat.
    pub chat_id: i64,
    /// The id the fake gave it.
    pub message_id: i64,
    /// The forum topic it was posted in.
    pub message_thread_id: Option<i64>,
    /// The text or caption, as last set (markup included, as sent).
    pub text: Option<String>,
    /// The `parse_mode` it was last sent or edited with.
    pub parse_mode: Option<String>,
    /// The message it replies to.
    pub reply_to_message_id: Option<i64>,
    /// How many times it was edited.
    pub edits: usize,
    /// Whether it was deleted.
    pub deleted: bool,
}
