//! Chat turns in this process: the agent runtime built here once for the conversation, each
//! line submitted to the session's lane and its events printed; Ctrl-C aborts the run.

use std::sync::Arc;

use rustyclaw_agent::{
    AgentRuntime, ChannelId, EventKind, Inbound, MessageOrigin, Op, RunId, RunStatus,
};
use rustyclaw_config::LoadedConfig;
use rustyclaw_protocol::{AgentId, SessionKey};

use super::TurnEnd;
use crate::UserError;
use crate::commands::agent::printer::Printer;
use crate::commands::approval_prompt;
use crate::context::Context;

/// The runtime and the session of an in-process chat.
pub(super) struct LocalChat {
    // Dropped first: the runtime's tasks end before the tokio runtime that runs them.
    agent_runtime: AgentRuntime,
    prompt: Option<approval_prompt::Prompt>,
    runtime: tokio::runtime::Runtime,
    agent: AgentId,
    session: SessionKey,
}

impl LocalChat {
    /// Builds the agent runtime over the state directory's store.
    pub(super) fn start(
        ctx: &Context,
        loaded: LoadedConfig,
        agent: AgentId,
        session: SessionKey,
    ) -> anyhow::Result<Self> {
        let config = Arc::new(loaded.config);
        // Built before the tokio runtime runs anything: it runs the helper's self-test, a
        // blocking call.
        let host = ctx.host();
        let sandbox = Arc::new(host.sandbox(Some(&config)));
        let runtime = crate::commands::runtime()?;
        super::arm_ctrl_c(&runtime);
        let agent_runtime = runtime.block_on(async {
            let store = ctx.open_store().await?;
            let memory = host
                .memory(config.clone(), &loaded.env)
                .map_err(|e| anyhow::Error::from(UserError::new(e.to_string())))?;
            host.runtime(config, &loaded.env, store, sandbox, None, Some(&memory))
                .await
                .map_err(|e| anyhow::Error::from(UserError::new(e.to_string())))
        })?;
        // A person at the terminal can approve host commands (the prompt's task runs on this
        // runtime, between and during turns).
        let prompt = {
            let _entered = runtime.enter();
            approval_prompt::start_on_demand(&agent_runtime.approvals())
        };
        Ok(Self {
            agent_runtime,
            prompt,
            runtime,
            agent,
            session,
        })
    }

    /// Waits until the terminal is the chat's again (see [`approval_prompt::Prompt::settle`]).
    pub(super) fn settle(&self) {
        if let Some(prompt) = &self.prompt {
            prompt.settle();
        }
    }

    /// Runs one turn for `text`, streaming it into `printer`.
    pub(super) fn turn(&mut self, text: &str, printer: &mut Printer) -> anyhow::Result<TurnEnd> {
        let run_id = RunId::random();
        let agent_runtime = &self.agent_runtime;
        let session = self.session.clone();
        let agent = self.agent.clone();
        self.runtime.block_on(async move {
            let mut events = agent_runtime.follow_run(&run_id);
            agent_runtime
                .submit(Op::Message(Inbound {
                    session_key: session.clone(),
                    agent_id: agent,
                    text: text.to_owned(),
                    attachments: Vec::new(),
                    run_id: run_id.clone(),
                    thinking: None,
                    queue_mode: None,
                    origin: MessageOrigin::from_channel(ChannelId::new("cli")),
                    session_id: None,
                }))
                .map_err(|e| UserError::new(e.to_string()))?;
            let mut aborting = false;
            loop {
                let stop = async {
                    if aborting {
                        std::future::pending::<()>().await;
                    }
                    let _ = tokio::signal::ctrl_c().await;
                };
                let event = tokio::select! {
                    event = events.next() => event,
                    () = stop => {
                        aborting = true;
                        let _ = agent_runtime.submit(Op::Abort {
                            session_key: session.clone(),
                            run_id: Some(run_id.clone()),
                            clear_queue: true,
                        });
                        continue;
                    }
                };
                let Some(kind) = event else {
                    return Err(anyhow::anyhow!("the agent runtime stopped unexpectedly"));
                };
                match kind {
                    EventKind::Finished(outcome) => {
                        if !printer.wrote_any() {
                            printer.delta(&outcome.reply_text().unwrap_or_default());
                        }
                        return Ok(match outcome.status {
                            RunStatus::Done => TurnEnd::Done,
                            RunStatus::Aborted => TurnEnd::Aborted,
                            RunStatus::Failed | RunStatus::TimedOut => TurnEnd::Failed(
                                outcome.error.unwrap_or_else(|| "the run failed".to_owned()),
                            ),
                        });
                    }
                    other => printer.event(&other),
                }
            }
        })
    }
}
