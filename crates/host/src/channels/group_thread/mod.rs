//! Agent group threads (`broadcast`): one received message answered by several agents, each in
//! its own session, in bounded rounds (OpenClaw's `channels/broadcast-groups.md`).
//!
//! The first round runs the participants the message selects (those it @-mentions when
//! `mentionGating` is on and any match; otherwise all). After a round in which someone
//! replied, the participants who replied or whom a sibling's reply addressed may take another
//! round, each reading an attributed digest of the siblings' replies and told to add something
//! new or pass (`NO_REPLY`), until everybody passes, `maxRounds` rounds have run or `maxTurns`
//! turns have started. Turns are reserved before they start, in configured order, so parallel
//! participants never overspend the budget. The rounds' state is in memory: a restart ends the
//! thread.
//!
//! Each turn is an ordinary run in the participant's session. Its reply is stored for delivery
//! (labelled with the participant's name when the entry names more than one) as soon as that
//! turn ends, so one slow participant never holds back another's answer. The received
//! message itself is dispatched to the thread (an id no run has), so a crash in the middle is
//! reported to the sender as an interrupted answer at the next start, never run again; it is
//! marked answered when the thread ends. Preview drafts are off for group threads, as upstream:
//! concurrent participants would overwrite one another's draft.

mod select;

use std::sync::Arc;

use rustyclaw_agent::{Inbound, Op, RunId, RunStatus};
use rustyclaw_config::file::BroadcastStrategy;
use rustyclaw_config::{AccountSettings, Config, GroupThread};
use rustyclaw_protocol::AgentId;
use rustyclaw_protocol::attachment::InboundAttachment;
use rustyclaw_protocol::origin::MessageOrigin;
use rustyclaw_protocol::reply::ReplyPayload;
use rustyclaw_store::{AnsweredRun, InboundEnd, InboundId, StoredInbound};
use rustyclaw_support::now_ms_i64;
use tokio::task::JoinSet;

pub(crate) use select::mentioned;
use select::{FinalReply, MAX_FINAL_CHARS, digest, display_name, labelled, next_round};

use super::answer;
use super::hub::{AccountKey, Hub};
use crate::router::route::{RouteRequest, peer_id, route_as};

/// The group thread configured for the chat of `request`: a Telegram forum topic's own entry
/// (`telegram:<group>:topic:<topic>`), else the chat's.
pub(crate) fn find<'c>(config: &'c Config, request: &RouteRequest<'_>) -> Option<&'c GroupThread> {
    let broadcast = &config.broadcast;
    if broadcast.threads.is_empty() {
        return None;
    }
    broadcast
        .thread(request.channel, &peer_id(request))
        .or_else(|| broadcast.thread(request.channel, request.chat_id))
}

/// What a group thread starts from: the received message and what its first round reads.
pub(crate) struct ThreadStart {
    /// The account it came in on.
    pub key: AccountKey,
    /// The message.
    pub message: StoredInbound,
    /// The message with its group context, as the first round reads it.
    pub text: String,
    /// Its downloaded attachments.
    pub attachments: Vec<InboundAttachment>,
    /// The participants it @-mentions.
    pub mentioned: Vec<String>,
    /// The thread's configuration.
    pub thread: GroupThread,
}

/// Dispatches a received message to its group thread and runs the thread in the background.
pub(crate) async fn start(hub: &Arc<Hub>, settings: &AccountSettings, start: ThreadStart) {
    let thread_id = RunId::random();
    let mut ids = Vec::new();
    for id in hub.take_burst(start.message.id) {
        if let Err(error) = hub
            .store
            .mark_inbound_dispatched(id, &thread_id.0, now_ms_i64())
            .await
        {
            tracing::error!(account = %start.key, %error, "cannot record a message as dispatched; it is dispatched again at the next start");
            return;
        }
        ids.push(id);
    }
    let typing = answer::keep_typing(hub, &start.key, &start.message);
    let hub = hub.clone();
    let settings = settings.clone();
    tokio::spawn(async move {
        let key = start.key.clone();
        let message = start.message.clone();
        run_rounds(&hub, &settings, start).await;
        if let Some(typing) = typing {
            typing.abort();
        }
        finish(&hub, &key, &message, &ids).await;
    });
}

