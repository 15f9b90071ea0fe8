use pretty_assertions::assert_eq;
use serde_json::json;

use super::*;
use crate::levels::ThinkingLevel;

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/openclaw-2026.9.6/transcript-events-bench-head.jsonl"
);

#[test]
fn captured_lines_round_trip() {
    let text = std::fs::read_to_string(CAPTURE).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 12);
    for (number, raw) in lines.iter().enumerate() {
        let line = TranscriptLine::parse(raw)
            .unwrap_or_else(|error| panic!("line {}: {}", number + 1, error_chain(&error)));
        let original: Value = serde_json::from_str(raw).unwrap();
        let reserialized: Value = serde_json::from_str(&line.to_json().unwrap()).unwrap();
        assert_eq!(reserialized, original, "line {}", number + 1);
    }
}

#[test]
fn captured_lines_are_typed() {
    let text = std::fs::read_to_string(CAPTURE).unwrap();
    let lines: Vec<TranscriptLine> = text
        .lines()
        .map(|raw| TranscriptLine::parse(raw).unwrap())
        .collect();
    let header = lines[0].as_header().unwrap();
    assert_eq!(header.version, TranscriptVersion::V4);
    assert_eq!(header.id.as_str(), "bench");
    let types: Vec<&str> = lines.iter().map(TranscriptLine::type_name).collect();
    assert_eq!(
        types,
        [
            "session",
            "model_change",
            "thinking_level_change",
            "custom",
            "message",
            "message",
            "custom",
            "message",
            "message",
            "custom",
            "message",
            "message"
        ]
    );
    let first = lines[1].as_entry().unwrap();
    assert_eq!(first.parent_id, None);
    let EntryBody::Message(MessageEntry {
        message: AgentMessage::Assistant(reply),
        ..
    }) = &lines[5].as_entry().unwrap().body
    else {
        panic!("line 6 is not an assistant message")
    };
    assert_eq!(reply.stop_reason, StopReason::Stop);
    assert_eq!(reply.usage.total_tokens, 12_487);
    assert_eq!(reply.response_id.as_deref(), Some("chatcmpl-fake000001"));
    assert!(reply.other.contains_key("__openclaw"));
}

#[test]
fn version_3_header_is_accepted_and_others_rejected() {
    let v3 = r#"{"type":"session","version":3,"id":"s1","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/w","parentSession":"/p.jsonl"}"#;
    let line = TranscriptLine::parse(v3).unwrap();
    assert_eq!(line.as_header().unwrap().version, TranscriptVersion::V3);
    assert_eq!(line.to_json().unwrap(), v3);

    let v5 = r#"{"type":"session","version":5,"id":"s1","timestamp":"t","cwd":"/w"}"#;
    let error = TranscriptLine::parse(v5).unwrap_err();
    assert!(
        matches!(error, TranscriptError::UnsupportedVersion { version: 5 }),
        "{error:?}"
    );
    assert!(error.to_string().contains("version 5"));

    let missing = r#"{"type":"session","id":"s1","timestamp":"t","cwd":"/w"}"#;
    assert!(matches!(
        TranscriptLine::parse(missing),
        Err(TranscriptError::MissingField { field: "version" })
    ));
    let text = r#"{"type":"session","version":"4","id":"s1","timestamp":"t","cwd":"/w"}"#;
    assert!(matches!(
        TranscriptLine::parse(text),
        Err(TranscriptError::WrongType {
            field: "version",
            ..
        })
    ));
}

