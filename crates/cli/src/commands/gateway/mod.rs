//! `rustyclaw gateway run|call|status` and `rustyclaw health`: the OpenClaw-compatible gateway server
//! and a small client of it.

mod call;
pub(crate) mod knock;
mod run;
mod status;

use std::process::ExitCode;

use rustyclaw_config::LoadedConfig;

use crate::args::{GatewayCommand, HealthArgs};
use crate::context::Context;

/// Runs a `gateway` subcommand.
pub fn run(
    ctx: &Context,
    loaded: LoadedConfig,
    command: GatewayCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        GatewayCommand::Run(args) => run::run(ctx, loaded, &args),
        GatewayCommand::Call(args) => call::run(&loaded, &args),
        GatewayCommand::Status(args) => status::run(&loaded, &args),
    }
}

/// `rustyclaw health`: `gateway call health` with human output.
pub fn health(loaded: &LoadedConfig, args: &HealthArgs) -> anyhow::Result<ExitCode> {
    call::health(loaded, args)
}
