//! What onboarding will write, decided from flags (and prompts) before anything is touched.

use std::path::PathBuf;

use rustyclaw_config::{ExposeSecret, Secret, env_vars};
use rustyclaw_providers::WireFormat;
use serde_json::{Value, json};

use super::current::Current;
use crate::args::{AuthChoice, BindChoice, Compatibility, GatewayAuthChoice};

/// A model provider to configure.
#[derive(Debug, Clone)]
pub struct ProviderPlan {
    /// Provider id (the part before `/` in model refs).
    pub id: String,
    /// API base URL.
    pub base_url: String,
    /// Wire format.
    pub api: WireFormat,
    /// Model id.
    pub model: String,
    /// Where the API key comes from.
    pub key: KeyPlan,
}

/// How the API key is stored.
#[derive(Debug, Clone)]
pub enum KeyPlan {
    /// No key (local servers).
    None,
    /// The key itself, written into the config file.
    Plain(Secret),
    /// A SecretRef to an environment variable.
    EnvRef(String),
    /// The key stored in the credential vault under the provider id, and an exec SecretRef to
    /// it through `rustyclaw credentials resolve`.
    Vault {
        /// The key.
        value: Secret,
        /// How the config reaches the vault.
        resolver: VaultResolver,
    },
}

/// Alias of the exec secret provider onboarding writes for the vault (not `vault`, which
/// OpenClaw's documentation uses for HashiCorp Vault resolvers a user may already have).
pub const VAULT_PROVIDER_ALIAS: &str = "rustyclaw-vault";

/// The exec secret provider that reads the vault: this very binary, run as
/// `rustyclaw credentials resolve --state-dir <dir>`.
#[derive(Debug, Clone)]
pub struct VaultResolver {
    /// Absolute, symlink-free path of the `rustyclaw` binary (exec providers refuse symlinks).
    pub command: PathBuf,
    /// The state directory whose vault it reads (the child gets no inherited environment).
    pub state_dir: PathBuf,
}

impl VaultResolver {
    /// The `secrets.providers.<alias>` entry.
    pub fn provider_entry(&self) -> Value {
        json!({
            "source": "exec",
            "command": self.command.display().to_string(),
            "args": ["credentials", "resolve", "--state-dir", self.state_dir.display().to_string()],
            "passEnv": [env_vars::RUSTYCLAW_CREDENTIALS_PASSPHRASE],
        })
    }
}

/// Everything onboarding writes.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The model provider, unless skipped.
    pub provider: Option<ProviderPlan>,
    /// Gateway port.
    pub port: u16,
    /// Gateway bind.
    pub bind: BindChoice,
    /// Gateway auth mode.
    pub auth: GatewayAuthChoice,
    /// Token or password for the chosen mode.
    pub auth_secret: Option<Secret>,
    /// Agent workspace.
    pub workspace: PathBuf,
    /// How the model was chosen.
    pub model_source: ModelSource,
}

/// How onboarding came to its model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// Flags or the wizard's answers named it.
    Chosen,
    /// The config already had this model and nothing asked to change it.
    Kept(String),
    /// A provider key was found in this environment variable.
    Environment(&'static str),
    /// A reachable Ollama was found.
    Ollama,
    /// Nothing was found; why, per place looked at.
    NotFound(Vec<String>),
}

/// Built-in defaults per provider choice: id, base URL, wire format, key variable, model.
pub struct VendorDefaults {
    /// Provider id.
    pub id: &'static str,
    /// Base URL.
    pub base_url: &'static str,
    /// Wire format.
    pub api: WireFormat,
    /// Environment variable conventionally holding the key.
    pub key_env: Option<&'static str>,
    /// Default model id.
    pub model: Option<&'static str>,
}

