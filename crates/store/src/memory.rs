//! An agent's memory index: the chunks of its memory files, searchable by words (FTS5, BM25)
//! and by meaning (embedding vectors compared by cosine), in a database file of its own
//! (`<state dir>/memory/<agentId>.sqlite`).
//!
//! A file of its own, with its own connection and thread, because indexing is bulk work: a
//! full reindex of 100,000 chunks must never hold the state database's writer, so a turn's
//! transcript append never waits for it. The layout follows OpenClaw's builtin engine (`files`,
//! `chunks`, `chunks_fts`, `embedding_cache`, `meta`), with vectors as little-endian `f32`
//! blobs rather than JSON text; they are compared by a plain scan (the sqlite-vec extension
//! would need `unsafe` to load, and at personal scale a scan is fast enough — see
//! `docs/benchmarks.md`). The FTS table is created for the tokenizer asked for (`unicode61`,
//! or `trigram` for text without spaces between words) and rebuilt when that changes.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{SqliteContext, StoreError};
use crate::handle::Worker;
use crate::memory_vectors::VectorCache;
use crate::schema::{self, Migration};

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "memory index",
        sql: "
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) STRICT;
        -- One row per indexed file; hash is the SHA-256 of its bytes.
        CREATE TABLE files (
            path   TEXT PRIMARY KEY NOT NULL,
            source TEXT NOT NULL,
            hash   TEXT NOT NULL,
            mtime  INTEGER NOT NULL,
            size   INTEGER NOT NULL
        ) STRICT;
        -- A file's chunks with their 1-based line ranges; embedding is NULL until embedded.
        CREATE TABLE chunks (
            id         INTEGER PRIMARY KEY,
            path       TEXT NOT NULL REFERENCES files (path) ON DELETE CASCADE,
            source     TEXT NOT NULL,
            start_line INTEGER NOT NULL,
            end_line   INTEGER NOT NULL,
            hash       TEXT NOT NULL,
            model      TEXT NOT NULL,
            text       TEXT NOT NULL,
            embedding  BLOB,
            updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX chunks_by_path ON chunks (path);
        -- Embeddings by content, so an unchanged chunk is never embedded twice.
        CREATE TABLE embedding_cache (
            provider   TEXT NOT NULL,
            model      TEXT NOT NULL,
            hash       TEXT NOT NULL,
            dims       INTEGER NOT NULL,
            embedding  BLOB NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (provider, model, hash)
        ) STRICT;
    ",
    },
    Migration {
        version: 2,
        name: "chunks without a vector",
        sql: "
        -- Finding the chunks still to embed must not read every chunk (their text and vectors).
        CREATE INDEX chunks_unembedded ON chunks (id) WHERE embedding IS NULL;
    ",
    },
];

/// The FTS5 tokenizers an index may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FtsTokenizer {
    /// Words split at spaces and punctuation, case and accents folded.
    Unicode61,
    /// Every three characters: finds words inside text written without spaces (Chinese,
    /// Japanese) and parts of words.
    Trigram,
}

impl FtsTokenizer {
    fn as_sql(self) -> &'static str {
        match self {
            Self::Unicode61 => "unicode61 remove_diacritics 2",
            Self::Trigram => "trigram",
        }
    }

    /// Its name in the config (`unicode61`, `trigram`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unicode61 => "unicode61",
            Self::Trigram => "trigram",
        }
    }
}

/// A file as indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedFile {
    /// Its path: relative to the workspace for workspace files, absolute for extra paths.
    pub path: String,
    /// `memory` (or `sessions`).
    pub source: String,
    /// SHA-256 of its bytes, hex.
    pub hash: String,
    /// Modification time, Unix ms.
    pub mtime_ms: i64,
    /// Size in bytes.
    pub size: i64,
}

/// A chunk to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChunk {
    /// First line, 1-based.
    pub start_line: u32,
    /// Last line, inclusive.
    pub end_line: u32,
    /// SHA-256 of its text, hex (the embedding cache key).
    pub hash: String,
    /// Its text.
    pub text: String,
    /// Its embedding, when there is one already.
    pub embedding: Option<Vec<f32>>,
}

/// A chunk found by a search.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkHit {
    /// The chunk's id.
    pub id: i64,
    /// Its file.
    pub path: String,
    /// Its file's source.
    pub source: String,
    /// First line.
    pub start_line: u32,
    /// Last line.
    pub end_line: u32,
    /// Its text.
    pub text: String,
    /// BM25 rank for a lexical hit (lower is better, negative), cosine similarity for a vector
    /// hit.
    pub score: f64,
}

