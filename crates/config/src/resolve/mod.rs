//! Raw [`ConfigFile`] → resolved [`Config`]: defaults applied, secrets resolved, cross-field rules
//! checked. Everything downstream reads `Config`, never the raw file, so a default lives in
//! exactly one place (here) and every field of `Config` is documented with it.

mod agents;
mod broadcast;
mod channels;
mod gateway;
mod runtime;
mod sandbox;

pub use agents::*;
pub use broadcast::{BroadcastConfig, GroupThread, MAX_PARTICIPANTS};
pub use channels::*;
pub use gateway::*;
pub use runtime::*;
pub use sandbox::SandboxPolicy;

use crate::file::{
    AuthSection, BindingEntry, ChannelsSection, CommandsSection, ConfigFile, SkillsSection,
};
use crate::secret::SecretResolver;
use crate::{ConfigError, Env, Issue, JsonPath, Locations};

/// The resolved configuration, with every default applied.
#[derive(Debug)]
pub struct Config {
    /// The gateway server.
    pub gateway: GatewayConfig,
    /// Agents and their defaults.
    pub agents: AgentsConfig,
    /// Model providers.
    pub models: ModelsConfig,
    /// Credential profiles (used as written).
    pub auth: AuthSection,
    /// Session mapping and resets.
    pub session: SessionConfig,
    /// Message handling and queueing.
    pub messages: MessagesConfig,
    /// Tool policy and behaviour.
    pub tools: ToolsConfig,
    /// Channel sections as written.
    pub channels: ChannelsSection,
    /// The accounts of the channels rustyclaw connects, resolved (settings merged, credentials
    /// read).
    pub channel_accounts: ChannelAccounts,
    /// `bindings`: which agent answers which chat.
    pub bindings: Vec<BindingEntry>,
    /// `broadcast`: agent group threads.
    pub broadcast: BroadcastConfig,
    /// `commands`: who may use chat commands.
    pub commands: CommandsSection,
    /// Skill loading (used as written).
    pub skills: SkillsSection,
    /// The memory index and its search (used as written).
    pub memory: crate::file::MemorySection,
    /// `memory.search.remote.apiKey`, resolved.
    pub memory_api_key: Option<crate::Secret>,
    /// `skills.entries.<key>.apiKey`, resolved, by skill key.
    pub skill_api_keys: std::collections::BTreeMap<String, crate::Secret>,
    /// The scheduler.
    pub cron: CronConfig,
    /// Webhooks.
    pub hooks: HooksConfig,
    /// Logging.
    pub logging: LoggingConfig,
    /// The whole document as written (after `$include` and `${VAR}`), credential values
    /// redacted: what checks naming any config path read (a skill's `requires.config`).
    pub document: std::sync::Arc<serde_json::Value>,
}

/// Warns about memory and skills settings this build accepts without acting on them.
fn check_memory_and_skills(config: &Config, ctx: &mut Ctx<'_>) {
    let search = JsonPath::root().key("memory").key("search");
    if let Some(s) = &config.memory.search {
        if s.fallback.as_deref().is_some_and(|f| f != "none") {
            ctx.warnings.push(Issue::warning(
                search.key("fallback"),
                "fallback providers are not implemented: when the embedding provider fails, memory search answers by words",
            ));
        }
        if s.sources.iter().flatten().any(|source| source != "memory") {
            ctx.warnings.push(Issue::warning(
                search.key("sources"),
                "only the \"memory\" source is indexed: session transcripts are not searchable by memory_search yet",
            ));
        }
    }
    if config.skills.load.as_ref().and_then(|l| l.watch) == Some(false) {
        ctx.warnings.push(Issue::warning(
            JsonPath::root().key("skills").key("load").key("watch"),
            "skills are read from disk at every turn, so edits are always picked up; watch: false has no effect",
        ));
    }
    if config
        .skills
        .install
        .as_ref()
        .and_then(|i| i.allow_uploaded_archives)
        == Some(true)
    {
        ctx.warnings.push(Issue::warning(
            JsonPath::root()
                .key("skills")
                .key("install")
                .key("allowUploadedArchives"),
            "uploaded skill archives (skills.upload.*) are not supported: skills are installed from ClawHub or by hand; this setting has no effect",
        ));
    }
}

/// Warns about bindings that route nowhere: ACP bindings (not supported) and unknown agents.
fn check_bindings(config: &Config, ctx: &mut Ctx<'_>) {
    for (i, binding) in config.bindings.iter().enumerate() {
        let at = JsonPath::root().key("bindings").index(i);
        if binding.kind.as_deref().is_some_and(|kind| kind != "route") {
            ctx.warnings.push(
                Issue::warning(
                    at.key("type"),
                    "only route bindings are supported; this binding is ignored",
                )
                .with_hint("ACP conversation bindings are not implemented by rustyclaw"),
            );
            continue;
        }
        if let Some(agent) = &binding.agent_id
            && !config.agents.list.iter().any(|a| &a.id == agent)
        {
            ctx.warnings.push(Issue::warning(
                at.key("agentId"),
                format!(
                    "no agent {agent:?} is configured; messages it matches go to the default agent"
                ),
            ));
        }
    }
}

