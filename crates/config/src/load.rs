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
    // Every problem in one pass: the keys above, then the values' types (each bad value taken
    // out so the next is found too), then the checks of the resolved config.
    let document = value.clone();
    let mut report = validate::check_keys(&mut value, &schema);
    let (file, type_errors) = parse_collecting(value);
    errors.extend(type_errors);
    let resolved = match resolve::resolve(&file, &env, locations, &path) {
        Ok(resolved) => Some(resolved),
        Err(ConfigError::Invalid { issues, .. }) => {
            errors.extend(issues);
            None
        }
        Err(other) if errors.is_empty() => return Err(other),
        // A secret that cannot be read waits for the file to be fixed first.
        Err(_) => None,
    };
    dedupe(&mut errors);
    let Some(resolved) = resolved.filter(|_| errors.is_empty()) else {
        return Err(ConfigError::Invalid {
            path,
            issues: errors,
        });
    };
    let mut resolved = resolved;
    let mut redacted = document.clone();
    crate::redact::redact_value(&mut redacted);
    resolved.config.document = std::sync::Arc::new(redacted);
    let warnings = std::mem::take(&mut report.warnings);
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
    let mut value = Value::Object(resolved.document);
    let report = validate::check_keys(&mut value, &schema::config_schema());
    let (_, type_errors) = parse_collecting(value);
    let mut errors = report.errors;
    errors.extend(type_errors);
    if !errors.is_empty() {
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            issues: errors,
        });
    }
    warnings.extend(report.warnings);
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

/// Most type errors collected from one document (each costs a deserialisation).
const MAX_TYPE_ERRORS: usize = 32;

/// Deserialises the typed file, collecting type errors: the value at each error's path is taken
/// out and the rest tried again, so one pass reports them all. The file is what remains valid.
fn parse_collecting(mut value: Value) -> (ConfigFile, Vec<Issue>) {
    let mut errors = Vec::new();
    for _ in 0..MAX_TYPE_ERRORS {
        match serde_path_to_error::deserialize::<_, ConfigFile>(value.clone()) {
            Ok(file) => return (file, errors),
            Err(error) => {
                let json_path = JsonPath::from(error.path());
                let removed = remove_at(&mut value, error.path());
                let message = crate::human::type_error(&json_path, &error.into_inner().to_string());
                errors.push(Issue::error(json_path, message));
                if !removed {
                    break;
                }
            }
        }
    }
    (ConfigFile::default(), errors)
}

/// Takes the value at `path` out of `doc`; whether there was one to take.
fn remove_at(doc: &mut Value, path: &serde_path_to_error::Path) -> bool {
    use serde_path_to_error::Segment as S;
    let segments: Vec<&S> = path.iter().collect();
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut node = doc;
    for segment in parents {
        let next = match (segment, node) {
            (S::Map { key }, Value::Object(map)) => map.get_mut(key.as_str()),
            (S::Seq { index }, Value::Array(items)) => items.get_mut(*index),
            _ => None,
        };
        let Some(next) = next else {
            return false;
        };
        node = next;
    }
    match (last, node) {
        (S::Map { key }, Value::Object(map)) => map.shift_remove(key.as_str()).is_some(),
        (S::Seq { index }, Value::Array(items)) if *index < items.len() => {
            items.remove(*index);
            true
        }
        _ => false,
    }
}

/// One issue per path and message (the key check runs on the document before and after
/// variables are substituted).
fn dedupe(issues: &mut Vec<Issue>) {
    let mut seen = std::collections::HashSet::new();
    issues.retain(|issue| seen.insert((issue.path.to_string(), issue.message.clone())));
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
