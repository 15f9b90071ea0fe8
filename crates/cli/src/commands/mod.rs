//! One module per command. `run` dispatches and returns the process exit code.

mod agent;
mod approval_prompt;
mod approvals;
mod audit;
pub(crate) mod channels;
mod chat;
mod clawhub;
mod completions;
mod config;
mod credentials;
mod dashboard;
pub(crate) mod devices;
mod doctor;
mod gateway;
pub(crate) mod memory;
pub(crate) mod message;
mod models;
mod onboard;
pub(crate) mod pairing;
mod quarantine;
mod sessions;
pub(crate) mod skill_deps;
pub(crate) mod skills;
mod status;
mod tools;
mod transcript_view;

use std::process::ExitCode;
use std::sync::Arc;

use rustyclaw_config::file::LogLevel;
use rustyclaw_sandbox::HelperExecutable;

use crate::args::{Cli, Command, ConfigCommand};
use crate::context::Context;
use crate::logging;

/// Runs the parsed command line.
pub fn run(cli: Cli, helper: Option<Arc<HelperExecutable>>) -> anyhow::Result<ExitCode> {
    // Commands that only print something fixed need neither the config nor logging; loading the
    // config could run secret resolver programs, which `config file` has no business doing.
    match &cli.command {
        Command::Completions(args) => return completions::run(args),
        Command::Config(ConfigCommand::Schema) => return Ok(config::print_schema()),
        Command::Config(ConfigCommand::File) => {
            let ctx = Context::new(&cli.global, helper)?;
            return Ok(config::print_file(&ctx));
        }
        _ => {}
    }
    // The vault never loads the config: resolving the config may run `credentials resolve`, and
    // `credentials set` must work while the config's secrets do not resolve yet.
    if let Command::Credentials(cmd) = cli.command {
        let ctx = Context::new(&cli.global, helper)?;
        let _guard = logging::init(
            None,
            &ctx.env,
            cli.global.verbose,
            LogLevel::Warn,
            &ctx.locations.state_dir,
            false,
        );
        return credentials::run(&ctx, cmd);
    }
    let ctx = Context::new(&cli.global, helper)?;
    // Logging follows the config when it loads; commands that report config errors themselves
    // (doctor, validate) still get console logging with defaults.
    let loaded = ctx.load_config();
    let logging_config = loaded.as_ref().ok().map(|l| l.config.logging.clone());
    let _guard = logging::init(
        logging_config.as_ref(),
        &ctx.env,
        cli.global.verbose,
        LogLevel::Warn,
        &ctx.locations.state_dir,
        writes_log_file(&cli.command),
    );
    match cli.command {
        Command::Onboard(args) => onboard::run(&ctx, &args),
        Command::Config(cmd) => config::run(&ctx, loaded, cmd),
        Command::Doctor(args) => doctor::run(&ctx, loaded, args.json),
        Command::Status(args) => status::run(&ctx, loaded?, args.json),
        Command::Agent(args) => agent::run(&ctx, loaded?, &args),
        Command::Chat(args) => chat::run(&ctx, loaded?, &args),
        Command::Models(cmd) => models::run(loaded?, cmd),
        Command::Sessions(cmd) => sessions::run(&ctx, cmd),
        Command::Audit(args) => audit::run(&ctx, &args),
        Command::Quarantine(cmd) => quarantine::run(&ctx, cmd),
        Command::Tools(args) => tools::run(loaded?, args),
        Command::Skills(cmd) => skills::run(&ctx, loaded?, cmd),
        Command::Memory(cmd) => memory::run(&ctx, loaded?, cmd),
        Command::Approvals(cmd) => approvals::run(&ctx, loaded, cmd),
        Command::Devices(cmd) => devices::run(&ctx, cmd),
        Command::Pairing(cmd) => pairing::run(&ctx, loaded, cmd),
        Command::Channels(cmd) => channels::run(&ctx, loaded, cmd),
        Command::Message(cmd) => message::run(&loaded?, cmd),
        Command::Completions(args) => completions::run(&args),
        Command::Credentials(cmd) => credentials::run(&ctx, cmd),
        Command::Gateway(cmd) => gateway::run(&ctx, loaded?, cmd),
        Command::Health(args) => gateway::health(&loaded?, &args),
        Command::Dashboard(args) => dashboard::run(&ctx, &loaded?, &args),
    }
}

/// Whether a command writes the log file (`logging.file`): the ones that run the assistant — the
/// gateway, a turn run in-process — and the ones that change the config, which leave a line
/// saying what they changed. Looking at things (`config validate`, `doctor`, `status`, …)
/// writes nothing.
fn writes_log_file(command: &Command) -> bool {
    use crate::args::ConfigCommand;
    matches!(
        command,
        Command::Gateway(crate::args::GatewayCommand::Run(_))
            | Command::Agent(_)
            | Command::Chat(_)
            | Command::Onboard(_)
            | Command::Config(ConfigCommand::Set { .. } | ConfigCommand::Unset { .. })
    )
}

/// A single-threaded runtime for commands that touch the store.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
