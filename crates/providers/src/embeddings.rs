//! Embedding APIs for the memory index: text in, one vector per text out.
//!
//! Three wire formats cover the vendors memory search names: OpenAI's `POST /embeddings`
//! (`openai`, `mistral`, `voyage`, `deepinfra`, and any `openai-compatible` endpoint; Voyage
//! and asymmetric endpoints get `input_type`), Gemini's `models/<m>:batchEmbedContents`
//! (`taskType` query or document, `outputDimensionality`), and Ollama's `POST /api/embed`. A
//! `models.providers.<id>` entry can stand for a vendor, taking its base URL, key and headers,
//! and its `api` decides the format (`ollama`, else OpenAI's). Calls go through the same HTTP
//! client as model calls, with its timeouts; the key never appears in an error.

use std::collections::BTreeMap;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use rustyclaw_config::file::ModelApi;
use rustyclaw_config::{Config, Env, ExposeSecret, Secret};
use serde_json::{Value, json};

use crate::client::Client;
use crate::error::ProviderError;

/// The most texts sent in one request.
pub const MAX_BATCH: usize = 64;

/// An embedding wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddingApi {
    /// `POST {base}/embeddings` with `{model, input: [...]}`.
    OpenAi,
    /// `POST {base}/models/{model}:batchEmbedContents`.
    Gemini,
    /// `POST {base}/api/embed` with `{model, input: [...]}`.
    Ollama,
}

/// What a text is embedded for (asymmetric models embed queries and documents differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedPurpose {
    /// A search query.
    Query,
    /// A chunk of the index.
    Document,
}

/// Where and how to embed.
#[derive(Clone)]
pub struct EmbeddingTarget {
    /// The provider id as configured (`openai`, `ollama-5080`, …).
    pub provider: String,
    /// The wire format.
    pub api: EmbeddingApi,
    /// Base URL without a trailing slash.
    pub base_url: String,
    /// The model.
    pub model: String,
    /// The API key.
    pub key: Option<Secret>,
    /// Extra headers.
    pub headers: BTreeMap<String, String>,
    /// Vector length to ask for (Gemini `outputDimensionality`, OpenAI `dimensions`).
    pub dimensions: Option<u32>,
    /// `input_type` of queries.
    pub query_input_type: Option<String>,
    /// `input_type` of documents.
    pub document_input_type: Option<String>,
}

impl std::fmt::Debug for EmbeddingTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddingTarget")
            .field("provider", &self.provider)
            .field("api", &self.api)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("key", &self.key.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

/// A vendor's embedding defaults.
struct Vendor {
    id: &'static str,
    api: EmbeddingApi,
    base_url: &'static str,
    model: &'static str,
    key_env: &'static [&'static str],
    input_types: Option<(&'static str, &'static str)>,
}

const VENDORS: &[Vendor] = &[
    Vendor {
        id: "openai",
        api: EmbeddingApi::OpenAi,
        base_url: "https://api.openai.com/v1",
        model: "text-embedding-3-small",
        key_env: &["OPENAI_API_KEY"],
        input_types: None,
    },
    Vendor {
        id: "mistral",
        api: EmbeddingApi::OpenAi,
        base_url: "https://api.mistral.ai/v1",
        model: "mistral-embed",
        key_env: &["MISTRAL_API_KEY"],
        input_types: None,
    },
    Vendor {
        id: "voyage",
        api: EmbeddingApi::OpenAi,
        base_url: "https://api.voyageai.com/v1",
        model: "voyage-4-large",
        key_env: &["VOYAGE_API_KEY"],
        input_types: Some(("query", "document")),
    },
    Vendor {
        id: "deepinfra",
        api: EmbeddingApi::OpenAi,
        base_url: "https://api.deepinfra.com/v1/openai",
        model: "BAAI/bge-m3",
        key_env: &["DEEPINFRA_API_KEY"],
        input_types: None,
    },
    Vendor {
        id: "gemini",
        api: EmbeddingApi::Gemini,
        base_url: "https://generativelanguage.googleapis.com/v1beta",
        model: "gemini-embedding-001",
        key_env: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        input_types: None,
    },
    Vendor {
        id: "ollama",
        api: EmbeddingApi::Ollama,
        base_url: "http://127.0.0.1:11434",
        model: "nomic-embed-text",
        key_env: &[],
        input_types: None,
    },
];

/// `models.providers` ids that configure a vendor under another name.
fn provider_config_ids(vendor: &str) -> &[&str] {
    match vendor {
        "gemini" => &["gemini", "google"],
        other => match other {
            "openai" => &["openai"],
            "mistral" => &["mistral"],
            "voyage" => &["voyage"],
            "deepinfra" => &["deepinfra"],
            "ollama" => &["ollama"],
            _ => &[],
        },
    }
}

