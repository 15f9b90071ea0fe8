//! Resolution of `agents` and `models`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Ctx;
use super::sandbox::{SandboxPolicy, resolve_sandbox};
use crate::file::{
    AgentEntrySection, AgentToolsSection, AgentsSection, IdentitySection, ModelApi,
    ModelDefinitionSection, ModelSelection, ModelsMode, ModelsSection, ThinkingLevel, VerboseLevel,
};
use crate::{Issue, JsonPath, Secret};

/// Id of the agent used when none is configured.
pub const DEFAULT_AGENT_ID: &str = "main";

/// A `provider/model` reference, or an alias to be looked up in the model catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef(pub String);

impl ModelRef {
    /// Splits `provider/model` at the first `/` (model ids may contain more slashes).
    pub fn split(&self) -> Option<(&str, &str)> {
        self.0
            .split_once('/')
            .filter(|(p, m)| !p.is_empty() && !m.is_empty())
    }
}

/// A primary model and its fallbacks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelChoice {
    /// The model tried first; `None` when nothing is configured.
    pub primary: Option<ModelRef>,
    /// Models tried in order when the primary fails.
    pub fallbacks: Vec<ModelRef>,
}

/// Agents and their shared defaults.
#[derive(Debug)]
pub struct AgentsConfig {
    /// Defaults every agent inherits.
    pub defaults: AgentDefaults,
    /// The agents; never empty (a `main` agent is implied when none is configured).
    pub list: Vec<AgentConfig>,
    /// The agent used when nothing routes elsewhere.
    pub default_agent_id: String,
}

impl AgentsConfig {
    /// The agent with this id.
    pub fn get(&self, id: &str) -> Option<&AgentConfig> {
        self.list.iter().find(|a| a.id == id)
    }
}

/// `agents.defaults`, resolved.
#[derive(Debug)]
pub struct AgentDefaults {
    /// Workspace directory (default `<state dir>/workspace`).
    pub workspace: PathBuf,
    /// Default model and fallbacks.
    pub model: ModelChoice,
    /// Model aliases: alias → `provider/model`.
    pub model_aliases: BTreeMap<String, ModelRef>,
    /// Extra request parameters per `provider/model`.
    pub model_params: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Thinking level of new sessions (default off).
    pub thinking_default: ThinkingLevel,
    /// Verbose level of new sessions (default off).
    pub verbose_default: VerboseLevel,
    /// Longest run (default 600 s).
    pub timeout: Duration,
    /// Concurrent runs across sessions (default 4).
    pub max_concurrent: u32,
    /// Context window assumed when a model does not declare one.
    pub context_tokens: Option<u64>,
    /// Time zone for prompts (default: the host's).
    pub user_timezone: Option<String>,
    /// Do not seed or inject bootstrap files (default false).
    pub skip_bootstrap: bool,
    /// Run the pre-compaction memory flush turn (`compaction.memoryFlush.enabled`, default true).
    pub memory_flush: bool,
    /// Largest bootstrap file injected (default 12000 chars).
    pub bootstrap_max_chars: usize,
    /// Largest total of bootstrap files injected (default 60000 chars).
    pub bootstrap_total_max_chars: usize,
    /// Sandbox policy (see [`SandboxPolicy`] for the defaults).
    pub sandbox: SandboxPolicy,
    /// Block streaming of channel replies.
    pub block_streaming: BlockStreamingDefaults,
}

/// `agents.defaults.blockStreaming*` and `humanDelay`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockStreamingDefaults {
    /// `blockStreamingDefault: "on"` (default off).
    pub on: bool,
    /// When blocks leave (default as soon as complete).
    pub break_at: crate::file::BlockStreamingBreak,
    /// A block waits for this many characters (default 800).
    pub min_chars: usize,
    /// No block is longer (default 1200; a channel's `textChunkLimit` caps it further).
    pub max_chars: usize,
    /// Where a block prefers to end (default a paragraph).
    pub preference: crate::file::BlockBreakPreference,
    /// How blocks are merged before they are sent, as written (a channel's wins).
    pub coalesce: crate::file::BlockCoalesce,
    /// A random pause between block replies, `(min, max)` milliseconds; `None` for none.
    pub human_delay: Option<(u64, u64)>,
}

