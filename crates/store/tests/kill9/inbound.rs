//! Durability of acknowledged inbound batches across SIGKILL: a child stores batches of received
//! messages with the update offset that acknowledges them and prints `OFFSET <n>` after each
//! commit, the point where a channel would tell the platform; the parent kills it at random
//! points, then checks that the stored offset covers every acknowledgement and that the stored
//! messages are exactly those below it: none lost, none stored past the offset, none twice.

use std::io::Write;
use std::time::Instant;

use rustyclaw_protocol::origin::{AccountId, ChannelId};
use rustyclaw_store::Store;

use super::{CHILD_DB_ENV, CHILD_LIFETIME, ROUNDS, kill_rounds};
use crate::support::{inbound, offset, temp_db};

/// libtest filter selecting the child.
const CHILD_TEST: &str = "kill9::inbound::child_records_inbound_until_killed";
const CHANNEL: &str = "telegram";

fn parse_ack(line: &str) -> Option<i64> {
    line.strip_prefix("OFFSET ")?.parse().ok()
}

#[test]
fn sigkill_loses_no_acknowledged_inbound_message() {
    let (_dir, path) = temp_db();
    let acked = kill_rounds(&path, CHILD_TEST, parse_ack);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = Store::open(&path).await.unwrap();
        let report = store.integrity_check().await.unwrap();
        assert!(report.is_ok(), "{report:?}");

        let (channel, account) = (ChannelId::new(CHANNEL), AccountId::new("default"));
        let stored_offset = store
            .channel_offset(&channel, &account)
            .await
            .unwrap()
            .unwrap();
        let highest_ack = acked.iter().copied().max().unwrap();
        assert!(
            stored_offset >= highest_ack,
            "offset {stored_offset} is behind the acknowledged {highest_ack}"
        );
        let ids: Vec<i64> = store
            .inbound_not_dispatched(&channel, &account)
            .await
            .unwrap()
            .iter()
            .map(|message| message.record.message_id.as_str().parse().unwrap())
            .collect();
        let expected: Vec<i64> = (0..stored_offset).collect();
        assert_eq!(ids, expected, "exactly the messages below the offset");
        assert!(acked.len() >= ROUNDS);
    });
}

/// The child side: from the stored offset on, stores batches of 1-3 messages (ids are update
/// numbers) with the offset past them, printing `OFFSET <n>` after each commit.
#[tokio::test]
async fn child_records_inbound_until_killed() {
    let Some(path) = std::env::var_os(CHILD_DB_ENV) else {
        return;
    };
    let store = Store::open(&path).await.unwrap();
    let (channel, account) = (ChannelId::new(CHANNEL), AccountId::new("default"));
    let mut next = store
        .channel_offset(&channel, &account)
        .await
        .unwrap()
        .unwrap_or(0);
    let started = Instant::now();
    while started.elapsed() < CHILD_LIFETIME {
        let batch: Vec<_> = (next..next + 1 + next % 3)
            .map(|update| {
                // Some messages large enough to span several database pages.
                let text = if update % 4 == 0 {
                    "x".repeat(20_000)
                } else {
                    format!("update {update}")
                };
                inbound(CHANNEL, &update.to_string(), &text)
            })
            .collect();
        next += i64::try_from(batch.len()).unwrap();
        store
            .record_inbound_batch(&batch, &offset(CHANNEL, next))
            .await
            .unwrap();
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "OFFSET {next}").unwrap();
        stdout.flush().unwrap();
    }
}
