//! Embedding endpoints, in the three formats memory search speaks: OpenAI's
//! `POST /v1/embeddings` (also Mistral's, Voyage's and DeepInfra's), Gemini's
//! `POST /v1beta/models/<m>:batchEmbedContents` and Ollama's `POST /api/embed`.
//!
//! Vectors are deterministic: each lower-cased word of the text is hashed into one of
//! [`DIMENSIONS`] buckets, words listed together in [`SYNONYMS`] share a bucket, and the counts
//! are normalised. Texts sharing words (or synonyms) are similar, others are not — enough to
//! test what a hybrid search does with vectors without a real model. A failure can be armed
//! ([`super::FakeLlm::fail_embeddings`]) and is answered in the format's own error shape,
//! `retry-after` included for 429.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::server::Shared;

/// Length of the fake vectors unless the request asks for another (`dimensions`,
/// `outputDimensionality`).
pub const DIMENSIONS: usize = 64;

/// The largest vector length served.
const MAX_DIMENSIONS: usize = 4096;

/// Words that land in the same bucket, so a test can write a paraphrase the fake "understands".
pub const SYNONYMS: &[&[&str]] = &[
    &["tea", "chai", "matcha", "infusion"],
    &["coffee", "espresso", "latte"],
    &["car", "vehicle", "automobile"],
    &["morning", "dawn", "sunrise", "breakfast"],
];

/// An armed embedding failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddingFailure {
    /// The HTTP status answered.
    pub status: u16,
    /// Seconds in `retry-after` (429 only).
    pub retry_after_secs: Option<u64>,
}

/// The routes of the OpenAI and Ollama embedding endpoints (Gemini's is dispatched by
/// [`super::gemini`], which owns `/v1beta/models/…`).
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/embeddings", post(openai))
        .route("/api/embed", post(ollama))
}

/// The fake vector of `text`, of [`DIMENSIONS`] numbers.
pub fn vector(text: &str) -> Vec<f32> {
    vector_of(text, DIMENSIONS)
}

/// The fake vector of `text`, of `dims` numbers.
pub fn vector_of(text: &str, dims: usize) -> Vec<f32> {
    let dims = dims.clamp(1, MAX_DIMENSIONS);
    let mut v = vec![0.0f32; dims];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_lowercase();
        let key = SYNONYMS
            .iter()
            .find(|group| group.contains(&word.as_str()))
            .map_or(word.clone(), |group| group[0].to_owned());
        v[bucket(&key, dims)] += 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// FNV-1a of the word, into one of `dims` buckets.
fn bucket(word: &str, dims: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in word.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    usize::try_from(hash % dims as u64).unwrap_or(0)
}

/// The inputs of a request: `input` as a string or an array of strings.
fn inputs(body: &Value) -> Option<Vec<String>> {
    match &body["input"] {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

fn failure_response(failure: EmbeddingFailure, body: Value) -> Response {
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(secs) = failure.retry_after_secs
        && let Ok(value) = HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

async fn openai(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let recorded = match shared.record(request).await {
        Ok(recorded) => recorded,
        Err(response) => return response,
    };
    if let Some(failure) = shared.embedding_failure() {
        let (kind, message) = if failure.status == 429 {
            ("rate_limit_exceeded", "Rate limit reached for embeddings")
        } else if failure.status == 401 {
            ("invalid_api_key", "Incorrect API key provided")
        } else {
            (
                "server_error",
                "The server had an error processing your request",
            )
        };
        return failure_response(
            failure,
            json!({"error": {"message": message, "type": kind, "code": kind}}),
        );
    }
    let body = recorded.body.clone().unwrap_or(Value::Null);
    let Some(texts) = inputs(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"message": "'input' must be a string or an array of strings", "type": "invalid_request_error"}})),
        )
            .into_response();
    };
    let dims = body["dimensions"]
        .as_u64()
        .map_or(DIMENSIONS, |d| usize::try_from(d).unwrap_or(DIMENSIONS));
    let data: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": vector_of(t, dims)}))
        .collect();
    let tokens: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    axum::Json(json!({
        "object": "list",
        "data": data,
        "model": body["model"].as_str().unwrap_or("fake-embedding"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }))
    .into_response()
}

async fn ollama(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let recorded = match shared.record(request).await {
        Ok(recorded) => recorded,
        Err(response) => return response,
    };
    if let Some(failure) = shared.embedding_failure() {
        return failure_response(
            failure,
            json!({"error": "model runner has unexpectedly stopped"}),
        );
    }
    let body = recorded.body.clone().unwrap_or(Value::Null);
    let Some(texts) = inputs(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid input type"})),
        )
            .into_response();
    };
    let vectors: Vec<Vec<f32>> = texts.iter().map(|t| vector(t)).collect();
    axum::Json(json!({
        "model": body["model"].as_str().unwrap_or("fake-embedding"),
        "embeddings": vectors,
        "total_duration": 1000,
        "load_duration": 10,
        "prompt_eval_count": texts.len(),
    }))
    .into_response()
}

/// `models/<m>:batchEmbedContents`, called by the Gemini router with the request recorded.
pub(crate) fn gemini_batch(shared: &Shared, body: Option<&Value>) -> Response {
    if let Some(failure) = shared.embedding_failure() {
        let status = if failure.status == 429 {
            "RESOURCE_EXHAUSTED"
        } else {
            "INTERNAL"
        };
        return failure_response(
            failure,
            json!({"error": {"code": failure.status, "message": "embedding failed", "status": status}}),
        );
    }
    let dims = body
        .and_then(|b| b["requests"][0]["outputDimensionality"].as_u64())
        .map_or(DIMENSIONS, |d| usize::try_from(d).unwrap_or(DIMENSIONS));
    let texts: Option<Vec<String>> =
        body.and_then(|b| b["requests"].as_array())
            .and_then(|requests| {
                requests
                    .iter()
                    .map(|r| {
                        r["content"]["parts"].as_array().map(|parts| {
                            parts
                                .iter()
                                .filter_map(|p| p["text"].as_str())
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                    })
                    .collect()
            });
    let Some(texts) = texts else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"code": 400, "message": "Invalid JSON payload: requests", "status": "INVALID_ARGUMENT"}})),
        )
            .into_response();
    };
    let embeddings: Vec<Value> = texts
        .iter()
        .map(|t| json!({"values": vector_of(t, dims)}))
        .collect();
    axum::Json(json!({"embeddings": embeddings})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn synonyms_are_close_and_strangers_are_not() {
        let note = vector("prefers green tea in the morning");
        let paraphrase = vector("chai at dawn");
        let other = vector("the car is blue");
        assert!(cosine(&note, &paraphrase) > cosine(&note, &other));
        assert!((cosine(&note, &note) - 1.0).abs() < 1e-5);
    }
}
