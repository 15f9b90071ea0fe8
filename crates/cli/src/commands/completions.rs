//! `rustyclaw completions <shell>`.

use std::process::ExitCode;

use clap::CommandFactory;

use crate::args::{Cli, CompletionsArgs};

/// Prints the completion script for the shell.
pub fn run(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    let mut buffer = Vec::new();
    clap_complete::generate(args.shell, &mut command, "rustyclaw", &mut buffer);
    crate::output::out(&String::from_utf8_lossy(&buffer));
    Ok(ExitCode::SUCCESS)
}
