//! A [`ChannelControl`] double at the gateway's boundary: the host's real channels have their
//! own tests; here the gateway's methods are checked against scripted channel states and
//! recorded requests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustyclaw_gateway::channels::{
    AccountActivity, AccountState, AccountStatus, ActionRequest, BoxFuture, ChannelControl,
    ChannelControlError, ChannelStatus, LogoutOutcome, Probe, SendReceipt, SendRequest,
    StatusRequest,
};
use rustyclaw_protocol::origin::{AccountId, ChannelId, ChatId, MessageId};

/// The channels this host knows (a status filter naming another is refused).
const KNOWN: &[&str] = &["telegram", "irc", "discord"];

/// Scripted channels, and every request the gateway made.
#[derive(Default)]
pub struct FakeChannels {
    /// What `status` reports (`probe` is reported only when a probe was asked for).
    pub channels: Mutex<Vec<ChannelStatus>>,
    pub status_requests: Mutex<Vec<StatusRequest>>,
    pub sends: Mutex<Vec<SendRequest>>,
    pub actions: Mutex<Vec<ActionRequest>>,
    pub logouts: Mutex<Vec<(ChannelId, Option<AccountId>)>>,
    /// Answers of the next sends; a send with none scripted is accepted as message `1001`.
    pub send_results: Mutex<VecDeque<Result<SendReceipt, ChannelControlError>>>,
    /// Answers of the next actions; accepted when none is scripted.
    pub action_results: Mutex<VecDeque<Result<(), ChannelControlError>>>,
}

impl FakeChannels {
    pub fn with(channels: Vec<ChannelStatus>) -> Arc<Self> {
        let fake = Self::default();
        *fake.channels.lock().unwrap() = channels;
        Arc::new(fake)
    }

    pub fn script_send(&self, result: Result<SendReceipt, ChannelControlError>) {
        self.send_results.lock().unwrap().push_back(result);
    }

    pub fn script_action(&self, result: Result<(), ChannelControlError>) {
        self.action_results.lock().unwrap().push_back(result);
    }
}

impl ChannelControl for FakeChannels {
    fn status<'a>(
        &'a self,
        request: &'a StatusRequest,
    ) -> BoxFuture<'a, Result<Vec<ChannelStatus>, ChannelControlError>> {
        Box::pin(async move {
            self.status_requests.lock().unwrap().push(request.clone());
            if let Some(channel) = &request.channel
                && !KNOWN.contains(&channel.as_str())
            {
                return Err(ChannelControlError::UnknownChannel {
                    channel: channel.clone(),
                });
            }
            let mut channels = self.channels.lock().unwrap().clone();
            channels.retain(|c| request.channel.as_ref().is_none_or(|f| *f == c.channel));
            if request.probe.is_none() {
                for account in channels.iter_mut().flat_map(|c| c.accounts.iter_mut()) {
                    account.probe = None;
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
            self.logouts
                .lock()
                .unwrap()
                .push((channel.clone(), account.cloned()));
            match channel.as_str() {
                "telegram" => Ok(LogoutOutcome {
                    account: account
                        .cloned()
                        .unwrap_or_else(|| AccountId::new("default")),
                    cleared: true,
                    logged_out: true,
                    env_credential: false,
                }),
                "irc" => Err(ChannelControlError::Unsupported {
                    channel: channel.clone(),
                    operation: "logout".into(),
                }),
                _ => Err(ChannelControlError::UnknownChannel {
                    channel: channel.clone(),
                }),
            }
        })
    }

    fn send<'a>(
        &'a self,
        request: &'a SendRequest,
    ) -> BoxFuture<'a, Result<SendReceipt, ChannelControlError>> {
        Box::pin(async move {
            self.sends.lock().unwrap().push(request.clone());
            match self.send_results.lock().unwrap().pop_front() {
                Some(result) => result,
                None => Ok(SendReceipt {
                    account: request
                        .account
                        .clone()
                        .unwrap_or_else(|| AccountId::new("default")),
                    chat: request.to.clone(),
                    message_ids: vec![MessageId::new("1001")],
                }),
            }
        })
    }

    fn act<'a>(
        &'a self,
        request: &'a ActionRequest,
    ) -> BoxFuture<'a, Result<(), ChannelControlError>> {
        Box::pin(async move {
            self.actions.lock().unwrap().push(request.clone());
            self.action_results
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(Ok(()))
        })
    }
}

/// An enabled, configured account that runs and is connected, seen alive just now.
pub fn running_account(id: &str) -> AccountStatus {
    let now = now_ms();
    AccountStatus {
        account: AccountId::new(id),
        name: None,
        enabled: true,
        configured: true,
        state: AccountState::Running { connected: true },
        mode: Some("polling".into()),
        identity: Some("@rusty_bot".into()),
        credential_source: Some("config".into()),
        last_error: None,
        activity: AccountActivity {
            started_ms: Some(now - 60_000),
            connected_ms: Some(now - 59_000),
            inbound_ms: Some(now - 5_000),
            outbound_ms: None,
            alive_ms: Some(now - 1_000),
        },
        restarts: 0,
        probe: Some(Probe::Ok {
            identity: Some("@rusty_bot".into()),
            elapsed: Duration::from_millis(42),
        }),
        issues: Vec::new(),
    }
}

/// A Telegram channel with `accounts`, `default` being its default account.
pub fn telegram(accounts: Vec<AccountStatus>) -> ChannelStatus {
    ChannelStatus {
        channel: ChannelId::new("telegram"),
        label: "Telegram".into(),
        detail_label: "Telegram Bot".into(),
        system_image: Some("paperplane".into()),
        default_account: AccountId::new("default"),
        accounts,
    }
}

/// An IRC channel with `accounts`.
pub fn irc(accounts: Vec<AccountStatus>) -> ChannelStatus {
    ChannelStatus {
        channel: ChannelId::new("irc"),
        label: "IRC".into(),
        detail_label: "IRC".into(),
        system_image: Some("network".into()),
        default_account: AccountId::new("default"),
        accounts,
    }
}

/// A receipt for `ids` in `chat`.
pub fn receipt(chat: &str, ids: &[&str]) -> SendReceipt {
    SendReceipt {
        account: AccountId::new("default"),
        chat: ChatId::new(chat),
        message_ids: ids.iter().map(|id| MessageId::new(*id)).collect(),
    }
}

pub fn now_ms() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}
