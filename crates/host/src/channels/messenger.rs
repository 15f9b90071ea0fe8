//! The agent's `message` tool reaches the channels through this [`Messenger`]: a handle made
//! before the runtime (which needs it) and linked to the channel layer once it starts (which
//! needs the runtime). Until then, and after the layer stops, no channel is available.

use std::sync::{Arc, OnceLock, Weak};

use rustyclaw_protocol::origin::ChannelId;
use rustyclaw_tools::messenger::{
    ChannelSupport, DeleteRequest, EditRequest, MessageAction, Messenger, MessengerError,
    MessengerFuture, ReactRequest, Reaction, SendReceipt, SendRequest,
};

use super::hub::{Hub, lock};
use super::outbound::{self, Action, OutboundError};

/// The link between the tool services and the channel layer. Cheap to clone.
#[derive(Clone, Default)]
pub struct ChannelLink {
    hub: Arc<OnceLock<Weak<Hub>>>,
}

impl std::fmt::Debug for ChannelLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelLink")
            .field("linked", &self.hub.get().is_some())
            .finish()
    }
}

impl ChannelLink {
    /// A link not connected yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The messenger for the tool services.
    pub fn messenger(&self) -> Arc<dyn Messenger> {
        Arc::new(self.clone())
    }

    pub(crate) fn connect(&self, hub: &Arc<Hub>) {
        let _ = self.hub.set(Arc::downgrade(hub));
    }

    pub(crate) fn hub(&self) -> Option<Arc<Hub>> {
        self.hub.get().and_then(Weak::upgrade)
    }
}

fn error(channel: &ChannelId, error: OutboundError) -> MessengerError {
    let channel = channel.clone();
    match error {
        OutboundError::ChannelUnavailable { .. } | OutboundError::NotConfigured { .. } => {
            MessengerError::ChannelUnavailable { channel }
        }
        OutboundError::UnknownAccount { account, .. } => MessengerError::UnknownAccount {
            channel,
            account: rustyclaw_protocol::origin::AccountId::new(account),
        },
        OutboundError::Unsupported(what) => MessengerError::Unsupported { channel, what },
        OutboundError::Rejected(reason) => MessengerError::Rejected { channel, reason },
        OutboundError::Unreachable(reason) => MessengerError::Unreachable { channel, reason },
        OutboundError::PartiallySent { sent, reason } => MessengerError::PartiallySent {
            channel,
            sent,
            reason,
        },
    }
}

impl Messenger for ChannelLink {
    fn channels(&self) -> Vec<ChannelSupport> {
        let Some(hub) = self.hub() else {
            return Vec::new();
        };
        let mut supports: Vec<ChannelSupport> = Vec::new();
        for (key, slot) in lock(&hub.accounts).iter() {
            let Some(adapter) = &slot.adapter else {
                continue;
            };
            let capabilities = adapter.capabilities();
            let mut actions = vec![MessageAction::Send];
            if capabilities.react {
                actions.push(MessageAction::React);
            }
            if capabilities.edit {
                actions.push(MessageAction::Edit);
            }
            if capabilities.delete {
                actions.push(MessageAction::Delete);
            }
            let channel = key.channel_id();
            match supports.iter_mut().find(|s| s.channel == channel) {
                Some(existing) => {
                    for action in actions {
                        if !existing.actions.contains(&action) {
                            existing.actions.push(action);
                        }
                    }
                }
                None => supports.push(ChannelSupport { channel, actions }),
            }
        }
        supports
    }

    fn send(&self, request: SendRequest) -> MessengerFuture<'_, SendReceipt> {
        Box::pin(async move {
            let channel = request.to.channel.clone();
            let hub = self
                .hub()
                .ok_or_else(|| MessengerError::ChannelUnavailable {
                    channel: channel.clone(),
                })?;
            let (chat, message_ids) = outbound::send(
                &hub,
                channel.as_str(),
                request.to.account.as_ref().map(|a| a.as_str()),
                request.to.chat.as_str(),
                request.to.thread.clone(),
                request.payload,
            )
            .await
            .map_err(|e| error(&channel, e))?;
            Ok(SendReceipt { chat, message_ids })
        })
    }

    fn react(&self, request: ReactRequest) -> MessengerFuture<'_, ()> {
        let emoji = match &request.reaction {
            Reaction::Add(emoji) => emoji.clone(),
            Reaction::Remove(_) | Reaction::ClearOwn => String::new(),
        };
        self.act(
            request.conversation,
            request.message_id,
            Action::React(emoji),
        )
    }

    fn edit(&self, request: EditRequest) -> MessengerFuture<'_, ()> {
        self.act(
            request.conversation,
            request.message_id,
            Action::Edit(request.text),
        )
    }

    fn delete(&self, request: DeleteRequest) -> MessengerFuture<'_, ()> {
        self.act(request.conversation, request.message_id, Action::Delete)
    }
}

impl ChannelLink {
    fn act(
        &self,
        conversation: rustyclaw_tools::messenger::Conversation,
        message_id: rustyclaw_protocol::origin::MessageId,
        action: Action,
    ) -> MessengerFuture<'_, ()> {
        Box::pin(async move {
            let channel = conversation.channel.clone();
            let hub = self
                .hub()
                .ok_or_else(|| MessengerError::ChannelUnavailable {
                    channel: channel.clone(),
                })?;
            outbound::act(
                &hub,
                channel.as_str(),
                conversation.account.as_ref().map(|a| a.as_str()),
                conversation.chat.as_str(),
                &message_id,
                action,
            )
            .await
            .map_err(|e| error(&channel, e))
        })
    }
}