/// Marks the thread's messages answered (their replies were queued turn by turn).
async fn finish(hub: &Hub, key: &AccountKey, message: &StoredInbound, ids: &[InboundId]) {
    if *hub.stopping.borrow() {
        // The host is stopping and the thread was cut short: the next start tells the sender.
        return;
    }
    if let Err(error) = hub
        .store
        .answer_inbound(ids, &[], InboundEnd::Answered, now_ms_i64())
        .await
    {
        tracing::error!(account = %key, message = %message.record.message_id, %error, "cannot record a group thread as answered");
    }
}

/// Runs the rounds (see the module documentation).
async fn run_rounds(hub: &Arc<Hub>, settings: &AccountSettings, start: ThreadStart) {
    let config = hub.config();
    let thread = &start.thread;
    let mut eligible: Vec<String> = if thread.mention_gating && !start.mentioned.is_empty() {
        thread
            .agents
            .iter()
            .filter(|agent| start.mentioned.contains(agent))
            .cloned()
            .collect()
    } else {
        thread.agents.clone()
    };
    tracing::info!(account = %start.key, chat = %start.message.record.chat.id, strategy = ?config.broadcast.strategy, "Broadcasting message to {} agents", eligible.len());
    let mut turns_started = 0u32;
    let mut previous: Vec<FinalReply> = Vec::new();
    for round in 1..=thread.max_rounds {
        if eligible.is_empty() || turns_started >= thread.max_turns || *hub.stopping.borrow() {
            break;
        }
        let room = usize::try_from(thread.max_turns - turns_started).unwrap_or(usize::MAX);
        // A follow-up turn with no sibling reply to read would only repeat itself: skipped
        // (upstream runs it with an empty digest).
        let launching: Vec<String> = eligible
            .iter()
            .filter(|agent| round == 1 || previous.iter().any(|r| &r.agent != *agent && r.replied))
            .take(room)
            .cloned()
            .collect();
        if launching.is_empty() {
            break;
        }
        turns_started += u32::try_from(launching.len()).unwrap_or(u32::MAX);
        let turns: Vec<Turn> = launching
            .iter()
            .map(|agent| Turn {
                agent: agent.clone(),
                name: display_name(&config, agent),
                text: if round == 1 {
                    start.text.clone()
                } else {
                    digest(round, agent, &previous)
                },
                attachments: if round == 1 {
                    start.attachments.clone()
                } else {
                    Vec::new()
                },
                labelled: thread.configured_count > 1,
            })
            .collect();
        let mut current = match config.broadcast.strategy {
            BroadcastStrategy::Sequential => {
                let mut replies = Vec::new();
                for turn in turns {
                    replies.push(turn_in(hub, settings, &start.key, &start.message, turn).await);
                }
                replies
            }
            BroadcastStrategy::Parallel => {
                let mut set = JoinSet::new();
                for turn in turns {
                    let (hub, settings) = (hub.clone(), settings.clone());
                    let (key, message) = (start.key.clone(), start.message.clone());
                    set.spawn(async move { turn_in(&hub, &settings, &key, &message, turn).await });
                }
                let mut replies = Vec::new();
                while let Some(joined) = set.join_next().await {
                    match joined {
                        Ok(reply) => replies.push(reply),
                        Err(error) => tracing::warn!(%error, "a group thread turn stopped"),
                    }
                }
                replies
            }
        };
        current.sort_by_key(|reply| thread.agents.iter().position(|a| *a == reply.agent));
        if !current.iter().any(|reply| reply.replied) {
            break;
        }
        eligible = next_round(&config, &thread.agents, &current);
        previous = current;
    }
}

/// One participant turn to run.
struct Turn {
    agent: String,
    name: String,
    text: String,
    attachments: Vec<InboundAttachment>,
    labelled: bool,
}

