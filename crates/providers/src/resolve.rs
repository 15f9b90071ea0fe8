//! Model references → [`ModelSpec`]s with credentials: the catalog merged with
//! `models.providers`, aliases, auth profiles and failover chains.
//!
//! A [`ModelCatalog`] is built once from the resolved config and an environment snapshot
//! ([`ModelCatalog::from_config`]); it never reads the process environment itself.
//!
//! Merging follows OpenClaw's `models.mode`:
//! - `merge` (default): every built-in vendor of [`crate::catalog`] plus the configured
//!   providers. A configured provider with a vendor's id overrides the vendor's base URL,
//!   headers and wire format and adds its declared models (a declared model overrides the
//!   catalog row of the same id field by field).
//! - `replace`: only the configured providers. One with a vendor's id still inherits the
//!   vendor's base URL, key variables and format, but only its declared models are listed.
//!
//! Resolving a ref gives, in order of preference, a declared model, a catalog model, or — for
//! any known provider — a model the catalog has never heard of, with conservative defaults
//! ([`UNDECLARED_CONTEXT_WINDOW`], [`UNDECLARED_MAX_TOKENS`], text only, no reasoning, no
//! price). Declared models that leave fields out get OpenClaw's custom-model defaults
//! ([`DECLARED_CONTEXT_WINDOW`], [`DECLARED_MAX_TOKENS`]).

mod credentials;

use std::collections::BTreeMap;

use rustyclaw_config::file::{ModelApi, ModelDefinitionSection, ModelInput, ModelsMode};
use rustyclaw_config::{
    AgentDefaults, Config, Env, ModelChoice, ModelRef, ModelsConfig, ProviderConfig,
};
use serde_json::{Map, Value};

use crate::catalog::{self, CatalogModel, KeyPolicy, Vendor};
use crate::error::ProviderError;
use crate::model::{AuthStyle, Credential, Modality, ModelSpec, Pricing, WireFormat};
use credentials::KeyVars;

/// Context window assumed for a model id the catalog and config do not know (128k tokens:
/// small enough that compaction starts before most current models overflow).
pub const UNDECLARED_CONTEXT_WINDOW: u64 = 128_000;
/// Completion limit assumed for a model id the catalog and config do not know.
pub const UNDECLARED_MAX_TOKENS: u64 = 8_192;
/// Context window of a declared model that omits `contextWindow` (OpenClaw's default).
pub const DECLARED_CONTEXT_WINDOW: u64 = 200_000;
/// Completion limit of a declared model that omits `maxTokens` (OpenClaw's default).
pub const DECLARED_MAX_TOKENS: u64 = 8_192;

/// Why a model reference could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The text is neither `provider/model`, an alias, nor a model id that only one provider
    /// serves.
    #[error("{reference:?} is not a model reference; use provider/model or an alias{}", suggest(.suggestions))]
    NotAReference {
        /// The text as given.
        reference: String,
        /// Close refs and aliases.
        suggestions: Vec<String>,
    },
    /// A bare model id that several providers serve.
    #[error("model {reference:?} is served by several providers; pick one of {}", .matches.join(", "))]
    Ambiguous {
        /// The text as given.
        reference: String,
        /// The full refs that match.
        matches: Vec<String>,
    },
    /// The provider part is not a built-in vendor nor configured.
    #[error("unknown provider {provider:?} in model {reference:?}{}; known providers: {}", suggest(.suggestions), .known.join(", "))]
    UnknownProvider {
        /// The ref as given.
        reference: String,
        /// The provider part.
        provider: String,
        /// Close provider ids.
        suggestions: Vec<String>,
        /// Every provider id available.
        known: Vec<String>,
    },
    /// The provider's wire format is one rustyclaw does not speak.
    #[error(
        "provider {provider:?} (model {reference:?}) uses api {api:?}, which rustyclaw does not support yet"
    )]
    UnsupportedApi {
        /// The ref.
        reference: String,
        /// The provider id.
        provider: String,
        /// The configured `api`.
        api: &'static str,
    },
    /// A configured provider that is not a built-in vendor has no `baseUrl`.
    #[error(
        "provider {provider:?} (model {reference:?}) needs models.providers.{provider}.baseUrl"
    )]
    MissingBaseUrl {
        /// The ref.
        reference: String,
        /// The provider id.
        provider: String,
    },
    /// No model is configured and the session did not pick one.
    #[error(
        "no model configured; set agents.defaults.model.primary (e.g. \"anthropic/claude-sonnet-4-6\")"
    )]
    NoModel,
}