/// A chunk without an embedding yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChunk {
    /// The chunk's id.
    pub id: i64,
    /// SHA-256 of its text.
    pub hash: String,
    /// Its text.
    pub text: String,
}

/// What an index holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Files indexed.
    pub files: u64,
    /// Chunks.
    pub chunks: u64,
    /// Chunks with an embedding.
    pub embedded: u64,
    /// Embeddings in the cache.
    pub cached: u64,
}

/// A handle to one memory index. Cheap to clone; clones share the connection and its thread.
#[derive(Debug, Clone)]
pub struct MemoryIndex {
    worker: Worker,
    path: Arc<Path>,
    /// The vectors for search, loaded by the first search after a write (used on the worker
    /// thread only; the mutex is never contended).
    vectors: Arc<Mutex<Option<VectorCache>>>,
}

impl MemoryIndex {
    /// Opens (creating) the index at `path` with FTS tokenizer `tokenizer`; an index built with
    /// another tokenizer has its word index rebuilt from its chunks.
    pub async fn open(path: impl AsRef<Path>, tokenizer: FtsTokenizer) -> Result<Self, StoreError> {
        let path: Arc<Path> = Arc::from(path.as_ref());
        let worker = Worker::spawn("rustyclaw-memory", &path, move |path| {
            let conn = schema::open_with(path, MIGRATIONS, u32::MAX)?;
            ensure_fts(&conn, tokenizer)?;
            Ok(conn)
        })
        .await?;
        Ok(Self {
            worker,
            path,
            vectors: Arc::default(),
        })
    }

