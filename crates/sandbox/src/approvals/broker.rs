//! The approval broker: a command waiting for a human, the humans who can answer, and the
//! events that connect them.
//!
//! A tool calls [`ApprovalBroker::request`] and awaits the answer. Approvers — the terminal of
//! `rustyclaw agent`, the gateway's operator clients, a chat's `/approve` — watch
//! [`ApprovalEvent`]s and answer with [`ApprovalBroker::resolve`]. A request nobody can answer is
//! not left hanging: with no approver registered the answer is [`Answer::NoApprover`] at once,
//! and a pending request expires after the broker's timeout (upstream's default, 30 minutes).
//! When the waiting call goes away (the run was aborted), its request is withdrawn.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rustyclaw_support::now_ms_i64;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, oneshot};

use super::policy::{Ask, Security};

/// How long a request waits for an answer (upstream's `DEFAULT_EXEC_APPROVAL_TIMEOUT_MS`).
pub const DEFAULT_APPROVAL_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Events buffered for a slow subscriber.
const EVENT_BUFFER: usize = 256;

/// A human's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Run this command this time.
    AllowOnce,
    /// Run it and add its executables to the agent's allowlist.
    AllowAlways,
    /// Do not run it.
    Deny,
}

impl Decision {
    /// `allow-once`, `allow-always` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::AllowOnce => "allow-once",
            Decision::AllowAlways => "allow-always",
            Decision::Deny => "deny",
        }
    }
}

/// A word that is not a decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a decision; use allow-once, allow-always or deny")]
pub struct UnknownDecision(pub String);

impl FromStr for Decision {
    type Err = UnknownDecision;

    /// Upstream `/approve`'s spellings: `allow-once` (`allow`, `once`, `allowonce`),
    /// `allow-always` (`always`, `allowalways`), `deny` (`reject`, `block`).
    fn from_str(word: &str) -> Result<Self, Self::Err> {
        Ok(match word.trim().to_ascii_lowercase().as_str() {
            "allow-once" | "allow" | "once" | "allowonce" => Decision::AllowOnce,
            "allow-always" | "always" | "allowalways" => Decision::AllowAlways,
            "deny" | "reject" | "block" => Decision::Deny,
            _ => return Err(UnknownDecision(word.to_owned())),
        })
    }
}

/// What is asked (upstream's `exec.approval.request` payload).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalPayload {
    /// The command line.
    pub command: String,
    /// Its working directory.
    pub cwd: Option<String>,
    /// `gateway` (or `node`).
    pub host: String,
    /// The effective security.
    pub security: Security,
    /// The effective ask mode.
    pub ask: Ask,
    /// The agent that wants to run it.
    pub agent_id: Option<String>,
    /// The first program's resolved path.
    pub resolved_path: Option<String>,
    /// The session it comes from.
    pub session_key: Option<String>,
}

/// A pending request (upstream's `exec.approval.requested` event payload).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalRequest {
    /// Request id (a UUID); `/approve` accepts any unique prefix.
    pub id: String,
    /// What is asked.
    pub request: ApprovalPayload,
    /// Unix ms when it was made.
    pub created_at_ms: i64,
    /// Unix ms when it expires.
    pub expires_at_ms: i64,
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A human decided.
    Decided(Decision),
    /// Nobody answered in time.
    Expired,
    /// The waiting call went away (its run was aborted).
    Withdrawn,
}

/// A request that ended.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalResolved {
    /// Request id.
    pub id: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Who decided (`cli`, `chat:<session>`, an operator client), when someone did.
    pub resolved_by: Option<String>,
    /// Unix ms.
    pub ts: i64,
    /// What was asked.
    pub request: ApprovalPayload,
}

/// What approvers see.
#[derive(Debug, Clone, PartialEq)]
pub enum ApprovalEvent {
    /// A command waits for an answer.
    Requested(ApprovalRequest),
    /// A request ended.
    Resolved(ApprovalResolved),
}

/// What a waiting call gets back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A human decided.
    Decided(Decision),
    /// No approver was registered, so nobody was asked.
    NoApprover,
    /// Nobody answered before the request expired.
    Expired,
}

/// Why a resolution was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No pending request has that id (it never existed, expired, or was already answered).
    #[error("unknown or expired approval id {id:?}")]
    Unknown {
        /// The id given.
        id: String,
    },
    /// The prefix matches several pending requests.
    #[error("ambiguous approval id prefix {prefix:?}; matches: {}. Use the full id.", matches.join(", "))]
    Ambiguous {
        /// The prefix given.
        prefix: String,
        /// The ids it matches.
        matches: Vec<String>,
    },
}

struct Pending {
    request: ApprovalRequest,
    reply: oneshot::Sender<Decision>,
}