fn suggest(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!(" (did you mean {one:?}?)"),
        many => {
            let quoted: Vec<String> = many.iter().map(|s| format!("{s:?}")).collect();
            format!(" (did you mean one of {}?)", quoted.join(", "))
        }
    }
}

/// The agent settings that shape model resolution (from `agents.defaults`).
#[derive(Debug, Clone, Copy)]
pub struct ModelSettings<'a> {
    /// `agents.defaults.models[ref].alias`, alias → ref.
    pub aliases: &'a BTreeMap<String, ModelRef>,
    /// `agents.defaults.models[ref].params`, ref → extra request fields.
    pub params: &'a BTreeMap<String, Map<String, Value>>,
    /// `agents.defaults.contextTokens`: the context budget when a model declares none.
    pub context_tokens: Option<u64>,
}

impl<'a> From<&'a AgentDefaults> for ModelSettings<'a> {
    fn from(defaults: &'a AgentDefaults) -> Self {
        Self {
            aliases: &defaults.model_aliases,
            params: &defaults.model_params,
            context_tokens: defaults.context_tokens,
        }
    }
}

/// One model in a failover chain, with everything needed to call it.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The model.
    pub model: ModelSpec,
    /// Its provider's auth profiles in configured order; empty when a key is required and
    /// none is set (see [`Candidate::missing_key`]).
    pub profiles: Vec<Credential>,
    /// Where a key for this provider can be set, for [`ProviderError::MissingKey`].
    pub key_hint: String,
    /// Extra request fields for this model (`agents.defaults.models[ref].params`).
    pub params: Map<String, Value>,
    /// The context budget to compact against: the model's `contextTokens`, else
    /// `agents.defaults.contextTokens`, else the window — never above the window.
    pub context_tokens: u64,
}

impl Candidate {
    /// `provider/model`.
    pub fn reference(&self) -> String {
        self.model.reference()
    }

    /// The error for a candidate without credentials.
    pub fn missing_key(&self) -> ProviderError {
        ProviderError::MissingKey {
            provider: self.model.provider.clone(),
            hint: self.key_hint.clone(),
        }
    }
}

/// The ordered models to try for one run.
#[derive(Debug, Clone)]
pub struct FailoverChain {
    /// The primary (or the session's override) first, then the fallbacks, without duplicates.
    pub candidates: Vec<Candidate>,
    /// Fallbacks that could not be resolved; the run goes on without them, the caller should
    /// warn.
    pub unresolved: Vec<ResolveError>,
}

/// One row of `models.list` / `rustyclaw models list`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelListing {
    /// Model id as the provider knows it.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Provider id.
    pub provider: String,
    /// Context window in tokens.
    pub context_window: u64,
    /// Whether the model supports extended thinking.
    pub reasoning: bool,
    /// Input kinds.
    pub input: Vec<Modality>,
    /// Whether credentials are available (always true for keyless local servers).
    pub available: bool,
}

#[derive(Debug, Clone, Copy)]
enum Api {
    Supported(WireFormat),
    Unsupported(ModelApi),
}

/// A model row after merging config over catalog.
#[derive(Debug, Clone)]
struct ModelRow {
    id: String,
    name: String,
    reasoning: bool,
    input: Vec<Modality>,
    context_window: u64,
    max_tokens: u64,
    cost: Pricing,
    context_tokens: Option<u64>,
    headers: BTreeMap<String, String>,
}

impl ModelRow {
    fn from_catalog(m: &CatalogModel) -> Self {
        Self {
            id: m.id.to_owned(),
            name: m.name.to_owned(),
            reasoning: m.reasoning,
            input: m.input.to_vec(),
            context_window: m.context_window.unwrap_or(UNDECLARED_CONTEXT_WINDOW),
            max_tokens: m.max_tokens.unwrap_or(UNDECLARED_MAX_TOKENS),
            cost: m.cost.unwrap_or_default(),
            context_tokens: None,
            headers: BTreeMap::new(),
        }
    }

