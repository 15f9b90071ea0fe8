//! The config file as a client sees it (OpenClaw's `ConfigFileSnapshot`) and the checked
//! rewrites a client can ask for (`config.set|apply|patch`).
//!
//! A snapshot reads the file without resolving secrets or running resolver programs: it is
//! what is written, validated, with every credential redacted by [`Snapshot::to_redacted_json`].
//! A rewrite restores redacted sentinels from the stored file, builds the new text (a patch is
//! applied as edits on the syntax tree, so comments survive), and validates it with the
//! loader's rules; only then may the caller write it.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::edit::{Edit, edit_text};
use crate::merge_patch::{apply_merge_patch, diff_edits};
use crate::redact::{UnrestorableSentinel, redact_text, redact_value, restore_redacted};
use crate::{ConfigError, Issue, JsonPath, hash_text, include, json5, load};

/// The config file as read now.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The config file path.
    pub path: PathBuf,
    /// The file text, `None` when the file does not exist.
    pub raw: Option<String>,
    /// The file's own document (before `$include`), empty when missing or unparsable.
    pub parsed: Value,
    /// The document after `$include` merging.
    pub resolved: Value,
    /// Validation errors (empty when the config is valid).
    pub issues: Vec<Issue>,
    /// Validation warnings (keys without effect).
    pub warnings: Vec<Issue>,
    /// SHA-256 (hex) of the file text; of the empty text when the file is missing.
    pub hash: String,
}

impl Snapshot {
    /// Reads and validates the file at `path`; only an unreadable file is an error.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let raw = load::read_optional(path)?;
        let hash = hash_text(raw.as_deref().unwrap_or(""));
        let mut snapshot = Snapshot {
            path: path.to_path_buf(),
            raw: raw.clone(),
            parsed: Value::Object(Map::new()),
            resolved: Value::Object(Map::new()),
            issues: Vec::new(),
            warnings: Vec::new(),
            hash,
        };
        let Some(text) = raw else {
            return Ok(snapshot);
        };
        match json5::parse_document(&text, path) {
            Ok(doc) => {
                snapshot.parsed = Value::Object(doc.clone());
                match include::resolve_includes(doc, path) {
                    Ok(resolved) => snapshot.resolved = Value::Object(resolved.document),
                    Err(e) => snapshot.issues = issues_of(e),
                }
            }
            Err(e) => snapshot.issues = issues_of(e),
        }
        if snapshot.issues.is_empty() {
            match load::validate_text(&text, path) {
                Ok(warnings) => snapshot.warnings = warnings,
                Err(e) => snapshot.issues = issues_of(e),
            }
        }
        Ok(snapshot)
    }

    /// Whether the file exists.
    pub fn exists(&self) -> bool {
        self.raw.is_some()
    }

    /// Whether the config is valid.
    pub fn valid(&self) -> bool {
        self.issues.is_empty()
    }

    /// OpenClaw's `ConfigFileSnapshot` with every credential replaced by the sentinel.
    pub fn to_redacted_json(&self) -> Value {
        let mut parsed = self.parsed.clone();
        redact_value(&mut parsed);
        let mut resolved = self.resolved.clone();
        redact_value(&mut resolved);
        // Text that does not parse cannot be searched for credentials, so it is not shown.
        let raw = self
            .raw
            .as_deref()
            .filter(|raw| json5::parse_document(raw, &self.path).is_ok())
            .and_then(redact_text);
        json!({
            "path": self.path.display().to_string(),
            "exists": self.exists(),
            "raw": raw,
            "parsed": parsed,
            "resolved": resolved,
            "valid": self.valid(),
            "config": resolved,
            "hash": self.hash,
            "issues": self.issues.iter().map(issue_json).collect::<Vec<_>>(),
            "warnings": self.warnings.iter().map(issue_json).collect::<Vec<_>>(),
            "legacyIssues": [],
        })
    }
}

/// OpenClaw's issue shape: `{path, message}`.
pub fn issue_json(issue: &Issue) -> Value {
    json!({"path": issue.path.to_string(), "message": issue.message})
}

fn issues_of(error: ConfigError) -> Vec<Issue> {
    match error {
        ConfigError::Invalid { issues, .. } => issues,
        other => vec![Issue::error(JsonPath::root(), other.to_string())],
    }
}

/// Why a requested rewrite was refused.
#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    /// The submitted text is not JSON5.
    #[error("{0}")]
    Parse(String),
    /// A patch that is not an object.
    #[error("config.patch raw must be an object")]
    NotObject,
    /// A patch on a config that is invalid now.
    #[error("invalid config; fix before patching")]
    BaseInvalid,
    /// A sentinel without a stored value.
    #[error(transparent)]
    Sentinel(#[from] UnrestorableSentinel),
    /// The result does not validate.
    #[error("invalid config: {}", summarize(.0))]
    Invalid(Vec<Issue>),
}

fn summarize(issues: &[Issue]) -> String {
    let shown: Vec<String> = issues.iter().take(3).map(ToString::to_string).collect();
    let hidden = issues.len().saturating_sub(shown.len());
    let more = match hidden {
        0 => String::new(),
        1 => " (+1 more issue)".to_owned(),
        n => format!(" (+{n} more issues)"),
    };
    format!("{}{more}", shown.join("; "))
}

/// A validated new file text.
#[derive(Debug, Clone)]
pub struct Rewrite {
    /// The text to write.
    pub text: String,
    /// Its document (sentinels restored).
    pub document: Value,
    /// Whether it differs from the file on disk.
    pub changed: bool,
}

