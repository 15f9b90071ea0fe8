//! The gateway's view of the channels ([`ChannelControl`]): `channels.status`,
//! `channels.logout`, `send` and `message.action` answered from the running accounts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustyclaw_gateway::channels::{
    AccountActivity, AccountState, AccountStatus, ActionRequest, BoxFuture, ChannelControl,
    ChannelControlError, ChannelStatus, IssueKind, LogoutOutcome, MessageAction, Probe,
    SendReceipt, SendRequest, StatusIssue, StatusRequest,
};
use rustyclaw_protocol::origin::{AccountId, ChannelId};
use rustyclaw_protocol::reply::ReplyPayload;
use rustyclaw_protocol::session_entry::ThreadId;

use super::hub::{AccountKey, Hub, lock};
use super::messenger::ChannelLink;
use super::outbound::{self, Action, OutboundError};

/// How each connected channel is labelled (upstream's labels and icons).
fn labels(channel: &str) -> (&'static str, &'static str, Option<&'static str>) {
    match channel {
        "telegram" => ("Telegram", "Telegram Bot", Some("paperplane")),
        "irc" => ("IRC", "IRC", Some("network")),
        _ => ("Channel", "Channel", None),
    }
}

fn unknown(channel: &ChannelId) -> ChannelControlError {
    ChannelControlError::UnknownChannel {
        channel: channel.clone(),
    }
}

fn mapped(
    channel: &ChannelId,
    account: Option<&AccountId>,
    error: OutboundError,
) -> ChannelControlError {
    match error {
        OutboundError::NotConfigured { .. }
            if rustyclaw_config::CONNECTED_CHANNELS.contains(&channel.as_str()) =>
        {
            ChannelControlError::Invalid {
                message: not_configured(channel),
            }
        }
        OutboundError::ChannelUnavailable { .. } | OutboundError::NotConfigured { .. } => {
            if rustyclaw_config::CONNECTED_CHANNELS.contains(&channel.as_str()) {
                ChannelControlError::NotReady {
                    channel: channel.clone(),
                    account: account
                        .cloned()
                        .unwrap_or_else(|| AccountId::new("default")),
                    reason: "the channel is not configured or not running".to_owned(),
                }
            } else {
                unknown(channel)
            }
        }
        OutboundError::UnknownAccount { account, .. } => ChannelControlError::UnknownAccount {
            channel: channel.clone(),
            account: AccountId::new(account),
        },
        OutboundError::Unsupported(operation) => ChannelControlError::Unsupported {
            channel: channel.clone(),
            operation,
        },
        OutboundError::Rejected(message) => ChannelControlError::Permanent { message },
        OutboundError::Unreachable(message) => ChannelControlError::Transient { message },
        error @ OutboundError::PartiallySent { .. } => ChannelControlError::Permanent {
            message: error.to_string(),
        },
    }
}

/// What to set up for a channel the config does not have (Telegram's words are OpenClaw's).
fn not_configured(channel: &ChannelId) -> String {
    match channel.as_str() {
        "telegram" => {
            "Telegram bot token missing. Set TELEGRAM_BOT_TOKEN or channels.telegram.botToken."
                .to_owned()
        }
        "irc" => "IRC is not configured. Set channels.irc.host and channels.irc.nick.".to_owned(),
        other => format!("{other} is not configured: add channels.{other} to the config."),
    }
}

fn ms(value: Option<i64>) -> Option<u64> {
    value.and_then(|v| u64::try_from(v).ok())
}

impl ChannelLink {
    fn linked(&self) -> Result<Arc<Hub>, ChannelControlError> {
        self.hub().ok_or_else(|| ChannelControlError::Transient {
            message: "the chat channels are not running".to_owned(),
        })
    }
}

