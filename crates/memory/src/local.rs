//! The built-in sentence-embedding model (`memory.search.provider: "local"`, cargo feature
//! `local-embeddings`): a BERT encoder such as all-MiniLM-L6-v2 run on the CPU with `candle`,
//! so memory search works by meaning with no API key and nothing leaving the machine.
//!
//! The model is a directory with `config.json`, `tokenizer.json` and `model.safetensors` (as
//! published by sentence-transformers). Texts are cut to the model's 256 word pieces (all
//! chunk sizes are chosen below that, see [`crate::chunk::ChunkSizes::for_model`]), the token
//! vectors are averaged over the real tokens (the attention mask; the packaged tokenizer's
//! padding is turned off) and normalised, as sentence-transformers does.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Tokenizer, TruncationParams};

/// The most word pieces the model reads.
pub const MAX_TOKENS: usize = 256;
/// Texts embedded per forward pass.
const BATCH: usize = 16;

/// Why the local model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum LocalModelError {
    /// A file of the model directory is missing or unreadable.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The model's files are not what a BERT sentence encoder needs.
    #[error("{}: {detail}", dir.display())]
    Invalid {
        /// The model directory.
        dir: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Running the model failed.
    #[error("the local embedding model failed: {0}")]
    Run(String),
}

/// A loaded sentence-embedding model.
pub struct LocalModel {
    name: String,
    tokenizer: Tokenizer,
    model: Mutex<BertModel>,
    device: Device,
}

impl std::fmt::Debug for LocalModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalModel")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl LocalModel {
    /// Loads the model in `dir` (blocking: reads about 90 MB for all-MiniLM-L6-v2).
    pub fn load(dir: &Path) -> Result<Self, LocalModelError> {
        let invalid = |detail: String| LocalModelError::Invalid {
            dir: dir.to_path_buf(),
            detail,
        };
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| LocalModelError::Read { path, source })
        };
        let config: Config = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| invalid(format!("config.json is not a BERT config: {e}")))?;
        let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
            .map_err(|e| invalid(format!("tokenizer.json cannot be read: {e}")))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| invalid(format!("tokenizer.json: {e}")))?;
        let device = Device::Cpu;
        let weights = read("model.safetensors")?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(|e| invalid(format!("model.safetensors: {e}")))?;
        let model = BertModel::load(vb, &config)
            .map_err(|e| invalid(format!("model.safetensors does not fit config.json: {e}")))?;
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("local")
            .to_owned();
        Ok(Self {
            name,
            tokenizer,
            model: Mutex::new(model),
            device,
        })
    }

    /// The model's name (its directory's).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Embeds `texts` (blocking; run it off the async threads).
    pub fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, LocalModelError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            out.extend(self.embed_batch(batch)?);
        }
        Ok(out)
    }

    fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, LocalModelError> {
        let run = |e: &dyn std::fmt::Display| LocalModelError::Run(e.to_string());
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| run(&e))?;
        let len = encodings
            .iter()
            .map(|e| e.get_ids().len())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut ids = Vec::with_capacity(texts.len() * len);
        let mut mask = Vec::with_capacity(texts.len() * len);
        for encoding in &encodings {
            let got = encoding.get_ids();
            ids.extend(
                got.iter()
                    .copied()
                    .chain(std::iter::repeat_n(0, len - got.len())),
            );
            mask.extend(
                std::iter::repeat_n(1u32, got.len()).chain(std::iter::repeat_n(0, len - got.len())),
            );
        }
        let shape = (texts.len(), len);
        let ids = Tensor::from_vec(ids, shape, &self.device).map_err(|e| run(&e))?;
        let mask = Tensor::from_vec(mask, shape, &self.device).map_err(|e| run(&e))?;
        let types = ids.zeros_like().map_err(|e| run(&e))?;
        let hidden = {
            let model = self
                .model
                .lock()
                .map_err(|_| LocalModelError::Run("the model lock is poisoned".into()))?;
            model
                .forward(&ids, &types, Some(&mask))
                .map_err(|e| run(&e))?
        };
        // Mean of the real tokens' vectors, then unit length.
        let weights = mask
            .to_dtype(DType::F32)
            .and_then(|m| m.unsqueeze(2))
            .map_err(|e| run(&e))?;
        let summed = hidden
            .broadcast_mul(&weights)
            .and_then(|t| t.sum(1))
            .map_err(|e| run(&e))?;
        let counts = weights.sum(1).map_err(|e| run(&e))?;
        let mean = summed.broadcast_div(&counts).map_err(|e| run(&e))?;
        let norms = mean
            .sqr()
            .and_then(|t| t.sum_keepdim(1))
            .and_then(|t| t.sqrt())
            .map_err(|e| run(&e))?;
        let unit = mean.broadcast_div(&norms).map_err(|e| run(&e))?;
        unit.to_vec2::<f32>().map_err(|e| run(&e))
    }
}
