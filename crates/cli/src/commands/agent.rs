//! `rustyclaw agent`: one agent turn with the reply streamed to stdout. The turn runs through
//! a gateway listening at the configured URL (its `agent` method) when one answers, and in this
//! process otherwise or with `--local`.

pub(super) mod printer;
mod remote;

use std::process::ExitCode;
use std::sync::Arc;

use rustyclaw_agent::{
    ChannelId, EventKind, Inbound, MessageOrigin, Op, RunId, RunOutcome, RunStatus,
};
use rustyclaw_config::LoadedConfig;
use rustyclaw_protocol::{AgentId, SessionId, SessionKey, ThinkingLevel};
use rustyclaw_store::Store;

use self::printer::Printer;
use crate::UserError;
use crate::args::AgentArgs;
use crate::context::Context;
use crate::output;

/// Runs one turn.
pub fn run(ctx: &Context, loaded: LoadedConfig, args: &AgentArgs) -> anyhow::Result<ExitCode> {
    output::warnings(&loaded.warnings);
    let thinking = match &args.thinking {
        Some(word) => Some(rustyclaw_agent::parse_thinking(word).ok_or_else(|| {
            UserError::new(format!("--thinking {word:?} is not a thinking level"))
                .hint("use off, minimal, low, medium, high or xhigh")
        })?),
        None => None,
    };
    let config = &loaded.config;
    let agent_id = match &args.agent {
        Some(id) => AgentId::parse(id).map_err(|e| UserError::new(format!("--agent: {e}")))?,
        None => AgentId::normalize(&config.agents.default_agent_id),
    };
    if config.agents.get(agent_id.as_str()).is_none() {
        let known: Vec<&str> = config.agents.list.iter().map(|a| a.id.as_str()).collect();
        return Err(
            UserError::new(format!("no agent {:?} is configured", agent_id.as_str()))
                .hint(format!("configured agents: {}", known.join(", ")))
                .into(),
        );
    }
    if !args.local {
        match remote::run(&loaded, &agent_id, thinking.as_ref(), args)? {
            remote::Outcome::Done(code) => return Ok(code),
            remote::Outcome::NoGateway { url } => output::err(&format!(
                "no gateway at {url}; running the turn in this process (pass --local to skip \
                 this check)"
            )),
        }
    }
    local(ctx, loaded, agent_id, thinking, args)
}

/// Runs the turn in this process, with the agent runtime built here.
fn local(
    ctx: &Context,
    loaded: LoadedConfig,
    agent_id: AgentId,
    thinking: Option<ThinkingLevel>,
    args: &AgentArgs,
) -> anyhow::Result<ExitCode> {
    let mut config = loaded.config;
    if let Some(seconds) = args.timeout {
        config.agents.defaults.timeout = std::time::Duration::from_secs(seconds.max(1));
    }
    let env = loaded.env.clone();
    // Built before the runtime starts: it runs the helper's self-test, a blocking call.
    let host = ctx.host();
    let sandbox = Arc::new(host.sandbox(Some(&config)));
    super::runtime()?.block_on(async move {
        let store = ctx.open_store().await?;
        let (session_key, session_id) = session_for(&store, &agent_id, args).await?;
        let config = Arc::new(config);
        let memory = host.memory(config.clone(), &env)?;
        let runtime = host
            .runtime(config, &env, store, sandbox, None, Some(&memory))
            .await
            .map_err(|e| UserError::new(e.to_string()))?;
        // A person at the terminal can approve host commands; otherwise askFallback applies.
        let _prompt = super::approval_prompt::start(&runtime.approvals());
        let run_id = RunId::random();
        let mut events = runtime.follow_run(&run_id);
        runtime
            .submit(Op::Message(Inbound {
                session_key: session_key.clone(),
                agent_id,
                text: args.message.clone(),
                attachments: Vec::new(),
                run_id: run_id.clone(),
                thinking,
                queue_mode: None,
                origin: MessageOrigin::from_channel(ChannelId::new("cli")),
                session_id,
            }))
            .map_err(|e| UserError::new(e.to_string()))?;
        let mut printer = Printer::new(!args.json);
        let outcome = loop {
            let event = tokio::select! {
                event = events.next() => event,
                _ = tokio::signal::ctrl_c() => {
                    let _ = runtime.submit(Op::Abort { session_key: session_key.clone(), run_id: Some(run_id.clone()), clear_queue: true });
                    continue;
                }
            };
            let Some(kind) = event else {
                return Err(anyhow::anyhow!("the agent runtime stopped unexpectedly"));
            };
            match kind {
                EventKind::Finished(outcome) => break *outcome,
                other => printer.event(&other),
            }
        };
        printer.finish();
        Ok(report(&outcome, &run_id, &session_key, args.json))
    })
}

/// Which session the turn runs in: `--session-id` (existing, or new under an explicit key),
/// `--to` (direct chats share the agent's main session), or the agent's main session.
async fn session_for(
    store: &Store,
    agent: &AgentId,
    args: &AgentArgs,
) -> anyhow::Result<(SessionKey, Option<String>)> {
    if let Some(id) = &args.session_id {
        let session_id =
            SessionId::new(id.clone()).map_err(|e| UserError::new(format!("--session-id: {e}")))?;
        if let Some(found) = store.find_session_by_id(&session_id).await? {
            return Ok((found.key, None));
        }
        let key = SessionKey::parse(&format!("agent:{}:explicit:{}", agent.as_str(), id))
            .map_err(|e| UserError::new(format!("--session-id {id:?}: {e}")))?;
        return Ok((key, Some(id.clone())));
    }
    Ok((SessionKey::main(agent), None))
}

fn report(outcome: &RunOutcome, run_id: &RunId, key: &SessionKey, json: bool) -> ExitCode {
    if json {
        output::json(&serde_json::json!({
            "runId": run_id.0,
            "status": outcome.status.as_str(),
            "reply": outcome.reply_text(),
            "error": outcome.error,
            "sessionKey": key.as_str(),
            "sessionId": outcome.session_id,
            "model": outcome.model,
            "durationMs": outcome.duration_ms,
            "usage": outcome.usage,
        }));
    }
    match outcome.status {
        RunStatus::Done => ExitCode::SUCCESS,
        RunStatus::Aborted => {
            if !json {
                output::err("aborted");
            }
            ExitCode::from(130)
        }
        RunStatus::Failed | RunStatus::TimedOut => {
            if !json {
                // Point at the transcript only when the turn got as far as writing one.
                let hint = (!outcome.session_id.is_empty()).then(|| {
                    format!(
                        "the transcript has the details: rustyclaw sessions show {}",
                        key.as_str()
                    )
                });
                output::error_line(
                    outcome.error.as_deref().unwrap_or("the run failed"),
                    hint.as_deref(),
                );
            }
            ExitCode::from(1)
        }
    }
}