    /// The index file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A value of `meta`.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.worker
            .run(move |conn| {
                conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                    .optional()
                    .during("read memory index meta")
            })
            .await
    }

    /// Sets a value of `meta`.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.worker
            .run(move |conn| {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [key, value],
                )
                .during("write memory index meta")?;
                Ok(())
            })
            .await
    }

    /// Every indexed file.
    pub async fn files(&self) -> Result<Vec<IndexedFile>, StoreError> {
        self.worker
            .run(|conn| {
                let mut stmt = conn
                    .prepare("SELECT path, source, hash, mtime, size FROM files ORDER BY path")
                    .during("list indexed files")?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok(IndexedFile {
                            path: r.get(0)?,
                            source: r.get(1)?,
                            hash: r.get(2)?,
                            mtime_ms: r.get(3)?,
                            size: r.get(4)?,
                        })
                    })
                    .during("list indexed files")?;
                rows.collect::<Result<Vec<_>, _>>()
                    .during("list indexed files")
            })
            .await
    }

    /// Replaces a file's chunks (all or nothing).
    pub async fn replace_file(
        &self,
        file: IndexedFile,
        chunks: Vec<NewChunk>,
        model: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let model = model.to_owned();
        let vectors = Arc::clone(&self.vectors);
        self.worker
            .run(move |conn| {
                Self::forget_vectors(&vectors);
                let tx = conn.transaction().during("begin a memory file update")?;
                delete_file_rows(&tx, &file.path)?;
                tx.execute(
                    "INSERT INTO files (path, source, hash, mtime, size) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![file.path, file.source, file.hash, file.mtime_ms, file.size],
                )
                .during("index a memory file")?;
                {
                    let mut insert = tx
                        .prepare(
                            "INSERT INTO chunks (path, source, start_line, end_line, hash, model, text, embedding, updated_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        )
                        .during("index memory chunks")?;
                    let mut fts = tx
                        .prepare("INSERT INTO chunks_fts (rowid, text) VALUES (?1, ?2)")
                        .during("index memory chunks")?;
                    for chunk in &chunks {
                        insert
                            .execute(params![
                                file.path,
                                file.source,
                                chunk.start_line,
                                chunk.end_line,
                                chunk.hash,
                                model,
                                chunk.text,
                                chunk.embedding.as_deref().map(vector_blob),
                                now_ms
                            ])
                            .during("index memory chunks")?;
                        fts.execute(params![tx.last_insert_rowid(), chunk.text])
                            .during("index memory chunks")?;
                    }
                }
                tx.commit().during("commit a memory file update")
            })
            .await
    }

    /// Records a new modification time and size for a file whose content did not change.
    pub async fn touch_file(&self, file: IndexedFile) -> Result<(), StoreError> {
        self.worker
            .run(move |conn| {
                conn.execute(
                    "UPDATE files SET mtime = ?2, size = ?3 WHERE path = ?1",
                    params![file.path, file.mtime_ms, file.size],
                )
                .during("update a memory file's stamp")?;
                Ok(())
            })
            .await
    }

    /// Removes files and their chunks.
    pub async fn remove_files(&self, paths: Vec<String>) -> Result<(), StoreError> {
        let vectors = Arc::clone(&self.vectors);
        self.worker
            .run(move |conn| {
                Self::forget_vectors(&vectors);
                let tx = conn.transaction().during("begin removing memory files")?;
                for path in &paths {
                    delete_file_rows(&tx, path)?;
                }
                tx.commit().during("remove memory files")
            })
            .await
    }

    /// Empties the index (files, chunks, words); the embedding cache stays.
    pub async fn clear(&self) -> Result<(), StoreError> {
        let vectors = Arc::clone(&self.vectors);
        self.worker
            .run(move |conn| {
                Self::forget_vectors(&vectors);
                conn.execute_batch(
                    "BEGIN; DELETE FROM chunks_fts; DELETE FROM chunks; DELETE FROM files; COMMIT;",
                )
                .during("clear the memory index")
            })
            .await
    }

    /// Chunks matching the FTS5 `query`, best first (BM25 rank in `score`).
    pub async fn lexical(&self, query: &str, limit: usize) -> Result<Vec<ChunkHit>, StoreError> {
        let query = query.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.worker
            .run(move |conn| {
                let mut stmt = conn
                    .prepare(
                        "SELECT c.id, c.path, c.source, c.start_line, c.end_line, c.text, bm25(chunks_fts) AS rank
                         FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid
                         WHERE chunks_fts MATCH ?1 ORDER BY rank LIMIT ?2",
                    )
                    .during("search memory by words")?;
                let rows = stmt
                    .query_map(params![query, limit], |r| {
                        Ok(ChunkHit {
                            id: r.get(0)?,
                            path: r.get(1)?,
                            source: r.get(2)?,
                            start_line: r.get(3)?,
                            end_line: r.get(4)?,
                            text: r.get(5)?,
                            score: r.get(6)?,
                        })
                    })
                    .during("search memory by words")?;
                rows.collect::<Result<Vec<_>, _>>()
                    .during("search memory by words")
            })
            .await
    }

    /// The `limit` chunks embedded with `model` most similar to `query` (cosine in `score`).
    pub async fn nearest(
        &self,
        query: Vec<f32>,
        model: &str,
        limit: usize,
    ) -> Result<Vec<ChunkHit>, StoreError> {
        let model = model.to_owned();
        let vectors = Arc::clone(&self.vectors);
        self.worker
            .run(move |conn| {
                let scored = {
                    let mut cache = vectors.lock().unwrap_or_else(PoisonError::into_inner);
                    if cache.as_ref().is_none_or(|c| c.model != model) {
                        let loaded = VectorCache::load(conn, &model)?;
                        tracing::debug!(bytes = loaded.bytes(), "memory vectors loaded for search");
                        *cache = Some(loaded);
                    }
                    cache
                        .as_ref()
                        .map(|c| c.nearest(&query, limit))
                        .unwrap_or_default()
                };
                let mut hits = Vec::with_capacity(scored.len());
                let mut fetch = conn
                    .prepare(
                        "SELECT path, source, start_line, end_line, text FROM chunks WHERE id = ?1",
                    )
                    .during("search memory by meaning")?;
                for (similarity, id) in scored {
                    let hit = fetch
                        .query_row([id], |r| {
                            Ok(ChunkHit {
                                id,
                                path: r.get(0)?,
                                source: r.get(1)?,
                                start_line: r.get(2)?,
                                end_line: r.get(3)?,
                                text: r.get(4)?,
                                score: f64::from(similarity),
                            })
                        })
                        .optional()
                        .during("search memory by meaning")?;
                    hits.extend(hit);
                }
                Ok(hits)
            })
            .await
    }

    /// Drops the search vectors (after a write to the chunks).
    fn forget_vectors(vectors: &Mutex<Option<VectorCache>>) {
        *vectors.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Up to `limit` chunks without an embedding (an index is rebuilt when its model changes, so
    /// every vector in it is `model`'s).
    pub async fn pending_embeddings(
        &self,
        model: &str,
        limit: usize,
    ) -> Result<Vec<PendingChunk>, StoreError> {
        let model = model.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.worker
            .run(move |conn| {
                let mut stmt = conn
                    .prepare(
                        "SELECT id, hash, text FROM chunks
                         WHERE embedding IS NULL AND ?1 IS NOT NULL ORDER BY id LIMIT ?2",
                    )
                    .during("list chunks to embed")?;
                let rows = stmt
                    .query_map(params![model, limit], |r| {
                        Ok(PendingChunk {
                            id: r.get(0)?,
                            hash: r.get(1)?,
                            text: r.get(2)?,
                        })
                    })
                    .during("list chunks to embed")?;
                rows.collect::<Result<Vec<_>, _>>()
                    .during("list chunks to embed")
            })
            .await
    }

    /// Stores embeddings of chunks (made with `model`) and caches them by content hash.
    pub async fn set_embeddings(
        &self,
        provider: &str,
        model: &str,
        embedded: Vec<(PendingChunk, Vec<f32>)>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let (provider, model) = (provider.to_owned(), model.to_owned());
        let vectors = Arc::clone(&self.vectors);
        self.worker
            .run(move |conn| {
                Self::forget_vectors(&vectors);
                let tx = conn.transaction().during("begin storing embeddings")?;
                {
                    let mut update = tx
                        .prepare("UPDATE chunks SET embedding = ?1, model = ?2 WHERE id = ?3")
                        .during("store embeddings")?;
                    let mut cache = tx
                        .prepare(
                            "INSERT OR REPLACE INTO embedding_cache (provider, model, hash, dims, embedding, updated_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        )
                        .during("cache embeddings")?;
                    for (chunk, vector) in &embedded {
                        let blob = vector_blob(vector);
                        update
                            .execute(params![blob, model, chunk.id])
                            .during("store embeddings")?;
                        cache
                            .execute(params![provider, model, chunk.hash, i64::try_from(vector.len()).unwrap_or(i64::MAX), blob, now_ms])
                            .during("cache embeddings")?;
                    }
                }
                tx.commit().during("store embeddings")
            })
            .await
    }

    /// Cached embeddings of `hashes` for `provider`/`model`.
    pub async fn cached_embeddings(
        &self,
        provider: &str,
        model: &str,
        hashes: Vec<String>,
    ) -> Result<HashMap<String, Vec<f32>>, StoreError> {
        let (provider, model) = (provider.to_owned(), model.to_owned());
        self.worker
            .run(move |conn| {
                let mut stmt = conn
                    .prepare(
                        "SELECT embedding FROM embedding_cache WHERE provider = ?1 AND model = ?2 AND hash = ?3",
                    )
                    .during("read cached embeddings")?;
                let mut found = HashMap::new();
                for hash in hashes {
                    let blob: Option<Vec<u8>> = stmt
                        .query_row(params![provider, model, hash], |r| r.get(0))
                        .optional()
                        .during("read cached embeddings")?;
                    if let Some(vector) = blob.as_deref().and_then(blob_vector) {
                        found.insert(hash, vector);
                    }
                }
                Ok(found)
            })
            .await
    }

    /// Counts of what the index holds.
    pub async fn stats(&self) -> Result<IndexStats, StoreError> {
        self.worker
            .run(|conn| {
                let count = |sql: &str| -> Result<u64, StoreError> {
                    let n: i64 = conn
                        .query_row(sql, [], |r| r.get(0))
                        .during("count memory index rows")?;
                    Ok(u64::try_from(n).unwrap_or(0))
                };
                Ok(IndexStats {
                    files: count("SELECT count(*) FROM files")?,
                    chunks: count("SELECT count(*) FROM chunks")?,
                    embedded: count("SELECT count(*) FROM chunks WHERE embedding IS NOT NULL")?,
                    cached: count("SELECT count(*) FROM embedding_cache")?,
                })
            })
            .await
    }
}

fn delete_file_rows(conn: &Connection, path: &str) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE path = ?1)",
        [path],
    )
    .during("remove a memory file's words")?;
    conn.execute("DELETE FROM chunks WHERE path = ?1", [path])
        .during("remove a memory file's chunks")?;
    conn.execute("DELETE FROM files WHERE path = ?1", [path])
        .during("remove a memory file")?;
    Ok(())
}