/// Defaults for a provider choice (custom endpoints take URL and id from flags).
pub fn vendor(choice: AuthChoice, compat: Compatibility) -> Option<VendorDefaults> {
    Some(match choice {
        AuthChoice::OpenaiApiKey => VendorDefaults {
            id: "openai",
            base_url: "https://api.openai.com/v1",
            api: WireFormat::OpenaiResponses,
            key_env: Some("OPENAI_API_KEY"),
            model: Some("gpt-5.1"),
        },
        AuthChoice::AnthropicApiKey => VendorDefaults {
            id: "anthropic",
            base_url: "https://api.anthropic.com",
            api: WireFormat::AnthropicMessages,
            key_env: Some("ANTHROPIC_API_KEY"),
            model: Some("claude-sonnet-4-5"),
        },
        AuthChoice::GeminiApiKey => VendorDefaults {
            id: "google",
            base_url: "https://generativelanguage.googleapis.com/v1beta",
            api: WireFormat::GoogleGenerativeAi,
            key_env: Some("GEMINI_API_KEY"),
            model: Some("gemini-2.5-flash"),
        },
        AuthChoice::OpenrouterApiKey => VendorDefaults {
            id: "openrouter",
            base_url: "https://openrouter.ai/api/v1",
            api: WireFormat::OpenaiCompletions,
            key_env: Some("OPENROUTER_API_KEY"),
            model: Some("openrouter/auto"),
        },
        AuthChoice::Ollama => VendorDefaults {
            id: "ollama",
            base_url: "http://127.0.0.1:11434",
            api: WireFormat::Ollama,
            key_env: None,
            model: Some("llama3.2"),
        },
        AuthChoice::CustomApiKey => VendorDefaults {
            id: "custom",
            base_url: "",
            api: match compat {
                Compatibility::Openai => WireFormat::OpenaiCompletions,
                Compatibility::Anthropic => WireFormat::AnthropicMessages,
            },
            key_env: Some("CUSTOM_API_KEY"),
            model: None,
        },
        AuthChoice::Skip => return None,
    })
}

/// OpenClaw's id for a custom endpoint: `custom-<host>-<port>` with dots as dashes.
pub fn custom_provider_id(base_url: &str) -> String {
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    let host_port = rest.split('/').next().unwrap_or(rest);
    let cleaned: String = host_port
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("custom-{}", cleaned.trim_matches('-'))
}

/// A random 64-hex-character token.
pub fn generate_token() -> Secret {
    Secret::from(format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    ))
}

impl Plan {
    /// The config edits, as (dotted path segments, value), applied in order. Leaves are set
    /// one by one, so whatever else the config says about a provider or an agent stays.
    pub fn edits(&self, now_iso: &str, current: &Current) -> Vec<(Vec<String>, Value)> {
        let p = |parts: &[&str]| parts.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let mut edits = vec![
            (p(&["gateway", "mode"]), json!("local")),
            (p(&["gateway", "port"]), json!(self.port)),
            (
                p(&["gateway", "bind"]),
                json!(match self.bind {
                    BindChoice::Loopback => "loopback",
                    BindChoice::Lan => "lan",
                }),
            ),
            (
                p(&["gateway", "auth", "mode"]),
                json!(match self.auth {
                    GatewayAuthChoice::Token => "token",
                    GatewayAuthChoice::Password => "password",
                    GatewayAuthChoice::None => "none",
                }),
            ),
            (
                p(&["agents", "defaults", "workspace"]),
                json!(self.workspace.display().to_string()),
            ),
        ];
        match (self.auth, &self.auth_secret) {
            (GatewayAuthChoice::Token, Some(t)) => {
                edits.push((p(&["gateway", "auth", "token"]), json!(t.expose_secret())))
            }
            (GatewayAuthChoice::Password, Some(pw)) => edits.push((
                p(&["gateway", "auth", "password"]),
                json!(pw.expose_secret()),
            )),
            _ => {}
        }
        if let Some(provider) = &self.provider {
            edits.extend(provider_edits(provider, current));
        }
        // A fresh config is written in OpenClaw's current shape: an agent roster, and the
        // migrations its doctor would otherwise offer marked done (the models map is a
        // catalog, not an allowlist, in both programs). An existing config keeps its own.
        if current.is_empty() {
            edits.push((
                p(&["agents", "entries", "main"]),
                json!({
                    "name": "main",
                    "workspace": self.workspace.display().to_string(),
                    "identity": {"name": "main"},
                }),
            ));
            edits.push((
                p(&["meta", "migrations"]),
                json!({"modelPolicyAllowlist": true, "utilityModelSeparation": true}),
            ));
        }
        edits.push((
            p(&["wizard"]),
            json!({
                "lastRunAt": now_iso,
                "lastRunVersion": concat!("rustyclaw ", env!("CARGO_PKG_VERSION")),
                "lastRunCommand": "onboard",
                "lastRunMode": "local",
            }),
        ));
        edits
    }
}

