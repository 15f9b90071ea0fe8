//! Session rows.

use pretty_assertions::assert_eq;
use rustyclaw_protocol::{AgentId, SessionEntry};
use rustyclaw_store::{StoreError, TranscriptRetention};

use crate::support::{capture, header, key, session_id, temp_store, user_message};

fn entry(id: &str, updated_at: i64) -> SessionEntry {
    SessionEntry::new(session_id(id), updated_at)
}

#[tokio::test]
async fn captured_entry_is_stored_losslessly() {
    let (_dir, store) = temp_store().await;
    let rows: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(capture("session-nodes-entry.json")).unwrap(),
    )
    .unwrap();
    let original = rows[0]["entry"].clone();
    let session_key = key(rows[0]["session_key"].as_str().unwrap());
    let entry: SessionEntry = serde_json::from_value(original.clone()).unwrap();

    store.upsert_session(&session_key, &entry).await.unwrap();
    let read = store.get_session(&session_key).await.unwrap().unwrap();
    assert_eq!(serde_json::to_value(&read).unwrap(), original);
}

#[tokio::test]
async fn upsert_get_list_and_filter() {
    let (_dir, store) = temp_store().await;
    let main = key("agent:main:main");
    let work = key("agent:work:telegram:direct:7");
    let cron = key("cron:daily");
    store.upsert_session(&main, &entry("a", 10)).await.unwrap();
    store.upsert_session(&work, &entry("b", 30)).await.unwrap();
    store.upsert_session(&cron, &entry("c", 20)).await.unwrap();
    assert_eq!(
        store.get_session(&key("agent:main:other")).await.unwrap(),
        None
    );

    let all: Vec<_> = store
        .list_sessions(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.key)
        .collect();
    assert_eq!(all, [work.clone(), cron.clone(), main.clone()]);
    let limited = store.list_sessions(None, 1).await.unwrap();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].entry, entry("b", 30));

    // Keys outside any agent count as the default agent's.
    let mains: Vec<_> = store
        .list_sessions(Some(&AgentId::main()), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.key)
        .collect();
    assert_eq!(mains, [cron, main.clone()]);

    // Replacing moves the row in the ordering and may change the session id (a reset).
    let mut reset = entry("a2", 40);
    reset.label = Some("after reset".into());
    store.upsert_session(&main, &reset).await.unwrap();
    assert_eq!(store.get_session(&main).await.unwrap(), Some(reset));
    assert_eq!(store.list_sessions(None, 1).await.unwrap()[0].key, main);
}

#[tokio::test]
async fn a_session_id_belongs_to_one_key() {
    let (_dir, store) = temp_store().await;
    store
        .upsert_session(&key("agent:main:main"), &entry("shared", 1))
        .await
        .unwrap();
    let error = store
        .upsert_session(&key("agent:main:direct:9"), &entry("shared", 2))
        .await
        .unwrap_err();
    let StoreError::SessionIdInUse {
        session_id,
        session_key,
    } = error
    else {
        panic!("unexpected error {error:?}")
    };
    assert_eq!(session_id.as_str(), "shared");
    assert_eq!(session_key.as_str(), "agent:main:main");
}

#[tokio::test]
async fn delete_keeps_or_deletes_the_transcript() {
    let (_dir, store) = temp_store().await;
    for (name, retention) in [
        ("keep", TranscriptRetention::Keep),
        ("drop", TranscriptRetention::Delete),
    ] {
        let session_key = key(&format!("agent:main:{name}"));
        let session = session_id(name);
        store
            .upsert_session(&session_key, &entry(name, 1))
            .await
            .unwrap();
        store
            .append_transcript(&session, &[header(&session), user_message("e1", None, "x")])
            .await
            .unwrap();

        assert!(store.delete_session(&session_key, retention).await.unwrap());
        assert!(!store.delete_session(&session_key, retention).await.unwrap());
        assert_eq!(store.get_session(&session_key).await.unwrap(), None);
        let expected_len = if retention == TranscriptRetention::Keep {
            2
        } else {
            0
        };
        assert_eq!(
            store.transcript_len(&session).await.unwrap(),
            expected_len,
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_session_is_found_by_its_id() {
    let (_dir, store) = temp_store().await;
    let work = key("agent:work:telegram:direct:7");
    store.upsert_session(&work, &entry("b", 30)).await.unwrap();
    let found = store
        .find_session_by_id(&session_id("b"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.key, work);
    assert_eq!(found.entry.session_id, session_id("b"));
    assert_eq!(
        store.find_session_by_id(&session_id("zz")).await.unwrap(),
        None
    );
}
