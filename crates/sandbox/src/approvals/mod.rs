//! Exec approvals: whether a command may run on the host (`host=gateway`) as is, only with a
//! human's approval, or not at all — OpenClaw's model and file format.
//!
//! - [`policy`]: `security` (`deny|allowlist|full`) and `ask` (`off|on-miss|always`); the
//!   effective policy is the stricter of the operator's `tools.exec.*` and the host file.
//! - [`file`]: `<state dir>/exec-approvals.json` — host defaults, per-agent overrides and
//!   allowlists — read fresh for each decision, written atomically with mode 0600.
//! - [`shell`], [`resolve`], [`pattern`], [`safe_bins`]: the command analysis. A command is
//!   split into segments conservatively, each program resolved on `PATH` to a canonical file,
//!   and matched against allowlist globs or a safe-bin profile.
//! - [`evaluate`]: the verdict (allow, deny, ask) and what an answer or its absence means.
//! - [`broker`]: pending requests, approvers, expiry and the event stream.
//!
//! Everything here is pure logic over files and channels; the command itself is started by
//! [`crate::exec`], by the caller, after a favourable verdict.

pub mod broker;
pub mod evaluate;
pub mod file;
pub mod pattern;
pub mod policy;
pub mod resolve;
pub mod safe_bins;
pub mod shell;

pub use broker::{
    AlreadyPending, Answer, ApprovalBroker, ApprovalEvent, ApprovalPayload, ApprovalRequest,
    ApprovalResolved, ApproverGuard, DEFAULT_APPROVAL_TIMEOUT, Decision, OpenRequest, Outcome,
    ResolveError, UnknownDecision,
};
pub use evaluate::{
    AllowVia, Coverage, Evaluation, ExecTarget, SegmentCheck, Settlement, Verdict, evaluate,
};
pub use file::{
    ALL_AGENTS, APPROVALS_FILE_NAME, AgentApprovals, AllowlistEntry, ApprovalsError, ApprovalsFile,
    ApprovalsStore, HostPolicy, PolicyFields, ScopedEntry,
};
pub use policy::{Ask, Policy, Security};
pub use safe_bins::{DEFAULT_SAFE_BINS, SafeBins};

/// Whether a per-call environment override of `key` is refused for host commands: it could
/// swap the programs that were checked (`PATH`), inject code into them (`LD_*`, `DYLD_*`,
/// interpreter start-up variables), or make the shell run a file before the command
/// (`BASH_ENV`, `ENV`). Upstream rejects the same family on host execution.
pub fn is_dangerous_env(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    const EXACT: [&str; 16] = [
        "PATH",
        "BASH_ENV",
        "ENV",
        "SHELLOPTS",
        "BASHOPTS",
        "PS4",
        "IFS",
        "CDPATH",
        "GLOBIGNORE",
        "NODE_OPTIONS",
        "PYTHONSTARTUP",
        "PYTHONPATH",
        "PERL5OPT",
        "PERL5LIB",
        "RUBYOPT",
        "GCONV_PATH",
    ];
    EXACT.contains(&upper.as_str())
        || upper.starts_with("LD_")
        || upper.starts_with("DYLD_")
        || upper.starts_with("BASH_FUNC_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loader_and_shell_start_up_variables_are_dangerous() {
        for key in [
            "PATH",
            "path",
            "LD_PRELOAD",
            "DYLD_INSERT_LIBRARIES",
            "BASH_ENV",
            "BASH_FUNC_ls%%",
        ] {
            assert!(is_dangerous_env(key), "{key}");
        }
        for key in ["LANG", "TERM", "RUST_LOG", "HOME_DIR"] {
            assert!(!is_dangerous_env(key), "{key}");
        }
    }
}
