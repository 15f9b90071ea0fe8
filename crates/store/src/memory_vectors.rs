//! The vectors of a memory index held in memory for search, one byte per number.
//!
//! Reading every vector from SQLite for each search costs more than comparing them (10,000
//! vectors of 384 numbers are 15 MB of blobs), so the index keeps them in memory after the
//! first search: each vector scaled to `i8` with its own scale, and its exact norm, which keeps
//! the ranking of cosine similarity (the error is below a percent of the score) at a quarter
//! of the size — 3.8 MB for 10,000 MiniLM vectors, 38 MB for 100,000. Any write to the chunks
//! drops the cache; the next search rebuilds it.

use rusqlite::Connection;

use crate::error::{SqliteContext, StoreError};

/// Quantized vectors of one model.
#[derive(Debug)]
pub(crate) struct VectorCache {
    /// The model they were made with.
    pub model: String,
    dims: usize,
    ids: Vec<i64>,
    scales: Vec<f32>,
    norms: Vec<f32>,
    data: Vec<i8>,
}

impl VectorCache {
    /// Loads the vectors of `model` (those of other lengths than the first are left out).
    pub(crate) fn load(conn: &Connection, model: &str) -> Result<Self, StoreError> {
        let mut stmt = conn
            .prepare("SELECT id, embedding FROM chunks WHERE model = ?1 AND embedding IS NOT NULL")
            .during("load memory vectors")?;
        let mut rows = stmt.query([model]).during("load memory vectors")?;
        let mut cache = Self {
            model: model.to_owned(),
            dims: 0,
            ids: Vec::new(),
            scales: Vec::new(),
            norms: Vec::new(),
            data: Vec::new(),
        };
        while let Some(row) = rows.next().during("load memory vectors")? {
            let id: i64 = row.get(0).during("load memory vectors")?;
            let blob: Vec<u8> = row.get(1).during("load memory vectors")?;
            if blob.is_empty() || !blob.len().is_multiple_of(4) {
                continue;
            }
            let dims = blob.len() / 4;
            if cache.dims == 0 {
                cache.dims = dims;
            } else if dims != cache.dims {
                continue;
            }
            let values: Vec<f32> = blob
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            let max = values.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            cache.ids.push(id);
            cache.scales.push(scale);
            cache
                .norms
                .push(values.iter().map(|v| v * v).sum::<f32>().sqrt());
            // Each value is within ±127 after scaling, so the cast cannot overflow.
            cache.data.extend(
                values
                    .iter()
                    .map(|v| (v / scale).round().clamp(-127.0, 127.0) as i8),
            );
        }
        Ok(cache)
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.data.len() + self.ids.len() * (8 + 4 + 4)
    }

    /// The `limit` most similar vectors to `query`: `(cosine, chunk id)`, best first.
    pub(crate) fn nearest(&self, query: &[f32], limit: usize) -> Vec<(f32, i64)> {
        let query_norm = query.iter().map(|v| v * v).sum::<f32>().sqrt();
        if self.dims == 0 || query.len() != self.dims || query_norm == 0.0 || limit == 0 {
            return Vec::new();
        }
        let mut scored: Vec<(f32, i64)> = Vec::with_capacity(self.ids.len());
        for (i, row) in self.data.chunks_exact(self.dims).enumerate() {
            let dot: f32 = row.iter().zip(query).map(|(q, x)| f32::from(*q) * x).sum();
            let denominator = self.norms[i] * query_norm;
            if denominator > 0.0 {
                scored.push((dot * self.scales[i] / denominator, self.ids[i]));
            }
        }
        let keep = limit.min(scored.len());
        if keep < scored.len() {
            scored.select_nth_unstable_by(keep, |a, b| b.0.total_cmp(&a.0));
            scored.truncate(keep);
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored
    }
}
