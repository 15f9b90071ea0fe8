//! The apply_patch format: parsing and applying update chunks.

pub(crate) mod parse;
pub(crate) mod update;
