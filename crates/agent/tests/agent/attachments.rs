//! Files that come with a message: an image reaches the model as an image (and stays in the
//! transcript, so later turns replay it); any other file as OpenClaw's media note.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use pretty_assertions::assert_eq;
use rustyclaw_agent::{Op, RunStatus};
use rustyclaw_protocol::TranscriptLine;
use rustyclaw_protocol::attachment::{AttachmentKind, InboundAttachment};
use rustyclaw_protocol::transcript::{
    AgentMessage, ContentBlock, EntryBody, ImageContent, MessageContent,
};
use rustyclaw_testkit::fake_llm::{FakeLlm, RecordedRequest, Turn};
use serde_json::{Map, Value, json};

use super::harness::Harness;

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0xc9, 0xfe, 0x92, 0xef, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The fake provider as a model that accepts images.
fn vision_model(fake: &FakeLlm) -> Value {
    json!({"models": {"providers": {"fake": {
        "baseUrl": fake.base_url(),
        "api": "openai-completions",
        "apiKey": "sk-fake-test-key-0000",
        "models": [{
            "id": "fake-model",
            "contextWindow": 32000,
            "maxTokens": 4096,
            "input": ["text", "image"]
        }]
    }}}})
}

fn saved(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn attachment(
    kind: AttachmentKind,
    path: PathBuf,
    mime_type: &str,
    file_name: &str,
) -> InboundAttachment {
    let size_bytes = std::fs::metadata(&path).unwrap().len();
    InboundAttachment {
        kind,
        path,
        mime_type: Some(mime_type.to_owned()),
        file_name: Some(file_name.to_owned()),
        size_bytes,
    }
}

/// Sends `text` with `attachments` to the main session and waits for the run to finish.
async fn send_with(h: &mut Harness, text: &str, attachments: Vec<InboundAttachment>) {
    let mut inbound = Harness::inbound(&Harness::main_key(), text);
    inbound.attachments = attachments;
    let run_id = inbound.run_id.clone();
    h.runtime.submit(Op::Message(inbound)).unwrap();
    let (outcome, _) = h.wait(&run_id).await;
    assert_eq!(outcome.status, RunStatus::Done, "{:?}", outcome.error);
}

/// The user messages of a recorded chat-completions request.
fn user_messages(request: &RecordedRequest) -> Vec<Value> {
    request
        .messages()
        .iter()
        .filter(|m| m["role"] == "user")
        .cloned()
        .collect()
}

/// The contents of the user messages in the stored transcript.
async fn stored_user_contents(h: &Harness) -> Vec<MessageContent> {
    h.transcript()
        .await
        .into_iter()
        .filter_map(|line| match line {
            TranscriptLine::Entry(entry) => match entry.body {
                EntryBody::Message(m) => match m.message {
                    AgentMessage::User(user) => Some(user.content),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_photo_reaches_the_model_as_an_image_and_stays_in_the_history() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("A green pixel."));
    fake.push(Turn::text("Still green."));
    let mut h = Harness::start_with(&fake, vision_model(&fake)).await;
    let media = tempfile::tempdir().unwrap();
    let photo = saved(media.path(), "file_7.png", PNG);
    send_with(
        &mut h,
        "What is in this photo?",
        vec![attachment(
            AttachmentKind::Image,
            photo.clone(),
            "image/png",
            "photo.png",
        )],
    )
    .await;

    // The image itself, and upstream's note naming where it was saved.
    let data = base64::engine::general_purpose::STANDARD.encode(PNG);
    let text = format!(
        "[media attached: {} (image/png) \"photo.png\"]\nWhat is in this photo?",
        photo.display()
    );
    let sent = json!({"role": "user", "content": [
        {"type": "text", "text": text},
        {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{data}")}},
    ]});
    let requests = fake.requests();
    assert_eq!(user_messages(&requests[0]), std::slice::from_ref(&sent));

    // Stored as an image block, the way OpenClaw's transcripts hold one.
    assert_eq!(
        stored_user_contents(&h).await,
        [MessageContent::Blocks(vec![
            ContentBlock::text(text.clone()),
            ContentBlock::Image(ImageContent {
                data,
                mime_type: "image/png".into(),
                other: Map::new(),
            }),
        ])]
    );

    // The next turn replays it.
    h.send("And now?").await;
    let requests = fake.requests();
    assert_eq!(
        user_messages(&requests[1]),
        [sent, json!({"role": "user", "content": "And now?"})]
    );
    fake.assert_no_violations().unwrap();
}

#[tokio::test]
async fn other_files_reach_the_model_as_a_media_note() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("It is a report."));
    let mut h = Harness::start(&fake).await;
    let media = tempfile::tempdir().unwrap();
    let pdf = saved(media.path(), "file_8.pdf", b"%PDF-1.7\n");
    send_with(
        &mut h,
        "Summarise it.",
        vec![attachment(
            AttachmentKind::File,
            pdf.clone(),
            "application/pdf",
            "Q3 report.pdf",
        )],
    )
    .await;

    let text = format!(
        "[media attached: {} (application/pdf) \"Q3 report.pdf\"]\nSummarise it.",
        pdf.display()
    );
    assert_eq!(
        user_messages(&fake.requests()[0]),
        [json!({"role": "user", "content": text})]
    );
    assert_eq!(stored_user_contents(&h).await, [MessageContent::Text(text)]);
    fake.assert_no_violations().unwrap();
}

#[tokio::test]
async fn a_collected_burst_keeps_each_note_with_its_message_and_every_image() {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(
        Turn::text_deltas(["slow ", "reply"]).chunk_delay(std::time::Duration::from_millis(300)),
    );
    fake.push(Turn::text("Got both."));
    let mut h = Harness::start_with(&fake, vision_model(&fake)).await;
    let media = tempfile::tempdir().unwrap();
    let pdf = saved(media.path(), "file_9.pdf", b"%PDF-1.7\n");
    let photo = saved(media.path(), "file_10.png", PNG);
    let key = Harness::main_key();
    let first = Harness::inbound(&key, "first");
    let mut second = Harness::inbound(&key, "the report");
    second.attachments = vec![attachment(
        AttachmentKind::File,
        pdf.clone(),
        "application/pdf",
        "r.pdf",
    )];
    let mut third = Harness::inbound(&key, "");
    third.attachments = vec![attachment(
        AttachmentKind::Image,
        photo.clone(),
        "image/png",
        "p.png",
    )];
    let (r1, r2, r3) = (
        first.run_id.clone(),
        second.run_id.clone(),
        third.run_id.clone(),
    );
    h.runtime.submit(Op::Message(first)).unwrap();
    fake.wait_for_requests(1, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    h.runtime.submit(Op::Message(second)).unwrap();
    h.runtime.submit(Op::Message(third)).unwrap();
    h.wait(&r1).await;
    let (outcome, _) = h.wait(&r3).await;
    assert_eq!(outcome.reply_text().as_deref(), Some("Got both."));
    // One outcome for the two collected messages, naming both, so a channel delivers it once.
    assert_eq!(outcome.answered, [r2, r3]);

    let data = base64::engine::general_purpose::STANDARD.encode(PNG);
    let text = format!(
        "[Messages that arrived while you were busy]\n\
         \n---\nQueued #1\n[media attached: {} (application/pdf) \"r.pdf\"]\nthe report\n\
         \n---\nQueued #2\n[media attached: {} (image/png) \"p.png\"]\n",
        pdf.display(),
        photo.display()
    );
    let users = user_messages(&fake.requests()[1]);
    assert_eq!(
        users.last(),
        Some(&json!({"role": "user", "content": [
            {"type": "text", "text": text},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{data}")}},
        ]}))
    );
    fake.assert_no_violations().unwrap();
}
