//! Sending, editing and deleting messages, typing and reactions, as the fake records them.

use pretty_assertions::assert_eq;
use rustyclaw_channels::telegram::{
    ChatAction, ChatId, DeleteMessage, EditMessageText, LinkPreviewOptions, ParseMode,
    ReactionType, ReplyParameters, SendChatAction, SendMessage, SetMessageReaction,
};
use rustyclaw_testkit::fake_telegram::{Encoding, FakeChat, FakeTelegram, Inbound};
use serde_json::json;

use super::{alice, client, dm};

#[tokio::test]
async fn send_message_in_a_topic_replying_to_the_user() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let api = client(&telegram);
    let alice = alice();
    let forum = FakeChat::forum(-100_555, "Team");
    let asked = telegram.push_message(Inbound::text(&forum, &alice, "status?").in_topic(9, "Ops"));

    let mut message = SendMessage::new(forum.id, "<b>All green</b>");
    message.message_thread_id = Some(9);
    message.parse_mode = Some(ParseMode::Html);
    message.reply_parameters = Some(ReplyParameters::to(asked.message_id));
    message.link_preview_options = Some(LinkPreviewOptions {
        is_disabled: true,
        ..LinkPreviewOptions::default()
    });
    let sent = api.send_message(&message).await.expect("sendMessage");
    assert_eq!(sent.chat.id, forum.id);
    assert_eq!(sent.message_thread_id, Some(9));
    assert_eq!(
        sent.reply_to_message.as_ref().map(|reply| reply.message_id),
        Some(asked.message_id)
    );

    let call = &telegram.calls_to("sendMessage")[0];
    assert_eq!(call.encoding, Encoding::Json);
    assert_eq!(
        serde_json::Value::Object(call.params.clone()),
        json!({
            "chat_id": -100_555,
            "message_thread_id": 9,
            "text": "<b>All green</b>",
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": true},
            "reply_parameters": {"message_id": asked.message_id, "allow_sending_without_reply": true},
        })
    );
    let outbox = telegram.outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].message_thread_id, Some(9));
    assert_eq!(outbox[0].reply_to_message_id, Some(asked.message_id));
}

#[tokio::test]
async fn edit_delete_typing_and_reactions() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let api = client(&telegram);
    let alice = alice();
    let chat = dm(&alice);
    let asked = telegram.push_text(&chat, &alice, "hi");

    api.send_chat_action(&SendChatAction {
        chat_id: ChatId::Id(chat.id),
        message_thread_id: None,
        action: ChatAction::Typing,
    })
    .await
    .expect("typing");
    api.set_message_reaction(&SetMessageReaction {
        chat_id: ChatId::Id(chat.id),
        message_id: asked.message_id,
        reaction: vec![ReactionType::Emoji {
            emoji: "👀".to_owned(),
        }],
        is_big: false,
    })
    .await
    .expect("reaction");
    let draft = api
        .send_message(&SendMessage::new(chat.id, "thinking…"))
        .await
        .expect("send");
    let edited = api
        .edit_message_text(&EditMessageText {
            chat_id: ChatId::Id(chat.id),
            message_id: draft.message_id,
            text: "done".to_owned(),
            parse_mode: None,
            link_preview_options: None,
            reply_markup: None,
        })
        .await
        .expect("edit");
    assert_eq!(edited.text.as_deref(), Some("done"));
    api.delete_message(&DeleteMessage {
        chat_id: ChatId::Id(chat.id),
        message_id: draft.message_id,
    })
    .await
    .expect("delete");

    let outbox = telegram.outbox();
    assert_eq!(outbox[0].text.as_deref(), Some("done"));
    assert_eq!(outbox[0].edits, 1);
    assert!(outbox[0].deleted);
    assert_eq!(
        telegram.calls_to("setMessageReaction")[0].json_param("reaction"),
        Some(json!([{"type": "emoji", "emoji": "👀"}]))
    );
    assert_eq!(
        telegram.calls_to("sendChatAction")[0]
            .str_param("action")
            .as_deref(),
        Some("typing")
    );
}