/// `config.set`/`config.apply`: `raw` replaces the file, sentinels restored from the file.
pub fn rewrite_replace(snapshot: &Snapshot, raw: &str) -> Result<Rewrite, RewriteError> {
    let mut document = parse(raw, &snapshot.path)?;
    let restored = restore_redacted(&mut document, &snapshot.parsed)?;
    let mut text = raw.to_owned();
    for (path, value) in restored {
        text = edit_text(&text, &path, &Edit::Set(value)).map_err(invalid)?;
    }
    finish(snapshot, text, document)
}

/// `config.patch`: `raw` is a merge patch on the file's document, applied as edits on its text.
pub fn rewrite_patch(snapshot: &Snapshot, raw: &str) -> Result<Rewrite, RewriteError> {
    if snapshot.exists() && !snapshot.valid() {
        return Err(RewriteError::BaseInvalid);
    }
    let patch = parse(raw, &snapshot.path)?;
    if !patch.is_object() {
        return Err(RewriteError::NotObject);
    }
    let mut document = apply_merge_patch(&snapshot.parsed, &patch);
    restore_redacted(&mut document, &snapshot.parsed)?;
    let mut text = snapshot.raw.clone().unwrap_or_default();
    for (path, edit) in diff_edits(&snapshot.parsed, &document) {
        text = edit_text(&text, &path, &edit).map_err(invalid)?;
    }
    finish(snapshot, text, document)
}

fn parse(raw: &str, path: &Path) -> Result<Value, RewriteError> {
    // A bare value (`[1]`, `3`) is not a document; parse it as one so a patch can be refused
    // with the right message instead of a parser error.
    match json5::parse_document(raw, path) {
        Ok(map) => Ok(Value::Object(map)),
        Err(e) => {
            let value: Option<Value> =
                jsonc_parser::parse_to_serde_value(raw, &json5::parse_options())
                    .ok()
                    .flatten();
            match value {
                Some(v) if !v.is_object() => Ok(v),
                _ => Err(RewriteError::Parse(e.to_string())),
            }
        }
    }
}

fn invalid(error: ConfigError) -> RewriteError {
    RewriteError::Invalid(issues_of(error))
}

fn finish(snapshot: &Snapshot, mut text: String, document: Value) -> Result<Rewrite, RewriteError> {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    load::validate_text(&text, &snapshot.path).map_err(invalid)?;
    // A patch that changes nothing leaves the text as it was (edits are only made for
    // differences), so comparing texts also catches no-op patches.
    let changed = snapshot.raw.as_deref().map(str::trim_end) != Some(text.trim_end());
    Ok(Rewrite {
        text,
        document,
        changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::REDACTED_SENTINEL;

    const FILE: &str = "// top\n{\n  gateway: {\n    port: 18789, // the port\n    auth: { token: 'tok-secret-9' },\n  },\n}\n";

    fn snapshot() -> (tempfile::TempDir, Snapshot) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openclaw.json");
        std::fs::write(&path, FILE).unwrap();
        let snap = Snapshot::read(&path).unwrap();
        (dir, snap)
    }

    #[test]
    fn snapshot_is_redacted_everywhere() {
        let (_dir, snap) = snapshot();
        assert!(snap.valid());
        assert_eq!(snap.hash, hash_text(FILE));
        let json = snap.to_redacted_json();
        let text = json.to_string();
        assert!(!text.contains("tok-secret-9"), "{text}");
        assert_eq!(
            json["config"]["gateway"]["auth"]["token"],
            REDACTED_SENTINEL
        );
        assert!(json["raw"].as_str().unwrap().contains("// the port"));

        std::fs::write(&snap.path, "{ gateway: { auth: { token: 'tok-secret-9' } ").unwrap();
        let broken = Snapshot::read(&snap.path).unwrap();
        assert!(!broken.valid());
        let json = broken.to_redacted_json();
        assert!(json["raw"].is_null() && !json.to_string().contains("tok-secret-9"));
        assert!(!json["issues"].as_array().unwrap().is_empty());
    }

    #[test]
    fn patch_keeps_comments_and_secrets() {
        let (_dir, snap) = snapshot();
        let out = rewrite_patch(
            &snap,
            &format!("{{gateway: {{port: 19000, auth: {{token: '{REDACTED_SENTINEL}'}}}}}}"),
        )
        .unwrap();
        assert!(out.changed);
        assert!(out.text.contains("19000") && out.text.contains("// the port"));
        assert!(out.text.contains("tok-secret-9") && !out.text.contains(REDACTED_SENTINEL));
        let same = rewrite_patch(&snap, "{gateway: {port: 18789}}").unwrap();
        assert!(!same.changed);
        assert!(matches!(
            rewrite_patch(&snap, "[1]"),
            Err(RewriteError::NotObject)
        ));
    }

    #[test]
    fn replace_restores_sentinels_and_validates() {
        let (_dir, snap) = snapshot();
        let out = rewrite_replace(
            &snap,
            &format!("{{gateway: {{port: 1, auth: {{token: '{REDACTED_SENTINEL}'}}}}}}"),
        )
        .unwrap();
        assert!(out.text.contains("tok-secret-9"));
        let err = rewrite_replace(&snap, "{gateway: {port: 'x'}}").unwrap_err();
        assert!(err.to_string().contains("gateway.port"), "{err}");
        let err = rewrite_replace(&snap, "{gateway: {prot: 1}}").unwrap_err();
        assert!(err.to_string().contains("gateway.prot"), "{err}");
    }
}
