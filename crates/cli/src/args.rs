//! The command-line interface, as clap derive types. Behaviour lives in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rustyclaw_config::Secret;

const QUICK_TOUR: &str = "\
Quick tour:
  rustyclaw onboard                 set up a config, a model provider and the agent workspace
  rustyclaw doctor                  check config, state dir, database, sandbox and port
  rustyclaw status                  what is configured and stored
  rustyclaw config get gateway.port read a value (set/unset edit the file, keeping comments)
  rustyclaw chat                    talk to the assistant in this terminal
  rustyclaw agent -m 'hello'        run one agent turn and print the reply
  rustyclaw models list             models from the built-in catalog and your config
  rustyclaw sessions show <key|id>  read a conversation (export writes OpenClaw JSONL)
  rustyclaw credentials set openai  store an API key encrypted (value read from stdin)

rustyclaw reads OpenClaw's openclaw.json (JSON5) from the state directory
(default ~/.rustyclaw, or $OPENCLAW_STATE_DIR / --state-dir).";

/// rustyclaw — a personal AI assistant gateway compatible with OpenClaw.
#[derive(Debug, Parser)]
#[command(name = "rustyclaw", version, about, after_help = QUICK_TOUR, propagate_version = true)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// State directory (default ~/.rustyclaw; env OPENCLAW_STATE_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Config file (default <state dir>/openclaw.json; env OPENCLAW_CONFIG_PATH).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or update the config and seed the agent workspace.
    Onboard(Box<OnboardArgs>),
    /// Read, change and check the config file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Check the installation and explain what to fix.
    Doctor(DoctorArgs),
    /// Show what is configured and stored.
    Status(JsonFlag),
    /// Run one agent turn and print the reply.
    Agent(Box<AgentArgs>),
    /// Talk to the assistant in this terminal: streamed replies, tool activity, `/` commands,
    /// input history; Ctrl-C stops a reply, Ctrl-D leaves.
    Chat(ChatArgs),
    /// The models rustyclaw can use.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// List, show, import and export sessions (transcripts in OpenClaw JSONL format).
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// The audit log: security-relevant actions and risk-guard decisions, newest first.
    Audit(AuditArgs),
    /// What the risk guards blocked: list the quarantine or show one payload.
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
    /// Every built-in tool and whether the tool policy lets a session see it.
    Tools(ToolsArgs),
    /// Skills: list them, show one, check what they are missing.
    #[command(subcommand)]
    Skills(crate::commands::skills::SkillsCommand),
    /// The agents' memory index: status, rebuild, search.
    #[command(subcommand)]
    Memory(crate::commands::memory::MemoryCommand),
    /// Exec approvals of host commands: the policy in force and the allowlists.
    #[command(subcommand, alias = "exec-approvals")]
    Approvals(ApprovalsCommand),
    /// Device pairing: pending requests, paired devices, approve/reject/remove.
    #[command(subcommand)]
    Devices(crate::commands::devices::DevicesCommand),
    /// Chat DM pairing: pending requests from unknown senders, approve/reject.
    #[command(subcommand)]
    Pairing(crate::commands::pairing::PairingCommand),
    /// Chat channel accounts: list and edit them in the config, their live status, logout.
    #[command(subcommand)]
    Channels(crate::commands::channels::ChannelsCommand),
    /// Send a message through a chat channel of the running gateway.
    #[command(subcommand)]
    Message(crate::commands::message::MessageCommand),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Store API keys and tokens encrypted in the state directory (AES-256-GCM).
    #[command(subcommand)]
    Credentials(CredentialsCommand),
    /// Run the OpenClaw-compatible gateway, or call one of its methods.
    #[command(subcommand)]
    Gateway(GatewayCommand),
    /// Ask the running gateway for its health.
    Health(HealthArgs),
    /// Open the Control UI in a browser, signed in with the gateway token.
    Dashboard(DashboardArgs),
}

/// `rustyclaw dashboard`.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Print the address without opening a browser.
    #[arg(long, conflicts_with = "open")]
    pub no_open: bool,
    /// Open a browser (the default; kept for scripts that pass it).
    #[arg(long)]
    pub open: bool,
    /// Print one JSON object (`url` with the token, `httpUrl`, `wsUrl`, `port`, `tokenIncluded`)
    /// and open nothing.
    #[arg(long)]
    pub json: bool,
}

