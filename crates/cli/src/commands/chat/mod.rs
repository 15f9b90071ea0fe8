//! `rustyclaw chat`: talk to the assistant in this terminal, so nobody needs Node (or the
//! official TUI) to use it. Turns run through the gateway when one answers at the configured
//! port — the same sessions the chat apps and the TUI see — and in this process otherwise.
//!
//! Input is read with a line editor (history in `<state dir>/chat_history`, Emacs keys); a
//! reply streams as it is written, tool calls show on stderr as they start, Ctrl-C stops the
//! reply (and clears the line when no reply runs), Ctrl-D or `/quit` leaves. Lines starting with
//! `/` go to the agent as commands (`/status`, `/new`, `/model …`, `/think …`), except the
//! chat's own `/help` and `/quit`.

mod local;
mod remote;

use std::process::ExitCode;

use rustyclaw_config::LoadedConfig;
use rustyclaw_protocol::{AgentId, SessionKey};
use rustyline::DefaultEditor;
use rustyline::config::Configurer;
use rustyline::error::ReadlineError;

use super::agent::printer::Printer;
use crate::UserError;
use crate::args::ChatArgs;
use crate::context::Context;
use crate::output;

/// Input lines remembered across chats.
const HISTORY_LINES: usize = 1_000;

/// How a turn ended, for the line after it.
pub(crate) enum TurnEnd {
    /// The reply is complete.
    Done,
    /// Ctrl-C stopped it.
    Aborted,
    /// It failed; why.
    Failed(String),
}

/// Where turns run.
enum Backend {
    Gateway(Box<remote::GatewayChat>),
    Local(Box<local::LocalChat>),
}

impl Backend {
    /// Waits until no approval prompt reads the terminal.
    fn settle(&self) {
        if let Backend::Local(chat) = self {
            chat.settle();
        }
    }

    fn turn(&mut self, text: &str, printer: &mut Printer) -> anyhow::Result<TurnEnd> {
        match self {
            Backend::Gateway(chat) => chat.turn(text, printer),
            Backend::Local(chat) => chat.turn(text, printer),
        }
    }
}

/// Runs the chat until Ctrl-D or `/quit`.
pub fn run(ctx: &Context, loaded: LoadedConfig, args: &ChatArgs) -> anyhow::Result<ExitCode> {
    output::warnings(&loaded.warnings);
    let config = &loaded.config;
    let agent = match &args.agent {
        Some(id) => AgentId::parse(id).map_err(|e| UserError::new(format!("--agent: {e}")))?,
        None => AgentId::normalize(&config.agents.default_agent_id),
    };
    if config.agents.get(agent.as_str()).is_none() {
        return Err(UserError::new(format!("no agent {:?} is configured", agent.as_str())).into());
    }
    let session = match &args.session {
        Some(key) => {
            SessionKey::parse(key).map_err(|e| UserError::new(format!("--session: {e}")))?
        }
        None => SessionKey::main(&agent),
    };
    let gateway = if args.local {
        None
    } else {
        Some(remote::GatewayChat::connect(&loaded, session.clone())?)
    };
    let mut backend = match gateway {
        Some(remote::Connected::Yes(chat)) => {
            output::out(&format!(
                "Talking to {} in {} through the gateway at {}.",
                agent.as_str(),
                session.as_str(),
                chat.url()
            ));
            Backend::Gateway(chat)
        }
        not_there => {
            match not_there {
                Some(remote::Connected::No { url }) => output::out(&format!(
                    "No gateway at {url}: turns run in this process (start one with `rustyclaw gateway run`)."
                )),
                _ => output::out(&format!(
                    "Talking to {} in {} in this process.",
                    agent.as_str(),
                    session.as_str()
                )),
            }
            Backend::Local(Box::new(local::LocalChat::start(
                ctx,
                loaded,
                agent.clone(),
                session.clone(),
            )?))
        }
    };
    output::out("/help lists commands; Ctrl-C stops a reply, Ctrl-D leaves.");

    let mut editor = DefaultEditor::new()
        .map_err(|e| UserError::new(format!("cannot read the terminal: {e}")))?;
    let _ = editor.set_max_history_size(HISTORY_LINES);
    let history = ctx.locations.state_dir.join("chat_history");
    let _ = editor.load_history(&history);
    let prompt = format!("{}> ", agent.as_str());
    loop {
        backend.settle();
        let line = match editor.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(UserError::new(format!("cannot read the terminal: {e}")).into()),
        };
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(text);
        match text {
            "/quit" | "/exit" => break,
            "/help" => {
                output::out(&help());
                continue;
            }
            _ => {}
        }
        let mut printer = Printer::new(true);
        let end = backend.turn(text, &mut printer)?;
        printer.finish();
        match end {
            TurnEnd::Done => {}
            TurnEnd::Aborted => output::err("(stopped)"),
            TurnEnd::Failed(why) => output::error_line(&why, None),
        }
    }
    save_history(&mut editor, &history);
    Ok(ExitCode::SUCCESS)
}

/// Installs the process's Ctrl-C handler on `runtime` now, so a Ctrl-C pressed between the
/// end of a line and the start of its turn stops the reply instead of killing the chat (the
/// handler stays for the life of the process; the line editor reads Ctrl-C as a key, and with
/// its `signal-hook` feature leaves SIGINT to this handler).
pub(crate) fn arm_ctrl_c(runtime: &tokio::runtime::Runtime) {
    runtime.block_on(async {
        let _ = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
    });
}

/// Writes the input history, private to the user (it holds what they typed).
fn save_history(editor: &mut DefaultEditor, path: &std::path::Path) {
    if path.parent().is_none_or(|dir| !dir.is_dir()) {
        return;
    }
    if editor.save_history(path).is_ok() {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
}

/// `/help`: the chat's own commands, then the agent's.
fn help() -> String {
    let mut lines = vec![
        "Chat:".to_owned(),
        "  /help            this list".to_owned(),
        "  /quit            leave (or Ctrl-D); Ctrl-C stops a reply".to_owned(),
        "The agent:".to_owned(),
    ];
    for command in rustyclaw_agent::COMMANDS {
        lines.push(format!("  /{:<15} {}", command.name, command.description));
    }
    lines.join("\n")
}
