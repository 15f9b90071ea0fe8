//! Auth-profile cooldowns survive reopening and expire.

use pretty_assertions::assert_eq;
use rustyclaw_store::{CooldownRow, Store};

use crate::support::temp_store;

fn row(profile: &str, until_ms: u64, reason: &str) -> CooldownRow {
    CooldownRow {
        profile_id: profile.into(),
        until_ms,
        reason: reason.into(),
    }
}

#[tokio::test]
async fn cooldowns_are_upserted_listed_and_expired() {
    let (dir, store) = temp_store().await;
    store
        .upsert_cooldowns(&[
            row("openai:default", 2_000, "rate_limit"),
            row("anthropic:default", 500, "auth"),
        ])
        .await
        .unwrap();
    store
        .upsert_cooldowns(&[row("openai:default", 3_000, "overloaded")])
        .await
        .unwrap();
    drop(store);
    let store = Store::open(dir.path().join("state").join("state.sqlite"))
        .await
        .unwrap();
    assert_eq!(
        store.active_cooldowns(1_000).await.unwrap(),
        [row("openai:default", 3_000, "overloaded")]
    );
    assert_eq!(store.active_cooldowns(3_000).await.unwrap(), []);
}