    fn undeclared(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: id.to_owned(),
            reasoning: false,
            input: vec![Modality::Text],
            context_window: UNDECLARED_CONTEXT_WINDOW,
            max_tokens: UNDECLARED_MAX_TOKENS,
            cost: Pricing::default(),
            context_tokens: None,
            headers: BTreeMap::new(),
        }
    }

    /// A declared model, with the catalog's row (if any) filling the fields it leaves out.
    fn declared(d: &ModelDefinitionSection, base: Option<&CatalogModel>) -> Self {
        let base_cost = base.and_then(|b| b.cost).unwrap_or_default();
        let cost = d.cost.as_ref().map_or(base_cost, |c| Pricing {
            input: c.input.unwrap_or(base_cost.input),
            output: c.output.unwrap_or(base_cost.output),
            cache_read: c.cache_read.unwrap_or(base_cost.cache_read),
            cache_write: c.cache_write.unwrap_or(base_cost.cache_write),
        });
        let input = match &d.input {
            Some(kinds) => kinds
                .iter()
                .map(|k| match k {
                    ModelInput::Text => Modality::Text,
                    ModelInput::Image => Modality::Image,
                })
                .collect(),
            None => base.map_or_else(|| vec![Modality::Text], |b| b.input.to_vec()),
        };
        Self {
            id: d.id.clone(),
            name: d
                .name
                .clone()
                .or_else(|| base.map(|b| b.name.to_owned()))
                .unwrap_or_else(|| d.id.clone()),
            reasoning: d.reasoning.or(base.map(|b| b.reasoning)).unwrap_or(false),
            input,
            context_window: d
                .context_window
                .or(base.and_then(|b| b.context_window))
                .unwrap_or(DECLARED_CONTEXT_WINDOW),
            max_tokens: d
                .max_tokens
                .or(base.and_then(|b| b.max_tokens))
                .unwrap_or(DECLARED_MAX_TOKENS),
            cost,
            context_tokens: d.context_tokens,
            headers: d.headers.clone().unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone)]
struct Provider {
    id: String,
    api: Api,
    base_url: Option<String>,
    headers: BTreeMap<String, String>,
    models: Vec<ModelRow>,
    profiles: Vec<Credential>,
    key_hint: String,
}

