//! The fake Bot API's state: the update queue, the chats, messages and files it knows, the
//! calls it received and the faults scripted for it. Locks are never held across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};

use super::faults::{Fault, FaultRule};
use super::inbound::{FakeChat, FakeFile};
use super::params;
use super::record::{BotMessage, RecordedCall};

/// Locks `mutex`, recovering the data if a handler panicked while holding it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The bot the fake plays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeBot {
    /// Its user id (the token's prefix).
    pub id: i64,
    /// Its `@username` without the `@`.
    pub username: String,
    /// Its display name.
    pub first_name: String,
}

impl FakeBot {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "is_bot": true,
            "first_name": self.first_name,
            "username": self.username,
            "can_join_groups": true,
            "can_read_all_group_messages": false,
            "supports_inline_queries": false,
        })
    }
}

pub(crate) struct QueuedUpdate {
    pub id: i64,
    /// The payload field, e.g. `message`.
    pub kind: String,
    /// The whole update, `update_id` included.
    pub body: Value,
}

pub(crate) struct StoredFile {
    pub meta: FakeFile,
    pub bytes: Bytes,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub next_update_id: i64,
    pub queue: VecDeque<QueuedUpdate>,
    pub allowed_updates: Option<Vec<String>>,
    pub chats: HashMap<i64, FakeChat>,
    pub next_message_id: HashMap<i64, i64>,
    /// Every message the fake knows (pushed or sent), by chat and id.
    pub messages: HashMap<(i64, i64), Value>,
    pub files: HashMap<String, StoredFile>,
    pub file_ids_by_path: HashMap<String, String>,
    pub next_file: u64,
    pub calls: Vec<RecordedCall>,
    pub faults: Vec<FaultRule>,
    pub webhook: Option<String>,
    pub outbox: Vec<BotMessage>,
    pub callback_answers: Vec<String>,
    pub next_callback: u64,
}

impl Inner {
    pub fn next_message_id(&mut self, chat_id: i64) -> i64 {
        let next = self.next_message_id.entry(chat_id).or_insert(0);
        *next += 1;
        *next
    }

    pub fn enqueue(&mut self, kind: &str, payload: Value) -> i64 {
        self.next_update_id += 1;
        let id = self.next_update_id;
        let mut body = json!({"update_id": id});
        body[kind] = payload;
        self.queue.push_back(QueuedUpdate {
            id,
            kind: kind.to_owned(),
            body,
        });
        id
    }

    pub fn chat_by_param(&self, value: Option<&Value>) -> Option<FakeChat> {
        match value? {
            Value::String(name) if name.starts_with('@') => {
                let name = &name[1..];
                self.chats
                    .values()
                    .find(|chat| chat.username.as_deref() == Some(name))
                    .cloned()
            }
            other => self.chats.get(&params::int_value(other)?).cloned(),
        }
    }

    pub fn add_file(&mut self, file_name: &str, bytes: Bytes, folder: &str) -> FakeFile {
        self.next_file += 1;
        let n = self.next_file;
        let extension = file_name.rsplit_once('.').map_or("", |(_, ext)| ext);
        let file_path = if extension.is_empty() {
            format!("{folder}/file_{n}")
        } else {
            format!("{folder}/file_{n}.{extension}")
        };
        let meta = FakeFile {
            file_id: format!("FAKEFILE{n:06}-{}", file_name.len()),
            file_unique_id: format!("U{n:06}"),
            file_path: file_path.clone(),
            size: bytes.len() as u64,
            file_name: file_name.to_owned(),
        };
        self.file_ids_by_path
            .insert(file_path, meta.file_id.clone());
        self.files.insert(
            meta.file_id.clone(),
            StoredFile {
                meta: meta.clone(),
                bytes,
            },
        );
        meta
    }

    /// Takes the first scripted fault matching the call, consuming one of its uses.
    pub fn take_fault(&mut self, call: &RecordedCall) -> Option<Fault> {
        let method = call.method.to_ascii_lowercase();
        let position = self.faults.iter().position(|rule| {
            rule.method.as_ref().is_none_or(|m| *m == method)
                && rule.param.as_ref().is_none_or(|(name, value)| {
                    call.str_param(name).as_deref() == Some(value.as_str())
                })
                && rule.remaining != Some(0)
        })?;
        let rule = &mut self.faults[position];
        let fault = rule.fault.clone();
        if let Some(remaining) = &mut rule.remaining {
            *remaining -= 1;
            if *remaining == 0 {
                self.faults.remove(position);
            }
        }
        Some(fault)
    }
}

/// Everything the handlers share.
pub(crate) struct Shared {
    pub token: String,
    pub bot: FakeBot,
    pub inner: Mutex<Inner>,
    /// Woken when an update is queued or the queue is dropped.
    pub updates_changed: Notify,
    /// Woken after each recorded call.
    pub calls_changed: Notify,
    /// Bumped by each `getUpdates`, so the poll it replaces ends with a 409 as on Telegram.
    pub poll_generation: watch::Sender<u64>,
    /// Becomes `true` when the server stops: hanging requests end then.
    pub shutdown: watch::Sender<bool>,
}

impl Shared {
    pub fn new(token: String, bot: FakeBot) -> Self {
        Self {
            token,
            bot,
            inner: Mutex::default(),
            updates_changed: Notify::new(),
            calls_changed: Notify::new(),
            poll_generation: watch::Sender::new(0),
            shutdown: watch::Sender::new(false),
        }
    }

    pub fn inner(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }
}
