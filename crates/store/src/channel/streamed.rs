//! Replies streamed in blocks: each block queued together with how much of the reply it
//! covers, so that after a crash between a run's end and queueing the rest of its reply, only
//! the rest is sent (see migration 8).

use rusqlite::{OptionalExtension, params};

use super::deliveries::{DeliveryId, DeliveryRecord};
use super::delivery_rows::{PreparedDelivery, insert as insert_delivery};
use crate::error::{SqliteContext, StoreError};
use crate::full_sync::durably;
use crate::handle::Store;

impl Store {
    /// Queues one streamed block of run `run_id` (its platform messages, in order) and
    /// records `prefix`, the raw text of the reply's current message the blocks sent so far
    /// cover, in one durable transaction. Returns the deliveries' ids.
    pub async fn queue_streamed_block(
        &self,
        run_id: &str,
        prefix: &str,
        deliveries: &[DeliveryRecord],
        now_ms: i64,
    ) -> Result<Vec<DeliveryId>, StoreError> {
        let prepared = deliveries
            .iter()
            .map(PreparedDelivery::new)
            .collect::<Result<Vec<_>, _>>()?;
        let (run_id, prefix) = (run_id.to_owned(), prefix.to_owned());
        self.run(move |conn| {
            durably(conn, "queueing a streamed block", |tx| {
                let ids = prepared
                    .iter()
                    .map(|delivery| insert_delivery(tx, delivery))
                    .collect::<Result<Vec<_>, _>>()?;
                tx.execute(
                    "INSERT INTO channel_streamed (run_id, prefix, updated_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT (run_id) DO UPDATE SET prefix = ?2, updated_ms = ?3",
                    params![run_id, prefix, now_ms],
                )
                .during("record what a streamed block covers")?;
                Ok(ids)
            })
        })
        .await
    }

    /// The raw text of run `run_id`'s current message its streamed blocks covered, when the
    /// run streamed any.
    pub async fn streamed_prefix(&self, run_id: &str) -> Result<Option<String>, StoreError> {
        let run_id = run_id.to_owned();
        self.run(move |conn| {
            conn.query_row(
                "SELECT prefix FROM channel_streamed WHERE run_id = ?1",
                [run_id],
                |row| row.get(0),
            )
            .optional()
            .during("read what a run streamed")
        })
        .await
    }

    /// Forgets what runs streamed more than `retention_ms` before `now_ms`.
    pub async fn prune_streamed(&self, now_ms: i64, retention_ms: i64) -> Result<u64, StoreError> {
        self.run(move |conn| {
            let deleted = conn
                .execute(
                    "DELETE FROM channel_streamed WHERE updated_ms < ?1",
                    [now_ms.saturating_sub(retention_ms)],
                )
                .during("prune streamed blocks")?;
            Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use rustyclaw_protocol::origin::{AccountId, ChannelId, ChatId};

    use super::super::deliveries::DeliveryTarget;
    use super::*;

    fn block(text: &str) -> DeliveryRecord {
        DeliveryRecord {
            channel: ChannelId::new("irc"),
            account: AccountId::new("default"),
            target: DeliveryTarget {
                chat: ChatId::new("#ops"),
                thread_id: None,
                reply_to_id: None,
            },
            text: text.to_owned(),
            fallback_text: None,
            media: Vec::new(),
            answers: None,
            created_ms: 1,
            expires_ms: 1_000,
        }
    }

    #[tokio::test]
    async fn the_latest_block_says_how_much_of_the_reply_was_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.sqlite")).await.unwrap();
        assert_eq!(store.streamed_prefix("run-1").await.unwrap(), None);
        let ids = store
            .queue_streamed_block("run-1", "First para.\n\n", &[block("First para.")], 10)
            .await
            .unwrap();
        assert_eq!(ids.len(), 1);
        store
            .queue_streamed_block(
                "run-1",
                "First para.\n\nSecond.\n\n",
                &[block("Second.")],
                20,
            )
            .await
            .unwrap();
        assert_eq!(
            store.streamed_prefix("run-1").await.unwrap().as_deref(),
            Some("First para.\n\nSecond.\n\n")
        );
        // Both blocks are queued, in order: the chat's first is due, the second waits for it.
        let due = store.due_deliveries(30, 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].record.text, "First para.");
        assert_eq!(store.prune_streamed(100, 50).await.unwrap(), 1);
        assert_eq!(store.streamed_prefix("run-1").await.unwrap(), None);
    }
}
