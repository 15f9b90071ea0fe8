//! One received message, from the journal to a session's lane: access control (the DM and
//! group policies, pairing, mention gating), who may use commands, routing, the text the run
//! gets (group context, downloaded attachments), and the run itself, whose outcome
//! [`answer`](super::answer) turns into deliveries.
//!
//! The message is marked dispatched (with the run id chosen here) *before* it is submitted: a
//! crash in between leaves a dispatched message whose run the ledger never saw, which the next
//! start reports to the sender as interrupted rather than running it a second time.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustyclaw_agent::{Inbound, Op, RunId};
use rustyclaw_config::{AccountSettings, Config};
use rustyclaw_protocol::attachment::InboundAttachment;
use rustyclaw_protocol::session_entry::ChatType;
use rustyclaw_store::{InboundEnd, PairingOutcome, StoredInbound};
use rustyclaw_support::now_ms_i64;

use super::activation;
use super::answer;
use super::blocks::BlockStream;
use super::commands::{CommandAccess, command_access};
use super::group_thread;
use super::history::{HistoryLine, with_context};
use super::hub::{AccountKey, Hub, lock, settings_of};
use super::journal::{Extras, extras};
use super::media;
use super::preview::Preview;
use crate::router::access::{
    AccessRules, Admission, Arrival, compile_mention_patterns, mention_patterns,
};
use crate::router::allow::{AllowList, SenderNames};
use crate::router::route::{Route, RouteRequest, route};

/// Handles one stored message (see the module documentation). Never fails: what goes wrong is
/// logged and recorded on the message.
pub(crate) async fn dispatch(hub: &Arc<Hub>, key: &AccountKey, message: StoredInbound) {
    let config = hub.config();
    let Some(settings) = settings_of(&config, key) else {
        end(
            hub,
            &message,
            InboundEnd::Failed,
            "the account is no longer configured",
        )
        .await;
        return;
    };
    let record = &message.record;
    let extras = extras(&record.attachments);
    let sender = sender_names(key, &message, &config);
    let request = RouteRequest {
        channel: &key.channel,
        account: &key.account,
        chat_kind: record.chat.kind.clone(),
        chat_id: record.chat.id.as_str(),
        sender_id: record.sender.as_ref().map(|s| s.id.as_str()),
        thread_id: record.thread_id.as_ref(),
    };
    let route = route(&config, &request);
    // A chat with a group thread: an explicit @-mention of any participant also satisfies the
    // room's mention gate.
    let thread = group_thread::find(&config, &request).cloned();
    let mentioned = thread
        .as_ref()
        .map(|thread| group_thread::mentioned(&config, &thread.agents, &record.text))
        .unwrap_or_default();
    let is_direct = record.chat.kind == ChatType::Direct;
    let activation = if is_direct {
        None
    } else {
        hub.store
            .get_session(&route.session_key)
            .await
            .ok()
            .flatten()
            .and_then(|entry| entry.group_activation)
    };
    let rules = access_rules(hub, key, &settings, &config, &route.agent_id).await;
    let group_id = record.chat.id.as_str();
    let admission = rules.admit(&Arrival {
        chat_kind: record.chat.kind.clone(),
        chat_id: group_id,
        group_id,
        sender: &sender,
        mentions_bot: extras.mentions_bot || !mentioned.is_empty(),
        replies_to_bot: extras.replies_to_bot,
        text: &record.text,
        activation: activation.as_ref(),
    });
    // A command from a sender allowed to use it does not need a mention.
    let access = command_access(
        &config,
        key,
        &settings,
        &rules,
        &sender,
        &record.text,
        is_direct,
    );
    let admission = match admission {
        Admission::Context if access == CommandAccess::Allowed => Admission::Run,
        other => other,
    };
    match admission {
        Admission::Drop(why) => {
            tracing::info!(account = %key, chat = %record.chat.id, sender = %sender.id, why, "message not admitted");
            end(hub, &message, InboundEnd::Failed, why).await;
        }
        Admission::Pair => pair(hub, key, &message, &sender).await,
        Admission::Context => {
            let limit = settings
                .history_limit
                .unwrap_or(config.messages.group_history_limit);
            hub.history.push(
                route.session_key.as_str(),
                HistoryLine {
                    sender: sender_label(&message),
                    text: record.text.clone(),
                },
                usize::try_from(limit).unwrap_or(usize::MAX),
            );
            end(hub, &message, InboundEnd::Answered, "kept as group context").await;
        }
        Admission::Run => {
            if access == CommandAccess::Allowed && activation::is_activation(&record.text) {
                activation::handle(hub, key, &message, &route.session_key).await;
                return;
            }
            match (access, thread) {
                (CommandAccess::NotACommand, Some(thread)) => {
                    let text = run_text(hub, &message, &route, &CommandAccess::NotACommand);
                    let attachments = download(hub, key, &settings, &extras).await;
                    acknowledge(hub, key, &message, &route, &extras);
                    let start = group_thread::ThreadStart {
                        key: key.clone(),
                        message,
                        text,
                        attachments,
                        mentioned,
                        thread,
                    };
                    group_thread::start(hub, &settings, start).await;
                }
                (access @ (CommandAccess::NotACommand | CommandAccess::Allowed), _) => {
                    run(hub, key, &settings, message, route, extras, access).await;
                }
                (CommandAccess::Refused(reply), _) => {
                    tracing::info!(account = %key, sender = %sender.id, "a command from a sender not allowed to use it");
                    answer::reply_without_run(hub, key, &message, reply).await;
                }
                (CommandAccess::Ignored, _) => {
                    end(
                        hub,
                        &message,
                        InboundEnd::Failed,
                        "commands are not allowed here",
                    )
                    .await;
                }
            }
        }
    }
}

