//! What users do, as the test scripts it: users, chats, and the messages and button presses
//! the fake turns into updates shaped as Telegram's.

use serde_json::{Value, json};

/// A Telegram user who writes to the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeUser {
    /// The user id.
    pub id: i64,
    /// First name.
    pub first_name: String,
    /// `@username` without the `@`.
    pub username: Option<String>,
}

impl FakeUser {
    /// A user without a username.
    pub fn new(id: i64, first_name: &str) -> Self {
        Self {
            id,
            first_name: first_name.to_owned(),
            username: None,
        }
    }

    /// The same user with a `@username`.
    pub fn with_username(self, username: &str) -> Self {
        Self {
            username: Some(username.to_owned()),
            ..self
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut user = json!({"id": self.id, "is_bot": false, "first_name": self.first_name});
        if let Some(username) = &self.username {
            user["username"] = json!(username);
        }
        user
    }
}

/// The kinds of chat the fake can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeChatKind {
    /// A DM.
    Private,
    /// A basic group.
    Group,
    /// A supergroup without topics.
    Supergroup,
    /// A supergroup with topics.
    Forum,
}

/// A chat the bot is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeChat {
    /// The chat id (the user's id for a DM, negative for groups).
    pub id: i64,
    /// Its kind.
    pub kind: FakeChatKind,
    /// The group's title, or the user's first name for a DM.
    pub title: String,
    /// The chat's `@username`, for public groups.
    pub username: Option<String>,
}

impl FakeChat {
    /// The DM with `user`.
    pub fn private(user: &FakeUser) -> Self {
        Self {
            id: user.id,
            kind: FakeChatKind::Private,
            title: user.first_name.clone(),
            username: user.username.clone(),
        }
    }

    /// A basic group (`id` negative, e.g. `-4001`).
    pub fn group(id: i64, title: &str) -> Self {
        Self::with_kind(id, title, FakeChatKind::Group)
    }

    /// A supergroup (`id` like `-100…`).
    pub fn supergroup(id: i64, title: &str) -> Self {
        Self::with_kind(id, title, FakeChatKind::Supergroup)
    }

    /// A supergroup with topics.
    pub fn forum(id: i64, title: &str) -> Self {
        Self::with_kind(id, title, FakeChatKind::Forum)
    }

    fn with_kind(id: i64, title: &str, kind: FakeChatKind) -> Self {
        Self {
            id,
            kind,
            title: title.to_owned(),
            username: None,
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut chat = match self.kind {
            FakeChatKind::Private => {
                json!({"id": self.id, "type": "private", "first_name": self.title})
            }
            FakeChatKind::Group => json!({"id": self.id, "type": "group", "title": self.title}),
            FakeChatKind::Supergroup => {
                json!({"id": self.id, "type": "supergroup", "title": self.title})
            }
            FakeChatKind::Forum => {
                json!({"id": self.id, "type": "supergroup", "title": self.title, "is_forum": true})
            }
        };
        if let Some(username) = &self.username {
            chat["username"] = json!(username);
        }
        chat
    }
}

/// A file stored on the fake's servers, downloadable with `getFile` and `/file/bot…/<path>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeFile {
    /// The id the bot passes to `getFile`.
    pub file_id: String,
    /// The stable id.
    pub file_unique_id: String,
    /// The download path `getFile` returns.
    pub file_path: String,
    /// The size in bytes.
    pub size: u64,
    /// The name a document is sent with.
    pub file_name: String,
}

/// What a message a user sends carries, beyond text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attachment {
    None,
    Photo(FakeFile),
    Document(FakeFile, String),
}

/// A message a user sends to the bot, built up and then pushed with
/// [`FakeTelegram::push_message`](super::FakeTelegram::push_message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub(crate) chat: FakeChat,
    pub(crate) from: FakeUser,
    pub(crate) text: Option<String>,
    pub(crate) caption: Option<String>,
    pub(crate) attachment: Attachment,
    pub(crate) topic: Option<(i64, String)>,
    pub(crate) reply_to: Option<i64>,
    pub(crate) edit_of: Option<i64>,
}

impl Inbound {
    /// A text message. Like Telegram, the fake adds `mention` and `bot_command` entities for
    /// `@name` and `/command` in it.
    pub fn text(chat: &FakeChat, from: &FakeUser, text: &str) -> Self {
        Self {
            chat: chat.clone(),
            from: from.clone(),
            text: Some(text.to_owned()),
            caption: None,
            attachment: Attachment::None,
            topic: None,
            reply_to: None,
            edit_of: None,
        }
    }

    /// A photo (add it first with [`FakeTelegram::add_file`](super::FakeTelegram::add_file)).
    pub fn photo(chat: &FakeChat, from: &FakeUser, file: &FakeFile) -> Self {
        Self {
            text: None,
            attachment: Attachment::Photo(file.clone()),
            ..Self::text(chat, from, "")
        }
    }

    /// A document with a MIME type.
    pub fn document(chat: &FakeChat, from: &FakeUser, file: &FakeFile, mime_type: &str) -> Self {
        Self {
            text: None,
            attachment: Attachment::Document(file.clone(), mime_type.to_owned()),
            ..Self::text(chat, from, "")
        }
    }

    /// A caption on a photo or document.
    pub fn with_caption(self, caption: &str) -> Self {
        Self {
            caption: Some(caption.to_owned()),
            ..self
        }
    }

    /// Sent in the forum topic `thread_id` (named `name`). Like Telegram, a topic message that
    /// replies to nothing else carries the topic's creation message as `reply_to_message`.
    pub fn in_topic(self, thread_id: i64, name: &str) -> Self {
        Self {
            topic: Some((thread_id, name.to_owned())),
            ..self
        }
    }

    /// A reply to the message `message_id` of the same chat (which the fake must know: an
    /// earlier pushed or sent message).
    pub fn replying_to(self, message_id: i64) -> Self {
        Self {
            reply_to: Some(message_id),
            ..self
        }
    }

    /// An edit of the earlier message `message_id`: pushed as an `edited_message` update.
    pub fn editing(self, message_id: i64) -> Self {
        Self {
            edit_of: Some(message_id),
            ..self
        }
    }
}

/// `mention` and `bot_command` entities for `text`, offsets in UTF-16 units, as Telegram's
/// server adds them.
pub(crate) fn entities(text: &str) -> Vec<Value> {
    let mut entities = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut offset16 = 0usize;
    let mut index = 0usize;
    while index < chars.len() {
        let start_char = chars[index];
        let at_word_start = index == 0 || chars[index - 1].is_whitespace();
        let kind = match start_char {
            '@' => Some("mention"),
            '/' if at_word_start => Some("bot_command"),
            _ => None,
        };
        let word = |c: &char| c.is_ascii_alphanumeric() || *c == '_';
        if let Some(kind) = kind {
            let mut end = index + 1;
            while end < chars.len()
                && (word(&chars[end]) || (kind == "bot_command" && chars[end] == '@'))
            {
                end += 1;
            }
            let length = end - index;
            let long_enough = if kind == "mention" {
                length > 3
            } else {
                length > 1
            };
            if long_enough {
                let length16: usize = chars[index..end].iter().map(|c| c.len_utf16()).sum();
                entities.push(json!({"type": kind, "offset": offset16, "length": length16}));
                offset16 += length16;
                index = end;
                continue;
            }
        }
        offset16 += start_char.len_utf16();
        index += 1;
    }
    entities
}
