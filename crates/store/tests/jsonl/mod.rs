//! OpenClaw JSONL import/export.

use pretty_assertions::assert_eq;
use rustyclaw_protocol::TranscriptError;
use rustyclaw_protocol::transcript::TranscriptVersion;
use rustyclaw_store::{Store, StoreError, TranscriptViolation};

use crate::support::{capture, key, session_id, temp_store};

const BENCH: &str = "transcript-events-bench-head.jsonl";

async fn export(store: &Store, session: &str) -> Vec<u8> {
    let mut out = Vec::new();
    store
        .export_jsonl(&session_id(session), &mut out)
        .await
        .unwrap();
    out
}

/// Asserts an import failed and left no trace.
async fn assert_nothing_stored(store: &Store, session: &str) {
    assert_eq!(store.transcript_len(&session_id(session)).await.unwrap(), 0);
    assert_eq!(store.list_sessions(None, 10).await.unwrap(), []);
    let report = store.integrity_check().await.unwrap();
    assert_eq!((report.sessions, report.transcript_lines), (0, 0));
}

#[tokio::test]
async fn captured_transcript_round_trips_byte_for_byte() {
    let (_dir, store) = temp_store().await;
    let original = std::fs::read(capture(BENCH)).unwrap();
    let session_key = key("agent:main:explicit:bench");

    let report = store
        .import_jsonl(&session_key, original.as_slice())
        .await
        .unwrap();
    assert_eq!(report.session_id.as_str(), "bench");
    assert_eq!(report.version, TranscriptVersion::V4);
    assert_eq!(report.lines, 12);
    assert!(report.created_session);

    let exported = export(&store, "bench").await;
    let original_text = String::from_utf8(original.clone()).unwrap();
    let exported_text = String::from_utf8(exported.clone()).unwrap();
    for (number, (a, b)) in original_text.lines().zip(exported_text.lines()).enumerate() {
        let a: serde_json::Value = serde_json::from_str(a).unwrap();
        let b: serde_json::Value = serde_json::from_str(b).unwrap();
        assert_eq!(a, b, "line {}", number + 1);
    }
    assert_eq!(exported_text.lines().count(), 12);
    assert_eq!(exported, original, "export is byte-identical");

    // The session row points at the imported transcript; updatedAt is the last line's time
    // (2026-11-21T20:12:33.026Z), the start the header's.
    let entry = store.get_session(&session_key).await.unwrap().unwrap();
    assert_eq!(entry.session_id.as_str(), "bench");
    assert_eq!(entry.updated_at, 1_795_291_953_026);
    assert_eq!(entry.session_started_at, Some(1_795_291_946_124));

    // Typed reads see the same lines.
    let lines = store
        .transcript(&session_id("bench"), 0, 100)
        .await
        .unwrap();
    assert_eq!(lines.len(), 12);
    assert_eq!(lines[4].line.type_name(), "message");

    // A second import of the same session id is refused.
    let again = store
        .import_jsonl(&session_key, original.as_slice())
        .await
        .unwrap_err();
    assert!(
        matches!(again, StoreError::TranscriptExists { .. }),
        "{again:?}"
    );
}

#[tokio::test]
async fn import_updates_an_existing_entry() {
    let (_dir, store) = temp_store().await;
    let session_key = key("agent:main:explicit:bench");
    let mut entry = rustyclaw_protocol::SessionEntry::new(session_id("older"), 2_000_000_000_000);
    entry.label = Some("kept".into());
    store.upsert_session(&session_key, &entry).await.unwrap();

    let original = std::fs::read(capture(BENCH)).unwrap();
    let report = store
        .import_jsonl(&session_key, original.as_slice())
        .await
        .unwrap();
    assert!(!report.created_session);
    let updated = store.get_session(&session_key).await.unwrap().unwrap();
    assert_eq!(updated.session_id.as_str(), "bench");
    assert_eq!(updated.label.as_deref(), Some("kept"));
    assert_eq!(
        updated.updated_at, 2_000_000_000_000,
        "updatedAt never goes back"
    );
}

