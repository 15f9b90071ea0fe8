//! The model ids an endpoint offers (`GET /models`, Ollama's `/api/tags`): onboarding offers
//! them instead of asking a person to type an id from memory.

use std::time::Duration;

use rustyclaw_config::{ExposeSecret, Secret};
use serde_json::Value;

use crate::client::Client;
use crate::error::ProviderError;
use crate::model::WireFormat;

/// The largest listing read (a big router lists a few hundred models in well under this).
const MAX_LISTING: usize = 4 * 1024 * 1024;

impl Client {
    /// The ids of the models at `base_url` in `format`'s listing, sorted, within `within`.
    /// `provider` names the endpoint in errors; `key`, when given, is sent as `format` sends
    /// keys and never appears in an error.
    pub async fn model_ids(
        &self,
        provider: &str,
        format: WireFormat,
        base_url: &str,
        key: Option<&Secret>,
        within: Duration,
    ) -> Result<Vec<String>, ProviderError> {
        let url = crate::formats::models_url(format, base_url);
        let mut request = self.http().get(&url).timeout(within);
        if let Some(key) = key {
            let key = key.expose_secret();
            request = match format {
                WireFormat::AnthropicMessages => request
                    .header("x-api-key", key)
                    .header("anthropic-version", crate::formats::ANTHROPIC_VERSION),
                WireFormat::GoogleGenerativeAi => request.header("x-goog-api-key", key),
                _ => request.bearer_auth(key),
            };
        }
        let scrub = |text: String| match key {
            Some(k) if !k.expose_secret().is_empty() => {
                text.replace(k.expose_secret(), "[REDACTED]")
            }
            _ => text,
        };
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                ProviderError::Idle {
                    provider: provider.to_owned(),
                    idle: within,
                }
            } else {
                ProviderError::Connect {
                    provider: provider.to_owned(),
                    url: url.clone(),
                    detail: scrub(crate::client::error_chain(&e)),
                }
            }
        })?;
        let status = response.status();
        // Read at most one byte past the cap: a huge body is refused without being held.
        let mut response = response;
        let mut body = Vec::new();
        while body.len() <= MAX_LISTING {
            let chunk = response.chunk().await.map_err(|e| ProviderError::Read {
                provider: provider.to_owned(),
                detail: scrub(e.to_string()),
            })?;
            let Some(chunk) = chunk else { break };
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body[..body.len().min(2048)]).into_owned();
            return Err(ProviderError::Status {
                provider: provider.to_owned(),
                status: status.as_u16(),
                message: scrub(error_message(&text)),
                code: None,
                retry_after: None,
            });
        }
        let malformed = |detail: &str| ProviderError::Malformed {
            provider: provider.to_owned(),
            detail: format!("model listing at {url}: {detail}"),
        };
        if body.len() > MAX_LISTING {
            return Err(malformed("larger than 4 MB"));
        }
        let json: Value = serde_json::from_slice(&body).map_err(|_| malformed("not JSON"))?;
        let mut ids = ids_in(format, &json).ok_or_else(|| malformed("no model list in it"))?;
        ids.sort();
        ids.dedup();
        Ok(ids)
    }
}

/// The ids in a listing: OpenAI and Anthropic `data[].id`, Gemini `models[].name` without its
/// `models/` prefix, Ollama `models[].name`.
fn ids_in(format: WireFormat, json: &Value) -> Option<Vec<String>> {
    let (list, field) = match format {
        WireFormat::OpenaiCompletions
        | WireFormat::OpenaiResponses
        | WireFormat::AnthropicMessages => (json.get("data")?, "id"),
        WireFormat::GoogleGenerativeAi | WireFormat::Ollama => (json.get("models")?, "name"),
    };
    Some(
        list.as_array()?
            .iter()
            .filter_map(|m| m.get(field)?.as_str())
            .map(|id| id.strip_prefix("models/").unwrap_or(id).to_owned())
            .filter(|id| !id.is_empty())
            .collect(),
    )
}

/// The message of an error body (`{"error": {"message": …}}`, `{"error": "…"}`), else the
/// body itself.
fn error_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    parsed
        .as_ref()
        .and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.get("error"))
                .or_else(|| v.get("message"))
        })
        .and_then(Value::as_str)
        .map_or_else(|| body.trim().to_owned(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn listings_are_found_where_each_format_sends_its_requests() {
        use crate::formats::models_url;
        let cases = [
            (
                WireFormat::OpenaiCompletions,
                "http://h/v1/",
                "http://h/v1/models",
            ),
            (
                WireFormat::AnthropicMessages,
                "https://api.anthropic.com",
                "https://api.anthropic.com/v1/models",
            ),
            (
                WireFormat::AnthropicMessages,
                "https://proxy/v1",
                "https://proxy/v1/models",
            ),
            (
                WireFormat::Ollama,
                "http://127.0.0.1:11434",
                "http://127.0.0.1:11434/api/tags",
            ),
            (
                WireFormat::Ollama,
                "http://127.0.0.1:11434/v1",
                "http://127.0.0.1:11434/api/tags",
            ),
            (
                WireFormat::GoogleGenerativeAi,
                "https://generativelanguage.googleapis.com",
                "https://generativelanguage.googleapis.com/v1beta/models",
            ),
            (
                WireFormat::GoogleGenerativeAi,
                "https://g/v1beta",
                "https://g/v1beta/models",
            ),
        ];
        for (format, base, url) in cases {
            assert_eq!(models_url(format, base), url, "{format:?} at {base}");
        }
    }

    #[test]
    fn each_format_names_its_ids_where_its_listing_puts_them() {
        let openai = json!({"object": "list", "data": [{"id": "b"}, {"id": "a"}]});
        assert_eq!(
            ids_in(WireFormat::OpenaiCompletions, &openai),
            Some(vec!["b".to_owned(), "a".to_owned()])
        );
        let gemini = json!({"models": [{"name": "models/gemini-2.5-flash"}]});
        assert_eq!(
            ids_in(WireFormat::GoogleGenerativeAi, &gemini),
            Some(vec!["gemini-2.5-flash".to_owned()])
        );
        let ollama = json!({"models": [{"name": "llama3.2:latest", "model": "llama3.2:latest"}]});
        assert_eq!(
            ids_in(WireFormat::Ollama, &ollama),
            Some(vec!["llama3.2:latest".to_owned()])
        );
        assert_eq!(ids_in(WireFormat::Ollama, &openai), None);
    }

    #[test]
    fn error_bodies_give_their_message() {
        assert_eq!(
            error_message(r#"{"error": {"message": "bad key"}}"#),
            "bad key"
        );
        assert_eq!(error_message(r#"{"error": "nope"}"#), "nope");
        assert_eq!(error_message("plain"), "plain");
    }
}
