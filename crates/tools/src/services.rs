//! Services shared by every tool call: exec and web-fetch settings, the background process
//! table, exec approvals, the HTTP client, and the chat channels' messenger when the host runs
//! channels.
//!
//! One [`ToolServices`] lives as long as the gateway (behind an `Arc` in every
//! [`ToolContext`](crate::ToolContext)); it is built from the resolved configuration, never from
//! the environment, so the tools see exactly what the operator configured.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustyclaw_config::file::{ExecAsk, ExecHost, ExecSecurity};
use rustyclaw_config::{ExecConfig, ToolsConfig, WebFetchConfig};
use rustyclaw_sandbox::Sandbox;
use rustyclaw_sandbox::approvals::{ApprovalBroker, ApprovalsStore, SafeBins};
use rustyclaw_sandbox::exec::DEFAULT_PATH;

use crate::exec::ProcessTable;
use crate::messenger::Messenger;
use crate::web::client;

/// Default cap on the output kept per command (upstream keeps 200 000 characters).
pub const DEFAULT_EXEC_OUTPUT_CAP: usize = 200_000;
/// Default cap on a fetched body before extraction.
pub const DEFAULT_FETCH_MAX_RESPONSE_BYTES: usize = 2_000_000;
/// Default upper bound of `web_fetch`'s `maxChars` (upstream's `maxCharsCap`).
pub const DEFAULT_FETCH_MAX_CHARS_CAP: usize = 50_000;
/// User-Agent of `web_fetch` when none is configured (upstream's: a desktop browser, because
/// many sites serve bots an error page).
pub const DEFAULT_FETCH_USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";

/// How `exec` runs commands.
#[derive(Debug, Clone)]
pub struct ExecSettings {
    /// Foreground commands move to the background after this long (`tools.exec.backgroundMs`).
    pub background_after: Duration,
    /// Commands are killed after this long unless the call says otherwise (`timeoutSec`).
    pub timeout: Duration,
    /// Finished background runs are forgotten after this long (`cleanupMs`).
    pub cleanup_after: Duration,
    /// Bytes of output kept per command (the tail).
    pub output_cap: usize,
    /// Where commands run (`tools.exec.host`).
    pub host: ExecHost,
    /// Host execution policy (`tools.exec.security`).
    pub security: ExecSecurity,
    /// Approval prompting (`tools.exec.ask`).
    pub ask: ExecAsk,
    /// The sandbox every command runs through (built once at start-up; it knows the host's
    /// isolation layers).
    pub sandbox: Arc<Sandbox>,
    /// The shell (`<shell> -c <command>`).
    pub shell: PathBuf,
    /// `PATH` of commands.
    pub path: OsString,
    /// `HOME` of commands; `None` uses the workspace.
    pub home: Option<PathBuf>,
    /// Host directories sandboxed commands may read besides the system ones (the programs
    /// skills installed).
    pub read_only: Vec<PathBuf>,
}

impl ExecSettings {
    /// Settings from `tools.exec`, with the standard environment (see
    /// [`ExecEnv::standard`](rustyclaw_sandbox::ExecEnv::standard)), running commands through
    /// `sandbox`.
    pub fn from_config(config: &ExecConfig, sandbox: Arc<Sandbox>) -> Self {
        let standard = rustyclaw_sandbox::ExecEnv::standard(PathBuf::new());
        ExecSettings {
            background_after: config.background_after,
            timeout: config.timeout,
            cleanup_after: config.cleanup_after,
            output_cap: DEFAULT_EXEC_OUTPUT_CAP,
            host: config.host,
            security: config.security,
            ask: config.ask,
            sandbox,
            shell: standard.shell,
            path: OsString::from(DEFAULT_PATH),
            home: None,
            read_only: Vec::new(),
        }
    }

    /// These settings with the programs skills installed under `state_dir` (see
    /// [`rustyclaw_config::tools_dir`]) on the `PATH`, after the system's directories (an
    /// installed program never shadows a system one), and readable in the sandbox.
    pub fn with_installed_tools(mut self, state_dir: &Path) -> Self {
        let bin = rustyclaw_config::tools_bin_dir(state_dir);
        let mut path = self.path.clone();
        path.push(":");
        path.push(bin.as_os_str());
        self.path = path;
        self.read_only.push(rustyclaw_config::tools_dir(state_dir));
        self
    }
}

