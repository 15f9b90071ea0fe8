//! `onboard --non-interactive` without `--auth-choice` on a config without a model: the model
//! is found in one documented order — a provider key in the environment, then a reachable
//! Ollama, then (once it exists) the built-in local model.

use std::time::Duration;

use rustyclaw_config::{Env, Secret};
use rustyclaw_providers::{Client, ClientOptions, ProviderError, WireFormat};

use crate::args::AuthChoice;

/// Provider keys looked for, in this order.
pub const KEY_VARIABLES: &[(&str, AuthChoice)] = &[
    ("OPENAI_API_KEY", AuthChoice::OpenaiApiKey),
    ("ANTHROPIC_API_KEY", AuthChoice::AnthropicApiKey),
    ("GEMINI_API_KEY", AuthChoice::GeminiApiKey),
    ("OPENROUTER_API_KEY", AuthChoice::OpenrouterApiKey),
];

/// Where Ollama listens unless `OLLAMA_HOST` says otherwise.
pub const OLLAMA_DEFAULT: &str = "http://127.0.0.1:11434";

/// How long a silent Ollama address is waited for.
const OLLAMA_PROBE: Duration = Duration::from_secs(2);

/// What the search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A provider key in this environment variable.
    Key {
        /// The variable.
        variable: &'static str,
        /// The provider it belongs to.
        choice: AuthChoice,
    },
    /// Ollama answered at `base_url` and has `model` pulled.
    Ollama {
        /// Where it answered.
        base_url: String,
        /// The first of its models.
        model: String,
    },
    /// Nothing usable; why, per place looked at.
    Nothing(Vec<String>),
}

/// Looks for a model in the documented order.
pub fn find(env: &Env) -> Found {
    for (variable, choice) in KEY_VARIABLES {
        if env.non_empty(variable).is_some() {
            return Found::Key {
                variable,
                choice: *choice,
            };
        }
    }
    let mut notes = vec![format!(
        "none of {} is set",
        KEY_VARIABLES
            .iter()
            .map(|(v, _)| *v)
            .collect::<Vec<_>>()
            .join(", ")
    )];
    let base_url = ollama_base_url(env.non_empty(rustyclaw_config::env_vars::OLLAMA_HOST));
    match ollama_models(&base_url) {
        Ok(models) => match models.into_iter().next() {
            Some(model) => return Found::Ollama { base_url, model },
            None => notes.push(format!(
                "Ollama answers at {base_url} but has no model pulled (`ollama pull llama3.2`)"
            )),
        },
        Err(why) => notes.push(format!("no Ollama at {base_url} ({why})")),
    }
    notes.push("the built-in local model is not part of this version".to_owned());
    Found::Nothing(notes)
}

/// Ollama's base URL from `OLLAMA_HOST` (`host`, `host:port` or a URL; `0.0.0.0` is where a
/// server listens, not an address to call), else the default.
pub fn ollama_base_url(host: Option<&str>) -> String {
    let Some(host) = host.map(str::trim).filter(|h| !h.is_empty()) else {
        return OLLAMA_DEFAULT.to_owned();
    };
    let (scheme, rest) = match host.split_once("://") {
        Some((scheme, rest)) => (scheme, rest),
        None => ("http", host),
    };
    let rest = rest.trim_end_matches('/');
    let rest = rest.replacen("0.0.0.0", "127.0.0.1", 1);
    let has_port = rest
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok());
    // Ollama's own reading: a URL without a port is 11434, except https (443).
    if has_port || scheme == "https" {
        format!("{scheme}://{rest}")
    } else {
        format!("{scheme}://{rest}:11434")
    }
}

fn ollama_models(base_url: &str) -> Result<Vec<String>, String> {
    model_ids("ollama", WireFormat::Ollama, base_url, None, OLLAMA_PROBE).map_err(|e| match e {
        ProviderError::Connect { detail, .. } => short_reason(&detail),
        other => other.to_string(),
    })
}

/// The model ids `base_url` lists in `format`'s listing, waiting at most `within` (the
/// wizard's model menu and the search for a running Ollama).
pub fn model_ids(
    provider: &str,
    format: WireFormat,
    base_url: &str,
    key: Option<&Secret>,
    within: Duration,
) -> Result<Vec<String>, ProviderError> {
    let client = Client::new(ClientOptions {
        connect_timeout: within,
        idle_timeout: within,
    })?;
    crate::gateway_client::block_on(async {
        Ok(client
            .model_ids(provider, format, base_url, key, within)
            .await)
    })
    .map_err(|e| ProviderError::InvalidRequest {
        provider: provider.to_owned(),
        detail: e.to_string(),
    })?
}

/// The last part of an error chain ("Connection refused (os error 111)").
fn short_reason(detail: &str) -> String {
    detail.rsplit(": ").next().unwrap_or(detail).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ollama_host_takes_every_form_ollama_accepts() {
        assert_eq!(ollama_base_url(None), OLLAMA_DEFAULT);
        assert_eq!(ollama_base_url(Some("")), OLLAMA_DEFAULT);
        assert_eq!(ollama_base_url(Some("0.0.0.0")), "http://127.0.0.1:11434");
        assert_eq!(ollama_base_url(Some("gpu-box:8080")), "http://gpu-box:8080");
        assert_eq!(
            ollama_base_url(Some("https://ollama.example.com/")),
            "https://ollama.example.com"
        );
        assert_eq!(
            ollama_base_url(Some("http://127.0.0.1:5000")),
            "http://127.0.0.1:5000"
        );
    }

    #[test]
    fn a_key_in_the_environment_comes_first_in_the_documented_order() {
        let env = Env::from_pairs([("GEMINI_API_KEY", "g"), ("ANTHROPIC_API_KEY", "a")]);
        assert_eq!(
            find(&env),
            Found::Key {
                variable: "ANTHROPIC_API_KEY",
                choice: AuthChoice::AnthropicApiKey
            }
        );
    }
}
