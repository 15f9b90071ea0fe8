//! The sending side of the Bot API: what the bot posts, edits, deletes and downloads, checked
//! as Telegram checks it (known chat, non-empty text within 4096 characters, valid HTML,
//! existing messages to reply to, edit or delete).

use serde_json::{Map, Value, json};

use super::html;
use super::inbound::FakeChat;
use super::params;
use super::record::{BotMessage, RecordedCall};
use super::server::{Answer, ApiError};
use super::state::{Inner, Shared};

/// Telegram's limit on a message's text, in UTF-16 code units after entity parsing.
const MAX_TEXT_UNITS: usize = 4096;
/// Telegram's limit on a caption.
const MAX_CAPTION_UNITS: usize = 1024;
/// The largest file `getFile` serves (20 MB).
const MAX_GET_FILE_BYTES: u64 = 20 * 1024 * 1024;

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

fn chat(inner: &Inner, params: &Map<String, Value>) -> Result<FakeChat, ApiError> {
    if !params.contains_key("chat_id") {
        return Err(ApiError::bad_request("Bad Request: chat_id is empty"));
    }
    inner
        .chat_by_param(params.get("chat_id"))
        .ok_or_else(|| ApiError::bad_request("Bad Request: chat not found"))
}

/// Checks `text` against the parse mode and the length limit.
fn check_text(
    text: &str,
    parse_mode: Option<&str>,
    limit: usize,
    too_long: &str,
) -> Result<(), ApiError> {
    let visible = match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        Some("html") => html::visible_text(text).map_err(ApiError::bad_request)?,
        Some("markdownv2" | "markdown") | None => text.to_owned(),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Bad Request: unsupported parse_mode \"{other}\""
            )));
        }
    };
    if visible.encode_utf16().count() > limit {
        return Err(ApiError::bad_request(too_long.to_owned()));
    }
    Ok(())
}

/// The reply target, checked as Telegram does.
fn reply_to(
    inner: &Inner,
    chat_id: i64,
    params: &Map<String, Value>,
) -> Result<Option<Value>, ApiError> {
    let (message_id, allow_missing) = match params::json(params, "reply_parameters") {
        Some(reply) => (
            reply.get("message_id").and_then(params::int_value),
            reply
                .get("allow_sending_without_reply")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        ),
        None => (
            params::int(params, "reply_to_message_id"),
            params::flag(params, "allow_sending_without_reply"),
        ),
    };
    let Some(message_id) = message_id else {
        return Ok(None);
    };
    match inner.messages.get(&(chat_id, message_id)) {
        Some(message) => Ok(Some(message.clone())),
        None if allow_missing => Ok(None),
        None => Err(ApiError::bad_request(
            "Bad Request: message to be replied not found",
        )),
    }
}

/// Builds, stores and records a message the bot sends.
fn post(
    shared: &Shared,
    inner: &mut Inner,
    call: &RecordedCall,
    chat: &FakeChat,
    content: Map<String, Value>,
    text: Option<String>,
) -> Answer {
    let params = &call.params;
    let reply = reply_to(inner, chat.id, params)?;
    let thread_id = params::int(params, "message_thread_id");
    let message_id = inner.next_message_id(chat.id);
    let mut message = json!({
        "message_id": message_id,
        "from": shared.bot.to_json(),
        "chat": chat.to_json(),
        "date": now(),
    });
    if let Some(thread_id) = thread_id {
        message["message_thread_id"] = json!(thread_id);
        message["is_topic_message"] = json!(true);
    }
    if let Some(reply) = &reply {
        message["reply_to_message"] = reply.clone();
    }
    if let Value::Object(fields) = &mut message {
        fields.extend(content);
    }
    inner
        .messages
        .insert((chat.id, message_id), message.clone());
    inner.outbox.push(BotMessage {
        method: call.method.clone(),
        chat_id: chat.id,
        message_id,
        message_thread_id: thread_id,
        text,
        parse_mode: params::string(params, "parse_mode"),
        reply_to_message_id: reply
            .as_ref()
            .and_then(|reply| reply.get("message_id"))
            .and_then(Value::as_i64),
        edits: 0,
        deleted: false,
    });
    Ok(message)
}