/// How `web_fetch` fetches.
#[derive(Debug, Clone)]
pub struct WebFetchSettings {
    /// Offer the tool.
    pub enabled: bool,
    /// Characters returned when the call gives no `maxChars`.
    pub max_chars: usize,
    /// Upper bound of `maxChars`.
    pub max_chars_cap: usize,
    /// Body bytes read before extraction; the rest is dropped with a warning.
    pub max_response_bytes: usize,
    /// Whole-request timeout (connect, redirects and body).
    pub timeout: Duration,
    /// Redirects followed.
    pub max_redirects: u32,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Allow loopback, private and link-local targets.
    pub allow_private_network: bool,
}

impl WebFetchSettings {
    /// Settings from `tools.web.fetch`.
    pub fn from_config(config: &WebFetchConfig) -> Self {
        WebFetchSettings {
            enabled: config.enabled,
            max_chars: config.max_chars,
            max_chars_cap: config.max_chars.max(DEFAULT_FETCH_MAX_CHARS_CAP),
            max_response_bytes: DEFAULT_FETCH_MAX_RESPONSE_BYTES,
            timeout: config.timeout,
            max_redirects: config.max_redirects,
            user_agent: config
                .user_agent
                .clone()
                .unwrap_or_else(|| DEFAULT_FETCH_USER_AGENT.to_owned()),
            allow_private_network: config.allow_private_network,
        }
    }
}

/// Exec approvals of host commands (`host=gateway`): the host's approvals file, the broker
/// that asks a human, and what the analysis needs to know about the host.
#[derive(Debug, Clone, Default)]
pub struct ExecApprovals {
    /// `exec-approvals.json`. `None` keeps no file: the host layer then adds no restriction of
    /// its own (upstream's defaults), and `allow-always` cannot be remembered.
    pub store: Option<Arc<ApprovalsStore>>,
    /// Pending requests and approvers; its timeout is how long a request waits.
    pub broker: ApprovalBroker,
    /// The home directory `~` stands for in allowlist patterns.
    pub home: Option<PathBuf>,
    /// The stdin-only programs allowed without an allowlist entry.
    pub safe_bins: SafeBins,
}

impl ExecApprovals {
    /// Approvals kept in `<state_dir>/exec-approvals.json`, with upstream's request timeout.
    pub fn in_state_dir(state_dir: &Path, home: Option<PathBuf>) -> Self {
        ExecApprovals {
            store: Some(Arc::new(ApprovalsStore::in_state_dir(state_dir))),
            broker: ApprovalBroker::default(),
            home,
            safe_bins: SafeBins::default(),
        }
    }
}

/// Why the services could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ServicesError {
    /// The HTTP client could not be set up (TLS initialisation).
    #[error("cannot set up the web_fetch HTTP client: {reason}")]
    HttpClient {
        /// reqwest's explanation.
        reason: String,
    },
}

/// Shared services.
pub struct ToolServices {
    exec: ExecSettings,
    web_fetch: WebFetchSettings,
    processes: Arc<ProcessTable>,
    approvals: ExecApprovals,
    http: reqwest::Client,
    messenger: Option<Arc<dyn Messenger>>,
}

impl std::fmt::Debug for ToolServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolServices")
            .field("exec", &self.exec)
            .field("web_fetch", &self.web_fetch)
            .field("processes", &self.processes)
            .field("approvals", &self.approvals)
            .field("messenger", &self.messenger.is_some())
            .finish_non_exhaustive()
    }
}

impl ToolServices {
    /// Services configured by `tools`.
    pub fn new(config: &ToolsConfig, sandbox: Arc<Sandbox>) -> Result<Self, ServicesError> {
        Self::with_settings(
            ExecSettings::from_config(&config.exec, sandbox),
            WebFetchSettings::from_config(&config.web_fetch),
        )
    }

    /// Services configured by `tools`, with exec approvals kept in `state_dir` (see
    /// [`ExecApprovals::in_state_dir`]).
    pub fn for_state_dir(
        config: &ToolsConfig,
        state_dir: &Path,
        home: Option<PathBuf>,
        sandbox: Arc<Sandbox>,
    ) -> Result<Self, ServicesError> {
        Self::with_approvals(
            ExecSettings::from_config(&config.exec, sandbox).with_installed_tools(state_dir),
            WebFetchSettings::from_config(&config.web_fetch),
            ExecApprovals::in_state_dir(state_dir, home),
        )
    }

