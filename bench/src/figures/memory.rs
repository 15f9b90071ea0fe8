//! Memory search at scale: a generated memory of 10,000 and 100,000 chunks indexed by
//! `rustyclaw memory index` (a process, timed from its own report), then searched over the
//! gateway with `memory.search`, by words only and hybrid (vectors from the fake embedding
//! endpoint, 384 dimensions as all-MiniLM-L6-v2's); and what the open index adds to the
//! gateway's resident memory. rustyclaw only: OpenClaw's memory engine is a plugin with its own
//! index, not compared here.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::{Bench, mb, ms, progress};
use crate::client::Client;
use crate::fake::Reply;
use crate::report::{Figure, Goal};
use crate::stats::percentile;
use crate::target::{GatewayOptions, Kind};

use super::startup::READY_LIMIT;

/// Vector length asked of the fake embedding endpoint.
const DIMENSIONS: u32 = 384;
/// Estimated tokens per generated line (each line is about 60 characters).
const LINE_TOKENS: usize = 16;
/// Chunks per generated file.
const CHUNKS_PER_FILE: usize = 100;

/// Measures indexing and search for each corpus size of the plan.
pub async fn memory(bench: &mut Bench) -> Result<Figure> {
    let mut figure = Figure::new(
        "memory",
        "Memory index and search",
        "A generated memory (`memory/*.md`, 100 chunks per file, words from a 5,000-word \
         vocabulary) is indexed by `rustyclaw memory index --json` (throughput from its own \
         duration: reading, chunking, the FTS5 index and, for hybrid, embedding every chunk \
         through the fake OpenAI-compatible embedding endpoint in batches of 64, 384-dimension \
         vectors), then a gateway on that state answers `memory.search` over its WebSocket, one \
         query at a time; the RSS row is the gateway's resident memory after the searches minus \
         before the first. rustyclaw only.",
    );
    let Some(target) = bench.target(Kind::RustyClaw).cloned() else {
        figure
            .notes
            .push("rustyclaw was not measured in this run".to_owned());
        return Ok(figure);
    };
    let url = bench.base_url(Reply::Instant);
    let sizes = bench.plan.memory_chunks.clone();
    for chunks in sizes {
        for hybrid in [false, true] {
            let label = format!(
                "{} chunks, {}",
                thousands(chunks),
                if hybrid { "hybrid" } else { "words" }
            );
            let memory = if hybrid {
                json!({"search": {
                    "provider": "openai-compatible",
                    "model": "fake-embedding",
                    "outputDimensionality": DIMENSIONS,
                    "remote": {"baseUrl": url, "apiKey": "sk-bench-embeddings-0000"}
                }})
            } else {
                json!({"search": {"provider": "none"}})
            };
            let options = GatewayOptions {
                memory: Some(memory),
                no_sandbox: true,
                ..GatewayOptions::default()
            };
            let home = target.new_home()?;
            target.write_config(home.path(), &url, &options)?;
            let workspace = home.path().join(".openclaw").join("workspace");
            let written = tokio::task::spawn_blocking({
                let workspace = workspace.clone();
                move || write_corpus(&workspace, chunks)
            })
            .await??;
            let (code, stdout, stderr) = target
                .cli(home.path(), &["memory", "index", "--json"])
                .output_within(Duration::from_secs(3600))
                .await?;
            anyhow::ensure!(code == Some(0), "memory index failed: {stderr}");
            let report: Value = serde_json::from_str(&stdout).context("memory index --json")?;
            let indexed = report[0]["chunks"].as_f64().unwrap_or(0.0);
            let seconds = report[0]["durationMs"].as_f64().unwrap_or(0.0) / 1000.0;
            let rate = if seconds > 0.0 {
                indexed / seconds
            } else {
                0.0
            };
            progress(&format!(
                "memory {label}: {indexed} chunks ({written} bytes) indexed in {seconds:.1} s"
            ));
            figure
                .row(&format!("index, {label}"), "chunks/s")
                .set(Kind::RustyClaw, &[rate]);

            let mut gateway = target.start_in(home, &url, options)?;
            gateway.wait_ready(READY_LIMIT).await?;
            let before = gateway.running.tree_rss()?;
            let mut client = Client::connect(&gateway.endpoint, None).await?;
            let mut latencies = Vec::with_capacity(bench.plan.memory_searches);
            for i in 0..bench.plan.memory_searches {
                let query = format!("{} {}", word(i * 7 + 3), word(i * 13 + 11));
                let started = Instant::now();
                let answer = client
                    .request("memory.search", json!({"query": query}))
                    .await?;
                latencies.push(ms(started.elapsed()));
                anyhow::ensure!(
                    answer["results"].is_array(),
                    "memory.search answered {answer}"
                );
            }
            let after = gateway.running.tree_rss()?;
            client.close().await;
            gateway.stop().await;
            let row = figure.row(&format!("search p50, {label}"), "ms");
            row.set(
                Kind::RustyClaw,
                &[percentile(&latencies, 50.0).unwrap_or(0.0)],
            );
            row.goal = Some(Goal::AtMost(if chunks <= 10_000 { 50.0 } else { 500.0 }));
            figure.row(&format!("search p99, {label}"), "ms").set(
                Kind::RustyClaw,
                &[percentile(&latencies, 99.0).unwrap_or(0.0)],
            );
            figure
                .row(&format!("RSS added by searching, {label}"), "MB")
                .set(Kind::RustyClaw, &[mb(after.saturating_sub(before))]);
        }
    }
    figure.notes.push(format!(
        "{} searches per row; the fake embedding endpoint answers at once, so hybrid times are the index's and the gateway's, not a provider's.",
        bench.plan.memory_searches
    ));
    Ok(figure)
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The `n`th word of the generated vocabulary (5,000 pronounceable words).
fn word(n: usize) -> String {
    const SYLLABLES: [&str; 20] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "fi", "gu", "he", "jo",
        "be", "co", "da", "le", "mo",
    ];
    let n = n % 5_000;
    format!(
        "{}{}{}",
        SYLLABLES[n % 20],
        SYLLABLES[(n / 20) % 20],
        SYLLABLES[(n / 400) % 20]
    )
}

/// Writes about `chunks` chunks of notes under `memory/`; returns the bytes written.
fn write_corpus(workspace: &Path, chunks: usize) -> Result<u64> {
    let dir = workspace.join("memory");
    std::fs::create_dir_all(&dir)?;
    // The chunker steps forward by its size minus its overlap (400 − 80 estimated tokens).
    let lines_per_chunk = (400 - 80) / LINE_TOKENS;
    let files = chunks.div_ceil(CHUNKS_PER_FILE);
    let mut written = 0u64;
    let mut seed = 0usize;
    for f in 0..files {
        let in_file = CHUNKS_PER_FILE.min(chunks - f * CHUNKS_PER_FILE);
        let mut text = String::with_capacity(in_file * lines_per_chunk * 64);
        text.push_str(&format!("# Notes {f}\n"));
        for _ in 0..in_file * lines_per_chunk {
            let line: Vec<String> = (0..8)
                .map(|k| {
                    seed = seed
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407 + k);
                    word(seed >> 33)
                })
                .collect();
            text.push_str("- ");
            text.push_str(&line.join(" "));
            text.push('\n');
        }
        written += text.len() as u64;
        std::fs::write(dir.join(format!("notes-{f:05}.md")), text)?;
    }
    Ok(written)
}
