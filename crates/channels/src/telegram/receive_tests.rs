use pretty_assertions::assert_eq;
use rustyclaw_protocol::origin::{Chat, ChatId, MessageId, PeerId, Sender};
use rustyclaw_protocol::session_entry::{ChatType, ThreadId};
use serde_json::{Value, json};

use super::*;

const NOW: i64 = 1_760_000_000_000;

fn bot() -> BotIdentity {
    BotIdentity {
        id: 777,
        username: "claw_bot".to_owned(),
    }
}

fn receive(update: Value) -> Option<ReceivedMessage> {
    let update = Update::from_value(update).expect("an update id");
    received_message(&update, &bot(), NOW)
}

fn alice() -> Value {
    json!({"id": 1001, "is_bot": false, "first_name": "Alice", "last_name": "Liddell", "username": "alice"})
}

fn group() -> Value {
    json!({"id": -4001, "type": "group", "title": "Friends"})
}

fn message_in(chat: Value, extra: Value) -> Value {
    let mut message =
        json!({"message_id": 42, "from": alice(), "chat": chat, "date": 1_760_000_000});
    if let (Value::Object(fields), Value::Object(extra)) = (&mut message, extra) {
        fields.extend(extra);
    }
    json!({"update_id": 9, "message": message})
}

#[test]
fn a_direct_message() {
    let update = message_in(
        json!({"id": 1001, "type": "private", "first_name": "Alice"}),
        json!({"text": "hello"}),
    );
    assert_eq!(
        receive(update),
        Some(ReceivedMessage {
            message_id: MessageId::new("42"),
            chat: Chat {
                kind: ChatType::Direct,
                id: ChatId::new("1001"),
            },
            thread_id: None,
            sender: Some(Sender {
                id: PeerId::new("1001"),
                name: Some("Alice Liddell".to_owned()),
            }),
            sender_aliases: Vec::new(),
            reply_to_id: None,
            text: "hello".to_owned(),
            attachments: Vec::new(),
            mentions_bot: false,
            replies_to_bot: false,
            received_ms: NOW,
        })
    );
}

#[test]
fn chat_kinds_and_a_channel_post_spoken_by_the_channel() {
    let supergroup = message_in(
        json!({"id": -100_123, "type": "supergroup", "title": "Big"}),
        json!({"text": "hi", "message_thread_id": 40}),
    );
    let got = receive(supergroup).expect("message");
    assert_eq!(got.chat.kind, ChatType::Group);
    assert_eq!(got.chat.id, ChatId::new("-100123"));
    assert_eq!(
        got.thread_id, None,
        "a reply thread in a plain supergroup is no topic"
    );

    let post = json!({"update_id": 10, "channel_post": {
        "message_id": 5,
        "sender_chat": {"id": -100_999, "type": "channel", "title": "News"},
        "chat": {"id": -100_999, "type": "channel", "title": "News"},
        "date": 1,
        "text": "breaking"
    }});
    let got = receive(post).expect("message");
    assert_eq!(
        got.chat,
        Chat {
            kind: ChatType::Channel,
            id: ChatId::new("-100999"),
        }
    );
    assert_eq!(
        got.sender,
        Some(Sender {
            id: PeerId::new("-100999"),
            name: Some("News".to_owned()),
        })
    );
}

