//! The queue pair: [`AgentRuntime::submit`] takes [`Op`]s, [`AgentRuntime::subscribe`] yields
//! [`Event`]s. Per-session lanes run one turn at a time; a semaphore caps runs across sessions.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, PoisonError};

use rustyclaw_config::Config;
use rustyclaw_protocol::session_entry::QueueMode;
use rustyclaw_protocol::{SessionEntry, SessionKey};
use rustyclaw_store::Store;
use rustyclaw_tools::approvals::ApprovalBroker;
use rustyclaw_tools::{ToolRegistry, ToolServices};
use tokio::sync::{Semaphore, broadcast, oneshot};
use tokio_util::sync::CancellationToken;

use crate::clock::now_ms;
use crate::error::AgentError;
use crate::event::{Event, EventKind, RunId, RunOutcome, RunStatus};
use crate::lane::{
    Lane, Lanes, Running, configured_mode, evict_idle, lock, runs_alone, take_until_alone,
};
use crate::models::Models;
use crate::op::{Inbound, Op};
use crate::publish::Publisher;
use crate::run::{self, Batch};
use crate::run_ledger;
use crate::run_watch::RunEvents;
use crate::services::Services;
use crate::session::SessionState;
use crate::session_lock::{Patched, SessionLock, apply_waiting};
use crate::session_patch::SessionPatch;

/// What the runtime is built from.
pub struct RuntimeParts {
    /// The resolved configuration.
    pub config: Arc<Config>,
    /// The store.
    pub store: Store,
    /// Model access (catalog, HTTP client, failover).
    pub models: Models,
    /// The built-in tools (before per-run filtering). The runtime adds the tools its tool
    /// services make possible (`message` when they have a messenger).
    pub tools: ToolRegistry,
    /// Shared tool services.
    pub tool_services: Arc<ToolServices>,
    /// Host name for the prompt's runtime line.
    pub host_name: String,
    /// Where skills are found; `None` runs every turn without skills.
    pub skills: Option<rustyclaw_skills::SkillsHost>,
}

/// What [`AgentRuntime::reconfigure`] replaces: the parts of a runtime that follow the config.
pub struct RuntimeUpdate {
    /// The new resolved configuration.
    pub config: Arc<Config>,
    /// Model access built from it.
    pub models: Models,
    /// The tools built from it (built-in, and those registered at run time); the runtime adds
    /// those its tool services make possible, as at start.
    pub tools: ToolRegistry,
}

/// A configuration ready to be put in force by [`AgentRuntime::apply`].
pub struct Reconfiguration {
    update: RuntimeUpdate,
    tool_services: ToolServices,
}

impl std::fmt::Debug for Reconfiguration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconfiguration").finish_non_exhaustive()
    }
}

/// The runtime's state: the services it lends to turns, and the lanes only it sees.
struct Inner {
    /// What turns work with; replaced whole by [`AgentRuntime::reconfigure`]. A turn takes the
    /// services current when it starts and keeps them to its end.
    services: std::sync::RwLock<Arc<Services>>,
    lanes: Arc<Lanes>,
    global: Semaphore,
    /// Permits `global` was given (`agents.defaults.maxConcurrent`), for reconfiguring it.
    permits: Mutex<usize>,
}