/// Creates the FTS table for `tokenizer`, rebuilding it from the chunks when it was made with
/// another one.
fn ensure_fts(conn: &Connection, tokenizer: FtsTokenizer) -> Result<(), StoreError> {
    let current: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'fts_tokenizer'",
            [],
            |r| r.get(0),
        )
        .optional()
        .during("read the memory index tokenizer")?;
    let exists: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'chunks_fts'",
            [],
            |r| r.get(0),
        )
        .during("look for the memory word index")?;
    if exists && current.as_deref() == Some(tokenizer.as_str()) {
        return Ok(());
    }
    conn.execute_batch(&format!(
        "BEGIN;
         DROP TABLE IF EXISTS chunks_fts;
         CREATE VIRTUAL TABLE chunks_fts USING fts5(text, tokenize = '{}');
         INSERT INTO chunks_fts (rowid, text) SELECT id, text FROM chunks;
         INSERT INTO meta (key, value) VALUES ('fts_tokenizer', '{}')
           ON CONFLICT (key) DO UPDATE SET value = excluded.value;
         COMMIT;",
        tokenizer.as_sql(),
        tokenizer.as_str()
    ))
    .during("build the memory word index")
}

fn vector_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn blob_vector(blob: &[u8]) -> Option<Vec<f32>> {
    blob.len().is_multiple_of(4).then(|| {
        blob.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> IndexedFile {
        IndexedFile {
            path: path.into(),
            source: "memory".into(),
            hash: format!("h-{path}"),
            mtime_ms: 1,
            size: 10,
        }
    }

    fn chunk(line: u32, text: &str, embedding: Option<Vec<f32>>) -> NewChunk {
        NewChunk {
            start_line: line,
            end_line: line,
            hash: format!("c-{text}"),
            text: text.into(),
            embedding,
        }
    }

    #[tokio::test]
    async fn words_and_vectors_find_chunks_and_a_replaced_file_forgets_its_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let index = MemoryIndex::open(dir.path().join("main.sqlite"), FtsTokenizer::Unicode61)
            .await
            .unwrap();
        index
            .replace_file(
                file("memory/a.md"),
                vec![
                    chunk(1, "I prefer oat milk in coffee", Some(vec![1.0, 0.0])),
                    chunk(3, "The car is blue", Some(vec![0.0, 1.0])),
                ],
                "m",
                5,
            )
            .await
            .unwrap();
        let hits = index.lexical("\"coffee\"", 5).await.unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(
            (hits[0].start_line, hits[0].path.as_str()),
            (1, "memory/a.md")
        );
        assert!(hits[0].score < 0.0, "bm25 ranks are negative");
        let near = index.nearest(vec![0.1, 0.9], "m", 1).await.unwrap();
        assert_eq!(near[0].text, "The car is blue");
        assert!(
            index
                .nearest(vec![0.1, 0.9], "other", 1)
                .await
                .unwrap()
                .is_empty()
        );

        index
            .replace_file(file("memory/a.md"), vec![chunk(1, "tea now", None)], "m", 6)
            .await
            .unwrap();
        assert!(index.lexical("\"coffee\"", 5).await.unwrap().is_empty());
        let pending = index.pending_embeddings("m", 10).await.unwrap();
        assert_eq!(pending.len(), 1);
        index
            .set_embeddings("p", "m", vec![(pending[0].clone(), vec![0.5, 0.5])], 7)
            .await
            .unwrap();
        let cached = index
            .cached_embeddings("p", "m", vec![pending[0].hash.clone(), "nope".into()])
            .await
            .unwrap();
        assert_eq!(cached.len(), 1);
        let stats = index.stats().await.unwrap();
        assert_eq!(
            (stats.files, stats.chunks, stats.embedded, stats.cached),
            (1, 1, 1, 1)
        );
        index
            .remove_files(vec!["memory/a.md".into()])
            .await
            .unwrap();
        assert_eq!(index.stats().await.unwrap().chunks, 0);
    }

    #[tokio::test]
    async fn a_tokenizer_change_rebuilds_the_word_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("main.sqlite");
        let index = MemoryIndex::open(&path, FtsTokenizer::Unicode61)
            .await
            .unwrap();
        index
            .replace_file(
                file("MEMORY.md"),
                vec![chunk(1, "我喜欢喝咖啡", None)],
                "m",
                1,
            )
            .await
            .unwrap();
        assert!(
            index.lexical("\"咖啡\"", 5).await.unwrap().is_empty(),
            "no word breaks"
        );
        drop(index);
        let index = MemoryIndex::open(&path, FtsTokenizer::Trigram)
            .await
            .unwrap();
        assert_eq!(index.lexical("\"喝咖啡\"", 5).await.unwrap().len(), 1);
    }
}
