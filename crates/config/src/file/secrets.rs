//! `secrets` and the `SecretInput` value type used by every credential field.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A credential: a literal string (may use `${VAR}`) or a reference to a secret provider.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SecretInput {
    /// The secret itself, or `${VAR}` / `$VAR` naming an environment variable.
    Literal(String),
    /// A reference resolved through `secrets.providers`.
    Ref(SecretRef),
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretInput::Literal(_) => f.write_str("Literal([REDACTED])"),
            SecretInput::Ref(r) => f.debug_tuple("Ref").field(r).finish(),
        }
    }
}

/// `{ source, provider, id }`: where to fetch a secret from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretRef {
    /// Which kind of provider: `env`, `file`, `exec` (or `store`, not supported yet).
    pub source: SecretSource,
    /// Provider alias under `secrets.providers`; defaults to `secrets.defaults.<source>` or `default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The secret's id: a variable name (env), a JSON pointer or `value` (file), an opaque id (exec).
    pub id: String,
}

/// Kinds of secret providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SecretSource {
    /// An environment variable.
    Env,
    /// A JSON file or a single-value file.
    File,
    /// A resolver program speaking OpenClaw's exec protocol (JSON on stdin/stdout).
    Exec,
    /// OpenClaw's shared SQLite store (not supported by rustyclaw).
    Store,
}

impl SecretSource {
    /// The source name as written in config.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretSource::Env => "env",
            SecretSource::File => "file",
            SecretSource::Exec => "exec",
            SecretSource::Store => "store",
        }
    }
}

/// `secrets`: provider definitions and per-source default aliases.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretsSection {
    /// Providers by alias.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub providers: Option<BTreeMap<String, SecretProviderSection>>,
    /// Default alias per source (`{ env: "default", file: "filemain", exec: "vault" }`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defaults: Option<BTreeMap<String, String>>,
}

/// One secret provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "source", rename_all = "camelCase")]
pub enum SecretProviderSection {
    /// Environment variables, optionally restricted to an allowlist of names.
    #[serde(rename_all = "camelCase")]
    Env {
        /// Names this provider may resolve; absent = any, empty = none.
        #[serde(skip_serializing_if = "Option::is_none")]
        allowlist: Option<Vec<String>>,
    },
    /// A private local file.
    #[serde(rename_all = "camelCase")]
    File {
        /// Path of the file (`~` expanded). Must be a regular, private (0600/0400) file.
        path: String,
        /// `json` (default: ids are JSON pointers) or `singleValue` (id `value`, whole file).
        #[serde(skip_serializing_if = "Option::is_none")]
        mode: Option<SecretFileMode>,
        /// Largest file read, in bytes (default 1 MiB).
        #[serde(skip_serializing_if = "Option::is_none")]
        max_bytes: Option<u64>,
        /// Read timeout in milliseconds (default 5000).
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
    /// A resolver program, run directly (no shell).
    #[serde(rename_all = "camelCase")]
    Exec {
        /// Absolute path of the program; must not be a symlink or group/world-writable.
        command: String,
        /// Arguments.
        #[serde(skip_serializing_if = "Option::is_none")]
        args: Option<Vec<String>>,
        /// Wall-clock limit in milliseconds (default 5000).
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
        /// Limit without any output in milliseconds (accepted; the wall-clock limit applies).
        #[serde(skip_serializing_if = "Option::is_none")]
        no_output_timeout_ms: Option<u64>,
        /// Largest accepted output in bytes (default 1 MiB).
        #[serde(skip_serializing_if = "Option::is_none")]
        max_output_bytes: Option<u64>,
        /// Names of variables passed through from rustyclaw's environment.
        #[serde(skip_serializing_if = "Option::is_none")]
        pass_env: Option<Vec<String>>,
        /// Variables set for the program.
        #[serde(skip_serializing_if = "Option::is_none")]
        env: Option<BTreeMap<String, String>>,
        /// Require a JSON response (default true); false accepts plain stdout for one id.
        #[serde(skip_serializing_if = "Option::is_none")]
        json_only: Option<bool>,
        /// Directories the program must live in, when set.
        #[serde(skip_serializing_if = "Option::is_none")]
        trusted_dirs: Option<Vec<String>>,
        /// Skip the ownership/permission checks on `command` (not recommended).
        #[serde(skip_serializing_if = "Option::is_none")]
        allow_insecure_path: Option<bool>,
    },
}

/// How a file secret provider reads its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SecretFileMode {
    /// A JSON object; ids are JSON pointers into it.
    Json,
    /// The whole file is the secret (trailing newline removed); the id is `value`.
    SingleValue,
}