impl Default for BlockStreamingDefaults {
    fn default() -> Self {
        resolve_block_streaming(&crate::file::AgentDefaultsSection::default())
    }
}

/// Block streaming defaults from `agents.defaults`, with upstream's defaults.
fn resolve_block_streaming(d: &crate::file::AgentDefaultsSection) -> BlockStreamingDefaults {
    use crate::file::{BlockBreakPreference, HumanDelayMode, OnOff};
    let chunk = d.block_streaming_chunk.clone().unwrap_or_default();
    let max_chars = chunk.max_chars.map_or(1200, |n| n.max(1) as usize);
    let human_delay = d.human_delay.as_ref().and_then(|h| match h.mode {
        Some(HumanDelayMode::Natural) => Some((800, 2500)),
        Some(HumanDelayMode::Custom) => {
            let min = h.min_ms.unwrap_or(800);
            Some((min, h.max_ms.unwrap_or(2500).max(min)))
        }
        Some(HumanDelayMode::Off) | None => None,
    });
    BlockStreamingDefaults {
        on: d.block_streaming_default == Some(OnOff::On),
        break_at: d.block_streaming_break.unwrap_or_default(),
        min_chars: chunk
            .min_chars
            .map_or(800, |n| n.max(1) as usize)
            .min(max_chars),
        max_chars,
        preference: chunk
            .break_preference
            .unwrap_or(BlockBreakPreference::Paragraph),
        coalesce: d.block_streaming_coalesce.clone().unwrap_or_default(),
        human_delay,
    }
}

/// One resolved agent.
#[derive(Debug)]
pub struct AgentConfig {
    /// Agent id.
    pub id: String,
    /// Display name (default: the id).
    pub name: String,
    /// The name the config gives the agent (`name`, else `identity.name`); `None` when it gives
    /// none. What clients show next to the id (upstream lists no name for an unnamed agent).
    pub configured_name: Option<String>,
    /// Workspace (default: the defaults' workspace for `main`, `<state dir>/workspace-<id>` otherwise).
    pub workspace: PathBuf,
    /// Model (default: the defaults' model).
    pub model: ModelChoice,
    /// Identity as written.
    pub identity: IdentitySection,
    /// Sandbox (default: the defaults').
    pub sandbox: SandboxPolicy,
    /// Tool policy override.
    pub tools: Option<AgentToolsSection>,
    /// Allowed skills (None = all).
    pub skills: Option<Vec<String>>,
    /// `groupChat.mentionPatterns`, when set.
    pub mention_patterns: Option<Vec<String>>,
}

fn model_choice(sel: Option<&ModelSelection>, fallback: &ModelChoice) -> ModelChoice {
    match sel {
        None => fallback.clone(),
        Some(ModelSelection::Primary(p)) => ModelChoice {
            primary: Some(ModelRef(p.clone())),
            fallbacks: fallback.fallbacks.clone(),
        },
        Some(ModelSelection::WithFallbacks { primary, fallbacks }) => ModelChoice {
            primary: primary
                .clone()
                .map(ModelRef)
                .or_else(|| fallback.primary.clone()),
            fallbacks: fallbacks
                .as_ref()
                .map(|f| f.iter().cloned().map(ModelRef).collect())
                .unwrap_or_else(|| fallback.fallbacks.clone()),
        },
    }
}

