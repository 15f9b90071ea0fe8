//! Unit tests of the pairing store's file handling.

use super::*;
use serde_json::Value;

fn ask(id: &str, role: &str, scopes: &[&str]) -> DeviceRequest {
    DeviceRequest {
        device_id: id.into(),
        public_key: format!("key-{id}"),
        role: role.into(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        ..DeviceRequest::default()
    }
}

#[test]
fn unknown_fields_survive_a_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::in_state_dir(dir.path());
    std::fs::create_dir_all(store.dir()).unwrap();
    std::fs::write(
        store.dir().join("paired.json"),
        r#"{"d1": {"deviceId": "d1", "publicKey": "k", "createdAtMs": 1, "approvedAtMs": 1,
                   "operatorLabel": "laptop", "tokens": {"operator": {"token": "t", "role": "operator",
                   "scopes": [], "createdAtMs": 1, "issuer": {"kind": "x"}}}}}"#,
    )
    .unwrap();
    store.revoke("d1", "operator", 50).unwrap();
    let raw: Value =
        serde_json::from_str(&std::fs::read_to_string(store.dir().join("paired.json")).unwrap())
            .unwrap();
    assert_eq!(raw["d1"]["operatorLabel"], "laptop");
    assert_eq!(raw["d1"]["tokens"]["operator"]["issuer"]["kind"], "x");
    assert_eq!(raw["d1"]["tokens"]["operator"]["revokedAtMs"], 50);
    assert_eq!(store.verify_token("d1", "operator", "t", 60).unwrap(), None);
}

#[test]
fn a_damaged_file_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::in_state_dir(dir.path());
    std::fs::create_dir_all(store.dir()).unwrap();
    std::fs::write(store.dir().join("pending.json"), "{oops").unwrap();
    let err = store
        .request(&ask("d1", "operator", &[]), false, 1)
        .unwrap_err();
    assert!(matches!(err, DeviceError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("pending.json"));
    assert_eq!(
        std::fs::read_to_string(store.dir().join("pending.json")).unwrap(),
        "{oops"
    );
}

#[test]
fn requests_expire_and_approval_issues_a_verifiable_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::in_state_dir(dir.path());
    let first = store
        .request(&ask("d1", "operator", &["operator.read"]), false, 1_000)
        .unwrap();
    // A second connect of the same device refreshes the same request.
    let again = store
        .request(&ask("d1", "operator", &["operator.read"]), false, 2_000)
        .unwrap();
    assert_eq!(first.request_id, again.request_id);
    assert_eq!(store.list(2_000).unwrap().pending.len(), 1);
    assert!(
        store
            .list(2_000 + PENDING_TTL_MS + 1)
            .unwrap()
            .pending
            .is_empty()
    );

    let request = store
        .request(&ask("d2", "operator", &["operator.read"]), false, 10)
        .unwrap();
    let (_, device) = store.approve(&request.request_id, 20).unwrap();
    let token = device.live_token("operator").unwrap().clone();
    assert_eq!(token.scopes, vec!["operator.read"]);
    assert!(
        store
            .verify_token("d2", "operator", "wrong", 30)
            .unwrap()
            .is_none()
    );
    let used = store
        .verify_token("d2", "operator", &token.token, 30)
        .unwrap()
        .unwrap();
    assert_eq!(used.last_used_at_ms, Some(30));
    assert!(matches!(
        store.rotate("d2", "operator", Some(vec!["operator.admin".into()]), 40),
        Err(DeviceError::ScopeNotApproved(_))
    ));
    let rotated = store.rotate("d2", "operator", None, 40).unwrap();
    assert_ne!(rotated.token, token.token);
    assert_eq!(rotated.created_at_ms, token.created_at_ms);
    assert!(!format!("{rotated:?}").contains(&rotated.token));
    assert!(matches!(
        store.approve("nope", 50),
        Err(DeviceError::UnknownRequest(_))
    ));
}