impl Inner {
    /// The services turns starting now work with.
    fn services(&self) -> Arc<Services> {
        Arc::clone(&self.services.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Sends `event` out (see [`Publisher::publish`]).
    fn publish(&self, event: Event) {
        self.services().events.publish(event);
    }

    /// Marks `run_id`, the turn holding `key`'s lane, as settled: its outcome is about to be
    /// announced, so a message arriving from now on is a reply to it, not part of a burst.
    fn settle(&self, key: &SessionKey, run_id: &RunId) {
        if let Some(running) = lock(&self.lanes)
            .get_mut(key)
            .and_then(|lane| lane.running.as_mut())
            .filter(|running| running.run_ids.contains(run_id))
        {
            running.settled = true;
        }
    }

    /// Announces how the turn of `batch_run` on `key`'s lane ended, to every run it answered,
    /// and returns the session's queue mode afterwards.
    fn announce(
        &self,
        key: &SessionKey,
        batch_run: &RunId,
        ended: run::Ended,
    ) -> Option<QueueMode> {
        // Settled before the outcome goes out: a client that answers the reply at once must
        // find a turn that is over, not one still collecting a burst.
        self.settle(key, batch_run);
        let mut outcome = ended.outcome;
        if ended.run_ids.len() > 1 {
            outcome.answered = ended.run_ids.clone();
        }
        for run_id in ended.run_ids {
            self.publish(Event {
                run_id,
                session_key: key.clone(),
                kind: EventKind::Finished(Box::new(outcome.clone())),
            });
        }
        ended.queue_mode
    }

    /// The run holding `key`'s lane, if one is running.
    fn running_run(&self, key: &SessionKey) -> Option<RunId> {
        lock(&self.lanes)
            .get(key)
            .and_then(|lane| lane.running.as_ref().map(|r| r.run_id.clone()))
    }
}

/// The agent runtime. Cheap to clone; all clones share lanes and events.
#[derive(Clone)]
pub struct AgentRuntime {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AgentRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentRuntime").finish_non_exhaustive()
    }
}

impl AgentRuntime {
    /// A runtime over `parts`.
    pub fn new(parts: RuntimeParts) -> Self {
        let permits =
            usize::try_from(parts.config.agents.defaults.max_concurrent.max(1)).unwrap_or(1);
        let mut tools = parts.tools;
        rustyclaw_tools::register_service_tools(&mut tools, &parts.tool_services);
        let runtime = Self {
            inner: Arc::new(Inner {
                services: std::sync::RwLock::new(Arc::new(Services {
                    config: parts.config,
                    events: Arc::new(Publisher::new(parts.store.clone())),
                    store: parts.store,
                    models: Arc::new(parts.models),
                    tools: Arc::new(tools),
                    tool_services: parts.tool_services,
                    host_name: parts.host_name,
                    patches: Arc::default(),
                    skills: parts.skills.map(Arc::new),
                })),
                lanes: Arc::default(),
                global: Semaphore::new(permits),
                permits: Mutex::new(permits),
            }),
        };
        runtime.forward_approvals();
        runtime
    }

    /// Forwards the approval broker's events to the run waiting in the request's session, for
    /// as long as this runtime lives.
    fn forward_approvals(&self) {
        let weak = Arc::downgrade(&self.inner);
        crate::approvals::forward(&self.approvals(), move |key, kind| {
            let Some(inner) = weak.upgrade() else {
                return ControlFlow::Break(());
            };
            if let Some(key) = key
                && let Some(run_id) = inner.running_run(&key)
            {
                inner.publish(Event {
                    run_id,
                    session_key: key,
                    kind,
                });
            }
            ControlFlow::Continue(())
        });
    }

    /// Marks the runs of processes that died before their runs ended (a killed gateway, a
    /// crashed `agent --local`) as interrupted in the store's run ledger, so whoever asks for
    /// them by id learns they ended without a reply. Returns how many were marked. Runs of
    /// processes still alive (another gateway or CLI on the same state) are left alone.
    pub async fn interrupt_orphaned_runs(&self) -> Result<u64, AgentError> {
        let marked = self
            .inner
            .services()
            .store
            .interrupt_orphaned_runs(run_ledger::is_alive, run_ledger::INTERRUPTED, now_ms())
            .await
            .map_err(|source| AgentError::Store { source })?;
        if marked > 0 {
            tracing::warn!(
                runs = marked,
                "runs were in flight when their process stopped; marked interrupted (no reply was sent)"
            );
        }
        Ok(marked)
    }

    /// Every event of every run from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.services().events.subscribe()
    }

    /// The outcome of run `run_id`, delivered once when it finishes. Register before
    /// submitting the run so its end cannot be missed. Unlike [`Self::subscribe`], a waiter
    /// does not see (or clone) the events of every other run, so a gateway with many runs in
    /// flight does not do work quadratic in their number; and it cannot lag behind and miss
    /// the end. Dropping the receiver gives up.
    pub fn watch_run(&self, run_id: &RunId) -> oneshot::Receiver<RunOutcome> {
        self.inner.services().events.watchers().outcome(run_id)
    }

