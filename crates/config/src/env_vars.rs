//! Every environment variable rustyclaw reads, as one documented constant each.
//!
//! The names are OpenClaw's where OpenClaw has one, so an existing setup keeps working.

/// Path of the config file; overrides `<state dir>/openclaw.json`.
pub const OPENCLAW_CONFIG_PATH: &str = "OPENCLAW_CONFIG_PATH";
/// The state directory (config, workspace, database, logs); default `~/.rustyclaw`.
pub const OPENCLAW_STATE_DIR: &str = "OPENCLAW_STATE_DIR";
/// Overrides the home directory used to expand `~` and to find the default state dir.
pub const OPENCLAW_HOME: &str = "OPENCLAW_HOME";
/// The user's home directory (fallback when `OPENCLAW_HOME` is unset).
pub const HOME: &str = "HOME";
/// Executable search path, used to find helper programs such as `bwrap`.
pub const PATH: &str = "PATH";
/// The bundled skills directory (lowest precedence but for `skills.load.extraDirs`); default
/// `skills/` beside the executable, when it exists.
pub const OPENCLAW_BUNDLED_SKILLS_DIR: &str = "OPENCLAW_BUNDLED_SKILLS_DIR";
/// The ClawHub registry skills are searched and installed from (default `https://clawhub.ai`).
pub const OPENCLAW_CLAWHUB_URL: &str = "OPENCLAW_CLAWHUB_URL";
/// The ClawHub registry, when `OPENCLAW_CLAWHUB_URL` is unset.
pub const CLAWHUB_URL: &str = "CLAWHUB_URL";
/// A ClawHub token, sent as a bearer token (higher rate limits).
pub const CLAWHUB_TOKEN: &str = "CLAWHUB_TOKEN";
/// Gateway shared token; overrides `gateway.auth.token`.
pub const OPENCLAW_GATEWAY_TOKEN: &str = "OPENCLAW_GATEWAY_TOKEN";
/// Gateway password; overrides `gateway.auth.password`.
pub const OPENCLAW_GATEWAY_PASSWORD: &str = "OPENCLAW_GATEWAY_PASSWORD";
/// Gateway port; overrides `gateway.port` (a `--port` flag overrides this).
pub const OPENCLAW_GATEWAY_PORT: &str = "OPENCLAW_GATEWAY_PORT";
/// Log filter for the console and the log file (`tracing` directives, e.g. `debug,hyper=info`).
pub const RUSTYCLAW_LOG: &str = "RUSTYCLAW_LOG";
/// Where `onboard` looks for Ollama: `host`, `host:port` or a URL (default `127.0.0.1:11434`).
pub const OLLAMA_HOST: &str = "OLLAMA_HOST";
/// Any non-empty value turns colour off in terminal output (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";
/// Passphrase of the encrypted credential store (`<state dir>/credentials/vault.json`). When
/// unset, the store is keyed by the random key file `credentials/vault.key` instead.
pub const RUSTYCLAW_CREDENTIALS_PASSPHRASE: &str = "RUSTYCLAW_CREDENTIALS_PASSPHRASE";
/// Telegram bot token of the default account, when the config names none.
pub const TELEGRAM_BOT_TOKEN: &str = "TELEGRAM_BOT_TOKEN";
/// Seconds one Telegram long poll waits for updates (default 30). Lower it behind a proxy or
/// NAT that drops idle connections sooner; a poll that hangs is cut 10 s after this.
pub const RUSTYCLAW_TELEGRAM_POLL_TIMEOUT: &str = "RUSTYCLAW_TELEGRAM_POLL_TIMEOUT";
/// IRC settings of the default account, when the config does not set them: `IRC_HOST`,
/// `IRC_PORT`, `IRC_TLS`, `IRC_NICK`, `IRC_USERNAME`, `IRC_REALNAME`, `IRC_PASSWORD`,
/// `IRC_CHANNELS` (comma-separated), `IRC_NICKSERV_PASSWORD`, `IRC_NICKSERV_REGISTER_EMAIL`.
pub const IRC: [&str; 10] = [
    "IRC_HOST",
    "IRC_PORT",
    "IRC_TLS",
    "IRC_NICK",
    "IRC_USERNAME",
    "IRC_REALNAME",
    "IRC_PASSWORD",
    "IRC_CHANNELS",
    "IRC_NICKSERV_PASSWORD",
    "IRC_NICKSERV_REGISTER_EMAIL",
];

/// Variables listed in `rustyclaw doctor` and the docs, with what they do.
pub const ALL: &[(&str, &str)] = &[
    (OPENCLAW_CONFIG_PATH, "config file path"),
    (OPENCLAW_STATE_DIR, "state directory (default ~/.rustyclaw)"),
    (OPENCLAW_HOME, "home directory override"),
    (
        OPENCLAW_CLAWHUB_URL,
        "ClawHub registry (default https://clawhub.ai)",
    ),
    (
        CLAWHUB_URL,
        "ClawHub registry when OPENCLAW_CLAWHUB_URL is unset",
    ),
    (CLAWHUB_TOKEN, "ClawHub token (bearer)"),
    (
        OPENCLAW_BUNDLED_SKILLS_DIR,
        "bundled skills directory (default: skills/ beside the executable)",
    ),
    (
        OPENCLAW_GATEWAY_TOKEN,
        "gateway shared token (overrides gateway.auth.token)",
    ),
    (
        OPENCLAW_GATEWAY_PASSWORD,
        "gateway password (overrides gateway.auth.password)",
    ),
    (
        OPENCLAW_GATEWAY_PORT,
        "gateway port (overrides gateway.port)",
    ),
    (RUSTYCLAW_LOG, "log filter directives"),
    (
        OLLAMA_HOST,
        "where onboarding looks for Ollama (default 127.0.0.1:11434)",
    ),
    (
        NO_COLOR,
        "any value turns colour off (output is plain when not a terminal anyway)",
    ),
    (
        RUSTYCLAW_CREDENTIALS_PASSPHRASE,
        "passphrase of the credential store (default: key file credentials/vault.key)",
    ),
    (
        TELEGRAM_BOT_TOKEN,
        "Telegram bot token of the default account (channels.telegram.botToken wins)",
    ),
    (
        RUSTYCLAW_TELEGRAM_POLL_TIMEOUT,
        "seconds one Telegram long poll waits (default 30; 1 to 300)",
    ),
    (
        "IRC_HOST, IRC_PORT, IRC_TLS, IRC_NICK, IRC_USERNAME, IRC_REALNAME, IRC_PASSWORD, IRC_CHANNELS, IRC_NICKSERV_PASSWORD, IRC_NICKSERV_REGISTER_EMAIL",
        "IRC settings of the default account (the config's channels.irc wins)",
    ),
];