/// `rustyclaw tools`.
#[derive(Debug, Args)]
pub struct ToolsArgs {
    /// The agent (default: the default agent).
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
    /// The session key (default: the agent's main session, `agent:<id>:main`).
    #[arg(long, value_name = "KEY")]
    pub session: Option<String>,
    /// The model answering the session (default: the agent's primary), for `tools.byProvider`.
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub model: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `credentials` subcommands.
#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Store a credential; the value is read from stdin (or --from-env), never from arguments.
    Set {
        /// Name, also the `id` of the exec SecretRef that reads it (e.g. openai).
        name: String,
        /// Take the value from this environment variable instead of stdin.
        #[arg(long, value_name = "VAR")]
        from_env: Option<String>,
    },
    /// List stored credentials: names and dates, never values.
    List {
        /// Machine-readable JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Delete a credential.
    Remove {
        /// The name.
        name: String,
    },
    /// Answer an exec SecretRef request (OpenClaw protocol v1) on stdin/stdout; run by the config.
    Resolve,
}

/// A `--json` switch.
#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Machine-readable JSON output.
    #[arg(long)]
    pub json: bool,
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a value (resolved after $include and ${VAR}); secrets are redacted.
    Get {
        /// Dotted path, e.g. gateway.port or agents.list[0].id; omit for the whole config.
        path: Option<String>,
        /// Print JSON even for plain strings.
        #[arg(long)]
        json: bool,
    },
    /// Set a value; the file keeps its comments and a .bak of the previous version.
    Set {
        /// Dotted path, e.g. gateway.port.
        path: String,
        /// The value: JSON5 (18789, true, "text", {a: 1}); anything else is taken as a string.
        value: String,
        /// Treat the value as a string even if it parses as JSON.
        #[arg(long)]
        string: bool,
    },
    /// Remove a value.
    Unset {
        /// Dotted path.
        path: String,
    },
    /// Check the config: errors fail, warnings list keys without effect.
    Validate(JsonFlag),
    /// Print the JSON Schema of the config file.
    Schema,
    /// Print the config file path.
    File,
}

/// `doctor` options.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Machine-readable JSON output.
    #[arg(long)]
    pub json: bool,
}

/// `sessions` subcommands.
#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List stored sessions, most recent first.
    List {
        /// Most sessions shown.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Machine-readable JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Print a session's conversation.
    Show {
        /// Session key or session id.
        session: String,
        /// Print the raw transcript lines as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import an OpenClaw transcript (.jsonl) as a session.
    Import {
        /// The transcript file.
        file: PathBuf,
        /// Session key to store it under (default agent:main:explicit:<session id>).
        #[arg(long)]
        key: Option<String>,
    },
    /// Write a session's transcript as OpenClaw JSONL.
    Export {
        /// Session key or session id.
        session: String,
        /// Output file (default stdout).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// `approvals` subcommands (OpenClaw's names). They edit `<state dir>/exec-approvals.json`.
#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// Show the requested policy (tools.exec), the approvals file and the effective policy.
    Get(JsonFlag),
    /// Add or remove allowlisted executables.
    #[command(subcommand)]
    Allowlist(AllowlistCommand),
}

/// `approvals allowlist` subcommands.
#[derive(Debug, Subcommand)]
pub enum AllowlistCommand {
    /// Allow an executable path or glob (`/usr/bin/uname`, `~/.local/bin/*`, `/opt/**/bin/rg`).
    Add(AllowlistArgs),
    /// Remove a pattern.
    Remove(AllowlistArgs),
}

/// `approvals allowlist add|remove` options.
#[derive(Debug, Args)]
pub struct AllowlistArgs {
    /// Executable path or glob; bare names such as `rg` never match.
    pub pattern: String,
    /// The agent whose allowlist to edit (`*`: every agent).
    #[arg(long, value_name = "ID", default_value = "*")]
    pub agent: String,
}

/// `completions` options.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// Model provider choices for onboarding (OpenClaw's `--auth-choice` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthChoice {
    /// Any OpenAI-compatible or Anthropic-compatible endpoint (--custom-base-url).
    CustomApiKey,
    /// OpenAI.
    OpenaiApiKey,
    /// Anthropic.
    #[value(alias = "apiKey")]
    AnthropicApiKey,
    /// Google Gemini.
    GeminiApiKey,
    /// OpenRouter.
    OpenrouterApiKey,
    /// A local Ollama server.
    Ollama,
    /// Configure no model now.
    Skip,
}

/// How API keys are written to the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SecretInputMode {
    /// Encrypted in the credential store; the config gets an exec SecretRef to it.
    Vault,
    /// The key itself, in the config file.
    Plaintext,
    /// A SecretRef to an environment variable (the key stays out of the file).
    Ref,
}

