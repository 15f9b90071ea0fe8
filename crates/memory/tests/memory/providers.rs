//! Memory search with embeddings from each API format (OpenAI's, Gemini's, Ollama's), served by
//! the testkit's fake: the index gets vectors, a paraphrase with no shared word finds the note,
//! unchanged text is never embedded twice, and a failing provider leaves search by words.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustyclaw_config::{Env, LocationOverrides, Locations};
use rustyclaw_memory::{MemoryService, SearchMode, SearchRequest};
use rustyclaw_providers::{Client, ClientOptions};
use rustyclaw_testkit::fake_llm::FakeLlm;
use serde_json::{Value, json};

fn load(dir: &Path, config: &Value, env: &[(&str, &str)]) -> (Arc<rustyclaw_config::Config>, Env) {
    let path = dir.join("openclaw.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let mut pairs = vec![("HOME".to_owned(), dir.display().to_string())];
    pairs.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let env = Env::from_pairs(pairs);
    let locations = Locations::resolve(
        &LocationOverrides {
            state_dir: Some(dir.to_path_buf()),
            config: Some(path),
        },
        &env,
    )
    .unwrap();
    let loaded = rustyclaw_config::load(&locations, &env).unwrap();
    (Arc::new(loaded.config), loaded.env)
}

fn client() -> Client {
    Client::new(ClientOptions {
        connect_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(10),
    })
    .unwrap()
}

fn seed(workspace: &Path) {
    std::fs::create_dir_all(workspace.join("memory")).unwrap();
    std::fs::write(
        workspace.join("MEMORY.md"),
        "# Memory\n\nThe car is blue and parked in bay 12.\n",
    )
    .unwrap();
    std::fs::write(
        workspace.join("memory/2026-12-07.md"),
        "- Prefers green tea in the morning\n",
    )
    .unwrap();
}

fn request(query: &str) -> SearchRequest<'_> {
    SearchRequest {
        query,
        max_results: 3,
        min_score: 0.2,
        now_ms: 1_796_601_600_000,
    }
}

async fn paraphrase_finds_the_note(service: &MemoryService) -> Value {
    let memory = service.agent("main").await.unwrap().unwrap();
    let report = memory.sync(false).await.unwrap();
    assert_eq!(report.embed_error, None);
    assert_eq!(report.embedded, 2, "{report:?}");
    let outcome = rustyclaw_memory::search::search(&memory, request("chai at dawn"))
        .await
        .unwrap();
    assert_eq!(outcome.mode, SearchMode::Hybrid, "{outcome:?}");
    assert_eq!(
        outcome.hits[0].path, "memory/2026-12-07.md",
        "a paraphrase with no shared word: {outcome:?}"
    );
    serde_json::to_value(&outcome.hits).unwrap()
}

#[tokio::test]
async fn openai_embeddings_index_and_find_a_paraphrase_and_are_cached() {
    let fake = FakeLlm::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    seed(&ws);
    let config = json!({
        "agents": {"defaults": {"workspace": ws.display().to_string()}},
        "models": {"providers": {"openai": {"baseUrl": fake.base_url(), "apiKey": "sk-embed-test-0123456789"}}},
        "memory": {"search": {"provider": "openai", "model": "text-embedding-3-small"}}
    });
    let (config, env) = load(dir.path(), &config, &[]);
    let service = MemoryService::new(dir.path(), env.clone(), client(), config.clone());
    paraphrase_finds_the_note(&service).await;
    let requests = fake.requests();
    let first = &requests[0];
    assert_eq!(first.path, "/v1/embeddings");
    assert!(
        first
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == "Bearer sk-embed-test-0123456789")
    );
    assert_eq!(
        first.body.as_ref().unwrap()["model"],
        "text-embedding-3-small"
    );

    // A rebuild embeds nothing again: the cache has every chunk.
    let before = fake.requests().len();
    let memory = service.agent("main").await.unwrap().unwrap();
    let report = memory.sync(true).await.unwrap();
    assert_eq!(report.embedded, 2);
    assert_eq!(
        fake.requests().len(),
        before,
        "no embedding request for cached text"
    );
}

