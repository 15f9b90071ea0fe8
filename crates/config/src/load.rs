//! The load pipeline: read → JSON5 → `$include` → `.env` + `env` → `${VAR}` → key check →
//! typed deserialisation → resolution.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::file::ConfigFile;
use crate::{
    Config, ConfigError, Env, Issue, JsonPath, Locations, duplicate_keys, include, json5, resolve,
    schema, substitute, validate,
};

/// A successfully loaded config.
#[derive(Debug)]
pub struct LoadedConfig {
    /// The resolved configuration.
    pub config: Config,
    /// The typed file (after includes and substitution; OpenClaw-only keys removed).
    pub file: ConfigFile,
    /// The whole document after includes and substitution, OpenClaw-only keys included.
    pub document: Value,
    /// Warnings: keys given twice, keys without effect, unsupported features.
    pub warnings: Vec<Issue>,
    /// The config file path.
    pub path: PathBuf,
    /// Whether the file exists (a missing file means all defaults).
    pub exists: bool,
    /// SHA-256 of the raw file text (hex), for optimistic concurrency (`baseHash`).
    pub hash: Option<String>,
    /// Files pulled in through `$include`.
    pub included_files: Vec<PathBuf>,
    /// The environment the config was resolved against: the process's, plus `<state>/.env`
    /// and the config's `env` section as fallbacks. Whatever else looks up variables (model
    /// API keys) uses this one, so a key in `.env` works everywhere a `${VAR}` does.
    pub env: Env,
}

/// Reads and resolves the config at `locations.config_path`.
pub fn load(locations: &Locations, env: &Env) -> Result<LoadedConfig, ConfigError> {
    let path = locations.config_path.clone();
    let raw = read_optional(&path)?;
    let exists = raw.is_some();
    let hash = raw.as_deref().map(hash_text);
    let include::Resolved {
        document: doc,
        files: included_files,
        warnings: text_warnings,
    } = match &raw {
        Some(text) => parse_with_includes(text, &path)?,
        None => include::Resolved {
            document: Map::new(),
            files: Vec::new(),
            warnings: Vec::new(),
        },
    };
    let mut env = env.clone();
    env.load_dotenv(&locations.state_dotenv())?;
    add_config_env(&doc, &mut env);
    let mut value = Value::Object(doc);
    // Key errors and a missing variable are reported together, so one `doctor` run shows both.
    let mut unsubstituted = value.clone();
    let schema = schema::config_schema();
    let mut errors = validate::check_keys(&mut unsubstituted, &schema).errors;
    match substitute::substitute_env(&mut value, &env, &path) {
        Ok(()) => {}
        Err(ConfigError::MissingEnvVar { json_path, var, .. }) if !errors.is_empty() => errors
            .push(
                Issue::error(
                    json_path,
                    format!("environment variable {var} is not set (referenced as ${{{var}}})"),
                )
                .with_hint("export it, add it to <state dir>/.env, or write $${VAR} for a literal"),
            ),
        Err(other) => return Err(other),
    }
    if !errors.is_empty() {
        return Err(ConfigError::Invalid {
            path,
            issues: errors,
        });
    }
    let document = value.clone();
    let (file, warnings) = check_and_parse(value, &schema, &path)?;
    let resolved = resolve::resolve(&file, &env, locations, &path)?;
    let mut all_warnings = text_warnings;
    all_warnings.extend(warnings);
    all_warnings.extend(resolved.warnings);
    Ok(LoadedConfig {
        config: resolved.config,
        file,
        document,
        warnings: all_warnings,
        path,
        exists,
        hash,
        included_files,
        env,
    })
}

/// Validates a document's keys and types without resolving secrets or variables; used before
/// every write so that a bad edit is refused and the file on disk stays as it was.
pub fn validate_text(text: &str, path: &Path) -> Result<Vec<Issue>, ConfigError> {
    let resolved = parse_with_includes(text, path)?;
    let mut warnings = resolved.warnings;
    let (_, key_warnings) = check_and_parse(
        Value::Object(resolved.document),
        &schema::config_schema(),
        path,
    )?;
    warnings.extend(key_warnings);
    Ok(warnings)
}

/// Parses the config text at `path` and resolves its `$include`s; the warnings about the texts
/// (keys given twice) start with the config file's own.
fn parse_with_includes(text: &str, path: &Path) -> Result<include::Resolved, ConfigError> {
    let doc = json5::parse_document(text, path)?;
    let mut warnings = duplicate_keys::warnings(text, &JsonPath::root(), None);
    let mut resolved = include::resolve_includes(doc, path)?;
    warnings.append(&mut resolved.warnings);
    resolved.warnings = warnings;
    Ok(resolved)
}

/// Checks keys (removing OpenClaw-only ones) and deserialises the typed file.
fn check_and_parse(
    mut value: Value,
    schema: &Value,
    path: &Path,
) -> Result<(ConfigFile, Vec<Issue>), ConfigError> {
    let report = validate::check_keys(&mut value, schema);
    if !report.errors.is_empty() {
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            issues: report.errors,
        });
    }
    let file: ConfigFile = serde_path_to_error::deserialize(value).map_err(|e| {
        let json_path = JsonPath::from(e.path());
        ConfigError::Invalid {
            path: path.to_path_buf(),
            issues: vec![Issue::error(json_path, e.into_inner().to_string())],
        }
    })?;
    Ok((file, report.warnings))
}

/// `env.vars` and inline `env` keys become fallbacks for substitution (never overriding).
fn add_config_env(doc: &Map<String, Value>, env: &mut Env) {
    let Some(Value::Object(section)) = doc.get("env") else {
        return;
    };
    let strings = |m: &Map<String, Value>| -> Vec<(String, String)> {
        m.iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
            .collect()
    };
    if let Some(Value::Object(vars)) = section.get("vars") {
        env.add_fallbacks(strings(vars));
    }
    env.add_fallbacks(strings(section));
}

/// Reads a file, `None` when it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// SHA-256 of a text, hex encoded (OpenClaw's `baseHash`).
pub fn hash_text(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}
