//! The `rustyclaw` binary: argument parsing, wiring and output. Logic lives in the library
//! crates; this crate only connects them and talks to the terminal.

mod args;
mod commands;
mod context;
mod gateway_client;
mod logging;
mod output;

use std::process::ExitCode;

use clap::Parser;

/// jemalloc instead of glibc's allocator: after a burst (hundreds of slow clients, megabytes of
/// messages) glibc keeps the freed memory in its arenas for good, jemalloc's background threads
/// give it back within seconds (measured in docs/benchmarks.md, "Allocator").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// An error meant for the user: a one-line message, an optional hint, an exit code.
#[derive(Debug)]
pub struct UserError {
    message: String,
    hint: Option<String>,
    code: u8,
}

impl UserError {
    /// A user mistake (exit code 2).
    pub fn new(message: impl Into<String>) -> Self {
        UserError {
            message: message.into(),
            hint: None,
            code: 2,
        }
    }

    /// Adds a hint line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Overrides the exit code.
    pub fn code(mut self, code: u8) -> Self {
        self.code = code;
        self
    }
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

fn main() -> ExitCode {
    // The sandbox re-invokes this binary as its helper, which restricts itself and then becomes
    // the agent's command; that mode shares nothing with the command line below.
    let mut raw = std::env::args_os().skip(1);
    if raw.next().as_deref() == Some(std::ffi::OsStr::new(rustyclaw_sandbox::helper::HELPER_ARG)) {
        return rustyclaw_sandbox::helper::main_from_args(std::env::args_os().skip(1));
    }
    // Opened before anything else, so the sandbox's helper is this very binary even if an
    // upgrade replaces the file while the gateway runs.
    let helper = rustyclaw_sandbox::HelperExecutable::current()
        .ok()
        .map(std::sync::Arc::new);
    let cli = args::Cli::parse();
    match commands::run(cli, helper) {
        Ok(code) => code,
        Err(err) => report(&err),
    }
}

/// Prints an error as one line plus a hint — never a backtrace — and picks the exit code.
fn report(err: &anyhow::Error) -> ExitCode {
    let (message, hint, code) = if let Some(user) = err.downcast_ref::<UserError>() {
        (user.message.clone(), user.hint.clone(), user.code)
    } else if let Some(config) = err.downcast_ref::<rustyclaw_config::ConfigError>() {
        (config.to_string(), config.hint().map(str::to_owned), 2)
    } else {
        let chain: Vec<String> = err.chain().map(ToString::to_string).collect();
        (chain.join(": "), None, 1)
    };
    output::error_line(&message, hint.as_deref());
    ExitCode::from(code)
}
