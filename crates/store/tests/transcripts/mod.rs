//! Transcript appends and their invariants.

use pretty_assertions::assert_eq;
use rustyclaw_protocol::TranscriptLine;
use rustyclaw_store::{Store, StoreError, TranscriptViolation};

use crate::support::{header, id_of, session_id, temp_store, user_message};

async fn stored(store: &Store, session: &str) -> Vec<TranscriptLine> {
    let lines = store
        .transcript(&session_id(session), 0, usize::MAX)
        .await
        .unwrap();
    for (index, line) in lines.iter().enumerate() {
        assert_eq!(line.seq, index as u64 + 1);
    }
    lines.into_iter().map(|line| line.line).collect()
}

fn violation(error: StoreError) -> (usize, TranscriptViolation) {
    match error {
        StoreError::TranscriptRejected { line, violation } => (line, violation),
        other => panic!("expected a rejected line, got {other:?}"),
    }
}

#[tokio::test]
async fn appends_assign_contiguous_seqs_and_page() {
    let (_dir, store) = temp_store().await;
    let session = session_id("s1");
    let first = [header(&session), user_message("e1", None, "a")];
    assert_eq!(
        store.append_transcript(&session, &first).await.unwrap(),
        [1, 2]
    );
    let second = [
        user_message("e2", Some("e1"), "b"),
        user_message("e3", Some("e1"), "branch"),
    ];
    assert_eq!(
        store.append_transcript(&session, &second).await.unwrap(),
        [3, 4]
    );
    assert_eq!(
        store.append_transcript(&session, &[]).await.unwrap(),
        Vec::<u64>::new()
    );

    assert_eq!(store.transcript_len(&session).await.unwrap(), 4);
    assert_eq!(
        store.transcript_len(&session_id("nothing")).await.unwrap(),
        0
    );
    let page = store.transcript(&session, 1, 2).await.unwrap();
    assert_eq!(page.iter().map(|l| l.seq).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(id_of(&page[1].line), "e2");
    let all = stored(&store, "s1").await;
    assert_eq!(all, [&first[..], &second[..]].concat());
}

#[tokio::test]
async fn unknown_parent_rejects_the_whole_batch() {
    let (_dir, store) = temp_store().await;
    let session = session_id("s1");
    store
        .append_transcript(&session, &[header(&session), user_message("e1", None, "a")])
        .await
        .unwrap();
    let before = stored(&store, "s1").await;

    let batch = [
        user_message("e2", Some("e1"), "fine"),
        user_message("e3", Some("nope"), "bad"),
    ];
    let (line, violation) = violation(store.append_transcript(&session, &batch).await.unwrap_err());
    assert_eq!(line, 2);
    assert!(matches!(
        violation,
        TranscriptViolation::UnknownParent { ref entry_id, ref parent_id }
            if entry_id.as_str() == "e3" && parent_id.as_str() == "nope"
    ));
    assert_eq!(stored(&store, "s1").await, before);

    // A parent in another session does not count.
    let other = session_id("s2");
    let error = store
        .append_transcript(&other, &[header(&other), user_message("x", Some("e1"), "")])
        .await
        .unwrap_err();
    assert!(matches!(
        violation_of(error),
        TranscriptViolation::UnknownParent { .. }
    ));
    assert_eq!(store.transcript_len(&other).await.unwrap(), 0);
}

fn violation_of(error: StoreError) -> TranscriptViolation {
    violation(error).1
}

#[tokio::test]
async fn duplicate_ids_are_rejected_in_store_and_batch() {
    let (_dir, store) = temp_store().await;
    let session = session_id("s1");
    store
        .append_transcript(&session, &[header(&session), user_message("e1", None, "a")])
        .await
        .unwrap();
    let before = stored(&store, "s1").await;

    let again = store
        .append_transcript(&session, &[user_message("e1", None, "dup")])
        .await;
    assert!(matches!(
        violation_of(again.unwrap_err()),
        TranscriptViolation::DuplicateEntryId { entry_id } if entry_id.as_str() == "e1"
    ));
    let in_batch = [
        user_message("e2", Some("e1"), "b"),
        user_message("e2", Some("e1"), "c"),
    ];
    let (line, _) = violation(
        store
            .append_transcript(&session, &in_batch)
            .await
            .unwrap_err(),
    );
    assert_eq!(line, 2);
    assert_eq!(stored(&store, "s1").await, before);

    // The same entry id in another session is fine.
    let other = session_id("s2");
    store
        .append_transcript(&other, &[header(&other), user_message("e1", None, "a")])
        .await
        .unwrap();
}

#[tokio::test]
async fn header_must_come_first_and_only_first() {
    let (_dir, store) = temp_store().await;
    let session = session_id("s1");
    let missing = store
        .append_transcript(&session, &[user_message("e1", None, "a")])
        .await;
    assert_eq!(
        violation(missing.unwrap_err()),
        (1, TranscriptViolation::MissingHeader)
    );

    let wrong = store
        .append_transcript(&session, &[header(&session_id("other"))])
        .await;
    assert!(matches!(
        violation_of(wrong.unwrap_err()),
        TranscriptViolation::HeaderMismatch { .. }
    ));

    store
        .append_transcript(&session, &[header(&session)])
        .await
        .unwrap();
    let twice = store.append_transcript(&session, &[header(&session)]).await;
    assert_eq!(
        violation(twice.unwrap_err()),
        (1, TranscriptViolation::UnexpectedHeader)
    );
    assert_eq!(store.transcript_len(&session).await.unwrap(), 1);
}
