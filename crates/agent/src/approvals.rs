//! Exec approvals seen from the runtime: broker events become run events, and `/approve`
//! answers a pending request.
//!
//! `/approve` is handled the moment it is submitted instead of waiting in the session's queue:
//! the turn it would answer is the one holding the lane, blocked on that very approval.

use std::ops::ControlFlow;

use rustyclaw_protocol::SessionKey;
use rustyclaw_tools::approvals::{ApprovalBroker, ApprovalEvent, Decision};
use tokio::sync::broadcast::error::RecvError;

use crate::directives::{self, Directive, DirectiveError};
use crate::event::EventKind;
use crate::op::Inbound;

/// Resolves a request for `/approve` and says what happened, in upstream's words.
pub(crate) fn answer(
    broker: &ApprovalBroker,
    id: &str,
    decision: Decision,
    resolved_by: &str,
) -> String {
    match broker.resolve(id, decision, Some(resolved_by)) {
        Ok(resolved) => format!(
            "Exec approval {} submitted for {}.",
            decision.as_str(),
            resolved.id
        ),
        Err(e) => format!("Failed to submit approval: {e}."),
    }
}

/// The reply to `inbound` when it is an `/approve` directive (well-formed or not).
pub(crate) fn directive_reply(inbound: &Inbound, broker: &ApprovalBroker) -> Option<String> {
    match directives::parse(&inbound.text) {
        Ok(parsed) => match parsed.directive {
            Some(Directive::Approve { id, decision }) => {
                Some(answer(broker, &id, decision, &resolver(inbound)))
            }
            _ => None,
        },
        Err(e @ DirectiveError::ApproveUsage) => Some(e.to_string()),
        Err(_) => None,
    }
}

/// Who answered, as upstream labels chat approvals: `<channel>:<session>`.
fn resolver(inbound: &Inbound) -> String {
    format!(
        "{}:{}",
        inbound.origin.channel_id().unwrap_or("chat"),
        inbound.session_key.as_str()
    )
}

/// Forwards `broker`'s events to `deliver` as event kinds with the request's session (`None`
/// when it names none), until `deliver` breaks (the runtime is gone) or the broker closes. The
/// runtime's `deliver` hands each to the run waiting in that session.
pub(crate) fn forward<F>(broker: &ApprovalBroker, mut deliver: F)
where
    F: FnMut(Option<SessionKey>, EventKind) -> ControlFlow<()> + Send + 'static,
{
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no Tokio runtime: approval requests will not appear as run events");
        return;
    };
    let mut events = broker.subscribe();
    handle.spawn(async move {
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "approval events were dropped before reaching runs");
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            let (session, kind) = match event {
                ApprovalEvent::Requested(r) => (
                    r.request.session_key.clone(),
                    EventKind::ApprovalRequested(Box::new(r)),
                ),
                ApprovalEvent::Resolved(r) => (
                    r.request.session_key.clone(),
                    EventKind::ApprovalResolved(Box::new(r)),
                ),
            };
            let key = session.and_then(|k| SessionKey::parse(&k).ok());
            if deliver(key, kind).is_break() {
                return;
            }
        }
    });
}
