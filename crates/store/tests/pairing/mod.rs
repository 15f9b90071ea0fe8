//! DM pairing with OpenClaw's rules (one-hour codes, the same code for the same sender, three
//! pending per account, approval into the allowlist in one transaction) and the allowlist itself.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use pretty_assertions::assert_eq;
use rustyclaw_protocol::origin::{AccountId, ChannelId, PeerId};
use rustyclaw_store::{
    MAX_PENDING_PAIRINGS, PAIRING_TTL_MS, PairingOutcome, Store, StoreError, random_pairing_code,
};

use crate::support::temp_store;

fn telegram() -> ChannelId {
    ChannelId::new("telegram")
}

fn default_account() -> AccountId {
    AccountId::new("default")
}

fn meta(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("username".to_owned(), name.to_owned())])
}

/// Codes `CODE0001`, `CODE0002`, … from a counter shared by the calls of a test.
fn counting_codes(
    counter: &Arc<AtomicU32>,
) -> impl FnMut() -> Result<String, StoreError> + Send + 'static {
    let counter = Arc::clone(counter);
    move || {
        Ok(format!(
            "CODE{:04}",
            counter.fetch_add(1, Ordering::SeqCst) + 1
        ))
    }
}

async fn ask(
    store: &Store,
    account: &AccountId,
    sender: &str,
    now_ms: i64,
    codes: &Arc<AtomicU32>,
) -> PairingOutcome {
    store
        .pairing_request(
            &telegram(),
            account,
            &PeerId::new(sender),
            &meta(sender),
            now_ms,
            counting_codes(codes),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn the_same_sender_gets_the_same_code_until_it_expires() {
    let (_dir, store) = temp_store().await;
    let codes = Arc::new(AtomicU32::new(0));
    let account = default_account();
    let created = ask(&store, &account, "ada", 1_000, &codes).await;
    assert_eq!(
        created,
        PairingOutcome::Created {
            code: "CODE0001".into()
        }
    );
    assert_eq!(
        ask(&store, &account, "ada", 1_000 + PAIRING_TTL_MS, &codes).await,
        PairingOutcome::Existing {
            code: "CODE0001".into()
        },
        "asking again neither changes the code nor restarts the hour"
    );
    let listed = store
        .list_pairing_requests(Some(&telegram()), 1_000 + PAIRING_TTL_MS)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].sender.as_str(),
            listed[0].created_ms,
            listed[0].last_seen_ms,
            listed[0].expires_ms()
        ),
        ("ada", 1_000, 1_000 + PAIRING_TTL_MS, 1_000 + PAIRING_TTL_MS)
    );
    assert_eq!(listed[0].meta, meta("ada"));

    // A millisecond past the hour the request is gone, and the code with it.
    let later = 1_001 + PAIRING_TTL_MS;
    assert_eq!(
        store
            .list_pairing_requests(Some(&telegram()), later)
            .await
            .unwrap(),
        []
    );
    assert_eq!(
        store
            .approve_pairing(&telegram(), "CODE0001", later)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        ask(&store, &account, "ada", later, &codes).await,
        PairingOutcome::Created {
            code: "CODE0002".into()
        }
    );
    assert_eq!(
        store
            .expire_pairing_requests(later + PAIRING_TTL_MS + 1)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn at_most_three_requests_wait_per_account() {
    let (_dir, store) = temp_store().await;
    let codes = Arc::new(AtomicU32::new(0));
    let account = default_account();
    for sender in ["a", "b", "c"] {
        assert!(matches!(
            ask(&store, &account, sender, 1_000, &codes).await,
            PairingOutcome::Created { .. }
        ));
    }
    assert_eq!(MAX_PENDING_PAIRINGS, 3);
    assert_eq!(
        ask(&store, &account, "d", 1_000, &codes).await,
        PairingOutcome::Full
    );
    // Those already waiting still get their code, and another account has its own three.
    assert!(matches!(
        ask(&store, &account, "b", 2_000, &codes).await,
        PairingOutcome::Existing { .. }
    ));
    assert!(matches!(
        ask(&store, &AccountId::new("work"), "d", 2_000, &codes).await,
        PairingOutcome::Created { .. }
    ));
    assert_eq!(
        store
            .list_pairing_requests(None, 2_000)
            .await
            .unwrap()
            .len(),
        4
    );

    // Approving one frees a place.
    store
        .approve_pairing(&telegram(), "CODE0002", 3_000)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        ask(&store, &account, "d", 3_000, &codes).await,
        PairingOutcome::Created { .. }
    ));
}