/// Runs one participant turn and queues its reply; what it replied, for the next round.
async fn turn_in(
    hub: &Arc<Hub>,
    settings: &AccountSettings,
    key: &AccountKey,
    message: &StoredInbound,
    turn: Turn,
) -> FinalReply {
    let mut reply = FinalReply {
        agent: turn.agent.clone(),
        name: turn.name.clone(),
        text: String::new(),
        replied: false,
    };
    let config = hub.config();
    let record = &message.record;
    let agent_id = AgentId::normalize(&turn.agent);
    let request = RouteRequest {
        channel: &key.channel,
        account: &key.account,
        chat_kind: record.chat.kind.clone(),
        chat_id: record.chat.id.as_str(),
        sender_id: record.sender.as_ref().map(|s| s.id.as_str()),
        thread_id: record.thread_id.as_ref(),
    };
    let session_key = route_as(&config, &request, Some(&agent_id)).session_key;
    let origin = record.origin();
    let run_id = RunId::random();
    let outcome = hub.runtime.watch_run(&run_id);
    let inbound = Inbound {
        session_key: session_key.clone(),
        agent_id,
        text: turn.text,
        run_id: run_id.clone(),
        thinking: None,
        queue_mode: None,
        origin: origin.clone(),
        session_id: None,
        attachments: turn.attachments,
    };
    if let Err(error) = hub.runtime.submit(Op::Message(inbound)) {
        tracing::warn!(account = %key, "Broadcast agent {} failed: {error}", turn.agent);
        return reply;
    }
    let Ok(outcome) = outcome.await else {
        return reply;
    };
    if !answer::claim(&outcome) {
        return reply;
    }
    let payloads = match outcome.status {
        RunStatus::Done => {
            let text =
                rustyclaw_protocol::reply::joined_text(&outcome.payloads).unwrap_or_default();
            reply.text = text.chars().take(MAX_FINAL_CHARS).collect();
            reply.replied = outcome
                .payloads
                .iter()
                .any(|p| !p.text.trim().is_empty() || !p.media.is_empty());
            outcome.payloads.clone()
        }
        RunStatus::Aborted => Vec::new(),
        RunStatus::Failed | RunStatus::TimedOut => {
            let error = outcome
                .error
                .clone()
                .unwrap_or_else(|| "the run failed".to_owned());
            tracing::warn!(account = %key, "Broadcast agent {} failed: {error}", turn.agent);
            vec![ReplyPayload::text(
                format!("⚠️ {error}"),
                origin.message_id.clone(),
            )]
        }
    };
    let payloads = presented(
        &config,
        &turn.agent,
        &turn.name,
        turn.labelled,
        hub,
        payloads,
    );
    queue(hub, key, settings, &origin, &payloads, run_id, session_key).await;
    reply
}

/// The payloads as the chat shows them: `MEDIA:` lines as attachments (local ones only from
/// the participant's workspace or the received media), texts labelled when the thread labels.
fn presented(
    config: &Config,
    agent: &str,
    name: &str,
    label: bool,
    hub: &Hub,
    payloads: Vec<ReplyPayload>,
) -> Vec<ReplyPayload> {
    let mut roots: Vec<std::path::PathBuf> = config
        .agents
        .list
        .iter()
        .filter(|a| a.id == agent)
        .map(|a| a.workspace.clone())
        .collect();
    roots.push(hub.media_dir.clone());
    payloads
        .iter()
        .map(|payload| {
            let mut payload = super::reply_media::split_media(payload, &roots);
            if label && !payload.text.trim().is_empty() {
                payload.text = labelled(name, &payload.text);
            }
            payload
        })
        .collect()
}

/// Stores a turn's reply for delivery (its own transaction: the thread's message stays
/// dispatched until the thread ends).
async fn queue(
    hub: &Hub,
    key: &AccountKey,
    settings: &AccountSettings,
    origin: &MessageOrigin,
    payloads: &[ReplyPayload],
    run_id: RunId,
    session_key: rustyclaw_protocol::SessionKey,
) {
    if payloads.is_empty() {
        return;
    }
    let config = hub.config();
    let answers = AnsweredRun {
        run_id: run_id.0,
        session_key,
    };
    let records = answer::deliveries(
        hub,
        key,
        &config,
        settings,
        origin,
        payloads,
        Some(answers),
        false,
    );
    match hub
        .store
        .answer_inbound(&[], &records, InboundEnd::Answered, now_ms_i64())
        .await
    {
        Ok(_) => hub.deliveries.notify_one(),
        Err(error) => {
            tracing::error!(account = %key, %error, "cannot store a group thread reply");
        }
    }
}