fn is_valid_agent_id(id: &str) -> bool {
    let mut chars = id.chars();
    id.len() <= 64
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn path_of(ctx: &Ctx<'_>, text: &str) -> PathBuf {
    ctx.env.expand_tilde(Path::new(text))
}

pub(crate) fn resolve_agents(section: Option<&AgentsSection>, ctx: &mut Ctx<'_>) -> AgentsConfig {
    let at = JsonPath::root().key("agents");
    let d = section.and_then(|s| s.defaults.clone()).unwrap_or_default();
    let model = model_choice(d.model.as_ref(), &ModelChoice::default());
    let mut model_aliases = BTreeMap::new();
    let mut model_params = BTreeMap::new();
    for (model_ref, entry) in d.models.iter().flatten() {
        if !model_ref.contains('/') {
            ctx.errors.push(Issue::error(
                at.key("defaults").key("models").key(model_ref),
                "keys of agents.defaults.models must be provider/model",
            ));
        }
        if let Some(alias) = &entry.alias {
            model_aliases.insert(alias.clone(), ModelRef(model_ref.clone()));
        }
        if let Some(params) = &entry.params {
            model_params.insert(model_ref.clone(), params.clone());
        }
    }
    let base_sandbox = resolve_sandbox(
        d.sandbox.as_ref(),
        SandboxPolicy::default(),
        &at.key("defaults").key("sandbox"),
        ctx,
    );
    let defaults = AgentDefaults {
        workspace: d
            .workspace
            .as_deref()
            .map(|w| path_of(ctx, w))
            .unwrap_or_else(|| ctx.locations.default_workspace()),
        model,
        model_aliases,
        model_params,
        thinking_default: d.thinking_default.unwrap_or(ThinkingLevel::Off),
        verbose_default: d.verbose_default.unwrap_or(VerboseLevel::Off),
        timeout: Duration::from_secs(d.timeout_seconds.unwrap_or(600)),
        max_concurrent: d.max_concurrent.unwrap_or(4).max(1),
        context_tokens: d.context_tokens,
        user_timezone: d.user_timezone.clone(),
        skip_bootstrap: d.skip_bootstrap.unwrap_or(false),
        memory_flush: d
            .compaction
            .as_ref()
            .and_then(|c| c.memory_flush.as_ref())
            .and_then(|f| f.enabled)
            .unwrap_or(true),
        bootstrap_max_chars: d.bootstrap_max_chars.unwrap_or(12_000),
        bootstrap_total_max_chars: d.bootstrap_total_max_chars.unwrap_or(60_000),
        sandbox: base_sandbox,
        block_streaming: resolve_block_streaming(&d),
    };

    let mut entries: Vec<(JsonPath, String, AgentEntrySection)> = Vec::new();
    for (i, entry) in section
        .and_then(|s| s.list.as_ref())
        .into_iter()
        .flatten()
        .enumerate()
    {
        let p = at.key("list").index(i);
        match &entry.id {
            Some(id) => entries.push((p, id.clone(), entry.clone())),
            None => ctx.errors.push(Issue::error(
                p.key("id"),
                "every agent in agents.list needs an id",
            )),
        }
    }
    for (id, entry) in section
        .and_then(|s| s.entries.as_ref())
        .into_iter()
        .flatten()
    {
        let p = at.key("entries").key(id);
        if entry.id.as_ref().is_some_and(|inner| inner != id) {
            ctx.errors.push(Issue::error(
                p.key("id"),
                format!("id differs from its key {id:?}"),
            ));
        }
        entries.push((p, id.clone(), entry.clone()));
    }
    let mut list: Vec<AgentConfig> = Vec::new();
    let mut default_agent_id: Option<String> = None;
    for (p, id, entry) in entries {
        if !is_valid_agent_id(&id) {
            ctx.errors.push(Issue::error(p.key("id"), format!("invalid agent id {id:?}")).with_hint("use lowercase letters, digits, - and _ (at most 64, starting with a letter or digit)"));
            continue;
        }
        if list.iter().any(|a| a.id == id) {
            ctx.errors
                .push(Issue::error(p, format!("agent {id:?} is defined twice")));
            continue;
        }
        if entry.default == Some(true) {
            if let Some(first) = &default_agent_id {
                ctx.errors.push(Issue::error(
                    p.key("default"),
                    format!("agents {first:?} and {id:?} are both marked default"),
                ));
            }
            default_agent_id.get_or_insert(id.clone());
        }
        let workspace = match &entry.workspace {
            Some(w) => path_of(ctx, w),
            None if id == DEFAULT_AGENT_ID => defaults.workspace.clone(),
            None => ctx.locations.state_dir.join(format!("workspace-{id}")),
        };
        let configured_name = entry
            .name
            .clone()
            .or_else(|| entry.identity.as_ref().and_then(|i| i.name.clone()))
            .filter(|name| !name.trim().is_empty());
        list.push(AgentConfig {
            name: entry.name.clone().unwrap_or_else(|| id.clone()),
            configured_name,
            workspace,
            model: model_choice(entry.model.as_ref(), &defaults.model),
            identity: entry.identity.clone().unwrap_or_default(),
            sandbox: resolve_sandbox(
                entry.sandbox.as_ref(),
                defaults.sandbox,
                &p.key("sandbox"),
                ctx,
            )
            .for_agent(&id),
            tools: entry.tools.clone(),
            skills: entry.skills.clone().or_else(|| d.skills.clone()),
            mention_patterns: entry
                .group_chat
                .as_ref()
                .and_then(|g| g.mention_patterns.clone()),
            id,
        });
    }
    if list.is_empty() {
        list.push(AgentConfig {
            id: DEFAULT_AGENT_ID.to_owned(),
            name: DEFAULT_AGENT_ID.to_owned(),
            configured_name: None,
            workspace: defaults.workspace.clone(),
            model: defaults.model.clone(),
            identity: IdentitySection::default(),
            sandbox: defaults.sandbox,
            tools: None,
            skills: d.skills.clone(),
            mention_patterns: None,
        });
    }
    let default_agent_id = default_agent_id.unwrap_or_else(|| list[0].id.clone());
    AgentsConfig {
        defaults,
        list,
        default_agent_id,
    }
}

/// Model providers.
#[derive(Debug)]
pub struct ModelsConfig {
    /// `merge` (default) or `replace`.
    pub mode: ModelsMode,
    /// Providers by id.
    pub providers: BTreeMap<String, ProviderConfig>,
}

/// One provider.
#[derive(Debug)]
pub struct ProviderConfig {
    /// Base URL (None = the built-in vendor's).
    pub base_url: Option<String>,
    /// API key, resolved.
    pub api_key: Option<Secret>,
    /// Wire format as written; `None` means the built-in vendor's format, or
    /// `openai-completions` for a provider the catalog does not know.
    pub api: Option<ModelApi>,
    /// Extra headers.
    pub headers: BTreeMap<String, String>,
    /// Send the key as a bearer token.
    pub auth_header: bool,
    /// Declared models.
    pub models: Vec<ModelDefinitionSection>,
}

pub(crate) fn resolve_models(section: Option<&ModelsSection>, ctx: &mut Ctx<'_>) -> ModelsConfig {
    let at = JsonPath::root().key("models").key("providers");
    let mut providers = BTreeMap::new();
    for (id, p) in section
        .and_then(|s| s.providers.as_ref())
        .into_iter()
        .flatten()
    {
        let pat = at.key(id);
        let api = p.api;
        if let Some(api) = api.filter(|a| !a.is_supported()) {
            ctx.warnings.push(Issue::warning(pat.key("api"), format!("wire format {:?} is not supported by rustyclaw yet; models of this provider cannot be used", api.as_str())));
        }
        let mut seen = Vec::new();
        for (i, m) in p.models.iter().flatten().enumerate() {
            if seen.contains(&&m.id) {
                ctx.errors.push(Issue::error(
                    pat.key("models").index(i).key("id"),
                    format!("model {:?} is listed twice", m.id),
                ));
            }
            seen.push(&m.id);
        }
        providers.insert(
            id.clone(),
            ProviderConfig {
                base_url: p.base_url.clone(),
                api_key: ctx.secret(p.api_key.as_ref(), pat.key("apiKey")),
                api,
                headers: p.headers.clone().unwrap_or_default(),
                auth_header: p.auth_header.unwrap_or(false),
                models: p.models.clone().unwrap_or_default(),
            },
        );
    }
    ModelsConfig {
        mode: section.and_then(|s| s.mode).unwrap_or(ModelsMode::Merge),
        providers,
    }
}