struct Inner {
    pending: Mutex<BTreeMap<String, Pending>>,
    events: broadcast::Sender<ApprovalEvent>,
    approvers: AtomicUsize,
    timeout: Duration,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends `id` without a decision, if it is still pending.
    fn close(&self, id: &str, outcome: Outcome) {
        let closed = self.lock().remove(id);
        if let Some(p) = closed {
            let _ = self.events.send(ApprovalEvent::Resolved(ApprovalResolved {
                id: p.request.id,
                outcome,
                resolved_by: None,
                ts: now_ms_i64(),
                request: p.request.request,
            }));
        }
    }
}

/// The broker. Cheap to clone; clones share requests, approvers and events.
#[derive(Clone)]
pub struct ApprovalBroker {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ApprovalBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApprovalBroker")
            .field("timeout", &self.inner.timeout)
            .field("approvers", &self.inner.approvers.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl Default for ApprovalBroker {
    fn default() -> Self {
        Self::new(DEFAULT_APPROVAL_TIMEOUT)
    }
}

/// Keeps its approver registered until dropped.
#[derive(Debug)]
pub struct ApproverGuard {
    broker: ApprovalBroker,
}

impl Drop for ApproverGuard {
    fn drop(&mut self) {
        self.broker.inner.approvers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A registered request whose answer has not been awaited yet. Dropping it (or the future of
/// [`OpenRequest::wait`]) withdraws the request.
pub struct OpenRequest {
    inner: Arc<Inner>,
    request: ApprovalRequest,
    answer: oneshot::Receiver<Decision>,
    timeout: Duration,
}

/// A request with this id is already pending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("approval id already pending")]
pub struct AlreadyPending {
    /// The id.
    pub id: String,
}

impl std::fmt::Debug for OpenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenRequest")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

impl OpenRequest {
    /// The request as announced.
    pub fn request(&self) -> &ApprovalRequest {
        &self.request
    }

    /// Waits for the decision or the expiry.
    pub async fn wait(mut self) -> Answer {
        let answer = std::mem::replace(&mut self.answer, oneshot::channel().1);
        match tokio::time::timeout(self.timeout, answer).await {
            Ok(Ok(decision)) => Answer::Decided(decision),
            // The sender lives in the pending map until resolved or closed; a closed channel
            // without a decision can only mean the request is gone.
            Ok(Err(_)) | Err(_) => {
                self.inner.close(&self.request.id, Outcome::Expired);
                Answer::Expired
            }
        }
    }
}

impl Drop for OpenRequest {
    fn drop(&mut self) {
        // After an answer or expiry the id is no longer pending and this does nothing.
        self.inner.close(&self.request.id, Outcome::Withdrawn);
    }
}

impl ApprovalBroker {
    /// A broker whose requests expire after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        ApprovalBroker {
            inner: Arc::new(Inner {
                pending: Mutex::new(BTreeMap::new()),
                events,
                approvers: AtomicUsize::new(0),
                timeout,
            }),
        }
    }

    /// How long a request waits.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Every request and resolution from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ApprovalEvent> {
        self.inner.events.subscribe()
    }

    /// Registers someone who answers requests, for as long as the guard lives. Without one,
    /// requests get [`Answer::NoApprover`] at once and `askFallback` applies.
    pub fn register_approver(&self) -> ApproverGuard {
        self.inner.approvers.fetch_add(1, Ordering::SeqCst);
        ApproverGuard {
            broker: self.clone(),
        }
    }

    /// Whether anyone can answer.
    pub fn has_approver(&self) -> bool {
        self.inner.approvers.load(Ordering::SeqCst) > 0
    }

    /// The requests waiting, oldest first.
    pub fn pending(&self) -> Vec<ApprovalRequest> {
        let mut out: Vec<ApprovalRequest> = self
            .inner
            .lock()
            .values()
            .map(|p| p.request.clone())
            .collect();
        out.sort_by_key(|r| r.created_at_ms);
        out
    }

    /// Asks for approval and waits for the answer, the expiry, or — with no approver — returns
    /// at once. Dropping the future withdraws the request.
    pub async fn request(&self, payload: ApprovalPayload) -> Answer {
        if !self.has_approver() {
            return Answer::NoApprover;
        }
        match self.open(payload, None, None) {
            Ok(open) => open.wait().await,
            // A fresh UUID cannot collide with a pending id.
            Err(_) => Answer::Expired,
        }
    }

    /// Registers a request and announces it, without waiting: the caller can report the id
    /// before awaiting [`OpenRequest::wait`]. `id` is the requester's own id (refused while one
    /// with that id is pending), `timeout` overrides the broker's. Unlike [`Self::request`],
    /// this registers even with no approver (a remote requester decides what that means).
    pub fn open(
        &self,
        payload: ApprovalPayload,
        id: Option<String>,
        timeout: Option<Duration>,
    ) -> Result<OpenRequest, AlreadyPending> {
        let timeout = timeout.unwrap_or(self.inner.timeout);
        let created_at_ms = now_ms_i64();
        let timeout_ms = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
        let id = id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let request = ApprovalRequest {
            id: id.clone(),
            request: payload,
            created_at_ms,
            expires_at_ms: created_at_ms.saturating_add(timeout_ms),
        };
        let (reply, answer) = oneshot::channel();
        {
            let mut pending = self.inner.lock();
            if pending.contains_key(&id) {
                return Err(AlreadyPending { id });
            }
            pending.insert(
                id.clone(),
                Pending {
                    request: request.clone(),
                    reply,
                },
            );
        }
        let _ = self
            .inner
            .events
            .send(ApprovalEvent::Requested(request.clone()));
        Ok(OpenRequest {
            inner: self.inner.clone(),
            request,
            answer,
            timeout,
        })
    }

    /// The pending request with exactly this id.
    pub fn get(&self, id: &str) -> Option<ApprovalRequest> {
        self.inner.lock().get(id).map(|p| p.request.clone())
    }

    /// Answers the pending request whose id is `id` or starts with it. Unknown, expired and
    /// already answered ids are errors.
    pub fn resolve(
        &self,
        id: &str,
        decision: Decision,
        resolved_by: Option<&str>,
    ) -> Result<ApprovalResolved, ResolveError> {
        let id = id.trim();
        let unknown = || ResolveError::Unknown { id: id.to_owned() };
        if id.is_empty() {
            return Err(unknown());
        }
        let pending = {
            let mut map = self.inner.lock();
            let key = if map.contains_key(id) {
                id.to_owned()
            } else {
                let matches: Vec<String> =
                    map.keys().filter(|k| k.starts_with(id)).cloned().collect();
                match matches.as_slice() {
                    [] => return Err(unknown()),
                    [one] => one.clone(),
                    _ => {
                        return Err(ResolveError::Ambiguous {
                            prefix: id.to_owned(),
                            matches,
                        });
                    }
                }
            };
            map.remove(&key).ok_or_else(unknown)?
        };
        if pending.reply.send(decision).is_err() {
            // The waiting call went away between the lookup and now.
            return Err(unknown());
        }
        let resolved = ApprovalResolved {
            id: pending.request.id,
            outcome: Outcome::Decided(decision),
            resolved_by: resolved_by.map(str::to_owned),
            ts: now_ms_i64(),
            request: pending.request.request,
        };
        let _ = self
            .inner
            .events
            .send(ApprovalEvent::Resolved(resolved.clone()));
        Ok(resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(command: &str) -> ApprovalPayload {
        ApprovalPayload {
            command: command.into(),
            cwd: Some("/work".into()),
            host: "gateway".into(),
            security: Security::Allowlist,
            ask: Ask::OnMiss,
            agent_id: Some("main".into()),
            resolved_path: Some("/usr/bin/uname".into()),
            session_key: Some("agent:main:main".into()),
        }
    }

    async fn requested(events: &mut broadcast::Receiver<ApprovalEvent>) -> ApprovalRequest {
        match events.recv().await.unwrap() {
            ApprovalEvent::Requested(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn without_an_approver_the_answer_comes_at_once() {
        let broker = ApprovalBroker::default();
        let mut events = broker.subscribe();
        assert_eq!(broker.request(payload("uname")).await, Answer::NoApprover);
        assert!(events.try_recv().is_err(), "nobody was asked");
        let guard = broker.register_approver();
        assert!(broker.has_approver());
        drop(guard);
        assert!(!broker.has_approver());
    }

    #[tokio::test]
    async fn a_decision_reaches_the_waiting_call_and_is_announced() {
        let broker = ApprovalBroker::default();
        let _approver = broker.register_approver();
        let mut events = broker.subscribe();
        let waiting = tokio::spawn({
            let broker = broker.clone();
            async move { broker.request(payload("uname -a")).await }
        });
        let request = requested(&mut events).await;
        assert_eq!(request.request.command, "uname -a");
        assert_eq!(
            request.expires_at_ms - request.created_at_ms,
            30 * 60 * 1000
        );
        assert_eq!(broker.pending(), vec![request.clone()]);
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["request"]["agentId"], "main");
        assert_eq!(json["request"]["resolvedPath"], "/usr/bin/uname");
        assert_eq!(json["request"]["ask"], "on-miss");
        assert!(json["expiresAtMs"].is_i64());

        let resolved = broker
            .resolve(&request.id[..8], Decision::AllowAlways, Some("cli"))
            .unwrap();
        assert_eq!(resolved.outcome, Outcome::Decided(Decision::AllowAlways));
        assert_eq!(
            waiting.await.unwrap(),
            Answer::Decided(Decision::AllowAlways)
        );
        match events.recv().await.unwrap() {
            ApprovalEvent::Resolved(r) => assert_eq!(r.resolved_by.as_deref(), Some("cli")),
            other => panic!("{other:?}"),
        }
        assert!(broker.pending().is_empty());
        assert_eq!(
            broker.resolve(&request.id, Decision::Deny, None),
            Err(ResolveError::Unknown {
                id: request.id.clone()
            }),
            "an answered request cannot be answered again"
        );
    }

    #[tokio::test]
    async fn an_opened_request_keeps_its_id_and_timeout_until_answered() {
        let broker = ApprovalBroker::default();
        let open = broker
            .open(
                payload("uname"),
                Some("req-1".into()),
                Some(Duration::from_secs(5)),
            )
            .unwrap();
        assert_eq!(
            open.request().expires_at_ms - open.request().created_at_ms,
            5000
        );
        assert_eq!(broker.get("req-1").map(|r| r.id), Some("req-1".to_owned()));
        assert_eq!(
            broker
                .open(payload("id"), Some("req-1".into()), None)
                .unwrap_err(),
            AlreadyPending { id: "req-1".into() }
        );
        let waiting = tokio::spawn(open.wait());
        broker.resolve("req-1", Decision::Deny, Some("ui")).unwrap();
        assert_eq!(waiting.await.unwrap(), Answer::Decided(Decision::Deny));
        assert!(broker.get("req-1").is_none());
    }

    #[tokio::test]
    async fn an_unanswered_request_expires() {
        let broker = ApprovalBroker::new(Duration::from_millis(100));
        let _approver = broker.register_approver();
        let mut events = broker.subscribe();
        let answer = broker.request(payload("uname")).await;
        assert_eq!(answer, Answer::Expired);
        let id = requested(&mut events).await.id;
        match events.recv().await.unwrap() {
            ApprovalEvent::Resolved(r) => {
                assert_eq!(r.outcome, Outcome::Expired);
                assert_eq!(r.id, id);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            broker.resolve(&id, Decision::AllowOnce, None),
            Err(ResolveError::Unknown { .. })
        ));
    }

    #[tokio::test]
    async fn dropping_the_waiting_call_withdraws_the_request() {
        let broker = ApprovalBroker::default();
        let _approver = broker.register_approver();
        let mut events = broker.subscribe();
        let waiting = tokio::spawn({
            let broker = broker.clone();
            async move { broker.request(payload("uname")).await }
        });
        let id = requested(&mut events).await.id;
        waiting.abort();
        match events.recv().await.unwrap() {
            ApprovalEvent::Resolved(r) => assert_eq!((r.id, r.outcome), (id, Outcome::Withdrawn)),
            other => panic!("{other:?}"),
        }
        assert!(broker.pending().is_empty());
    }

    #[tokio::test]
    async fn ambiguous_prefixes_and_empty_ids_are_refused() {
        let broker = ApprovalBroker::default();
        let _approver = broker.register_approver();
        let mut events = broker.subscribe();
        let mut calls = Vec::new();
        for _ in 0..20 {
            let broker = broker.clone();
            calls.push(tokio::spawn(async move {
                broker.request(payload("uname")).await
            }));
        }
        let mut ids = Vec::new();
        for _ in 0..20 {
            ids.push(requested(&mut events).await.id);
        }
        // Twenty ids over sixteen hex digits: some leading digit is shared.
        let shared = (0..16)
            .map(|d| char::from_digit(d, 16).unwrap())
            .find(|c| ids.iter().filter(|i| i.starts_with(*c)).count() > 1)
            .unwrap();
        let result = broker.resolve(&shared.to_string(), Decision::Deny, None);
        assert!(
            matches!(result, Err(ResolveError::Ambiguous { ref matches, .. }) if matches.len() > 1),
            "{result:?}"
        );
        assert!(matches!(
            broker.resolve("  ", Decision::Deny, None),
            Err(ResolveError::Unknown { .. })
        ));
        for id in &ids {
            let _ = broker.resolve(id, Decision::Deny, None);
        }
        for call in calls {
            assert_eq!(call.await.unwrap(), Answer::Decided(Decision::Deny));
        }
    }

    #[test]
    fn decisions_parse_with_upstream_aliases() {
        assert_eq!("once".parse::<Decision>().unwrap(), Decision::AllowOnce);
        assert_eq!("Always".parse::<Decision>().unwrap(), Decision::AllowAlways);
        assert_eq!("reject".parse::<Decision>().unwrap(), Decision::Deny);
        assert!("maybe".parse::<Decision>().is_err());
    }
}