pub(crate) fn send_message(shared: &Shared, call: &RecordedCall) -> Answer {
    let params = &call.params;
    let mut inner = shared.inner();
    let chat = chat(&inner, params)?;
    let text = params::string(params, "text").unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("Bad Request: message text is empty"));
    }
    let parse_mode = params::string(params, "parse_mode");
    check_text(
        &text,
        parse_mode.as_deref(),
        MAX_TEXT_UNITS,
        "Bad Request: message is too long",
    )?;
    let content = Map::from_iter([("text".to_owned(), json!(text))]);
    post(shared, &mut inner, call, &chat, content, Some(text))
}

pub(crate) fn edit_message_text(shared: &Shared, call: &RecordedCall) -> Answer {
    let params = &call.params;
    let mut inner = shared.inner();
    let chat = chat(&inner, params)?;
    let message_id = params::int(params, "message_id")
        .ok_or_else(|| ApiError::bad_request("Bad Request: message identifier is not specified"))?;
    let text = params::string(params, "text").unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("Bad Request: message text is empty"));
    }
    let parse_mode = params::string(params, "parse_mode");
    check_text(
        &text,
        parse_mode.as_deref(),
        MAX_TEXT_UNITS,
        "Bad Request: MESSAGE_TOO_LONG",
    )?;
    let Some(sent) = inner
        .outbox
        .iter_mut()
        .find(|sent| sent.chat_id == chat.id && sent.message_id == message_id && !sent.deleted)
    else {
        return Err(ApiError::bad_request(
            "Bad Request: message to edit not found",
        ));
    };
    if sent.text.as_deref() == Some(text.as_str()) && sent.parse_mode == parse_mode {
        return Err(ApiError::bad_request(
            "Bad Request: message is not modified: specified new message content and reply \
             markup of the existing message are exactly the same",
        ));
    }
    sent.text = Some(text.clone());
    sent.parse_mode = parse_mode;
    sent.edits += 1;
    let message = inner
        .messages
        .get_mut(&(chat.id, message_id))
        .ok_or_else(|| ApiError::bad_request("Bad Request: message to edit not found"))?;
    message["text"] = json!(text);
    message["edit_date"] = json!(now());
    Ok(message.clone())
}

pub(crate) fn delete_message(shared: &Shared, call: &RecordedCall) -> Answer {
    let params = &call.params;
    let mut inner = shared.inner();
    let chat = chat(&inner, params)?;
    let message_id = params::int(params, "message_id")
        .ok_or_else(|| ApiError::bad_request("Bad Request: message identifier is not specified"))?;
    if inner.messages.remove(&(chat.id, message_id)).is_none() {
        return Err(ApiError::bad_request(
            "Bad Request: message to delete not found",
        ));
    }
    if let Some(sent) = inner
        .outbox
        .iter_mut()
        .find(|sent| sent.chat_id == chat.id && sent.message_id == message_id)
    {
        sent.deleted = true;
    }
    Ok(Value::Bool(true))
}

pub(crate) fn send_chat_action(shared: &Shared, call: &RecordedCall) -> Answer {
    let inner = shared.inner();
    chat(&inner, &call.params)?;
    match params::string(&call.params, "action").as_deref() {
        Some(
            "typing" | "upload_photo" | "record_video" | "upload_video" | "record_voice"
            | "upload_voice" | "upload_document" | "choose_sticker" | "find_location"
            | "record_video_note" | "upload_video_note",
        ) => Ok(Value::Bool(true)),
        _ => Err(ApiError::bad_request(
            "Bad Request: wrong parameter action in request",
        )),
    }
}

pub(crate) fn set_message_reaction(shared: &Shared, call: &RecordedCall) -> Answer {
    let inner = shared.inner();
    let chat = chat(&inner, &call.params)?;
    let message_id = params::int(&call.params, "message_id").unwrap_or_default();
    if !inner.messages.contains_key(&(chat.id, message_id)) {
        return Err(ApiError::bad_request(
            "Bad Request: message to react not found",
        ));
    }
    let reactions = params::json(&call.params, "reaction").unwrap_or_else(|| json!([]));
    let valid = reactions.as_array().is_some_and(|reactions| {
        reactions
            .iter()
            .all(|reaction| reaction.get("type").and_then(Value::as_str).is_some())
    });
    if !valid {
        return Err(ApiError::bad_request("Bad Request: REACTION_INVALID"));
    }
    Ok(Value::Bool(true))
}

