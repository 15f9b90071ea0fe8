//! The sandbox helper as a standalone executable, for the sandbox crate's own tests: the
//! `rustyclaw` binary re-invokes itself in helper mode instead.

fn main() -> std::process::ExitCode {
    rustyclaw_sandbox::helper::main_from_args(std::env::args_os().skip(1))
}
