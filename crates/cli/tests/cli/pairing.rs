//! `rustyclaw pairing list|approve|reject` against the database a channel writes its pairing
//! requests to: a pending request is listed as OpenClaw lists it, approving its code adds the
//! sender to the channel's paired senders (and, with `--notify`, queues the notice), and a code
//! that is not pending is refused with a way forward.

use std::collections::BTreeMap;

use rustyclaw_protocol::origin::{AccountId, ChannelId, PeerId};
use rustyclaw_store::{PairingOutcome, Store, random_pairing_code};
use rustyclaw_testkit::TempStateDir;
use serde_json::Value;

use super::rc;

async fn request(store: &Store, sender: &str) -> String {
    let meta = BTreeMap::from([("username".to_owned(), format!("user_{sender}"))]);
    let outcome = store
        .pairing_request(
            &ChannelId::new("telegram"),
            &AccountId::new("default"),
            &PeerId::new(sender),
            &meta,
            rustyclaw_support::now_ms_i64(),
            random_pairing_code,
        )
        .await
        .unwrap();
    match outcome {
        PairingOutcome::Created { code } => code,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_pending_request_is_listed_approved_and_its_sender_allowed() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config(
        r#"{"channels": {"telegram": {"botToken": "123:abc", "dmPolicy": "pairing"}}}"#,
    )
    .unwrap();
    let store = Store::open(&dir.state_dir().join("state.sqlite"))
        .await
        .unwrap();
    let code = request(&store, "424242").await;
    let other = request(&store, "515151").await;

    // The only configured channel is the default; the JSON is upstream's shape.
    let out = rc(&dir)
        .args(["pairing", "list", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let listed: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(listed["channel"], "telegram");
    let requests = listed["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2, "{listed}");
    let mine = requests
        .iter()
        .find(|r| r["code"] == code.as_str())
        .unwrap();
    assert_eq!(mine["id"], "424242");
    assert_eq!(mine["meta"]["username"], "user_424242");
    assert!(mine["createdAt"].as_str().unwrap().ends_with('Z'), "{mine}");

    // Approved by `<channel> <code>`, typed in lowercase, with the notice queued.
    let out = rc(&dir)
        .args([
            "pairing",
            "approve",
            "telegram",
            &code.to_lowercase(),
            "--notify",
        ])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert!(
        out.stdout_str()
            .contains("Approved telegram sender 424242."),
        "{}",
        out.stdout_str()
    );
    let allowed = store
        .allowed_senders(&ChannelId::new("telegram"), &AccountId::new("default"))
        .await
        .unwrap();
    assert_eq!(allowed, [PeerId::new("424242")]);
    let queued = store
        .pending_deliveries_count(&ChannelId::new("telegram"), &AccountId::new("default"))
        .await
        .unwrap();
    assert_eq!(queued, 1, "the approval notice waits for the channel");

    // The same code again, and a code that never existed, are refused with the way forward.
    for code in [code.as_str(), "ZZZZ2222"] {
        let out = rc(&dir)
            .args(["pairing", "approve", code])
            .run()
            .await
            .unwrap();
        assert!(!out.success());
        assert!(
            out.stderr_str()
                .contains("No pending pairing request found")
                && out
                    .stderr_str()
                    .contains("rustyclaw pairing list --channel telegram"),
            "{}",
            out.stderr_str()
        );
    }

    // Rejecting leaves the sender out.
    let out = rc(&dir)
        .args(["pairing", "reject", "--channel", "telegram", &other])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let out = rc(&dir)
        .args(["pairing", "list", "telegram"])
        .run()
        .await
        .unwrap();
    assert!(
        out.stdout_str()
            .contains("No pending telegram pairing requests."),
        "{}",
        out.stdout_str()
    );
    let allowed = store
        .allowed_senders(&ChannelId::new("telegram"), &AccountId::new("default"))
        .await
        .unwrap();
    assert_eq!(allowed, [PeerId::new("424242")]);
}

#[tokio::test]
async fn without_a_configured_channel_the_command_says_which_to_name() {
    let dir = TempStateDir::new().unwrap();
    let out = rc(&dir).args(["pairing", "list"]).run().await.unwrap();
    assert!(!out.success());
    assert!(
        out.stderr_str()
            .contains("No chat DM pairing channels are configured"),
        "{}",
        out.stderr_str()
    );
}
