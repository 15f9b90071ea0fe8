//! `rustyclaw gateway run`: serves the gateway until SIGTERM or Ctrl-C. The host
//! ([`rustyclaw_host::serve_gateway`]) builds the runtime and the gateway and applies config
//! changes; this command turns the flags into its settings and prints what it reports.

use std::net::SocketAddr;
use std::process::ExitCode;

use rustyclaw_config::{Issue, LoadedConfig};
use rustyclaw_host::{BindOverride, ListenerOverrides, Report};

use crate::UserError;
use crate::args::{BindArg, GatewayRunArgs};
use crate::context::Context;
use crate::output;

/// Runs the server.
pub(super) fn run(
    ctx: &Context,
    loaded: LoadedConfig,
    args: &GatewayRunArgs,
) -> anyhow::Result<ExitCode> {
    output::warnings(&loaded.warnings);
    let overrides = ListenerOverrides {
        port: args.port,
        bind: args.bind.map(|bind| match bind {
            BindArg::Loopback => BindOverride::Loopback,
            BindArg::Lan => BindOverride::Lan,
        }),
    };
    // Refused before anything starts, with the hint.
    rustyclaw_host::listener::address(&loaded.config, &overrides).map_err(host_error)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let setup = ctx.host();
    let result = runtime.block_on(rustyclaw_host::serve_gateway(
        &setup,
        loaded,
        overrides,
        rustyclaw_host::serve::stop_signal(),
        &Printed,
    ));
    // Blocking helpers still parked in the runtime's pool must not delay the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    result.map_err(host_error)?;
    Ok(ExitCode::SUCCESS)
}

/// A host error as the CLI reports errors, with the host's hint.
fn host_error(error: rustyclaw_host::HostError) -> anyhow::Error {
    let hint = error.hint().map(str::to_owned);
    let user = UserError::new(error.to_string());
    match hint {
        Some(hint) => user.hint(hint).into(),
        None => user.into(),
    }
}

/// The host's reports, on the terminal.
struct Printed;

impl Report for Printed {
    fn listening(&self, addr: SocketAddr) {
        output::out(&format!("gateway listening on ws://{addr}"));
    }

    fn config_warnings(&self, issues: &[Issue]) {
        output::warnings(issues);
    }

    fn problem(&self, text: &str) {
        output::err(text);
    }
}