/// The names allowlists may match for the sender: the id, and for IRC the `nick!user@host`
/// mask — which is what IRC allowlists name; a bare nick matches only with
/// `dangerouslyAllowNameMatching`, as upstream.
fn sender_names(key: &AccountKey, message: &StoredInbound, config: &Config) -> SenderNames {
    let id = message
        .record
        .sender
        .as_ref()
        .map(|s| s.id.as_str().to_owned())
        .unwrap_or_default();
    if key.channel == "irc" {
        let name_matching = config
            .channel_accounts
            .irc
            .iter()
            .find(|a| a.common.account_id == key.account)
            .is_some_and(|a| a.allow_name_matching);
        let mut aliases = Vec::new();
        if name_matching {
            aliases.push(id);
        }
        let mask = message
            .record
            .sender_aliases
            .first()
            .cloned()
            .unwrap_or_default();
        return SenderNames { id: mask, aliases };
    }
    SenderNames {
        id,
        aliases: message.record.sender_aliases.clone(),
    }
}

/// The sender as the model reads it in a group: the display name, else the id.
fn sender_label(message: &StoredInbound) -> String {
    message
        .record
        .sender
        .as_ref()
        .map(|s| s.name.clone().unwrap_or_else(|| s.id.as_str().to_owned()))
        .unwrap_or_else(|| "someone".to_owned())
}

/// The access rules of an account: its settings, the senders pairing approved, and the
/// mention patterns.
pub(crate) async fn access_rules(
    hub: &Hub,
    key: &AccountKey,
    settings: &AccountSettings,
    config: &Config,
    agent: &rustyclaw_protocol::AgentId,
) -> AccessRules {
    let channel = key.channel.as_str();
    let paired = match hub
        .store
        .allowed_senders(&key.channel_id(), &key.account_id())
        .await
    {
        Ok(senders) => senders.iter().map(|s| s.as_str().to_owned()).collect(),
        Err(error) => {
            tracing::warn!(account = %key, %error, "cannot read the senders pairing approved");
            Vec::new()
        }
    };
    // Upstream falls back to an explicit allowFrom when groupAllowFrom is not set.
    let group_allow = settings
        .group_allow_from
        .clone()
        .unwrap_or_else(|| settings.allow_from.clone());
    let (mention_patterns, invalid) = compile_mention_patterns(&mention_patterns(config, agent));
    for pattern in invalid {
        tracing::warn!(
            pattern,
            "messages.groupChat.mentionPatterns: not a valid pattern; ignored"
        );
    }
    AccessRules {
        dm_policy: settings.dm_policy,
        allow_from: AllowList::new(channel, &settings.allow_from),
        paired: AllowList::new(channel, paired),
        group_policy: settings.group_policy,
        group_allow_from: AllowList::new(channel, group_allow),
        groups: settings.groups.clone(),
        mention_patterns,
    }
}