#[test]
fn errors_say_what_is_wrong() {
    assert!(matches!(
        TranscriptLine::parse("{not json"),
        Err(TranscriptError::NotJson { .. })
    ));
    assert!(matches!(
        TranscriptLine::parse("[1]"),
        Err(TranscriptError::NotAnObject { found: "array" })
    ));
    assert!(matches!(
        TranscriptLine::parse(r#"{"id":"a"}"#),
        Err(TranscriptError::MissingField { field: "type" })
    ));
    let unknown = TranscriptLine::parse(r#"{"type":"mystery","id":"a"}"#).unwrap_err();
    assert!(
        matches!(&unknown, TranscriptError::UnknownType { type_name } if type_name == "mystery")
    );
    assert!(matches!(
        TranscriptLine::parse(r#"{"type":"label","parentId":null,"timestamp":"t","targetId":"x"}"#),
        Err(TranscriptError::MissingField { field: "id" })
    ));
    assert!(matches!(
        TranscriptLine::parse(r#"{"type":"label","id":"a","timestamp":"t","targetId":"x"}"#),
        Err(TranscriptError::MissingField { field: "parentId" })
    ));
    assert!(matches!(
        TranscriptLine::parse(r#"{"type":"label","id":"a","parentId":7,"timestamp":"t"}"#),
        Err(TranscriptError::WrongType {
            field: "parentId",
            ..
        })
    ));
    assert!(matches!(
        TranscriptLine::parse(r#"{"type":"label","id":"","parentId":null,"timestamp":"t"}"#),
        Err(TranscriptError::InvalidId { field: "id", .. })
    ));
    let body = TranscriptLine::parse(
        r#"{"type":"model_change","id":"a","parentId":null,"timestamp":"t","provider":"p"}"#,
    )
    .unwrap_err();
    assert!(matches!(
        body,
        TranscriptError::InvalidLine {
            line_type: "model_change",
            ..
        }
    ));
    assert!(
        error_chain(&body).contains("missing field `modelId`"),
        "{}",
        error_chain(&body)
    );
}

#[test]
fn every_entry_type_round_trips() {
    let envelope = json!({"id": "e1", "parentId": "e0", "timestamp": "2026-01-01T00:00:00.000Z"});
    let bodies = [
        json!({"type": "message", "message": {"role": "user", "content": "hi", "timestamp": 1}}),
        json!({"type": "model_change", "provider": "openai", "modelId": "gpt"}),
        json!({"type": "thinking_level_change", "thinkingLevel": "high"}),
        json!({"type": "compaction", "summary": "s", "firstKeptEntryId": "e0", "tokensBefore": 9,
               "details": {"readFiles": []}, "fromHook": false}),
        json!({"type": "branch_summary", "fromId": "e0", "summary": "s"}),
        json!({"type": "custom", "customType": "openclaw.cache-ttl", "data": null}),
        json!({"type": "custom_message", "customType": "x", "content": [{"type": "text", "text": "t"}],
               "display": true}),
        json!({"type": "label", "targetId": "e0", "label": "important"}),
        json!({"type": "session_info", "name": "Trip planning"}),
        json!({"type": "reset", "firstKeptEntryId": "e0", "reason": "daily"}),
    ];
    for body in bodies {
        let mut value = envelope.clone();
        value
            .as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        let line = TranscriptLine::from_value(value.clone())
            .unwrap_or_else(|error| panic!("{body}: {}", error_chain(&error)));
        assert_eq!(line.type_name(), body["type"]);
        let back: Value = serde_json::from_str(&line.to_json().unwrap()).unwrap();
        assert_eq!(back, value);
    }
}

#[test]
fn constructed_entries_serialize_in_pi_order() {
    let header = SessionHeader::new(
        SessionId::new("s1").unwrap(),
        format_timestamp(1_795_291_946_124),
        "/work".into(),
    );
    assert_eq!(
        TranscriptLine::from(header).to_json().unwrap(),
        r#"{"type":"session","version":4,"id":"s1","timestamp":"2026-11-21T20:12:26.124Z","cwd":"/work"}"#
    );
    let entry = TranscriptEntry::new(
        EntryId::new("e2").unwrap(),
        Some(EntryId::new("e1").unwrap()),
        "2026-11-21T20:12:26.124Z".into(),
        ThinkingLevelChangeEntry::new(ThinkingLevel::Low),
    );
    assert_eq!(
        TranscriptLine::from(entry).to_json().unwrap(),
        r#"{"type":"thinking_level_change","id":"e2","parentId":"e1","timestamp":"2026-11-21T20:12:26.124Z","thinkingLevel":"low"}"#
    );
    let root = TranscriptEntry::new(
        EntryId::new("e1").unwrap(),
        None,
        "t".into(),
        MessageEntry::new(AgentMessage::User(UserMessage::new(
            MessageContent::Text("hi".into()),
            5,
        ))),
    );
    assert_eq!(
        TranscriptLine::from(root).to_json().unwrap(),
        r#"{"type":"message","id":"e1","parentId":null,"timestamp":"t","message":{"role":"user","content":"hi","timestamp":5}}"#
    );
}

#[test]
fn serde_deserialize_uses_the_same_validation() {
    let error = serde_json::from_str::<TranscriptLine>(r#"{"type":"nope"}"#).unwrap_err();
    assert!(error.to_string().contains("unknown line type"), "{error}");
}
