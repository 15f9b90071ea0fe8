//! Answering received messages: the reply stored for delivery and the messages marked answered
//! in one durable transaction, and, after a crash, the messages whose run ended but whose answer
//! was never stored.
//!
//! Both halves of an answer commit together, so a crash leaves a message either answered with
//! its reply queued, or still dispatched with nothing queued; in the second case
//! [`Store::inbound_of_ended_runs`] finds it at the next start, with the run's reply from the
//! run ledger, and the reply is queued then. A reply is never queued twice, and never lost.

use rusqlite::params;

use super::deliveries::{DeliveryId, DeliveryRecord};
use super::delivery_rows::{PreparedDelivery, insert as insert_delivery};
use super::inbound::{InboundEnd, InboundId, InboundState, StoredInbound};
use super::inbound_rows::{COLUMNS, select};
use super::sql_id;
use crate::error::{SqliteContext, StoreError};
use crate::full_sync::durably;
use crate::handle::Store;
use crate::runs::{LEDGER_RETENTION_MS, RunRecord};

impl Store {
    /// Queues `deliveries` (in order) and puts every message of `answered` in its final state
    /// `end`, in one durable (fsynced) transaction. Messages already in a final state are left
    /// as they are (a message answered twice is answered once). Returns the deliveries' ids.
    pub async fn answer_inbound(
        &self,
        answered: &[InboundId],
        deliveries: &[DeliveryRecord],
        end: InboundEnd,
        now_ms: i64,
    ) -> Result<Vec<DeliveryId>, StoreError> {
        let prepared = deliveries
            .iter()
            .map(PreparedDelivery::new)
            .collect::<Result<Vec<_>, _>>()?;
        let answered: Vec<i64> = answered.iter().map(|id| sql_id(id.get())).collect();
        let state = InboundState::from(end).as_str();
        self.run(move |conn| {
            durably(conn, "answering messages", |tx| {
                let ids = prepared
                    .iter()
                    .map(|delivery| insert_delivery(tx, delivery))
                    .collect::<Result<Vec<_>, _>>()?;
                for id in &answered {
                    tx.execute(
                        "UPDATE channel_inbound SET state = ?2, updated_ms = ?3
                         WHERE id = ?1 AND state IN ('received', 'dispatched')",
                        params![id, state, now_ms],
                    )
                    .during("mark a message answered")?;
                }
                Ok(ids)
            })
        })
        .await
    }

    /// Messages still dispatched to any of `run_ids` (the runs one turn answered together),
    /// oldest first.
    pub async fn inbound_dispatched_to(
        &self,
        run_ids: &[String],
    ) -> Result<Vec<StoredInbound>, StoreError> {
        let run_ids = serde_json::to_string(run_ids).map_err(|source| StoreError::Encode {
            what: "run ids",
            source,
        })?;
        self.run(move |conn| {
            select(
                conn,
                &format!(
                    "SELECT {COLUMNS} FROM channel_inbound AS message
                     WHERE message.state = 'dispatched'
                       AND message.run_id IN (SELECT value FROM json_each(?1))
                     ORDER BY message.id"
                ),
                [run_ids],
            )
        })
        .await
    }

    /// Messages dispatched to a run that has ended (done, failed, aborted, timed out — not
    /// interrupted: see [`Store::interrupted_inbound`]) but that are still dispatched: the
    /// process stopped between the end of the run and storing its answer. Each comes with the
    /// run's ledger record (its reply, for a run that answered). Oldest first.
    pub async fn inbound_of_ended_runs(
        &self,
        now_ms: i64,
    ) -> Result<Vec<(StoredInbound, RunRecord)>, StoreError> {
        let messages = self
            .run(move |conn| {
                select(
                    conn,
                    &format!(
                        "SELECT {COLUMNS} FROM channel_inbound AS message
                         JOIN runs ON runs.run_id = message.run_id
                         WHERE message.state = 'dispatched'
                           AND runs.state NOT IN ('accepted', 'interrupted')
                           AND message.updated_ms >= ?1
                         ORDER BY message.id"
                    ),
                    [now_ms.saturating_sub(LEDGER_RETENTION_MS)],
                )
            })
            .await?;
        let mut ended = Vec::with_capacity(messages.len());
        for message in messages {
            let Some(run_id) = message.run_id.clone() else {
                continue;
            };
            if let Some(run) = self.run_record(&run_id).await? {
                ended.push((message, run));
            }
        }
        Ok(ended)
    }
}