/// API compatibility of a custom endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Compatibility {
    /// OpenAI chat completions.
    Openai,
    /// Anthropic messages.
    Anthropic,
}

/// Gateway bind choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BindChoice {
    /// 127.0.0.1 only.
    Loopback,
    /// All interfaces.
    Lan,
}

/// Gateway auth choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GatewayAuthChoice {
    /// Shared token (generated when not given).
    Token,
    /// Shared password.
    Password,
    /// No authentication (loopback only).
    None,
}

/// `onboard` options (names follow `openclaw onboard`).
#[derive(Debug, Args)]
pub struct OnboardArgs {
    /// Never prompt; take everything from flags and defaults.
    #[arg(long)]
    pub non_interactive: bool,
    /// Gateway mode (only `local` is supported).
    #[arg(long, default_value = "local", value_parser = ["local"])]
    pub mode: String,
    /// Model provider.
    #[arg(long, value_enum)]
    pub auth_choice: Option<AuthChoice>,
    /// Base URL of a custom or Ollama endpoint.
    #[arg(long, value_name = "URL")]
    pub custom_base_url: Option<String>,
    /// Model id at a custom endpoint.
    #[arg(long, value_name = "ID")]
    pub custom_model_id: Option<String>,
    /// API key for a custom endpoint (or set CUSTOM_API_KEY).
    #[arg(long, value_name = "KEY")]
    pub custom_api_key: Option<Secret>,
    /// Provider id for a custom endpoint (default derived from the URL).
    #[arg(long, value_name = "ID")]
    pub custom_provider_id: Option<String>,
    /// API style of a custom endpoint.
    #[arg(long, value_enum, default_value = "openai")]
    pub custom_compatibility: Compatibility,
    /// OpenAI API key.
    #[arg(long, value_name = "KEY")]
    pub openai_api_key: Option<Secret>,
    /// Anthropic API key.
    #[arg(long, value_name = "KEY")]
    pub anthropic_api_key: Option<Secret>,
    /// Gemini API key.
    #[arg(long, value_name = "KEY")]
    pub gemini_api_key: Option<Secret>,
    /// OpenRouter API key.
    #[arg(long, value_name = "KEY")]
    pub openrouter_api_key: Option<Secret>,
    /// Where API keys go: the encrypted credential store (default), the config file as they
    /// are, or env SecretRefs.
    #[arg(long, value_enum, default_value = "vault")]
    pub secret_input_mode: SecretInputMode,
    /// Store the API key as a SecretRef to this environment variable.
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Model id (default depends on the provider).
    #[arg(long, value_name = "ID")]
    pub model: Option<String>,
    /// Gateway port.
    #[arg(long, value_name = "PORT")]
    pub gateway_port: Option<u16>,
    /// Gateway bind address.
    #[arg(long, value_enum)]
    pub gateway_bind: Option<BindChoice>,
    /// Gateway authentication.
    #[arg(long, value_enum)]
    pub gateway_auth: Option<GatewayAuthChoice>,
    /// Gateway token (generated when token auth is chosen without one).
    #[arg(long, value_name = "TOKEN")]
    pub gateway_token: Option<Secret>,
    /// Gateway password.
    #[arg(long, value_name = "PASSWORD")]
    pub gateway_password: Option<Secret>,
    /// Agent workspace directory.
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Accepted for OpenClaw compatibility (no daemon is installed).
    #[arg(long, hide = true)]
    pub accept_risk: bool,
    /// Machine-readable summary.
    #[arg(long)]
    pub json: bool,
}