    /// Every event of run `run_id`, in order, ending with its [`EventKind::Finished`]: for a
    /// waiter that shows the run as it goes (a streamed HTTP reply, the CLI). Register before
    /// submitting. It sees no other run and never lags: the queue holds whatever the reader
    /// has not taken yet, for this run only.
    pub fn follow_run(&self, run_id: &RunId) -> RunEvents {
        self.inner.services().events.watchers().events(run_id)
    }

    /// The exec approval broker: pending requests, approvers and their events (also forwarded
    /// as [`EventKind::ApprovalRequested`] / [`EventKind::ApprovalResolved`] of the waiting
    /// run). The gateway resolves `exec.approval.resolve` through it.
    pub fn approvals(&self) -> ApprovalBroker {
        self.inner
            .services()
            .tool_services
            .approvals()
            .broker
            .clone()
    }

    /// Every tool this runtime has, built-in and registered at run time (before the per-turn
    /// policy), for listings such as the gateway's `tools.catalog`.
    pub fn tools(&self) -> Arc<ToolRegistry> {
        Arc::clone(&self.inner.services().tools)
    }

    /// The model catalog and client.
    pub fn models(&self) -> Arc<Models> {
        Arc::clone(&self.inner.services().models)
    }

    /// The configuration turns starting now run with.
    pub fn config(&self) -> Arc<Config> {
        Arc::clone(&self.inner.services().config)
    }

    /// Applies a new configuration without stopping anything: turns that start from now on use
    /// `update`'s config, models and tools; turns already running finish with what they started
    /// with. Sessions, queues, events and their watchers, pending session patches, background
    /// processes and exec approvals (with their pending requests) carry over, and so does the
    /// sandbox. The cap on concurrent turns follows `agents.defaults.maxConcurrent`.
    /// [`Self::prepare`] then [`Self::apply`], for a caller with nothing to do in between.
    pub fn reconfigure(&self, update: RuntimeUpdate) -> Result<(), AgentError> {
        let prepared = self.prepare(update)?;
        self.apply(prepared);
        Ok(())
    }

    /// Builds what `update` needs that can fail (the tool services' HTTP client), without
    /// changing anything yet: a caller that must announce a change before it applies learns
    /// first whether it can.
    pub fn prepare(&self, update: RuntimeUpdate) -> Result<Reconfiguration, AgentError> {
        let tool_services = self
            .inner
            .services()
            .tool_services
            .reconfigured(&update.config.tools)
            .map_err(|source| AgentError::Tools {
                reason: source.to_string(),
            })?;
        Ok(Reconfiguration {
            update,
            tool_services,
        })
    }

    /// Puts a prepared configuration in force (see [`Self::reconfigure`]).
    pub fn apply(&self, prepared: Reconfiguration) {
        let Reconfiguration {
            update,
            tool_services,
        } = prepared;
        let permits =
            usize::try_from(update.config.agents.defaults.max_concurrent.max(1)).unwrap_or(1);
        let mut tools = update.tools;
        rustyclaw_tools::register_service_tools(&mut tools, &tool_services);
        {
            let mut slot = self
                .inner
                .services
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            *slot = Arc::new(Services {
                config: update.config,
                store: slot.store.clone(),
                models: Arc::new(update.models),
                tools: Arc::new(tools),
                tool_services: Arc::new(tool_services),
                host_name: slot.host_name.clone(),
                patches: Arc::clone(&slot.patches),
                events: Arc::clone(&slot.events),
                skills: slot.skills.clone(),
            });
        }
        let mut current = lock(&self.inner.permits);
        if permits > *current {
            self.inner.global.add_permits(permits - *current);
        } else if permits < *current {
            // Permits held by running turns are given back as they end; the cap is reached
            // once enough of them have.
            let forgotten = self.inner.global.forget_permits(*current - permits);
            if forgotten < *current - permits {
                let inner = Arc::clone(&self.inner);
                let rest = u32::try_from(*current - permits - forgotten).unwrap_or(u32::MAX);
                tokio::spawn(async move {
                    if let Ok(held) = inner.global.acquire_many(rest).await {
                        held.forget();
                    }
                });
            }
        }
        *current = permits;
    }