/// The channels rustyclaw connects to; the others are validated and kept with a warning.
pub const CONNECTED_CHANNELS: [&str; 2] = ["telegram", "irc"];

/// Shared state of one resolution pass.
pub(crate) struct Ctx<'a> {
    pub env: &'a Env,
    pub locations: &'a Locations,
    pub secrets: SecretResolver<'a>,
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
    pub secret_failure: Option<ConfigError>,
}

impl Ctx<'_> {
    /// Resolves a secret input, remembering the first failure (resolution continues so every
    /// other problem is reported in the same pass).
    pub fn secret(
        &mut self,
        input: Option<&crate::file::SecretInput>,
        at: JsonPath,
    ) -> Option<crate::Secret> {
        let input = input?;
        match self.secrets.resolve(input) {
            Ok(s) => Some(s),
            Err(source) => {
                if self.secret_failure.is_none() {
                    self.secret_failure = Some(ConfigError::Secret {
                        json_path: at,
                        source,
                    });
                }
                None
            }
        }
    }
}

/// The API keys of `skills.entries`, resolved like every other secret of the file.
fn resolve_skill_api_keys(
    section: Option<&SkillsSection>,
    ctx: &mut Ctx<'_>,
) -> std::collections::BTreeMap<String, crate::Secret> {
    let at = JsonPath::root().key("skills").key("entries");
    section
        .and_then(|s| s.entries.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|(key, entry)| {
            let secret = ctx.secret(entry.api_key.as_ref(), at.key(key).key("apiKey"))?;
            Some((key.clone(), secret))
        })
        .collect()
}

/// The result of resolving: the config plus the warnings it produced.
pub(crate) struct Resolved {
    pub config: Config,
    pub warnings: Vec<Issue>,
}

/// Resolves a raw file. Errors are collected; the first secret failure is reported on its own.
pub(crate) fn resolve(
    file: &ConfigFile,
    env: &Env,
    locations: &Locations,
    path: &std::path::Path,
) -> Result<Resolved, ConfigError> {
    let mut ctx = Ctx {
        env,
        locations,
        secrets: SecretResolver::new(env, file.secrets.as_ref()),
        errors: Vec::new(),
        warnings: Vec::new(),
        secret_failure: None,
    };
    let agents = agents::resolve_agents(file.agents.as_ref(), &mut ctx);
    let broadcast = broadcast::resolve_broadcast(file.broadcast.as_ref(), &agents, &mut ctx);
    let config = Config {
        gateway: gateway::resolve_gateway(file.gateway.as_ref(), &mut ctx),
        agents,
        models: agents::resolve_models(file.models.as_ref(), &mut ctx),
        auth: file.auth.clone().unwrap_or_default(),
        session: runtime::resolve_session(file.session.as_ref()),
        messages: runtime::resolve_messages(file.messages.as_ref()),
        tools: runtime::resolve_tools(file.tools.as_ref()),
        channels: file.channels.clone().unwrap_or_default(),
        channel_accounts: channels::resolve_channel_accounts(file.channels.as_ref(), &mut ctx),
        bindings: file.bindings.clone().unwrap_or_default(),
        broadcast,
        commands: file.commands.clone().unwrap_or_default(),
        skills: file.skills.clone().unwrap_or_default(),
        skill_api_keys: resolve_skill_api_keys(file.skills.as_ref(), &mut ctx),
        memory: file.memory.clone().unwrap_or_default(),
        memory_api_key: ctx.secret(
            file.memory
                .as_ref()
                .and_then(|m| m.search.as_ref())
                .and_then(|s| s.remote.as_ref())
                .and_then(|r| r.api_key.as_ref()),
            JsonPath::root()
                .key("memory")
                .key("search")
                .key("remote")
                .key("apiKey"),
        ),
        cron: runtime::resolve_cron(file.cron.as_ref()),
        hooks: runtime::resolve_hooks(file.hooks.as_ref(), &mut ctx),
        logging: runtime::resolve_logging(file.logging.as_ref(), &ctx),
        document: std::sync::Arc::default(),
    };
    runtime::check_guards(file.tools.as_ref(), &mut ctx);
    check_bindings(&config, &mut ctx);
    check_memory_and_skills(&config, &mut ctx);
    if let Some(channels) = &file.channels {
        for id in channels.configured_ids() {
            if CONNECTED_CHANNELS.contains(&id) {
                continue;
            }
            ctx.warnings.push(
                Issue::warning(
                    JsonPath::root().key("channels").key(id),
                    format!(
                        "the {id} channel is configured but rustyclaw does not connect to it yet"
                    ),
                )
                .with_hint(
                    "the section is validated and kept; the adapter ships in a later release",
                ),
            );
        }
    }
    if !ctx.errors.is_empty() {
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            issues: ctx.errors,
        });
    }
    if let Some(err) = ctx.secret_failure {
        return Err(err);
    }
    Ok(Resolved {
        config,
        warnings: ctx.warnings,
    })
}