/// An unknown direct sender under `pairing`: a pairing request, and its code sent back when it
/// is new (upstream sends it once per request, and nothing when the account has three pending).
async fn pair(hub: &Arc<Hub>, key: &AccountKey, message: &StoredInbound, names: &SenderNames) {
    let Some(sender) = message.record.sender.clone() else {
        end(hub, message, InboundEnd::Failed, "no sender to pair").await;
        return;
    };
    // The id an approval adds to the allowlist is the one allowlists match: IRC's mask.
    let pairing_id = if names.id.is_empty() {
        sender.id.clone()
    } else {
        rustyclaw_protocol::origin::PeerId::new(names.id.clone())
    };
    let mut meta = BTreeMap::new();
    if let Some(name) = &sender.name {
        meta.insert("name".to_owned(), name.clone());
    }
    if let Some(mask) = message.record.sender_aliases.first() {
        meta.insert("mask".to_owned(), mask.clone());
    }
    let outcome = hub
        .store
        .pairing_request(
            &key.channel_id(),
            &key.account_id(),
            &pairing_id,
            &meta,
            now_ms_i64(),
            rustyclaw_store::random_pairing_code,
        )
        .await;
    match outcome {
        Ok(PairingOutcome::Created { code }) => {
            tracing::info!(account = %key, sender = %pairing_id, "pairing requested; approve with `rustyclaw pairing approve {} <code>`", key.channel);
            let text = pairing_reply(&key.channel, pairing_id.as_str(), &code);
            answer::reply_without_run(hub, key, message, text).await;
        }
        Ok(PairingOutcome::Existing { .. }) => {
            end(
                hub,
                message,
                InboundEnd::Failed,
                "a pairing request is pending",
            )
            .await;
        }
        Ok(PairingOutcome::Full) => {
            tracing::warn!(account = %key, sender = %sender.id, "pairing request ignored: three are pending already");
            end(
                hub,
                message,
                InboundEnd::Failed,
                "too many pending pairing requests",
            )
            .await;
        }
        Err(error) => {
            tracing::error!(account = %key, %error, "cannot store a pairing request");
            end(hub, message, InboundEnd::Failed, "pairing failed").await;
        }
    }
}

/// Upstream's pairing message (`buildPairingReply`), naming rustyclaw's command.
pub(crate) fn pairing_reply(channel: &str, sender_id: &str, code: &str) -> String {
    let id_line = match channel {
        "telegram" => format!("Your Telegram user id: {sender_id}"),
        "irc" => format!("Your IRC id: {sender_id}"),
        other => format!("Your {other} id: {sender_id}"),
    };
    [
        "rustyclaw: access not configured.".to_owned(),
        String::new(),
        id_line,
        "Pairing code:".to_owned(),
        "```".to_owned(),
        code.to_owned(),
        "```".to_owned(),
        String::new(),
        "Ask the bot owner to approve with:".to_owned(),
        "```".to_owned(),
        format!("rustyclaw pairing approve {channel} {code}"),
        "```".to_owned(),
    ]
    .join("\n")
}

/// Runs the agent on an admitted message.
#[allow(clippy::too_many_arguments)]
async fn run(
    hub: &Arc<Hub>,
    key: &AccountKey,
    settings: &AccountSettings,
    message: StoredInbound,
    route: Route,
    extras: Extras,
    access: CommandAccess,
) {
    let record = &message.record;
    let text = run_text(hub, &message, &route, &access);
    let attachments = download(hub, key, settings, &extras).await;
    let run_id = RunId::random();
    // The message and the earlier ones of its burst are answered by this one run.
    for id in hub.take_burst(message.id) {
        if let Err(error) = hub
            .store
            .mark_inbound_dispatched(id, &run_id.0, now_ms_i64())
            .await
        {
            tracing::error!(account = %key, %error, "cannot record a message as dispatched; it is dispatched again at the next start");
            return;
        }
    }
    let outcome = hub.runtime.watch_run(&run_id);
    // Blocks or a preview draft: one stream of a reply at most.
    let blocks = BlockStream::follow(hub, key, settings, &message, &run_id, &route.session_key);
    let preview = if blocks.is_some() {
        None
    } else {
        Preview::follow(hub, key, settings, &message, &run_id)
    };
    lock(&hub.dispatched).insert(run_id.clone());
    let inbound = Inbound {
        session_key: route.session_key.clone(),
        agent_id: route.agent_id.clone(),
        text,
        run_id: run_id.clone(),
        thinking: None,
        queue_mode: None,
        origin: record.origin(),
        session_id: None,
        attachments,
    };
    tracing::debug!(account = %key, session = %route.session_key, run = %run_id, by = route.matched_by, "dispatching a message");
    if let Err(error) = hub.runtime.submit(Op::Message(inbound)) {
        lock(&hub.dispatched).remove(&run_id);
        tracing::error!(account = %key, %error, "the runtime refused a message");
        answer::reply_without_run(hub, key, &message, format!("⚠️ {error}")).await;
        return;
    }
    acknowledge(hub, key, &message, &route, &extras);
    let typing = answer::keep_typing(hub, key, &message);
    if let Some(preview) = preview {
        preview.spawn();
    }
    let blocks = blocks.map(BlockStream::spawn);
    let hub = hub.clone();
    let key = key.clone();
    let session_key = route.session_key;
    tokio::spawn(async move {
        let watch = answer::Watch {
            run_id,
            session_key,
            outcome,
            typing,
            blocks,
        };
        answer::await_outcome(hub, key, message, watch).await;
    });
}