#[tokio::test]
async fn gemini_and_ollama_formats_work_too() {
    let fake = FakeLlm::start().await.unwrap();
    for (name, search, env) in [
        (
            "gemini",
            json!({"provider": "gemini", "remote": {"baseUrl": format!("{}/v1beta", fake.origin()), "apiKey": "gem-key-0123456789"}, "outputDimensionality": 64}),
            vec![],
        ),
        ("ollama", json!({"provider": "ollama"}), vec![]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("workspace");
        seed(&ws);
        let mut config = json!({
            "agents": {"defaults": {"workspace": ws.display().to_string()}},
            "memory": {"search": search}
        });
        if name == "ollama" {
            config["models"] = json!({"providers": {"ollama": {"baseUrl": fake.origin(), "api": "ollama", "models": [{"id": "nomic-embed-text"}]}}});
        }
        let (config, env) = load(dir.path(), &config, &env);
        let service = MemoryService::new(dir.path(), env, client(), config);
        paraphrase_finds_the_note(&service).await;
    }
    let paths: Vec<String> = fake.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths
            .iter()
            .any(|p| p == "/v1beta/models/gemini-embedding-001:batchEmbedContents"),
        "{paths:?}"
    );
    assert!(paths.iter().any(|p| p == "/api/embed"), "{paths:?}");
    let gemini = fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with(":batchEmbedContents"))
        .unwrap();
    assert!(
        gemini
            .headers
            .iter()
            .any(|(k, v)| k == "x-goog-api-key" && v == "gem-key-0123456789")
    );
    let body = gemini.body.unwrap();
    assert_eq!(body["requests"][0]["taskType"], "RETRIEVAL_DOCUMENT");
    assert_eq!(body["requests"][0]["outputDimensionality"], 64);
}

#[tokio::test]
async fn a_failing_provider_leaves_search_by_words_with_a_warning() {
    let fake = FakeLlm::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    seed(&ws);
    let config = json!({
        "agents": {"defaults": {"workspace": ws.display().to_string()}},
        "memory": {"search": {"provider": "openai-compatible", "model": "m", "remote": {"baseUrl": fake.base_url(), "apiKey": "sk-compat-0123456789"}}}
    });
    let (config, env) = load(dir.path(), &config, &[]);
    let service = MemoryService::new(dir.path(), env, client(), config);
    let memory = service.agent("main").await.unwrap().unwrap();
    fake.fail_embeddings(429, Some(7));
    let report = memory.sync(false).await.unwrap();
    let error = report.embed_error.clone().unwrap();
    assert!(
        error.contains("429") && !error.contains("sk-compat-0123456789"),
        "{error}"
    );
    assert!(memory.is_stale());
    let outcome = rustyclaw_memory::search::search(&memory, request("green tea"))
        .await
        .unwrap();
    assert_eq!(outcome.mode, SearchMode::Fts);
    assert_eq!(outcome.hits[0].path, "memory/2026-12-07.md");
    assert!(
        outcome
            .warning
            .as_deref()
            .unwrap()
            .contains("match words only"),
        "{outcome:?}"
    );

    // The provider comes back: the next sync fills in the vectors.
    fake.heal_embeddings();
    let report = memory.sync(false).await.unwrap();
    assert_eq!((report.embedded, report.embed_error), (2, None));
    assert!(!memory.is_stale());
    let outcome = rustyclaw_memory::search::search(&memory, request("chai at dawn"))
        .await
        .unwrap();
    assert_eq!(outcome.mode, SearchMode::Hybrid);
    assert_eq!(outcome.warning, None);
}

#[tokio::test]
async fn a_missing_key_is_named_and_search_uses_words() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    seed(&ws);
    let config = json!({
        "agents": {"defaults": {"workspace": ws.display().to_string()}},
        "memory": {"search": {"provider": "voyage"}}
    });
    let (config, env) = load(dir.path(), &config, &[]);
    let service = MemoryService::new(dir.path(), env, client(), config);
    let memory = service.agent("main").await.unwrap().unwrap();
    assert!(memory.embedder.is_none());
    assert!(
        memory
            .embedder_note
            .as_deref()
            .unwrap()
            .contains("VOYAGE_API_KEY"),
        "{:?}",
        memory.embedder_note
    );
    memory.sync(false).await.unwrap();
    let outcome = rustyclaw_memory::search::search(&memory, request("bay 12"))
        .await
        .unwrap();
    assert_eq!(outcome.hits[0].path, "MEMORY.md");
    assert!(
        outcome.warning.unwrap().contains("VOYAGE_API_KEY"),
        "a named provider that cannot be used is said"
    );
}