    /// Services with explicit settings (for callers that adjust the environment of commands,
    /// and for tests); no approvals file.
    pub fn with_settings(
        exec: ExecSettings,
        web_fetch: WebFetchSettings,
    ) -> Result<Self, ServicesError> {
        Self::with_approvals(exec, web_fetch, ExecApprovals::default())
    }

    /// Services with explicit settings and exec approvals.
    pub fn with_approvals(
        exec: ExecSettings,
        web_fetch: WebFetchSettings,
        approvals: ExecApprovals,
    ) -> Result<Self, ServicesError> {
        let http = client::build(&web_fetch)?;
        Ok(ToolServices {
            processes: Arc::new(ProcessTable::new(exec.cleanup_after)),
            exec,
            web_fetch,
            approvals,
            http,
            messenger: None,
        })
    }

    /// These services acting in the chat channels through `messenger`: the runtime then offers
    /// the `message` tool (see [`crate::register_service_tools`]). Set by the host that runs
    /// the channels; without it there is no `message` tool.
    pub fn with_messenger(mut self, messenger: Arc<dyn Messenger>) -> Self {
        self.messenger = Some(messenger);
        self
    }

    /// These services with the settings of `config` (a config change applied without a
    /// restart): what runs and waits stays — the background processes (and the cleanup delay
    /// their table was made with), the approvals file and broker with their pending requests,
    /// the sandbox, the command environment set by whoever built them, and the channels'
    /// messenger — while the `exec`
    /// and `web_fetch` settings and the HTTP client follow the new config.
    pub fn reconfigured(&self, config: &ToolsConfig) -> Result<Self, ServicesError> {
        let mut exec = ExecSettings::from_config(&config.exec, Arc::clone(&self.exec.sandbox));
        exec.shell.clone_from(&self.exec.shell);
        exec.path.clone_from(&self.exec.path);
        exec.home.clone_from(&self.exec.home);
        exec.read_only.clone_from(&self.exec.read_only);
        exec.output_cap = self.exec.output_cap;
        let web_fetch = WebFetchSettings::from_config(&config.web_fetch);
        let http = client::build(&web_fetch)?;
        Ok(ToolServices {
            exec,
            web_fetch,
            processes: Arc::clone(&self.processes),
            approvals: self.approvals.clone(),
            http,
            messenger: self.messenger.clone(),
        })
    }

    /// `exec` settings.
    pub fn exec(&self) -> &ExecSettings {
        &self.exec
    }

    /// The sandbox commands run through.
    pub fn sandbox(&self) -> &Sandbox {
        &self.exec.sandbox
    }

    /// `web_fetch` settings.
    pub fn web_fetch(&self) -> &WebFetchSettings {
        &self.web_fetch
    }

    /// Background runs of `exec`, per session.
    pub fn processes(&self) -> &ProcessTable {
        &self.processes
    }

    /// Exec approvals: the approvals file and the broker that asks a human.
    pub fn approvals(&self) -> &ExecApprovals {
        &self.approvals
    }

    /// The chat channels' messenger, when the host runs channels.
    pub fn messenger(&self) -> Option<&Arc<dyn Messenger>> {
        self.messenger.as_ref()
    }

    /// The HTTP client of `web_fetch` (its DNS resolver enforces the private-network guard).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconfigured_services_follow_the_new_settings_and_keep_what_runs() {
        let state = std::env::temp_dir();
        let sandbox = Arc::new(Sandbox::new(rustyclaw_sandbox::SandboxSetup::for_host(
            None,
            state,
            Some(std::ffi::OsStr::new(DEFAULT_PATH)),
        )));
        let mut config = ToolsConfig::default();
        let before = ToolServices::new(&config, sandbox).unwrap();
        config.web_fetch.max_chars = 1234;
        config.exec.timeout = Duration::from_secs(7);
        let after = before.reconfigured(&config).unwrap();
        assert_eq!(after.web_fetch().max_chars, 1234);
        assert_eq!(after.exec().timeout, Duration::from_secs(7));
        assert!(Arc::ptr_eq(&before.processes, &after.processes));
        assert!(Arc::ptr_eq(&before.exec.sandbox, &after.exec.sandbox));
        // One broker: an approver that registered before the change answers requests after it.
        let _approver = before.approvals().broker.register_approver();
        assert!(after.approvals().broker.has_approver());
    }
}