/// The edits that make `provider`'s model the default, leaving the provider's other settings
/// and models as they are.
fn provider_edits(provider: &ProviderPlan, current: &Current) -> Vec<(Vec<String>, Value)> {
    let under = |leaf: &[&str]| {
        let mut path = vec![
            "models".to_owned(),
            "providers".to_owned(),
            provider.id.clone(),
        ];
        path.extend(leaf.iter().map(|s| (*s).to_owned()));
        path
    };
    let model_ref = format!("{}/{}", provider.id, provider.model);
    let mut edits = vec![
        (under(&["baseUrl"]), json!(provider.base_url)),
        (under(&["api"]), json!(provider.api.as_str())),
    ];
    match &provider.key {
        KeyPlan::None => {}
        KeyPlan::Plain(k) => edits.push((under(&["apiKey"]), json!(k.expose_secret()))),
        KeyPlan::EnvRef(var) => edits.push((
            under(&["apiKey"]),
            json!({"source": "env", "provider": "default", "id": var}),
        )),
        KeyPlan::Vault { resolver, .. } => {
            edits.push((
                vec![
                    "secrets".into(),
                    "providers".into(),
                    VAULT_PROVIDER_ALIAS.into(),
                ],
                resolver.provider_entry(),
            ));
            edits.push((
                under(&["apiKey"]),
                json!({"source": "exec", "provider": VAULT_PROVIDER_ALIAS, "id": provider.id}),
            ));
        }
    }
    let listed = current.get(&under(&["models"])).and_then(Value::as_array);
    let has_model = listed.is_some_and(|models| {
        models
            .iter()
            .any(|m| m.get("id").and_then(Value::as_str) == Some(provider.model.as_str()))
    });
    if !has_model {
        let mut models = listed.cloned().unwrap_or_default();
        models.push(json!({"id": provider.model, "name": provider.model}));
        edits.push((under(&["models"]), Value::Array(models)));
    }
    let defaults = |leaf: &[&str]| {
        let mut path = vec!["agents".to_owned(), "defaults".to_owned()];
        path.extend(leaf.iter().map(|s| (*s).to_owned()));
        path
    };
    // `agents.defaults.model` may be the short string form; it becomes the object form.
    if current
        .get(&defaults(&["model"]))
        .is_some_and(Value::is_string)
    {
        edits.push((defaults(&["model"]), json!({"primary": model_ref})));
    } else {
        edits.push((defaults(&["model", "primary"]), json!(model_ref)));
    }
    let mut entry = defaults(&["models"]);
    entry.push(model_ref);
    if current.get(&entry).is_none() {
        edits.push((entry, json!({})));
    }
    if current.get(&["models", "mode"]).is_none() {
        edits.push((vec!["models".into(), "mode".into()], json!("merge")));
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_follow_openclaw() {
        assert_eq!(
            custom_provider_id("http://127.0.0.1:18080/v1"),
            "custom-127-0-0-1-18080"
        );
        assert_eq!(
            custom_provider_id("https://LLM.example.com/v1"),
            "custom-llm-example-com"
        );
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (generate_token(), generate_token());
        assert_eq!(a.expose_secret().len(), 64);
        assert!(!a.eq_exposed(b.expose_secret()));
    }
}