    /// Submits an operation. For a message, returns its run id at once; the run's events
    /// follow on [`subscribe`](Self::subscribe), ending with [`EventKind::Finished`].
    pub fn submit(&self, op: Op) -> Result<RunId, AgentError> {
        match op {
            Op::Message(inbound) => self.submit_message(inbound),
            Op::Abort {
                session_key,
                run_id,
                clear_queue,
            } => {
                self.abort(&session_key, run_id.as_ref(), clear_queue);
                Ok(run_id.unwrap_or_else(RunId::random))
            }
        }
    }

    /// Takes `key`'s session for a change made from outside its turns (the gateway's
    /// `sessions.reset`, `sessions.delete`, `sessions.create`, `chat.inject`): the lock the
    /// session's turns hold, so the change comes after the turn in progress and before the
    /// next one, in order with them. Patches handed to the lane before are stored first. While
    /// the returned [`SessionLock`] lives, no turn of the session runs or saves; the caller
    /// changes the session in the store, and when the lock is dropped the lane forgets its
    /// cached copy, so the next turn starts from what was stored.
    ///
    /// Fails with [`AgentError::SessionBusy`] when the turn in progress still holds the
    /// session after `wait` (abort it first to take the session sooner).
    pub async fn lock_session(
        &self,
        key: &SessionKey,
        wait: std::time::Duration,
    ) -> Result<SessionLock, AgentError> {
        let state = lock(&self.inner.lanes)
            .entry(key.clone())
            .or_insert_with(Lane::idle)
            .state
            .clone();
        let Ok(mut guard) = tokio::time::timeout(wait, state.lock_owned()).await else {
            return Err(AgentError::SessionBusy {
                session: key.as_str().to_owned(),
            });
        };
        let services = self.inner.services();
        if services.patches.waiting(key) {
            apply_waiting(&services, key, &mut guard).await?;
        }
        *guard = None;
        Ok(SessionLock::new(
            guard,
            Arc::clone(&self.inner.lanes),
            key.clone(),
        ))
    }

    /// Changes `key`'s session entry from outside its turns (the gateway's `sessions.patch`),
    /// through the session's lane, which owns the entry. When no turn holds the session, the
    /// patch is applied (to the lane's cached copy too) and stored before this returns:
    /// [`Patched::Stored`]. While a turn runs, it is handed to the lane and this returns at
    /// once with the entry as it will read ([`Patched::Deferred`]): the turn applies the patch
    /// to its own copy at its next save, or the lane applies it as soon as the turn lets go of
    /// the session, so the turn can never save over it. `new_entry` makes the entry of a
    /// session that does not exist yet (a patch creates it).
    pub async fn patch_session(
        &self,
        key: &SessionKey,
        patch: SessionPatch,
        new_entry: impl FnOnce() -> SessionEntry,
    ) -> Result<Patched, AgentError> {
        // Registered before looking at the lane: whoever holds the session when it is free
        // again finds it.
        self.inner.services().patches.push(key, Arc::clone(&patch));
        let state = lock(&self.inner.lanes)
            .entry(key.clone())
            .or_insert_with(Lane::idle)
            .state
            .clone();
        let services = self.inner.services();
        let store = &services.store;
        let Ok(mut guard) = state.clone().try_lock_owned() else {
            // A turn holds the session. Apply what waits once it lets go, in case its last
            // save came before the patch.
            let inner = Arc::clone(&self.inner);
            let key_for_lane = key.clone();
            tokio::spawn(async move {
                let mut guard = state.lock().await;
                let services = inner.services();
                if services.patches.waiting(&key_for_lane) {
                    let _ = apply_waiting(&services, &key_for_lane, &mut guard).await;
                }
            });
            let mut view = store
                .get_session(key)
                .await
                .map_err(|source| AgentError::Store { source })?
                .unwrap_or_else(new_entry);
            patch(&mut view);
            return Ok(Patched::Deferred(view));
        };
        if guard.is_none() {
            let entry = store
                .get_session(key)
                .await
                .map_err(|source| AgentError::Store { source })?
                .unwrap_or_else(new_entry);
            let mut entry = entry;
            services.patches.apply(key, &mut entry);
            entry.updated_at = now_ms();
            store
                .upsert_session(key, &entry)
                .await
                .map_err(|source| AgentError::Store { source })?;
            return Ok(Patched::Stored(entry));
        }
        apply_waiting(&services, key, &mut guard).await?;
        let entry = guard
            .as_ref()
            .map(|session| session.entry.clone())
            .unwrap_or_else(new_entry);
        Ok(Patched::Stored(entry))
    }

