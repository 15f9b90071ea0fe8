//! What a start does for messages a previous process left unfinished, before anything new is
//! dispatched:
//!
//! - a message whose run the crash cut off is **not** run again (its tool calls may have had
//!   effects): its sender is told it was interrupted;
//! - a message whose run ended but whose answer was never stored (the process stopped in
//!   between) gets the run's reply from the run ledger, once per batch.
//!
//! Messages stored but never dispatched are dispatched by each account's intake when it starts.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustyclaw_protocol::SessionKey;
use rustyclaw_protocol::reply::ReplyPayload;
use rustyclaw_store::{AnsweredRun, InboundEnd, InboundId, RunRecord, RunState, StoredInbound};
use rustyclaw_support::now_ms_i64;

use super::answer;
use super::hub::{AccountKey, Hub, settings_of};
use super::streamed::{Streamed, without_streamed};

/// What an interrupted message's sender is told.
pub(crate) const INTERRUPTED_NOTICE: &str = "⚠️ The gateway restarted while this message was being answered. \
It was not run again, because what the agent had started may already have happened. \
Send it again if you still need an answer.";

/// Runs the recovery (see the module documentation).
pub(crate) async fn recover(hub: &Arc<Hub>) {
    let now = now_ms_i64();
    match hub.store.interrupted_inbound(now).await {
        Ok(messages) => {
            for message in messages {
                interrupted(hub, message).await;
            }
        }
        Err(error) => tracing::error!(%error, "cannot find messages whose run was interrupted"),
    }
    match hub.store.inbound_of_ended_runs(now).await {
        Ok(ended) => answer_ended(hub, ended).await,
        Err(error) => tracing::error!(%error, "cannot find answers left unstored"),
    }
}

async fn interrupted(hub: &Arc<Hub>, message: StoredInbound) {
    let key = AccountKey::new(
        message.record.channel.as_str(),
        message.record.account.as_str(),
    );
    tracing::warn!(account = %key, message = %message.record.message_id, run = ?message.run_id, "a message's run was cut off by a restart; its sender is told");
    let config = hub.config();
    let records = match settings_of(&config, &key) {
        Some(settings) => {
            let origin = message.record.origin();
            let payload =
                ReplyPayload::text(INTERRUPTED_NOTICE.to_owned(), origin.message_id.clone());
            answer::deliveries(
                hub,
                &key,
                &config,
                &settings,
                &origin,
                &[payload],
                None,
                false,
            )
        }
        None => Vec::new(),
    };
    if let Err(error) = hub
        .store
        .answer_inbound(
            &[message.id],
            &records,
            InboundEnd::Interrupted,
            now_ms_i64(),
        )
        .await
    {
        tracing::error!(account = %key, %error, "cannot record an interrupted message");
    }
}

/// Messages of one batch: one account, chat and thread, and the same end of the same reply.
type BatchKey = (String, String, String, String, Option<i64>, Option<String>);

async fn answer_ended(hub: &Arc<Hub>, ended: Vec<(StoredInbound, RunRecord)>) {
    let mut batches: BTreeMap<BatchKey, Vec<(StoredInbound, RunRecord)>> = BTreeMap::new();
    for (message, run) in ended {
        let thread = format!("{:?}", message.record.thread_id);
        let key = (
            message.record.channel.as_str().to_owned(),
            message.record.account.as_str().to_owned(),
            message.record.chat.id.as_str().to_owned(),
            thread,
            run.ended_ms,
            run.reply.clone(),
        );
        batches.entry(key).or_default().push((message, run));
    }
    let config = hub.config();
    for messages in batches.into_values() {
        let Some((last, run)) = messages.last() else {
            continue;
        };
        let key = AccountKey::new(last.record.channel.as_str(), last.record.account.as_str());
        let ids: Vec<InboundId> = messages.iter().map(|(m, _)| m.id).collect();
        let origin = last.record.origin();
        let (payloads, end) = match run.state {
            RunState::Done => {
                let payloads: Vec<ReplyPayload> = run
                    .reply
                    .iter()
                    .map(|text| ReplyPayload::text(text.clone(), origin.message_id.clone()))
                    .collect();
                // What blocks streamed before the restart is not said again.
                let payloads = match hub.store.streamed_prefix(&run.run_id).await {
                    Ok(Some(covered)) => without_streamed(
                        payloads,
                        &Streamed {
                            covered,
                            ..Streamed::default()
                        },
                    ),
                    _ => payloads,
                };
                (payloads, InboundEnd::Answered)
            }
            RunState::Failed | RunState::TimedOut => (
                vec![ReplyPayload::text(
                    format!(
                        "⚠️ {}",
                        run.error
                            .clone()
                            .unwrap_or_else(|| "the run failed".to_owned())
                    ),
                    origin.message_id.clone(),
                )],
                InboundEnd::Failed,
            ),
            _ => (Vec::new(), InboundEnd::Failed),
        };
        let answers = SessionKey::parse(&run.session_key)
            .ok()
            .map(|session_key| AnsweredRun {
                run_id: run.run_id.clone(),
                session_key,
            });
        let records = match settings_of(&config, &key) {
            Some(settings) => answer::deliveries(
                hub,
                &key,
                &config,
                &settings,
                &origin,
                &payloads,
                answers,
                ids.len() > 1,
            ),
            None => Vec::new(),
        };
        tracing::info!(account = %key, messages = ids.len(), "a reply left unstored by a restart is queued now");
        if let Err(error) = hub
            .store
            .answer_inbound(&ids, &records, end, now_ms_i64())
            .await
        {
            tracing::error!(account = %key, %error, "cannot store a recovered reply");
        }
    }
    hub.deliveries.notify_one();
}