/// What the memory search settings name.
#[derive(Debug, Clone, Default)]
pub struct EmbeddingChoice<'a> {
    /// The provider id.
    pub provider: &'a str,
    /// The model (default: the vendor's).
    pub model: Option<&'a str>,
    /// `remote.baseUrl`.
    pub base_url: Option<&'a str>,
    /// `remote.apiKey`, resolved.
    pub key: Option<&'a Secret>,
    /// `remote.headers`.
    pub headers: Option<&'a BTreeMap<String, String>>,
    /// `outputDimensionality`.
    pub dimensions: Option<u32>,
    /// `inputType`.
    pub input_type: Option<&'a str>,
    /// `queryInputType`.
    pub query_input_type: Option<&'a str>,
    /// `documentInputType`.
    pub document_input_type: Option<&'a str>,
}

/// Resolves `choice` against the config's providers and the environment.
pub fn embedding_target(
    choice: &EmbeddingChoice<'_>,
    config: &Config,
    env: &Env,
) -> Result<EmbeddingTarget, ProviderError> {
    let id = choice.provider.trim();
    let invalid = |detail: String| ProviderError::InvalidRequest {
        provider: id.to_owned(),
        detail,
    };
    let vendor = VENDORS.iter().find(|v| v.id == id);
    let configured = match vendor {
        Some(v) => provider_config_ids(v.id)
            .iter()
            .find_map(|pid| config.models.providers.get(*pid)),
        None => config.models.providers.get(id),
    };
    let (api, default_base, default_model) = match (vendor, configured) {
        (Some(v), _) => (v.api, Some(v.base_url), Some(v.model)),
        (None, Some(p)) => (
            match p.api {
                Some(ModelApi::Ollama) => EmbeddingApi::Ollama,
                Some(ModelApi::GoogleGenerativeAi) => EmbeddingApi::Gemini,
                _ => EmbeddingApi::OpenAi,
            },
            None,
            p.models.first().map(|m| m.id.as_str()),
        ),
        (None, None) if id == "openai-compatible" => (EmbeddingApi::OpenAi, None, None),
        (None, None) => {
            return Err(invalid(format!(
                "unknown embedding provider {id:?}: use openai, gemini, voyage, mistral, deepinfra, ollama, openai-compatible, local, none, or a models.providers id"
            )));
        }
    };
    let base_url = choice
        .base_url
        .map(str::to_owned)
        .or_else(|| configured.and_then(|p| p.base_url.clone()))
        .or_else(|| default_base.map(str::to_owned))
        .ok_or_else(|| {
            invalid("memory.search.remote.baseUrl is required for this provider".into())
        })?;
    let base_url = base_url.trim_end_matches('/').to_owned();
    let model = choice
        .model
        .or(default_model)
        .map(str::to_owned)
        .ok_or_else(|| invalid("memory.search.model is required for this provider".into()))?;
    // A key given for a different destination is not sent elsewhere: `remote.apiKey` goes with
    // `remote.baseUrl`; the provider's own key only to its own address.
    let key = match (choice.key, choice.base_url) {
        (Some(key), _) => Some(key.clone()),
        (None, Some(_)) => None,
        (None, None) => configured.and_then(|p| p.api_key.clone()).or_else(|| {
            vendor
                .into_iter()
                .flat_map(|v| v.key_env.iter())
                .find_map(|name| env.non_empty(name))
                .map(|k| Secret::from(k.to_owned()))
        }),
    };
    if key.is_none() && vendor.is_some_and(|v| !v.key_env.is_empty()) {
        let hint = vendor.map(|v| v.key_env.join(" or ")).unwrap_or_default();
        return Err(ProviderError::MissingKey {
            provider: id.to_owned(),
            hint: format!("{hint}, models.providers.{id}.apiKey or memory.search.remote.apiKey"),
        });
    }
    let mut headers = configured
        .filter(|_| choice.base_url.is_none())
        .map(|p| p.headers.clone())
        .unwrap_or_default();
    headers.extend(choice.headers.cloned().unwrap_or_default());
    let vendor_types = vendor.and_then(|v| v.input_types);
    let shared = choice.input_type.map(str::to_owned);
    Ok(EmbeddingTarget {
        provider: id.to_owned(),
        api,
        base_url,
        model,
        key,
        headers,
        dimensions: choice.dimensions,
        query_input_type: choice
            .query_input_type
            .map(str::to_owned)
            .or_else(|| shared.clone())
            .or_else(|| vendor_types.map(|t| t.0.to_owned())),
        document_input_type: choice
            .document_input_type
            .map(str::to_owned)
            .or(shared)
            .or_else(|| vendor_types.map(|t| t.1.to_owned())),
    })
}