#[test]
fn forum_topics_are_threads_and_the_topic_root_is_not_a_reply() {
    let forum = json!({"id": -100_777, "type": "supergroup", "title": "Forum", "is_forum": true});
    let in_topic = message_in(
        forum.clone(),
        json!({
            "text": "in a topic",
            "message_thread_id": 5,
            "is_topic_message": true,
            "reply_to_message": {
                "message_id": 5, "chat": forum.clone(), "date": 1,
                "forum_topic_created": {"name": "Ideas", "icon_color": 7_322_096}
            }
        }),
    );
    let got = receive(in_topic).expect("message");
    assert_eq!(got.thread_id, Some(ThreadId::Number(5)));
    assert_eq!(got.reply_to_id, None);

    let in_general = message_in(forum.clone(), json!({"text": "in General"}));
    assert_eq!(
        receive(in_general).expect("message").thread_id,
        Some(ThreadId::Number(GENERAL_TOPIC))
    );

    let reply_in_topic = message_in(
        forum.clone(),
        json!({
            "text": "answering",
            "message_thread_id": 5,
            "is_topic_message": true,
            "reply_to_message": {
                "message_id": 31, "chat": forum, "date": 1,
                "from": {"id": 777, "is_bot": true, "first_name": "Claw", "username": "claw_bot"},
                "message_thread_id": 5, "is_topic_message": true, "text": "earlier"
            }
        }),
    );
    let got = receive(reply_in_topic).expect("message");
    assert_eq!(got.reply_to_id, Some(MessageId::new("31")));
    assert!(got.replies_to_bot);
}

#[test]
fn mentions_of_the_bot_by_entity() {
    let mentioned = |text: &str, entities: Value| {
        let update = message_in(group(), json!({"text": text, "entities": entities}));
        receive(update).expect("message").mentions_bot
    };
    assert!(mentioned(
        "hey @Claw_Bot look",
        json!([{"type": "mention", "offset": 4, "length": 9}])
    ));
    // Offsets count UTF-16 units: the emoji is two.
    assert!(mentioned(
        "😀 @claw_bot",
        json!([{"type": "mention", "offset": 3, "length": 9}])
    ));
    assert!(!mentioned(
        "hey @other_bot",
        json!([{"type": "mention", "offset": 4, "length": 10}])
    ));
    assert!(mentioned(
        "/status@claw_bot now",
        json!([{"type": "bot_command", "offset": 0, "length": 16}])
    ));
    assert!(!mentioned(
        "/status now",
        json!([{"type": "bot_command", "offset": 0, "length": 7}])
    ));
    assert!(mentioned(
        "Claw, hi",
        json!([{"type": "text_mention", "offset": 0, "length": 4,
                "user": {"id": 777, "is_bot": true, "first_name": "Claw"}}])
    ));
    // An entity past the end of the text is ignored, not a panic.
    assert!(!mentioned(
        "short",
        json!([{"type": "mention", "offset": 3, "length": 20}])
    ));
    // The plain text "@claw_bot" without an entity is no native mention.
    assert!(!mentioned("@claw_bot", json!([])));
}

#[test]
fn a_caption_is_the_text_and_its_entities_count() {
    let update = message_in(
        group(),
        json!({
            "caption": "@claw_bot what is this?",
            "caption_entities": [{"type": "mention", "offset": 0, "length": 9}],
            "photo": [
                {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90, "file_size": 900},
                {"file_id": "large", "file_unique_id": "l", "width": 1280, "height": 1280, "file_size": 90_000}
            ]
        }),
    );
    let got = receive(update).expect("message");
    assert_eq!(got.text, "@claw_bot what is this?");
    assert!(got.mentions_bot);
    assert_eq!(
        got.attachments,
        vec![ReceivedAttachment {
            kind: AttachmentKind::Image,
            file_id: "large".to_owned(),
            file_name: None,
            mime_type: Some("image/jpeg".to_owned()),
            size_bytes: Some(90_000),
        }]
    );
}

