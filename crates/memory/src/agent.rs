//! One agent's memory: its files, its index, its embedder, and keeping the index current.
//!
//! A sync lists the memory files, re-reads only those whose size or modification time changed
//! (and re-chunks only those whose content hash changed), drops files that are gone, then
//! embeds the chunks that have no vector yet — from the embedding cache when the same text was
//! embedded before. The index's identity (embedding provider and model, chunk sizes) is kept
//! in it; when the configuration changes it, the index is rebuilt: words at once, vectors in
//! the background, and until they are done a search says the index is stale.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rustyclaw_config::regular_file::{ReadLimits, read_text};
use rustyclaw_store::{IndexedFile, MemoryIndex, NewChunk, StoreError};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::chunk::{ChunkSizes, chunk_markdown};
use crate::embed::{DOCUMENT, Embedder};
use crate::files::{self, ExtraRoot};
use crate::settings::MemorySettings;

/// The largest memory file indexed.
const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Chunks embedded per round of a sync.
const EMBED_ROUND: usize = 256;

/// What went wrong with the memory index.
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    /// The index database failed.
    #[error("memory index: {0}")]
    Store(#[from] StoreError),
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Memory files found.
    pub files: usize,
    /// Files (re)indexed.
    pub changed: usize,
    /// Files dropped from the index.
    pub removed: usize,
    /// Chunks given a vector.
    pub embedded: usize,
    /// Why embedding stopped, if it failed.
    pub embed_error: Option<String>,
}

/// One agent's memory.
#[derive(Debug)]
pub struct AgentMemory {
    /// The agent.
    pub agent_id: String,
    /// Its workspace.
    pub workspace: PathBuf,
    /// Its settings.
    pub settings: MemorySettings,
    /// The index.
    pub index: MemoryIndex,
    /// The embedder, if any.
    pub embedder: Option<Embedder>,
    /// Why there is no embedder, when there could have been one.
    pub embedder_note: Option<String>,
    /// The extra roots, resolved.
    pub extra: Vec<ExtraRoot>,
    /// One sync at a time.
    sync_lock: Mutex<()>,
    /// Vectors are missing for chunks (a rebuild or an embedding failure is under way).
    stale: AtomicBool,
    /// Every chunk had a vector after the last sync: a sync that changed nothing need not look.
    embedded: AtomicBool,
}

/// The identity an index was built with.
fn identity(embedder: Option<&Embedder>, sizes: ChunkSizes) -> String {
    serde_json::json!({
        "provider": embedder.map(Embedder::provider),
        "model": embedder.map(Embedder::model),
        "chunkTokens": sizes.tokens,
        "chunkOverlap": sizes.overlap,
        "version": 1,
    })
    .to_string()
}

impl AgentMemory {
    /// Opens the index of `agent_id` at `path`.
    pub async fn open(
        agent_id: &str,
        workspace: &Path,
        path: &Path,
        settings: MemorySettings,
        embedder: Option<Embedder>,
        embedder_note: Option<String>,
    ) -> Result<Self, MemoryError> {
        let index = MemoryIndex::open(path, settings.tokenizer).await?;
        let extra = ExtraRoot::resolve(&settings.extra_paths, workspace);
        Ok(Self {
            agent_id: agent_id.to_owned(),
            workspace: workspace.to_path_buf(),
            settings,
            index,
            embedder,
            embedder_note,
            extra,
            sync_lock: Mutex::new(()),
            stale: AtomicBool::new(false),
            embedded: AtomicBool::new(false),
        })
    }

    /// The chunk sizes of this index.
    pub fn chunk_sizes(&self) -> ChunkSizes {
        ChunkSizes::for_model(self.embedder.as_ref().and_then(Embedder::input_limit))
    }

    /// The model name chunks are stored under (`fts` without an embedder).
    pub fn model_key(&self) -> &str {
        self.embedder.as_ref().map_or("fts", Embedder::model)
    }

    /// Whether chunks are still waiting for vectors.
    pub fn is_stale(&self) -> bool {
        self.stale.load(Ordering::Relaxed)
    }