/// `agent` options (OpenClaw's flag names).
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The message to send.
    #[arg(long, short = 'm')]
    pub message: String,
    /// Reuse (or create) the session with this session id.
    #[arg(long, value_name = "ID", conflicts_with = "to")]
    pub session_id: Option<String>,
    /// Derive the session from a destination (direct chats share the agent's main session).
    #[arg(long, value_name = "DEST")]
    pub to: Option<String>,
    /// The agent to run (default: the configured default agent).
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
    /// Thinking level for this turn: off, minimal, low, medium, high, xhigh.
    #[arg(long, value_name = "LEVEL")]
    pub thinking: Option<String>,
    /// Run in this process instead of through a running gateway.
    #[arg(long)]
    pub local: bool,
    /// Longest the turn may take, in seconds (default agents.defaults.timeoutSeconds).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Machine-readable JSON output (the reply and run metadata) instead of streamed text.
    #[arg(long)]
    pub json: bool,
}

/// `rustyclaw chat` options.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// The session to talk in (default: the agent's main session, `agent:<id>:main`).
    #[arg(long, value_name = "KEY")]
    pub session: Option<String>,
    /// The agent to talk to (default: the configured default agent).
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
    /// Run turns in this process instead of through a running gateway.
    #[arg(long)]
    pub local: bool,
}

/// `models` subcommands.
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List known models and whether credentials for them are available.
    List {
        /// Only models whose provider has credentials (or needs none).
        #[arg(long)]
        available: bool,
        /// Only this provider.
        #[arg(long)]
        provider: Option<String>,
        /// Machine-readable JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// `rustyclaw audit` options.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Most records shown.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Machine-readable JSON output.
    #[arg(long)]
    pub json: bool,
}

/// `quarantine` subcommands.
#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// List quarantined commands and content, newest first.
    List {
        /// Most entries shown.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Only entries older than this id (for paging).
        #[arg(long, value_name = "ID")]
        before: Option<u64>,
        /// Machine-readable JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Print one quarantined payload in full, with the guard's findings.
    Show {
        /// The id (`#12` in the guard's message; the `#` is optional).
        id: String,
        /// Machine-readable JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// `gateway` subcommands.
#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Serve the gateway WebSocket protocol (v4) and HTTP probes until SIGTERM or Ctrl-C.
    Run(GatewayRunArgs),
    /// Call one gateway method and print its result as JSON.
    Call(GatewayCallArgs),
    /// Probe the running gateway: reachable or not, version, uptime, auth, clients, sessions.
    Status(GatewayStatusArgs),
}

/// Interfaces `gateway run` listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BindArg {
    /// 127.0.0.1 only.
    Loopback,
    /// All interfaces (0.0.0.0); needs gateway auth.
    Lan,
}

/// `rustyclaw gateway run`.
#[derive(Debug, Args)]
pub struct GatewayRunArgs {
    /// Port (default: OPENCLAW_GATEWAY_PORT, then gateway.port, then 18789).
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Interfaces to listen on (default: gateway.bind, then loopback).
    #[arg(long, value_enum)]
    pub bind: Option<BindArg>,
}

/// `rustyclaw gateway call`.
#[derive(Debug, Args)]
pub struct GatewayCallArgs {
    /// Method name, e.g. health, status, chat.history.
    pub method: String,
    /// Parameters as a JSON object.
    #[arg(long, value_name = "JSON")]
    pub params: Option<String>,
    /// Gateway URL (default ws://127.0.0.1:<gateway.port>).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Shared gateway token (default: gateway.auth.token / OPENCLAW_GATEWAY_TOKEN).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Give up after this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    pub timeout: u64,
}

/// `rustyclaw gateway status`.
#[derive(Debug, Args)]
pub struct GatewayStatusArgs {
    /// Gateway URL (default ws://127.0.0.1:<gateway.port>).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Shared gateway token (default: gateway.auth.token / OPENCLAW_GATEWAY_TOKEN).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Give up after this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout: u64,
    /// Machine-readable JSON output.
    #[arg(long)]
    pub json: bool,
}

/// Where a command that goes through the running gateway finds it.
#[derive(Debug, Args)]
pub struct GatewayTargetArgs {
    /// Gateway URL (default ws://127.0.0.1:<gateway.port>).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Shared gateway token (default: gateway.auth.token / OPENCLAW_GATEWAY_TOKEN).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
}

/// `rustyclaw health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Gateway URL (default ws://127.0.0.1:<gateway.port>).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Shared gateway token (default: gateway.auth.token / OPENCLAW_GATEWAY_TOKEN).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Give up after this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout: u64,
    /// Print the raw JSON.
    #[arg(long)]
    pub json: bool,
}