/// The text a run gets. A command is handed over as typed, so the runtime reads it as one;
/// other group messages carry the pending group context and the sender's name.
fn run_text(hub: &Hub, message: &StoredInbound, route: &Route, access: &CommandAccess) -> String {
    let record = &message.record;
    if record.chat.kind == ChatType::Direct || *access == CommandAccess::Allowed {
        return record.text.clone();
    }
    let pending = hub.history.take(route.session_key.as_str());
    with_context(&pending, &sender_label(message), &record.text)
}

/// Reacts to a message that runs the agent with the ack reaction, as `ackReactionScope` says:
/// the account's `ackReaction`, else `messages.ackReaction`, else the agent's emoji, else 👀
/// (an empty one turns it off).
fn acknowledge(
    hub: &Arc<Hub>,
    key: &AccountKey,
    message: &StoredInbound,
    route: &Route,
    extras: &Extras,
) {
    use rustyclaw_config::file::AckReactionScope;
    let config = hub.config();
    let is_direct = message.record.chat.kind == ChatType::Direct;
    let mentioned = extras.mentions_bot || extras.replies_to_bot;
    let wanted = match config.messages.ack_reaction_scope {
        AckReactionScope::GroupMentions => !is_direct && mentioned,
        AckReactionScope::GroupAll => !is_direct,
        AckReactionScope::Direct => is_direct,
        AckReactionScope::All => true,
        AckReactionScope::Off | AckReactionScope::None => false,
    };
    if !wanted {
        return;
    }
    let account = config
        .channel_accounts
        .telegram
        .iter()
        .find(|a| key.channel == "telegram" && a.common.account_id == key.account)
        .and_then(|a| a.ack_reaction.clone());
    let agent_emoji = config
        .agents
        .list
        .iter()
        .find(|a| a.id == route.agent_id.as_str())
        .and_then(|a| a.identity.emoji.clone());
    let emoji = account
        .or_else(|| config.messages.ack_reaction.clone())
        .or(agent_emoji)
        .unwrap_or_else(|| "👀".to_owned());
    if emoji.trim().is_empty() {
        return;
    }
    let Some(adapter) = hub.adapter(key) else {
        return;
    };
    if !adapter.capabilities().react {
        return;
    }
    let target = rustyclaw_channels::account::OutboundTarget {
        chat: message.record.chat.id.clone(),
        thread_id: message.record.thread_id.clone(),
        reply_to_id: None,
    };
    let message_id = message.record.message_id.clone();
    tokio::spawn(async move {
        if let Err(error) = adapter.react(&target, &message_id, &emoji).await {
            tracing::debug!(%error, "the ack reaction failed");
        }
    });
}

/// Downloads the message's attachments within the account's `mediaMaxMb`; one that cannot be
/// downloaded is left out (and logged), never fatal to the message.
async fn download(
    hub: &Hub,
    key: &AccountKey,
    settings: &AccountSettings,
    extras: &Extras,
) -> Vec<InboundAttachment> {
    if extras.attachments.is_empty() {
        return Vec::new();
    }
    let Some(adapter) = hub.adapter(key) else {
        return Vec::new();
    };
    let max_bytes = u64::from(
        settings
            .media_max_mb
            .unwrap_or(super::limits::DEFAULT_MEDIA_MAX_MB),
    ) * 1024
        * 1024;
    let mut saved = Vec::new();
    for attachment in &extras.attachments {
        match media::save(hub, adapter.as_ref(), key, attachment, max_bytes).await {
            Ok(file) => saved.push(file),
            Err(error) => {
                tracing::warn!(account = %key, file = %attachment.file_id, %error, "an attachment could not be downloaded; the message goes on without it");
            }
        }
    }
    saved
}

/// Puts a message in its final state, logging a failure to do so.
pub(crate) async fn end(hub: &Hub, message: &StoredInbound, end: InboundEnd, why: &str) {
    for id in hub.take_burst(message.id) {
        if let Err(error) = hub.store.mark_inbound_done(id, end, now_ms_i64()).await {
            tracing::warn!(%error, why, "cannot record how a received message ended");
        }
    }
}