    /// Calls a tool directly, outside any model turn, in a session of an agent (the
    /// gateway's `POST /tools/invoke`). The tool must pass the same policy chain a turn of that
    /// session applies (without the per-provider steps, as no model is involved): `Ok(None)` when
    /// it does not, so callers can answer "not available" without revealing why.
    pub async fn invoke_tool(
        &self,
        call: crate::ToolInvocation,
    ) -> Result<Option<rustyclaw_tools::ToolResult>, AgentError> {
        crate::invoke::invoke(&self.inner.services(), call).await
    }

    fn submit_message(&self, mut inbound: Inbound) -> Result<RunId, AgentError> {
        let services = self.inner.services();
        let config = &services.config;
        if config.agents.get(inbound.agent_id.as_str()).is_none() {
            let known: Vec<&str> = config.agents.list.iter().map(|a| a.id.as_str()).collect();
            return Err(AgentError::UnknownAgent {
                agent: inbound.agent_id.as_str().to_owned(),
                known: known.join(", "),
            });
        }
        let run_id = inbound.run_id.clone();
        let key = inbound.session_key.clone();
        // `/approve` answers the turn that holds the lane, so it cannot wait behind it.
        if let Some(reply) = crate::approvals::directive_reply(&inbound, &self.approvals()) {
            self.emit(
                &run_id,
                &key,
                EventKind::Notice {
                    text: reply.clone(),
                },
            );
            self.emit(
                &run_id,
                &key,
                EventKind::Finished(Box::new(RunOutcome::answered(reply, &inbound.origin))),
            );
            return Ok(run_id);
        }
        self.inner.services().events.record_accepted(&run_id, &key);
        let mut lanes = lock(&self.inner.lanes);
        let lane = lanes.entry(key.clone()).or_insert_with(Lane::idle);
        if lane.running.as_ref().is_some_and(|running| running.settled) {
            // The running turn already announced its outcome: this message answers it and
            // starts as soon as the lane is free, whatever the queue mode.
            lane.pending_after_settle = lane.pending.is_empty() || lane.pending_after_settle;
            lane.pending.push_back(inbound);
            let position = lane.pending.len();
            self.emit(&run_id, &key, EventKind::Queued { position });
            return Ok(run_id);
        }
        let Some(running) = &lane.running else {
            let batch = Batch::single(inbound);
            let running = Running {
                run_id: batch.run_id.clone(),
                run_ids: batch.run_ids.clone(),
                settled: false,
                cancel: CancellationToken::new(),
                steer: Arc::new(Mutex::new(Vec::new())),
            };
            let start = (
                Arc::clone(&lane.state),
                running.cancel.clone(),
                Arc::clone(&running.steer),
            );
            lane.running = Some(running);
            drop(lanes);
            self.spawn_lane(key, batch, start.0, start.1, start.2);
            return Ok(run_id);
        };
        let mode = inbound
            .queue_mode
            .clone()
            .or_else(|| lane.queue_mode.clone())
            .unwrap_or_else(|| configured_mode(config, inbound.origin.channel_id()));
        match mode {
            QueueMode::Steer | QueueMode::SteerBacklog => {
                lock(&running.steer).push(inbound);
                self.emit(&run_id, &key, EventKind::Steered);
            }
            QueueMode::Interrupt => {
                running.cancel.cancel();
                let dropped: Vec<Inbound> = lane.pending.drain(..).collect();
                lane.pending.push_back(inbound);
                drop(lanes);
                for old in dropped {
                    self.finish_unrun(
                        &old,
                        RunStatus::Aborted,
                        "replaced by a newer message (queue mode interrupt)",
                    );
                }
                self.emit(&run_id, &key, EventKind::Queued { position: 1 });
            }
            _ => {
                let cap = usize::try_from(config.messages.queue_cap.max(1)).unwrap_or(usize::MAX);
                if lane.pending.len() >= cap {
                    use rustyclaw_config::file::QueueDrop;
                    match config.messages.queue_drop {
                        QueueDrop::New => {
                            return Err(AgentError::QueueFull {
                                session: key.as_str().to_owned(),
                                cap: config.messages.queue_cap,
                            });
                        }
                        QueueDrop::Old | QueueDrop::Summarize => {
                            if let Some(old) = lane.pending.pop_front() {
                                if matches!(config.messages.queue_drop, QueueDrop::Summarize) {
                                    // The newest message carries a note of what was dropped.
                                    inbound.text = format!(
                                        "[An earlier queued message was dropped because the queue is full: {}]\n\n{}",
                                        crate::tool_calls::cap_text(&old.text, 200),
                                        inbound.text
                                    );
                                }
                                self.finish_unrun(
                                    &old,
                                    RunStatus::Aborted,
                                    "dropped: the session queue is full",
                                );
                            }
                        }
                    }
                }
                lane.pending.push_back(inbound);
                lane.pending_after_settle = false;
                let position = lane.pending.len();
                self.emit(&run_id, &key, EventKind::Queued { position });
            }
        }
        Ok(run_id)
    }

