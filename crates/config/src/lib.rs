//! `openclaw.json` for rustyclaw: loading, validation, secrets and comment-preserving edits.
//!
//! The file format is OpenClaw's (JSON5, same keys, `$include`, `${VAR}`, SecretRefs), so an
//! existing OpenClaw config works unchanged. Loading happens in two stages: the raw
//! [`file::ConfigFile`] mirrors the file exactly, and [`Config`] is the resolved form with every
//! default applied and secrets resolved into redacting [`Secret`]s. `Config` is passed
//! explicitly to whoever needs it — there is no global.
//!
//! Keys are validated against the JSON Schema generated from `ConfigFile`: keys OpenClaw knows
//! but rustyclaw does not implement are accepted with a warning naming their path
//! ([`upstream_keys`]); keys unknown to both are errors that name the path and the closest
//! valid key. Only this crate reads the config file and the process environment ([`Env`]).

pub mod edit;
pub mod env_vars;
pub mod file;
pub mod include;
pub mod merge_patch;
pub mod redact;
pub mod refused_keys;
pub mod regular_file;
pub mod reload_plan;
pub mod schema;
pub mod schema_lookup;
pub mod secret;
pub mod snapshot;
pub mod upstream_keys;
mod upstream_schema_keys;

mod duplicate_keys;
mod env;
mod error;
mod human;
mod json5;
mod json_path;
mod load;
mod paths;
mod resolve;
mod substitute;
mod validate;

pub use env::Env;
pub use error::{ConfigError, Issue, Severity};
pub use json_path::{JsonPath, PathParseError, Segment};
pub use json5::parse_document;
pub use load::{LoadedConfig, hash_text, load, read_optional, validate_text};
pub use paths::{
    CONFIG_FILE_NAME, DATABASE_FILE_NAME, DEFAULT_STATE_DIR_NAME, LocationOverrides, Locations,
    TOOLS_DIR_NAME, tools_bin_dir, tools_dir,
};
pub use resolve::*;
pub use secret::{ExposeSecret, Scrubber, Secret, SecretError};
pub use substitute::substitute_str;
