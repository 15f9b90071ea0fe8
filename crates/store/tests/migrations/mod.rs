//! Schema versioning: upgrades keep data, newer databases are refused untouched.

use pretty_assertions::assert_eq;
use rustyclaw_protocol::SessionEntry;
use rustyclaw_store::{AuditRecord, SCHEMA_VERSION, Store, StoreError};

use crate::support::{header, inbound, key, offset, session_id, temp_db, user_message};

fn tables(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut statement = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn version_1_database_upgrades_with_data_intact() {
    let (_dir, path) = temp_db();
    let session = session_id("s-v1");
    let session_key = key("agent:main:telegram:direct:42");
    let mut entry = SessionEntry::new(session.clone(), 1_000);
    entry.label = Some("old".into());
    let lines = vec![
        header(&session),
        user_message("e1", None, "hello"),
        user_message("e2", Some("e1"), "again"),
    ];
    {
        let old = Store::open_at_schema_version(&path, 1).await.unwrap();
        assert_eq!(old.schema_version().await.unwrap(), 1);
        old.upsert_session(&session_key, &entry).await.unwrap();
        old.append_transcript(&session, &lines).await.unwrap();
    }
    assert!(!tables(&path).contains(&"audit_log".to_owned()));

    let store = Store::open(&path).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert!(tables(&path).contains(&"audit_log".to_owned()));
    assert_eq!(store.get_session(&session_key).await.unwrap(), Some(entry));
    let stored: Vec<_> = store
        .transcript(&session, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect();
    assert_eq!(stored, lines);
    let record = AuditRecord {
        ts_ms: 1,
        actor: "test".into(),
        action: "migrate".into(),
        target: None,
        detail: serde_json::Value::Null,
    };
    store.append_audit(&record).await.unwrap();
    assert!(store.integrity_check().await.unwrap().is_ok());
}

#[tokio::test]
async fn newer_database_is_refused_and_left_untouched() {
    let (_dir, path) = temp_db();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE from_the_future (x TEXT); INSERT INTO from_the_future VALUES ('keep');
             PRAGMA user_version = 99;",
        )
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();

    let error = Store::open(&path).await.unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::Schema {
                found: 99,
                supported: SCHEMA_VERSION,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("99") && message.contains(&SCHEMA_VERSION.to_string()),
        "{message}"
    );

    assert_eq!(std::fs::read(&path).unwrap(), before);
    let wal = path.with_file_name("state.sqlite-wal");
    assert!(!wal.exists(), "opening must not switch the journal mode");
}

#[tokio::test]
async fn fresh_database_uses_wal_and_append_only_audit_log() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).await.unwrap();
    let id = store
        .append_audit(&AuditRecord {
            ts_ms: 5,
            actor: "cli".into(),
            action: "config.set".into(),
            target: Some("agents.defaults.model".into()),
            detail: serde_json::json!({"from": "a", "to": "b"}),
        })
        .await
        .unwrap();

    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let update = conn.execute("UPDATE audit_log SET actor = 'someone else'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = conn.execute(
        "DELETE FROM audit_log WHERE id = ?1",
        [i64::try_from(id).unwrap()],
    );
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    assert_eq!(store.list_audit(10).await.unwrap()[0].record.actor, "cli");
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_an_error() {
    let (_dir, path) = temp_db();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        b"this is not a database, just some text that is long enough",
    )
    .unwrap();
    let error = Store::open(&path).await.unwrap_err();
    assert!(matches!(error, StoreError::Sqlite { .. }), "{error:?}");
}

#[tokio::test]
async fn version_5_database_gains_the_channel_tables_with_data_intact() {
    let (_dir, path) = temp_db();
    let session = session_id("s-v5");
    let session_key = key("agent:main:telegram:direct:42");
    let entry = SessionEntry::new(session.clone(), 2_000);
    let lines = vec![header(&session), user_message("e1", None, "hello")];
    {
        let old = Store::open_at_schema_version(&path, 5).await.unwrap();
        assert_eq!(old.schema_version().await.unwrap(), 5);
        old.upsert_session(&session_key, &entry).await.unwrap();
        old.append_transcript(&session, &lines).await.unwrap();
        old.record_run_accepted("r1", session_key.as_str(), "1:1", 1_000);
        assert!(old.run_record("r1").await.unwrap().is_some());
    }
    assert!(!tables(&path).contains(&"channel_inbound".to_owned()));

    let store = Store::open(&path).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    for table in [
        "channel_inbound",
        "channel_offsets",
        "channel_deliveries",
        "channel_pairing_requests",
        "channel_pairing_allow_entries",
    ] {
        assert!(tables(&path).contains(&table.to_owned()), "{table}");
    }
    assert_eq!(store.get_session(&session_key).await.unwrap(), Some(entry));
    assert_eq!(store.transcript_len(&session).await.unwrap(), 2);
    assert_eq!(
        store.run_record("r1").await.unwrap().unwrap().session_key,
        session_key.as_str()
    );
    store
        .record_inbound_batch(&[inbound("telegram", "1", "hi")], &offset("telegram", 2))
        .await
        .unwrap();
    assert!(store.integrity_check().await.unwrap().is_ok());
}

#[tokio::test]
async fn version_6_database_keeps_its_channel_rows_and_keys_messages_by_chat() {
    let (_dir, path) = temp_db();
    {
        let old = Store::open_at_schema_version(&path, 6).await.unwrap();
        assert_eq!(old.schema_version().await.unwrap(), 6);
    }
    // Rows as version 6 wrote them (today's code writes the version 7 layout).
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "INSERT INTO channel_inbound (channel, account_id, message_id, chat_kind, chat_id,
                 text, attachments_json, received_ms, state, updated_ms)
             VALUES ('telegram', 'default', '1', 'direct', '42', 'hi', '[]', 1000, 'received', 1000);
             INSERT INTO channel_offsets VALUES ('telegram', 'default', 2);
             INSERT INTO channel_deliveries (channel, account_id, chat_id, text, media_json,
                 created_ms, expires_ms, state, attempts, next_attempt_ms, updated_ms)
             VALUES ('telegram', 'default', '42', 'hello', '[]', 1000, 9000, 'pending', 0, 1000, 1000);",
        )
        .unwrap();

    let store = Store::open(&path).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    let channel = rustyclaw_protocol::origin::ChannelId::new("telegram");
    let account = rustyclaw_protocol::origin::AccountId::new("default");
    let waiting = store
        .inbound_not_dispatched(&channel, &account)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1, "the row written at version 6 is kept");
    assert_eq!(waiting[0].record.text, "hi");
    let due = store.due_deliveries(1_000, 10).await.unwrap();
    assert_eq!(
        (due.len(), due[0].record.fallback_text.as_deref()),
        (1, None),
        "a delivery of version 6 is plain text"
    );
    assert_eq!(
        store.channel_offset(&channel, &account).await.unwrap(),
        Some(2)
    );
    // The same message id in another chat is a new message now.
    let mut elsewhere = inbound("telegram", "1", "hi again");
    elsewhere.chat.id = rustyclaw_protocol::origin::ChatId::new("-100777");
    assert!(matches!(
        store.record_inbound(&elsewhere).await.unwrap(),
        rustyclaw_store::InboundOutcome::Recorded(_)
    ));
    assert!(store.integrity_check().await.unwrap().is_ok());
}