    fn abort(&self, key: &SessionKey, run_id: Option<&RunId>, clear_queue: bool) {
        let mut lanes = lock(&self.inner.lanes);
        let Some(lane) = lanes.get_mut(key) else {
            return;
        };
        if let Some(running) = &lane.running
            && run_id.is_none_or(|id| *id == running.run_id)
        {
            running.cancel.cancel();
        }
        let dropped: Vec<Inbound> = if clear_queue {
            // Messages steered into the turn that it has not reached yet would otherwise go
            // back into the queue when it ends, and run after all.
            let unsteered: Vec<Inbound> = lane
                .running
                .as_ref()
                .map(|running| lock(&running.steer).drain(..).collect())
                .unwrap_or_default();
            lane.pending.drain(..).chain(unsteered).collect()
        } else if let Some(id) = run_id {
            let (gone, kept): (Vec<Inbound>, Vec<Inbound>) =
                lane.pending.drain(..).partition(|m| &m.run_id == id);
            lane.pending = kept.into();
            gone
        } else {
            Vec::new()
        };
        drop(lanes);
        for old in dropped {
            self.finish_unrun(&old, RunStatus::Aborted, "aborted before it started");
        }
    }

    /// Reports a message that never ran as finished.
    fn finish_unrun(&self, inbound: &Inbound, status: RunStatus, why: &str) {
        self.emit(
            &inbound.run_id,
            &inbound.session_key,
            EventKind::Finished(Box::new(RunOutcome::unrun(status, why, &inbound.origin))),
        );
    }

    fn emit(&self, run_id: &RunId, key: &SessionKey, kind: EventKind) {
        self.inner.publish(Event {
            run_id: run_id.clone(),
            session_key: key.clone(),
            kind,
        });
    }

