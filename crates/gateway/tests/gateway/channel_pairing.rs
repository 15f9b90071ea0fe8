//! `channels.pairing.*`: a chat sender's pairing request listed, approved (the sender allowed,
//! the notice queued for the channel) or dismissed from a gateway client.

use std::collections::BTreeMap;

use pretty_assertions::assert_eq;
use rustyclaw_protocol::origin::{AccountId, ChannelId, PeerId};
use rustyclaw_store::PairingOutcome;
use serde_json::json;

use super::harness::{Client, Gateway};

async fn request(gateway: &Gateway, sender: &str) -> String {
    let mut meta = BTreeMap::new();
    meta.insert("name".to_owned(), format!("{sender} the sender"));
    let outcome = gateway
        .store
        .pairing_request(
            &ChannelId::new("telegram"),
            &AccountId::new("default"),
            &PeerId::new(sender),
            &meta,
            rustyclaw_support::now_ms_i64(),
            rustyclaw_store::random_pairing_code,
        )
        .await
        .unwrap();
    match outcome {
        PairingOutcome::Created { code } => code,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn pairing_requests_are_listed_approved_and_dismissed() {
    let gateway = Gateway::start().await;
    let first = request(&gateway, "1001").await;
    let second = request(&gateway, "1002").await;
    let (mut client, _) = Client::connect(&gateway).await;

    let list = client.request("channels.pairing.list", json!({})).await;
    let requests = list["payload"]["requests"].as_array().unwrap().clone();
    assert_eq!(requests.len(), 2, "{list}");
    assert_eq!(requests[0]["requestId"], first.as_str());
    assert_eq!(requests[0]["channelLabel"], "Telegram");
    assert_eq!(requests[0]["senderLabel"], "1001 the sender");
    assert_eq!(list["payload"]["limits"]["ttlMs"], 3_600_000);

    let approved = client
        .request(
            "channels.pairing.approve",
            json!({"channel": "telegram", "accountId": "default", "requestId": first.to_lowercase(), "notify": true}),
        )
        .await;
    assert_eq!(
        approved["payload"],
        json!({"requestId": first, "senderId": "1001", "notification": "sent", "commandOwnerBootstrap": "not-requested"})
    );
    let allowed = gateway
        .store
        .allowed_senders(&ChannelId::new("telegram"), &AccountId::new("default"))
        .await
        .unwrap();
    assert_eq!(allowed, [PeerId::new("1001")]);
    let queued = gateway
        .store
        .pending_deliveries_count(&ChannelId::new("telegram"), &AccountId::new("default"))
        .await
        .unwrap();
    assert_eq!(queued, 1, "the approval notice waits for the channel");

    let dismissed = client
        .request(
            "channels.pairing.dismiss",
            json!({"channel": "telegram", "accountId": "default", "requestId": second}),
        )
        .await;
    assert_eq!(
        dismissed["payload"],
        json!({"requestId": second, "senderId": "1002"})
    );
    let list = client
        .request("channels.pairing.list", json!({"channel": "telegram"}))
        .await;
    assert_eq!(list["payload"]["requests"], json!([]));

    let gone = client
        .request(
            "channels.pairing.approve",
            json!({"channel": "telegram", "accountId": "default", "requestId": second}),
        )
        .await;
    assert_eq!(gone["ok"], false);
    assert!(
        gone["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no pending telegram pairing request")
    );
}
