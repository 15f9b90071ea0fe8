//! The audit log.

use pretty_assertions::assert_eq;
use rustyclaw_store::AuditRecord;
use serde_json::json;

use crate::support::temp_store;

#[tokio::test]
async fn records_list_newest_first_with_details() {
    let (_dir, store) = temp_store().await;
    let records: Vec<AuditRecord> = (0..3)
        .map(|n| AuditRecord {
            ts_ms: 1_000 + n,
            actor: format!("device:{n}"),
            action: "device.pair".into(),
            target: (n % 2 == 0).then(|| format!("node-{n}")),
            detail: json!({"n": n}),
        })
        .collect();
    let mut ids = Vec::new();
    for record in &records {
        ids.push(store.append_audit(record).await.unwrap());
    }
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));

    let listed = store.list_audit(2).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].id, ids[2]);
    assert_eq!(listed[0].record, records[2]);
    assert_eq!(listed[1].record, records[1]);
    assert_eq!(store.integrity_check().await.unwrap().audit_records, 3);
}