#[test]
fn attachment_kinds() {
    let kinds = |extra: Value| -> Vec<AttachmentKind> {
        receive(message_in(group(), extra))
            .expect("message")
            .attachments
            .into_iter()
            .map(|attachment| attachment.kind)
            .collect()
    };
    let file = |mime: &str| json!({"file_id": "f", "file_unique_id": "u", "file_name": "x", "mime_type": mime, "file_size": 3});
    assert_eq!(
        kinds(json!({"document": file("application/pdf")})),
        vec![AttachmentKind::File]
    );
    assert_eq!(
        kinds(json!({"document": file("image/PNG")})),
        vec![AttachmentKind::Image]
    );
    assert_eq!(
        kinds(json!({"voice": file("audio/ogg")})),
        vec![AttachmentKind::Voice]
    );
    assert_eq!(
        kinds(json!({"audio": file("audio/mpeg")})),
        vec![AttachmentKind::Audio]
    );
    assert_eq!(
        kinds(json!({"video": file("video/mp4")})),
        vec![AttachmentKind::Video]
    );
    let got =
        receive(message_in(group(), json!({"document": file("text/plain")}))).expect("message");
    assert_eq!(got.text, "");
    assert_eq!(got.attachments[0].file_name.as_deref(), Some("x"));
    assert_eq!(got.attachments[0].size_bytes, Some(3));
}

#[test]
fn what_gives_no_message() {
    // The bot's own message.
    let own = message_in(group(), json!({"text": "mine"}));
    let mut own = own;
    own["message"]["from"] = json!({"id": 777, "is_bot": true, "first_name": "Claw"});
    assert_eq!(receive(own), None);
    // A service message (a member joined): no text, no attachment.
    assert_eq!(
        receive(message_in(group(), json!({"new_chat_members": [alice()]}))),
        None
    );
    // An edit, a reaction, an update that does not parse.
    assert_eq!(
        receive(json!({"update_id": 1, "edited_message": {
            "message_id": 1, "chat": group(), "date": 1, "text": "edited"
        }})),
        None
    );
    assert_eq!(
        receive(json!({"update_id": 2, "message_reaction": {"chat": group()}})),
        None
    );
    assert_eq!(
        receive(json!({"update_id": 3, "message": {"message_id": "x"}})),
        None
    );
}

#[test]
fn a_button_press_is_a_message_with_its_data() {
    let press = json!({"update_id": 11, "callback_query": {
        "id": "4382",
        "from": {"id": 1001, "is_bot": false, "first_name": "Alice", "username": "alice"},
        "message": {
            "message_id": 50,
            "from": {"id": 777, "is_bot": true, "first_name": "Claw", "username": "claw_bot"},
            "chat": {"id": -100_777, "type": "supergroup", "title": "Forum", "is_forum": true},
            "message_thread_id": 5, "is_topic_message": true,
            "date": 1, "text": "Deploy?"
        },
        "chat_instance": "ci",
        "data": "deploy:yes"
    }});
    assert_eq!(
        receive(press.clone()),
        Some(ReceivedMessage {
            message_id: MessageId::new("cb:4382"),
            chat: Chat {
                kind: ChatType::Group,
                id: ChatId::new("-100777"),
            },
            thread_id: Some(ThreadId::Number(5)),
            sender: Some(Sender {
                id: PeerId::new("1001"),
                name: Some("Alice".to_owned()),
            }),
            sender_aliases: Vec::new(),
            reply_to_id: Some(MessageId::new("50")),
            text: "deploy:yes".to_owned(),
            attachments: Vec::new(),
            mentions_bot: false,
            replies_to_bot: true,
            received_ms: NOW,
        })
    );
    let mut without_data = press.clone();
    without_data["callback_query"]
        .as_object_mut()
        .expect("object")
        .remove("data");
    assert_eq!(receive(without_data), None);
    let mut inline = press;
    inline["callback_query"]
        .as_object_mut()
        .expect("object")
        .remove("message");
    assert_eq!(receive(inline), None);
}

#[test]
fn a_sender_without_a_name_is_named_by_username() {
    let mut update = message_in(group(), json!({"text": "x"}));
    update["message"]["from"] =
        json!({"id": 5, "is_bot": false, "first_name": " ", "username": "ghost"});
    assert_eq!(
        receive(update).expect("message").sender,
        Some(Sender {
            id: PeerId::new("5"),
            name: Some("ghost".to_owned()),
        })
    );
}