pub(crate) fn answer_callback_query(shared: &Shared, call: &RecordedCall) -> Answer {
    let id = params::string(&call.params, "callback_query_id").unwrap_or_default();
    let mut inner = shared.inner();
    if !id.starts_with("cbq") || inner.callback_answers.contains(&id) {
        return Err(ApiError::bad_request(
            "Bad Request: query is too old and response timeout expired or query ID is invalid",
        ));
    }
    inner.callback_answers.push(id);
    Ok(Value::Bool(true))
}

pub(crate) fn get_file(shared: &Shared, call: &RecordedCall) -> Answer {
    let file_id = params::string(&call.params, "file_id").unwrap_or_default();
    let inner = shared.inner();
    let Some(file) = inner.files.get(&file_id) else {
        return Err(ApiError::bad_request("Bad Request: invalid file_id"));
    };
    if file.meta.size > MAX_GET_FILE_BYTES {
        return Err(ApiError::bad_request("Bad Request: file is too big"));
    }
    Ok(json!({
        "file_id": file.meta.file_id,
        "file_unique_id": file.meta.file_unique_id,
        "file_size": file.meta.size,
        "file_path": file.meta.file_path,
    }))
}

/// `sendPhoto` and `sendDocument`: the file as an upload, a URL or a file id.
pub(crate) fn send_media(shared: &Shared, call: &RecordedCall, field: &str) -> Answer {
    let params = &call.params;
    let mut inner = shared.inner();
    let chat = chat(&inner, params)?;
    let caption = params::string(params, "caption");
    if let Some(caption) = &caption {
        check_text(
            caption,
            params::string(params, "parse_mode").as_deref(),
            MAX_CAPTION_UNITS,
            "Bad Request: message caption is too long",
        )?;
    }
    let upload = call.files.iter().find(|file| file.field == field);
    let stored = match (upload, params::string(params, field)) {
        (Some(upload), _) => {
            let name = upload.file_name.clone().unwrap_or_else(|| field.to_owned());
            inner.add_file(&name, upload.bytes.clone(), &format!("{field}s"))
        }
        // `attach://name` refers to a part of another name.
        (None, Some(reference)) if reference.starts_with("attach://") => {
            let part = &reference["attach://".len()..];
            let Some(upload) = call.files.iter().find(|file| file.field == part) else {
                return Err(ApiError::bad_request(format!(
                    "Bad Request: there is no {field} in the request"
                )));
            };
            let name = upload.file_name.clone().unwrap_or_else(|| field.to_owned());
            inner.add_file(&name, upload.bytes.clone(), &format!("{field}s"))
        }
        (None, Some(reference)) => match inner.files.get(&reference) {
            Some(existing) => existing.meta.clone(),
            // A URL: the fake does not fetch it, it stores the URL as the content.
            None if reference.starts_with("http://") || reference.starts_with("https://") => {
                let name = reference.rsplit('/').next().unwrap_or(field).to_owned();
                inner.add_file(&name, reference.clone().into(), &format!("{field}s"))
            }
            None => {
                return Err(ApiError::bad_request(
                    "Bad Request: wrong remote file identifier specified: Wrong string length",
                ));
            }
        },
        (None, None) => {
            return Err(ApiError::bad_request(format!(
                "Bad Request: there is no {field} in the request"
            )));
        }
    };
    let mut content = Map::new();
    let file = json!({
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    });
    if field == "photo" {
        let mut size = file;
        size["width"] = json!(1280);
        size["height"] = json!(720);
        content.insert("photo".to_owned(), json!([size]));
    } else {
        let mut document = file;
        document["file_name"] = json!(stored.file_name);
        content.insert(field.to_owned(), document);
    }
    if let Some(caption) = &caption {
        content.insert("caption".to_owned(), json!(caption));
    }
    post(shared, &mut inner, call, &chat, content, caption)
}
