//! The embedding providers of memory search, each over its real wire format, and what a search
//! does when they fail.

mod providers;

#[cfg(feature = "local-embeddings")]
mod local_model;