fn vendor_key_vars(v: &Vendor) -> KeyVars {
    KeyVars {
        prefix: v.env_prefix.to_owned(),
        extra: v.extra_key_vars.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn provider_from_vendor(v: &Vendor, env: &Env, with_models: bool) -> Provider {
    let vars = vendor_key_vars(v);
    Provider {
        id: v.id.to_owned(),
        api: Api::Supported(v.api),
        base_url: Some(v.base_url.to_owned()),
        headers: v
            .headers
            .iter()
            .map(|(k, val)| ((*k).to_owned(), (*val).to_owned()))
            .collect(),
        models: if with_models {
            v.models.iter().map(ModelRow::from_catalog).collect()
        } else {
            Vec::new()
        },
        profiles: credentials::profiles(
            v.id,
            None,
            vars.keys(env),
            v.auth,
            v.key == KeyPolicy::Optional,
        ),
        key_hint: vars.hint(v.id),
    }
}

/// The configured provider `id`, over the vendor of the same id when there is one.
fn provider_from_config(
    id: &str,
    cfg: &ProviderConfig,
    vendor: Option<&Vendor>,
    env: &Env,
    with_catalog_models: bool,
) -> Provider {
    // An unset `api` means the vendor's own format (`models.providers.anthropic` with only an
    // apiKey keeps speaking anthropic-messages), or openai-completions for a custom provider.
    let api = match (cfg.api, vendor) {
        (None, Some(v)) => Api::Supported(v.api),
        (None, None) => Api::Supported(WireFormat::OpenaiCompletions),
        (Some(api), _) => match WireFormat::from_config(api) {
            Some(format) => Api::Supported(format),
            None => Api::Unsupported(api),
        },
    };
    let auth = match (cfg.auth_header, api, vendor) {
        (true, _, _) => AuthStyle::Bearer,
        (false, Api::Supported(format), Some(v)) if format == v.api => v.auth,
        (false, Api::Supported(format), _) => format.default_auth(),
        (false, Api::Unsupported(_), _) => AuthStyle::Bearer,
    };
    let vars = vendor.map_or_else(|| KeyVars::derived(id), vendor_key_vars);
    // Custom providers are usually local or proxy servers; they may run without a key.
    let keyless = vendor.is_none_or(|v| v.key == KeyPolicy::Optional);
    let mut headers: BTreeMap<String, String> = vendor
        .map(|v| {
            v.headers
                .iter()
                .map(|(k, val)| ((*k).to_owned(), (*val).to_owned()))
                .collect()
        })
        .unwrap_or_default();
    headers.extend(cfg.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut models: Vec<ModelRow> = cfg
        .models
        .iter()
        .map(|d| ModelRow::declared(d, vendor.and_then(|v| v.model(&d.id))))
        .collect();
    if with_catalog_models && let Some(v) = vendor {
        for m in v.models {
            if !models.iter().any(|row| row.id == m.id) {
                models.push(ModelRow::from_catalog(m));
            }
        }
    }
    Provider {
        id: id.to_owned(),
        api,
        base_url: cfg
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(|u| u.trim_end_matches('/').to_owned())
            .or_else(|| vendor.map(|v| v.base_url.to_owned())),
        headers,
        models,
        profiles: credentials::profiles(id, cfg.api_key.as_ref(), vars.keys(env), auth, keyless),
        key_hint: vars.hint(id),
    }
}

/// Every model rustyclaw can call, with credentials, built from config and an environment
/// snapshot.
#[derive(Debug, Clone)]
pub struct ModelCatalog {
    providers: BTreeMap<String, Provider>,
    aliases: BTreeMap<String, String>,
    params: BTreeMap<String, Map<String, Value>>,
    context_tokens: Option<u64>,
}

impl ModelCatalog {
    /// The catalog for a loaded config.
    pub fn from_config(config: &Config, env: &Env) -> Self {
        Self::new(
            &config.models,
            ModelSettings::from(&config.agents.defaults),
            env,
        )
    }

    /// The catalog for `models`, agent `settings` and the keys in `env`.
    pub fn new(models: &ModelsConfig, settings: ModelSettings<'_>, env: &Env) -> Self {
        let mut providers = BTreeMap::new();
        if models.mode == ModelsMode::Merge {
            for v in catalog::vendors() {
                providers.insert(v.id.to_owned(), provider_from_vendor(v, env, true));
            }
        }
        let with_catalog_models = models.mode == ModelsMode::Merge;
        for (id, cfg) in &models.providers {
            let provider =
                provider_from_config(id, cfg, catalog::vendor(id), env, with_catalog_models);
            providers.insert(id.clone(), provider);
        }
        Self {
            providers,
            aliases: settings
                .aliases
                .iter()
                .map(|(alias, target)| (alias.clone(), target.0.clone()))
                .collect(),
            params: settings.params.clone(),
            context_tokens: settings.context_tokens,
        }
    }

    /// Resolves a ref or alias to a model.
    pub fn resolve(&self, reference: &str) -> Result<ModelSpec, ResolveError> {
        self.candidate(reference).map(|c| c.model)
    }

    /// Resolves a ref or alias to a model with its credentials and settings.
    pub fn candidate(&self, reference: &str) -> Result<Candidate, ResolveError> {
        let (provider, model_id) = self.locate(reference)?;
        let full = format!("{}/{model_id}", provider.id);
        let format = match provider.api {
            Api::Supported(format) => format,
            Api::Unsupported(api) => {
                return Err(ResolveError::UnsupportedApi {
                    reference: full,
                    provider: provider.id.clone(),
                    api: api.as_str(),
                });
            }
        };
        let Some(base_url) = provider.base_url.clone() else {
            return Err(ResolveError::MissingBaseUrl {
                reference: full,
                provider: provider.id.clone(),
            });
        };
        let row = provider
            .models
            .iter()
            .find(|m| m.id == model_id)
            .cloned()
            .unwrap_or_else(|| ModelRow::undeclared(&model_id));
        let mut headers = provider.headers.clone();
        headers.extend(row.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
        let context_tokens = row
            .context_tokens
            .or(self.context_tokens)
            .unwrap_or(row.context_window)
            .min(row.context_window);
        let model = ModelSpec {
            provider: provider.id.clone(),
            id: row.id,
            name: row.name,
            api: format,
            base_url,
            reasoning: row.reasoning,
            input: row.input,
            context_window: row.context_window,
            max_tokens: row.max_tokens,
            cost: row.cost,
            headers,
        };
        Ok(Candidate {
            params: self.params.get(&full).cloned().unwrap_or_default(),
            profiles: provider.profiles.clone(),
            key_hint: provider.key_hint.clone(),
            context_tokens,
            model,
        })
    }

    /// The models to try for a run: the session's override (when set) in the primary's
    /// place, then the fallbacks in order. An unresolvable primary is an error; unresolvable
    /// fallbacks are reported in [`FailoverChain::unresolved`] and skipped.
    pub fn chain(
        &self,
        choice: &ModelChoice,
        session_override: Option<&str>,
    ) -> Result<FailoverChain, ResolveError> {
        let primary = session_override
            .or(choice.primary.as_ref().map(|r| r.0.as_str()))
            .ok_or(ResolveError::NoModel)?;
        let mut candidates = vec![self.candidate(primary)?];
        let mut unresolved = Vec::new();
        for fallback in &choice.fallbacks {
            match self.candidate(&fallback.0) {
                Ok(c) => {
                    if !candidates.iter().any(|seen| seen.model == c.model) {
                        candidates.push(c);
                    }
                }
                Err(e) => unresolved.push(e),
            }
        }
        Ok(FailoverChain {
            candidates,
            unresolved,
        })
    }

    /// Every declared and catalog model of providers whose format rustyclaw speaks, by
    /// provider then in catalog order.
    pub fn list(&self) -> Vec<ModelListing> {
        self.providers
            .values()
            .filter(|p| matches!(p.api, Api::Supported(_)) && p.base_url.is_some())
            .flat_map(|p| {
                p.models.iter().map(|m| ModelListing {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    provider: p.id.clone(),
                    context_window: m.context_window,
                    reasoning: m.reasoning,
                    input: m.input.clone(),
                    available: !p.profiles.is_empty(),
                })
            })
            .collect()
    }

    /// Finds the provider and model id a ref or alias names.
    fn locate(&self, reference: &str) -> Result<(&Provider, String), ResolveError> {
        let text = reference.trim();
        let target = self
            .aliases
            .get(text)
            .or_else(|| {
                self.aliases
                    .iter()
                    .find(|(alias, _)| alias.eq_ignore_ascii_case(text))
                    .map(|(_, target)| target)
            })
            .map_or(text, String::as_str);
        if let Some((provider, model)) = target
            .split_once('/')
            .filter(|(p, m)| !p.is_empty() && !m.is_empty())
        {
            let key = provider.to_ascii_lowercase();
            return match self.providers.get(&key) {
                Some(p) => Ok((p, model.to_owned())),
                None => Err(ResolveError::UnknownProvider {
                    reference: target.to_owned(),
                    provider: provider.to_owned(),
                    suggestions: closest(&key, self.providers.keys().map(String::as_str)),
                    known: self.providers.keys().cloned().collect(),
                }),
            };
        }
        // A bare model id: fine when exactly one provider lists it.
        let matches: Vec<(&Provider, &ModelRow)> = self
            .providers
            .values()
            .flat_map(|p| p.models.iter().map(move |m| (p, m)))
            .filter(|(_, m)| m.id == target)
            .collect();
        match matches.as_slice() {
            [(p, m)] => Ok((p, m.id.clone())),
            [] => {
                let names =
                    self.aliases
                        .keys()
                        .cloned()
                        .chain(self.providers.values().flat_map(|p| {
                            p.models.iter().map(move |m| format!("{}/{}", p.id, m.id))
                        }))
                        .collect::<Vec<_>>();
                Err(ResolveError::NotAReference {
                    reference: text.to_owned(),
                    suggestions: closest(target, names.iter().map(String::as_str)),
                })
            }
            many => Err(ResolveError::Ambiguous {
                reference: text.to_owned(),
                matches: many
                    .iter()
                    .map(|(p, m)| format!("{}/{}", p.id, m.id))
                    .collect(),
            }),
        }
    }
}

/// Up to three names close to `wanted`: similar spelling, or one containing the other (so
/// `gpt-5.4` suggests `openai/gpt-5.4`).
fn closest<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let wanted = wanted.to_ascii_lowercase();
    let mut scored: Vec<(f64, &str)> = names
        .filter_map(|name| {
            let lower = name.to_ascii_lowercase();
            let tail = lower.rsplit('/').next().unwrap_or(&lower);
            let score =
                strsim::jaro_winkler(&wanted, &lower).max(strsim::jaro_winkler(&wanted, tail));
            let contains = wanted.len() >= 3 && lower.contains(&wanted);
            (score >= 0.85 || contains).then_some((if contains { 1.0 } else { score }, name))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, name)| name.to_owned())
        .collect()
}

#[cfg(test)]
mod tests;