impl Client {
    /// Embeds `texts` (at most [`MAX_BATCH`]) with `target`; one vector per text, in order.
    pub async fn embed(
        &self,
        target: &EmbeddingTarget,
        texts: &[String],
        purpose: EmbedPurpose,
    ) -> Result<Vec<Vec<f32>>, ProviderError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let scrubber = rustyclaw_config::Scrubber::new(target.key.iter());
        let input_type = match purpose {
            EmbedPurpose::Query => target.query_input_type.as_deref(),
            EmbedPurpose::Document => target.document_input_type.as_deref(),
        };
        let (url, body) = match target.api {
            EmbeddingApi::OpenAi => {
                let mut body = json!({"model": target.model, "input": texts});
                if let Some(t) = input_type {
                    body["input_type"] = json!(t);
                }
                if let Some(d) = target.dimensions {
                    body["dimensions"] = json!(d);
                }
                (format!("{}/embeddings", target.base_url), body)
            }
            EmbeddingApi::Gemini => {
                let model = target.model.trim_start_matches("models/");
                let task = match purpose {
                    EmbedPurpose::Query => "RETRIEVAL_QUERY",
                    EmbedPurpose::Document => "RETRIEVAL_DOCUMENT",
                };
                let requests: Vec<Value> = texts
                    .iter()
                    .map(|text| {
                        let mut r = json!({
                            "model": format!("models/{model}"),
                            "content": {"parts": [{"text": text}]},
                            "taskType": task,
                        });
                        if let Some(d) = target.dimensions {
                            r["outputDimensionality"] = json!(d);
                        }
                        r
                    })
                    .collect();
                (
                    format!("{}/models/{model}:batchEmbedContents", target.base_url),
                    json!({"requests": requests}),
                )
            }
            EmbeddingApi::Ollama => (
                format!("{}/api/embed", target.base_url),
                json!({"model": target.model, "input": texts}),
            ),
        };
        let headers = embedding_headers(target)?;
        let response = self
            .post_json(&target.provider, &url, headers, &body)
            .await
            .map_err(|e| crate::redact::error(e, &scrubber))?;
        let vectors =
            parse_vectors(target.api, &response).ok_or_else(|| ProviderError::Malformed {
                provider: target.provider.clone(),
                detail: "the embedding response has no vectors where the API puts them".into(),
            })?;
        if vectors.len() != texts.len() {
            return Err(ProviderError::Malformed {
                provider: target.provider.clone(),
                detail: format!(
                    "asked for {} embeddings, got {}",
                    texts.len(),
                    vectors.len()
                ),
            });
        }
        Ok(vectors)
    }
}

fn embedding_headers(target: &EmbeddingTarget) -> Result<HeaderMap, ProviderError> {
    let invalid = |detail: String| ProviderError::InvalidRequest {
        provider: target.provider.clone(),
        detail,
    };
    let mut map = HeaderMap::new();
    for (name, value) in &target.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("invalid header name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| invalid(format!("invalid value for header {name}")))?;
        map.insert(name, value);
    }
    if let Some(key) = &target.key {
        let (name, value) = match target.api {
            EmbeddingApi::Gemini => ("x-goog-api-key", key.expose_secret().to_owned()),
            _ => ("authorization", format!("Bearer {}", key.expose_secret())),
        };
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            invalid("the API key contains characters not allowed in a header".into())
        })?;
        value.set_sensitive(true);
        map.insert(HeaderName::from_static(name), value);
    }
    Ok(map)
}

fn parse_vectors(api: EmbeddingApi, body: &Value) -> Option<Vec<Vec<f32>>> {
    let numbers = |v: &Value| -> Option<Vec<f32>> {
        v.as_array()?
            .iter()
            .map(|n| n.as_f64().map(|f| f as f32))
            .collect()
    };
    match api {
        EmbeddingApi::OpenAi => {
            let mut items: Vec<(u64, Vec<f32>)> = body["data"]
                .as_array()?
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let index = item["index"].as_u64().unwrap_or(i as u64);
                    numbers(&item["embedding"]).map(|v| (index, v))
                })
                .collect::<Option<_>>()?;
            items.sort_by_key(|(i, _)| *i);
            Some(items.into_iter().map(|(_, v)| v).collect())
        }
        EmbeddingApi::Gemini => body["embeddings"]
            .as_array()?
            .iter()
            .map(|e| numbers(&e["values"]))
            .collect(),
        EmbeddingApi::Ollama => body["embeddings"].as_array()?.iter().map(numbers).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_is_parsed_in_input_order() {
        let openai = json!({"data": [{"index": 1, "embedding": [0.0, 1.0]}, {"index": 0, "embedding": [1.0, 0.0]}]});
        assert_eq!(
            parse_vectors(EmbeddingApi::OpenAi, &openai).unwrap()[0],
            vec![1.0, 0.0]
        );
        let gemini = json!({"embeddings": [{"values": [0.5]}]});
        assert_eq!(
            parse_vectors(EmbeddingApi::Gemini, &gemini).unwrap(),
            vec![vec![0.5]]
        );
        let ollama = json!({"embeddings": [[0.25, 0.75]]});
        assert_eq!(
            parse_vectors(EmbeddingApi::Ollama, &ollama).unwrap(),
            vec![vec![0.25, 0.75]]
        );
        assert!(
            parse_vectors(EmbeddingApi::OpenAi, &json!({"data": [{"embedding": "x"}]})).is_none()
        );
    }
}