    fn spawn_lane(
        &self,
        key: SessionKey,
        first: Batch,
        state: Arc<tokio::sync::Mutex<Option<SessionState>>>,
        cancel: CancellationToken,
        steer: Arc<Mutex<Vec<Inbound>>>,
    ) {
        let inner = Arc::clone(&self.inner);
        tokio::spawn(async move {
            let mut batch = first;
            let mut cancel = cancel;
            let mut steer = steer;
            loop {
                let (queue_mode, cached_bytes) = {
                    let _permit = inner.global.acquire().await;
                    let mut guard = state.lock().await;
                    let services = inner.services();
                    let batch_run = batch.run_id.clone();
                    let ended = run::run_batch(
                        &services,
                        &mut guard,
                        batch,
                        cancel.clone(),
                        Arc::clone(&steer),
                    )
                    .await;
                    let queue_mode =
                        ended.and_then(|ended| inner.announce(&key, &batch_run, ended));
                    // Patches made while the turn ran and after its last save.
                    if services.patches.waiting(&key)
                        && let Err(error) = apply_waiting(&services, &key, &mut guard).await
                    {
                        tracing::error!(session = %key.as_str(), %error, "could not save a patched session");
                    }
                    let cached = guard.as_ref().map_or(0, |s| s.context.approx_bytes());
                    (queue_mode, cached)
                };
                let Some((next, collect_burst, next_cancel, next_steer)) =
                    next_batch(&inner, &key, queue_mode, &steer, cached_bytes)
                else {
                    return;
                };
                cancel = next_cancel;
                steer = next_steer;
                let debounce = inner.services().config.messages.queue_debounce;
                batch = next;
                if collect_burst && !debounce.is_zero() {
                    // Let a burst finish arriving before it becomes one turn.
                    tokio::time::sleep(debounce).await;
                    batch.absorb(take_pending(&inner, &key));
                }
            }
        });
    }
}

/// Messages queued on `key`'s lane, taken.
fn take_pending(inner: &Inner, key: &SessionKey) -> Vec<Inbound> {
    let mut lanes = lock(&inner.lanes);
    lanes
        .get_mut(key)
        .map(|lane| take_until_alone(&mut lane.pending))
        .unwrap_or_default()
}

/// The next batch, whether to wait for a burst to finish arriving before running it (collect
/// mode, messages queued while the previous turn ran), its cancel token and steering queue.
type NextBatch = (Batch, bool, CancellationToken, Arc<Mutex<Vec<Inbound>>>);

/// After a turn: records the session's queue mode, moves unconsumed steering back into the
/// queue, and takes the next batch — or closes the lane when nothing waits.
fn next_batch(
    inner: &Inner,
    key: &SessionKey,
    queue_mode: Option<QueueMode>,
    steer: &Arc<Mutex<Vec<Inbound>>>,
    cached_bytes: usize,
) -> Option<NextBatch> {
    let mut lanes = lock(&inner.lanes);
    let lane = lanes.get_mut(key)?;
    if queue_mode.is_some() {
        lane.queue_mode = queue_mode;
    }
    // Steered messages the turn never reached run next.
    let unsteered: Vec<Inbound> = std::mem::take(&mut *lock(steer));
    for m in unsteered.into_iter().rev() {
        lane.pending.push_front(m);
    }
    let mode = lane
        .queue_mode
        .clone()
        .unwrap_or_else(|| configured_mode(&inner.services().config, None));
    let lone = lane.pending.front().is_some_and(runs_alone);
    let next = match mode {
        QueueMode::Followup | QueueMode::Queue => lane.pending.pop_front().map(Batch::single),
        _ if lone => lane.pending.pop_front().map(Batch::single),
        _ => Batch::collect(take_until_alone(&mut lane.pending)),
    };
    let Some(next) = next else {
        lane.running = None;
        lane.idle_since = std::time::Instant::now();
        lane.cached_bytes = cached_bytes;
        evict_idle(&mut lanes);
        return None;
    };
    let cancel = CancellationToken::new();
    let steer = Arc::new(Mutex::new(Vec::new()));
    let after_settle = std::mem::take(&mut lane.pending_after_settle);
    lane.running = Some(Running {
        run_id: next.run_id.clone(),
        run_ids: next.run_ids.clone(),
        settled: false,
        cancel: cancel.clone(),
        steer: Arc::clone(&steer),
    });
    // A batch of replies to a settled turn starts at once: nothing to collect.
    let collect_burst = matches!(mode, QueueMode::Collect) && !after_settle && !lone;
    Some((next, collect_burst, cancel, steer))
}