#[tokio::test]
async fn approving_allows_the_sender_and_uses_up_the_code() {
    let (_dir, store) = temp_store().await;
    let codes = Arc::new(AtomicU32::new(0));
    let work = AccountId::new("work");
    ask(&store, &work, "ada", 1_000, &codes).await;
    ask(&store, &work, "bob", 1_000, &codes).await;
    assert_eq!(store.allowed_senders(&telegram(), &work).await.unwrap(), []);

    // Codes are matched in any case; the request is handed back for the notice to the sender.
    let approved = store
        .approve_pairing(&telegram(), " code0001 ", 2_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (approved.sender.as_str(), approved.account.as_str()),
        ("ada", "work")
    );
    assert_eq!(
        store.allowed_senders(&telegram(), &work).await.unwrap(),
        [PeerId::new("ada")]
    );
    assert_eq!(
        store
            .allowed_senders(&telegram(), &default_account())
            .await
            .unwrap(),
        []
    );
    assert_eq!(
        store
            .approve_pairing(&telegram(), "CODE0001", 2_000)
            .await
            .unwrap(),
        None,
        "a code works once"
    );
    assert_eq!(
        store
            .approve_pairing(&ChannelId::new("discord"), "CODE0002", 2_000)
            .await
            .unwrap(),
        None,
        "a code works on its own channel only"
    );

    // Rejecting removes the request without allowing anyone.
    let rejected = store
        .reject_pairing(&telegram(), "CODE0002", 2_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rejected.sender.as_str(), "bob");
    assert_eq!(
        store.allowed_senders(&telegram(), &work).await.unwrap(),
        [PeerId::new("ada")]
    );
    assert_eq!(store.list_pairing_requests(None, 2_000).await.unwrap(), []);
}

#[tokio::test]
async fn an_approval_that_cannot_allow_the_sender_changes_nothing() {
    let (_dir, store) = temp_store().await;
    let codes = Arc::new(AtomicU32::new(0));
    let account = default_account();
    // A sender id that must never reach the allowlist: it would admit everyone.
    ask(&store, &account, "*", 1_000, &codes).await;
    let error = store
        .approve_pairing(&telegram(), "CODE0001", 2_000)
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::InvalidAllowEntry { .. }),
        "{error:?}"
    );
    assert_eq!(
        store.allowed_senders(&telegram(), &account).await.unwrap(),
        []
    );
    assert_eq!(
        store
            .list_pairing_requests(Some(&telegram()), 2_000)
            .await
            .unwrap()
            .len(),
        1,
        "the request is still pending: approve and allow are one transaction"
    );
}

#[tokio::test]
async fn a_code_in_use_in_the_channel_is_drawn_again() {
    let (_dir, store) = temp_store().await;
    let account = default_account();
    let first = store
        .pairing_request(
            &telegram(),
            &account,
            &PeerId::new("a"),
            &meta("a"),
            1_000,
            || Ok("SAMECODE".to_owned()),
        )
        .await
        .unwrap();
    assert_eq!(
        first,
        PairingOutcome::Created {
            code: "SAMECODE".into()
        }
    );
    let mut draws = ["SAMECODE", "NEWCODE2"].into_iter();
    let second = store
        .pairing_request(
            &telegram(),
            &account,
            &PeerId::new("b"),
            &meta("b"),
            1_000,
            move || Ok(draws.next().unwrap_or("EXHAUSTD").to_owned()),
        )
        .await
        .unwrap();
    assert_eq!(
        second,
        PairingOutcome::Created {
            code: "NEWCODE2".into()
        }
    );
    let error = store
        .pairing_request(
            &telegram(),
            &account,
            &PeerId::new("c"),
            &meta("c"),
            1_000,
            || Ok("SAMECODE".to_owned()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::PairingCodeCollision { .. }),
        "{error:?}"
    );

    // Real codes come from the operating system's generator.
    let real = store
        .pairing_request(
            &telegram(),
            &account,
            &PeerId::new("c"),
            &meta("c"),
            1_000,
            random_pairing_code,
        )
        .await
        .unwrap();
    assert!(matches!(real, PairingOutcome::Created { code } if code.len() == 8));
}

#[tokio::test]
async fn the_allowlist_keeps_order_refuses_wildcards_and_survives_reopening() {
    let (dir, store) = temp_store().await;
    let (channel, account) = (telegram(), default_account());
    for sender in ["300", "100", "200"] {
        assert!(
            store
                .add_allowed_sender(&channel, &account, &PeerId::new(sender), 1_000)
                .await
                .unwrap()
        );
    }
    assert!(
        !store
            .add_allowed_sender(&channel, &account, &PeerId::new("100"), 1_000)
            .await
            .unwrap(),
        "already allowed"
    );
    for refused in ["*", " "] {
        let error = store
            .add_allowed_sender(&channel, &account, &PeerId::new(refused), 1_000)
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::InvalidAllowEntry { .. }),
            "{error:?}"
        );
    }
    assert!(
        store
            .remove_allowed_sender(&channel, &account, &PeerId::new("100"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_allowed_sender(&channel, &account, &PeerId::new("100"))
            .await
            .unwrap()
    );
    drop(store);
    let store = Store::open(dir.path().join("state").join("state.sqlite"))
        .await
        .unwrap();
    assert_eq!(
        store.allowed_senders(&channel, &account).await.unwrap(),
        [PeerId::new("300"), PeerId::new("200")]
    );
}