    /// Brings the index up to date with the files (`force`: rebuild from scratch).
    pub async fn sync(&self, force: bool) -> Result<SyncReport, MemoryError> {
        let _one = self.sync_lock.lock().await;
        let sizes = self.chunk_sizes();
        let wanted = identity(self.embedder.as_ref(), sizes);
        if force || self.index.meta("identity").await?.as_deref() != Some(wanted.as_str()) {
            self.index.clear().await?;
            self.index.set_meta("identity", &wanted).await?;
        }
        let workspace = self.workspace.clone();
        let extra = self.extra.clone();
        let found = tokio::task::spawn_blocking(move || files::list(&workspace, &extra))
            .await
            .unwrap_or_default();
        let indexed: HashMap<String, IndexedFile> = self
            .index
            .files()
            .await?
            .into_iter()
            .map(|f| (f.path.clone(), f))
            .collect();
        let mut report = SyncReport {
            files: found.len(),
            ..SyncReport::default()
        };
        let now = rustyclaw_support::now_ms_i64();
        for file in &found {
            let abs = file.abs.clone();
            let Ok(Ok(meta)) = tokio::task::spawn_blocking(move || std::fs::metadata(&abs)).await
            else {
                continue;
            };
            let mtime_ms = meta.mtime() * 1000 + meta.mtime_nsec() / 1_000_000;
            let size = i64::try_from(meta.len()).unwrap_or(i64::MAX);
            let known = indexed.get(&file.rel);
            if known.is_some_and(|k| k.mtime_ms == mtime_ms && k.size == size) {
                continue;
            }
            let abs = file.abs.clone();
            let read = tokio::task::spawn_blocking(move || {
                read_text(
                    &abs,
                    ReadLimits {
                        max_bytes: MAX_FILE_BYTES,
                        follow_symlinks: false,
                    },
                )
            })
            .await;
            let Ok(Ok(text)) = read else {
                continue;
            };
            let hash = hex::encode(Sha256::digest(text.as_bytes()));
            let record = IndexedFile {
                path: file.rel.clone(),
                source: "memory".to_owned(),
                hash: hash.clone(),
                mtime_ms,
                size,
            };
            if known.is_some_and(|k| k.hash == hash) {
                // Touched, not changed: only the stamp moves.
                self.refresh_stamp(record).await?;
                continue;
            }
            let chunks = chunk_markdown(&text, sizes)
                .into_iter()
                .map(|c| NewChunk {
                    start_line: c.start_line,
                    end_line: c.end_line,
                    hash: hex::encode(Sha256::digest(c.text.as_bytes())),
                    text: c.text,
                    embedding: None,
                })
                .collect();
            self.index
                .replace_file(record, chunks, self.model_key(), now)
                .await?;
            report.changed += 1;
        }
        let present: std::collections::HashSet<&str> =
            found.iter().map(|f| f.rel.as_str()).collect();
        let gone: Vec<String> = indexed
            .keys()
            .filter(|p| !present.contains(p.as_str()))
            .cloned()
            .collect();
        report.removed = gone.len();
        if !gone.is_empty() {
            self.index.remove_files(gone).await?;
        }
        if force || report.changed > 0 || !self.embedded.load(Ordering::Relaxed) {
            self.embed_pending(&mut report).await?;
        }
        Ok(report)
    }

    async fn refresh_stamp(&self, record: IndexedFile) -> Result<(), MemoryError> {
        Ok(self.index.touch_file(record).await?)
    }

    /// Gives chunks without a vector one (cache first, then the provider).
    async fn embed_pending(&self, report: &mut SyncReport) -> Result<(), MemoryError> {
        let Some(embedder) = &self.embedder else {
            self.stale.store(false, Ordering::Relaxed);
            self.embedded.store(true, Ordering::Relaxed);
            return Ok(());
        };
        let model = embedder.model().to_owned();
        let provider = embedder.provider().to_owned();
        loop {
            let pending = self.index.pending_embeddings(&model, EMBED_ROUND).await?;
            if pending.is_empty() {
                self.stale.store(false, Ordering::Relaxed);
                self.embedded.store(true, Ordering::Relaxed);
                return Ok(());
            }
            self.embedded.store(false, Ordering::Relaxed);
            self.stale.store(true, Ordering::Relaxed);
            let cached = if self.settings.cache {
                self.index
                    .cached_embeddings(
                        &provider,
                        &model,
                        pending.iter().map(|p| p.hash.clone()).collect(),
                    )
                    .await?
            } else {
                HashMap::new()
            };
            let (hits, misses): (Vec<_>, Vec<_>) = pending
                .into_iter()
                .partition(|p| cached.contains_key(&p.hash));
            let mut done: Vec<_> = hits
                .into_iter()
                .filter_map(|p| cached.get(&p.hash).cloned().map(|v| (p, v)))
                .collect();
            if !misses.is_empty() {
                let texts: Vec<String> = misses.iter().map(|p| p.text.clone()).collect();
                match embedder.embed(&texts, DOCUMENT).await {
                    Ok(vectors) => done.extend(misses.into_iter().zip(vectors)),
                    Err(error) => {
                        tracing::warn!(agent = %self.agent_id, %error, "memory: embedding failed; search uses words until it works");
                        report.embed_error = Some(error);
                        if !done.is_empty() {
                            report.embedded += done.len();
                            self.index
                                .set_embeddings(
                                    &provider,
                                    &model,
                                    done,
                                    rustyclaw_support::now_ms_i64(),
                                )
                                .await?;
                        }
                        return Ok(());
                    }
                }
            }
            report.embedded += done.len();
            self.index
                .set_embeddings(&provider, &model, done, rustyclaw_support::now_ms_i64())
                .await?;
        }
    }
}