impl ChannelControl for ChannelLink {
    fn status<'a>(
        &'a self,
        request: &'a StatusRequest,
    ) -> BoxFuture<'a, Result<Vec<ChannelStatus>, ChannelControlError>> {
        Box::pin(async move {
            let hub = self.linked()?;
            if let Some(channel) = &request.channel
                && !rustyclaw_config::CONNECTED_CHANNELS.contains(&channel.as_str())
            {
                return Err(unknown(channel));
            }
            let started = Instant::now();
            let probe_timeout = request.probe.unwrap_or(Duration::from_secs(10));
            let report = super::status::report(&hub, request.probe.is_some(), probe_timeout).await;
            let elapsed = started.elapsed();
            let mut channels: Vec<ChannelStatus> = Vec::new();
            for account in report.accounts {
                if request
                    .channel
                    .as_ref()
                    .is_some_and(|c| c.as_str() != account.channel)
                {
                    continue;
                }
                let channel = ChannelId::new(&account.channel);
                let mut issues = Vec::new();
                if let Some(reason) = &account.not_running
                    && account.enabled
                {
                    issues.push(StatusIssue {
                        kind: IssueKind::Config,
                        message: reason.clone(),
                        fix: Some(format!(
                            "fix channels.{} in the config; the running gateway applies the edit",
                            account.channel
                        )),
                    });
                }
                let probe = account.probe.clone().map(|result| match result {
                    Ok(found) => Probe::Ok {
                        identity: found.identity,
                        elapsed,
                    },
                    Err(error) if error.starts_with("no answer within") => Probe::TimedOut {
                        after: probe_timeout,
                    },
                    Err(error) => Probe::Failed { error, elapsed },
                });
                let status = AccountStatus {
                    account: AccountId::new(account.account.clone()),
                    name: account.name.clone(),
                    enabled: account.enabled,
                    configured: account.configured,
                    state: if account.running {
                        AccountState::Running {
                            connected: account.connected,
                        }
                    } else {
                        AccountState::Stopped
                    },
                    mode: account.mode.clone(),
                    identity: account.identity.clone(),
                    credential_source: None,
                    last_error: account.last_error.clone(),
                    activity: AccountActivity {
                        started_ms: None,
                        connected_ms: ms(account.connected_since_ms),
                        inbound_ms: ms(account.last_inbound_ms),
                        outbound_ms: ms(account.last_outbound_ms),
                        alive_ms: None,
                    },
                    restarts: account.restarts,
                    probe,
                    issues,
                };
                match channels.iter_mut().find(|c| c.channel == channel) {
                    Some(existing) => existing.accounts.push(status),
                    None => {
                        let (label, detail_label, image) = labels(&account.channel);
                        let default_account = report
                            .default_accounts
                            .get(&account.channel)
                            .cloned()
                            .unwrap_or_else(|| "default".to_owned());
                        channels.push(ChannelStatus {
                            channel,
                            label: label.to_owned(),
                            detail_label: detail_label.to_owned(),
                            system_image: image.map(str::to_owned),
                            default_account: AccountId::new(default_account),
                            accounts: vec![status],
                        });
                    }
                }
            }
            // A channel whose only account is not the default one names it as default.
            for channel in &mut channels {
                if !channel
                    .accounts
                    .iter()
                    .any(|a| a.account == channel.default_account)
                    && let Some(first) = channel.accounts.first()
                {
                    channel.default_account = first.account.clone();
                }
            }
            Ok(channels)
        })
    }

    fn logout<'a>(
        &'a self,
        channel: &'a ChannelId,
        account: Option<&'a AccountId>,
    ) -> BoxFuture<'a, Result<LogoutOutcome, ChannelControlError>> {
        Box::pin(async move {
            let hub = self.linked()?;
            let (key, adapter) =
                outbound::resolve_account(&hub, channel.as_str(), account.map(AccountId::as_str))
                    .map_err(|e| mapped(channel, account, e))?;
            adapter
                .logout()
                .await
                .map_err(|e| ChannelControlError::Transient {
                    message: e.to_string(),
                })?;
            stop(&hub, &key);
            Ok(LogoutOutcome {
                account: key.account_id(),
                cleared: false,
                logged_out: true,
                env_credential: false,
            })
        })
    }

    fn send<'a>(
        &'a self,
        request: &'a SendRequest,
    ) -> BoxFuture<'a, Result<SendReceipt, ChannelControlError>> {
        Box::pin(async move {
            if request.silent {
                return Err(ChannelControlError::Invalid {
                    message: "silent sends are not supported by rustyclaw yet".to_owned(),
                });
            }
            let hub = self.linked()?;
            let (key, _) = outbound::resolve_account(
                &hub,
                request.channel.as_str(),
                request.account.as_ref().map(AccountId::as_str),
            )
            .map_err(|e| mapped(&request.channel, request.account.as_ref(), e))?;
            // Telegram names a forum topic `<chat>:topic:<id>`.
            let (chat, thread) = split_topic(request.to.as_str(), request.thread.clone());
            let payload = ReplyPayload {
                text: request.text.clone(),
                media: request.media.clone(),
                reply_to_id: request.reply_to.clone(),
            };
            let (chat, message_ids) = outbound::send(
                &hub,
                &key.channel,
                Some(&key.account),
                &chat,
                thread,
                payload,
            )
            .await
            .map_err(|e| mapped(&request.channel, request.account.as_ref(), e))?;
            Ok(SendReceipt {
                account: key.account_id(),
                chat,
                message_ids,
            })
        })
    }

    fn act<'a>(
        &'a self,
        request: &'a ActionRequest,
    ) -> BoxFuture<'a, Result<(), ChannelControlError>> {
        Box::pin(async move {
            let hub = self.linked()?;
            let action = match &request.action {
                MessageAction::React { emoji } => Action::React(emoji.clone()),
                MessageAction::RemoveReaction { .. } | MessageAction::ClearReactions => {
                    Action::React(String::new())
                }
                MessageAction::Edit { text } => Action::Edit(text.clone()),
                MessageAction::Delete => Action::Delete,
            };
            let (chat, _) = split_topic(request.chat.as_str(), None);
            outbound::act(
                &hub,
                request.channel.as_str(),
                request.account.as_ref().map(AccountId::as_str),
                &chat,
                &request.message,
                action,
            )
            .await
            .map_err(|e| mapped(&request.channel, request.account.as_ref(), e))
        })
    }
}

/// `<chat>:topic:<id>` as the chat and its topic.
fn split_topic(to: &str, thread: Option<ThreadId>) -> (String, Option<ThreadId>) {
    match to.rsplit_once(":topic:") {
        Some((chat, topic)) => (
            chat.to_owned(),
            thread.or_else(|| {
                Some(
                    topic
                        .parse()
                        .map_or_else(|_| ThreadId::Text(topic.to_owned()), ThreadId::Number),
                )
            }),
        ),
        None => (to.to_owned(), thread),
    }
}

/// Stops an account after a logout, until the config changes or the gateway restarts.
fn stop(hub: &Hub, key: &AccountKey) {
    let mut accounts = lock(&hub.accounts);
    if let Some(slot) = accounts.get_mut(key) {
        for task in slot.tasks.drain(..) {
            task.abort();
        }
        slot.adapter = None;
        slot.not_running =
            Some("logged out; edit the config or restart the gateway to connect again".to_owned());
        slot.status.update(|s| {
            s.running = false;
            s.connected = false;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_target_splits_into_chat_and_thread() {
        assert_eq!(
            split_topic("-100:topic:9", None),
            ("-100".to_owned(), Some(ThreadId::Number(9)))
        );
        assert_eq!(split_topic("#ops", None), ("#ops".to_owned(), None));
    }
}