#[tokio::test]
async fn version_3_transcript_imports() {
    let (_dir, store) = temp_store().await;
    let text = concat!(
        r#"{"type":"session","version":3,"id":"v3","timestamp":"2026-02-01T10:00:00.000Z","cwd":"/home/u/.openclaw/workspace"}"#,
        "\r\n",
        r#"{"type":"message","id":"a1b2c3d4","parentId":null,"timestamp":"2026-02-01T10:00:01.000Z","message":{"role":"user","content":[{"type":"text","text":"hi"}],"timestamp":1769940001000}}"#,
        "\n\n",
        r#"{"type":"label","id":"e5f6a7b8","parentId":"a1b2c3d4","timestamp":"2026-02-01T10:00:02.000Z","targetId":"a1b2c3d4","label":"start"}"#,
    );
    let report = store
        .import_jsonl(&key("agent:main:main"), text.as_bytes())
        .await
        .unwrap();
    assert_eq!(report.version, TranscriptVersion::V3);
    assert_eq!(report.lines, 3);
    let exported = String::from_utf8(export(&store, "v3").await).unwrap();
    let expected: String = text
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(exported, expected);
}

#[tokio::test]
async fn a_bad_line_aborts_the_import_naming_its_number() {
    let original = std::fs::read_to_string(capture(BENCH)).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    let with_line = |number: usize, replacement: &str| {
        let mut edited = lines.clone();
        edited[number - 1] = replacement;
        edited.join("\n")
    };
    let cases = [
        (with_line(3, "{\"type\":\"model_change\","), 3, "not JSON"),
        (
            with_line(
                7,
                r#"{"type":"mystery","id":"x","parentId":null,"timestamp":"t"}"#,
            ),
            7,
            "unknown type",
        ),
        (
            with_line(
                1,
                r#"{"type":"session","version":5,"id":"bench","timestamp":"t","cwd":"/"}"#,
            ),
            1,
            "version 5",
        ),
        (
            with_line(
                5,
                r#"{"type":"message","id":"m","parentId":null,"timestamp":"t"}"#,
            ),
            5,
            "missing message",
        ),
    ];
    for (text, expected_line, case) in cases {
        let (_dir, store) = temp_store().await;
        let error = store
            .import_jsonl(&key("agent:main:main"), text.as_bytes())
            .await
            .unwrap_err();
        let StoreError::InvalidLine { line, source } = &error else {
            panic!("{case}: unexpected error {error:?}")
        };
        assert_eq!(*line, expected_line, "{case}");
        match case {
            "not JSON" => assert!(matches!(source, TranscriptError::NotJson { .. })),
            "unknown type" => assert!(matches!(source, TranscriptError::UnknownType { .. })),
            "version 5" => {
                assert!(matches!(
                    source,
                    TranscriptError::UnsupportedVersion { version: 5 }
                ));
            }
            _ => assert!(matches!(source, TranscriptError::InvalidLine { .. })),
        }
        assert_nothing_stored(&store, "bench").await;
    }
}

#[tokio::test]
async fn structural_errors_abort_the_import_too() {
    let original = std::fs::read_to_string(capture(BENCH)).unwrap();
    let lines: Vec<&str> = original.lines().collect();

    // A dangling parent (line 9's parent removed by dropping line 8).
    let (_dir, store) = temp_store().await;
    let mut dropped = lines.clone();
    dropped.remove(7);
    let error = store
        .import_jsonl(&key("agent:main:main"), dropped.join("\n").as_bytes())
        .await
        .unwrap_err();
    let StoreError::TranscriptRejected { line, violation } = error else {
        panic!("unexpected error {error:?}")
    };
    assert_eq!(line, 8, "the line number counts lines of the file as given");
    assert!(matches!(
        violation,
        TranscriptViolation::UnknownParent { .. }
    ));
    assert_nothing_stored(&store, "bench").await;

    // No header.
    let (_dir, store) = temp_store().await;
    let error = store
        .import_jsonl(&key("agent:main:main"), lines[1..].join("\n").as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        StoreError::TranscriptRejected {
            line: 1,
            violation: TranscriptViolation::MissingHeader
        }
    ));
    assert_nothing_stored(&store, "bench").await;

    // Not UTF-8.
    let (_dir, store) = temp_store().await;
    let mut bytes = lines[..2].join("\n").into_bytes();
    bytes.extend_from_slice(b"\n{\"type\":\"label\xff\"}\n");
    let error = store
        .import_jsonl(&key("agent:main:main"), bytes.as_slice())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        StoreError::InvalidLine {
            line: 3,
            source: TranscriptError::NotUtf8 { .. }
        }
    ));
    assert_nothing_stored(&store, "bench").await;
}

#[tokio::test]
async fn exporting_an_unknown_transcript_is_not_found() {
    let (_dir, store) = temp_store().await;
    let error = store
        .export_jsonl(&session_id("none"), &mut Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::NotFound {
                what: "transcript",
                ..
            }
        ),
        "{error:?}"
    );
}
