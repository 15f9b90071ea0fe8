//! Redaction of credentials in config documents shown to clients, and the way back.
//!
//! A config shown over the protocol (`config.get`) has every credential replaced by OpenClaw's
//! sentinel [`REDACTED_SENTINEL`], in the parsed document and in the raw text alike (the raw text
//! is edited through the concrete syntax tree, so comments and layout survive). A client that
//! edits the config sends the sentinel back unchanged where it did not touch a secret;
//! [`restore_redacted`] puts the stored value back at those paths, so the sentinel is never
//! written to the file. References to secrets (`${VAR}` strings, SecretRef objects) are not
//! secrets themselves and are shown as written: the operator needs them to edit the config.

use jsonc_parser::ast;
use serde_json::Value;

use crate::{JsonPath, json5};

/// The sentinel OpenClaw writes in place of a redacted secret (and accepts back as "keep the
/// stored value").
pub const REDACTED_SENTINEL: &str = "__OPENCLAW_REDACTED__";

/// Whether a key names a credential (tokens, passwords, API keys, private keys, cookies), as
/// OpenClaw's uiHints `sensitive` marks them. Keys naming where a secret is kept (a file, a
/// path, an env var name) are not credentials.
pub fn is_sensitive_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace(['_', '-'], "");
    let names_location = [
        "file", "path", "env", "ref", "mode", "command", "url", "source",
    ]
    .iter()
    .any(|s| k.ends_with(s));
    if names_location {
        return false;
    }
    k.ends_with("token")
        || k.contains("password")
        || k.ends_with("secret")
        || k.contains("apikey")
        || k.contains("privatekey")
        || k == "authorization"
        || k == "cookie"
}

/// Whether a string only refers to environment variables (`${VAR}`), which is not a secret.
fn is_env_reference(s: &str) -> bool {
    let t = s.trim();
    t.starts_with("${") && t.ends_with('}') && !t[2..t.len() - 1].contains(['$', '{', '}'])
}

/// Whether the value at `path` (whose last key is `key`) is a credential to hide.
fn is_secret_at(path: &JsonPath, key: &str, value: &Value) -> bool {
    let Value::String(s) = value else {
        return false;
    };
    if s == REDACTED_SENTINEL || is_env_reference(s) {
        return false;
    }
    // Everything in the `env` section may be a key pasted in for `${VAR}` substitution.
    let in_env = matches!(path.segments().first(), Some(crate::Segment::Key(k)) if k == "env")
        && key != "enabled";
    in_env || is_sensitive_key(key)
}

/// The paths of every credential string in `doc`.
pub fn sensitive_paths(doc: &Value) -> Vec<JsonPath> {
    let mut out = Vec::new();
    collect(doc, &JsonPath::root(), None, &mut out);
    out
}

fn collect(value: &Value, at: &JsonPath, key: Option<&str>, out: &mut Vec<JsonPath>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                collect(v, &at.key(k), Some(k), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                // Array elements inherit the key of their array (`apiKeys: ["…"]`).
                collect(v, &at.index(i), key, out);
            }
        }
        _ => {
            if let Some(key) = key
                && is_secret_at(at, key, value)
            {
                out.push(at.clone());
            }
        }
    }
}

/// Replaces every credential in `doc` with the sentinel.
pub fn redact_value(doc: &mut Value) {
    for path in sensitive_paths(doc) {
        if let Some(slot) = get_mut(doc, &path) {
            *slot = Value::String(REDACTED_SENTINEL.to_owned());
        }
    }
}

/// The raw config text with every credential replaced by the sentinel, comments and layout
/// kept; `None` when the text does not parse (then it cannot be searched for credentials).
///
/// The text's syntax tree is searched rather than its parsed document, because a key given
/// twice keeps only its last value in the document: an earlier copy, or a whole earlier copy of
/// an object, would otherwise be shown with its credential in the clear.
pub fn redact_text(raw: &str) -> Option<String> {
    let Some(root) = json5::parse_ast(raw).ok()? else {
        return Some(raw.to_owned());
    };
    let mut ranges = Vec::new();
    secret_ranges(&root, &JsonPath::root(), None, &mut ranges);
    ranges.sort_unstable_by_key(|r| r.start);
    let quoted = format!("\"{REDACTED_SENTINEL}\"");
    let mut out = String::with_capacity(raw.len());
    let mut copied = 0;
    for range in ranges {
        out.push_str(raw.get(copied..range.start)?);
        out.push_str(&quoted);
        copied = range.end;
    }
    out.push_str(raw.get(copied..)?);
    Some(out)
}

/// The byte ranges of every credential string literal in `value`, found at `at`.
fn secret_ranges(
    value: &ast::Value<'_>,
    at: &JsonPath,
    key: Option<&str>,
    out: &mut Vec<jsonc_parser::common::Range>,
) {
    match value {
        ast::Value::Object(object) => {
            for prop in &object.properties {
                let name = prop.name.as_str();
                secret_ranges(&prop.value, &at.key(name), Some(name), out);
            }
        }
        ast::Value::Array(array) => {
            for (i, element) in array.elements.iter().enumerate() {
                // Array elements inherit the key of their array (`apiKeys: ["…"]`).
                secret_ranges(element, &at.index(i), key, out);
            }
        }
        ast::Value::StringLit(literal) => {
            let value = Value::String(literal.value.to_string());
            if let Some(key) = key
                && is_secret_at(at, key, &value)
            {
                out.push(literal.range);
            }
        }
        ast::Value::NumberLit(_) | ast::Value::BooleanLit(_) | ast::Value::NullKeyword(_) => {}
    }
}

/// A sentinel in an incoming document that has no stored value to stand for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{path}: {REDACTED_SENTINEL} stands for a stored secret, but nothing is stored there; send the real value"
)]
pub struct UnrestorableSentinel {
    /// Where the sentinel was.
    pub path: JsonPath,
}

/// Replaces every sentinel in `incoming` with the value at the same path in `stored`, and
/// returns the paths restored (with their stored values), so a caller editing text can apply
/// the same replacements there.
pub fn restore_redacted(
    incoming: &mut Value,
    stored: &Value,
) -> Result<Vec<(JsonPath, Value)>, UnrestorableSentinel> {
    let mut found = Vec::new();
    find_sentinels(incoming, &JsonPath::root(), &mut found);
    let mut restored = Vec::new();
    for path in found {
        let Some(original) = path.get(stored).filter(|v| *v != REDACTED_SENTINEL) else {
            return Err(UnrestorableSentinel { path });
        };
        if let Some(slot) = get_mut(incoming, &path) {
            *slot = original.clone();
        }
        restored.push((path, original.clone()));
    }
    Ok(restored)
}

fn find_sentinels(value: &Value, at: &JsonPath, out: &mut Vec<JsonPath>) {
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| find_sentinels(v, &at.key(k), out)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| find_sentinels(v, &at.index(i), out)),
        Value::String(s) if s == REDACTED_SENTINEL => out.push(at.clone()),
        _ => {}
    }
}

/// The value at `path`, mutably.
pub(crate) fn get_mut<'a>(value: &'a mut Value, path: &JsonPath) -> Option<&'a mut Value> {
    path.segments()
        .iter()
        .try_fold(value, |v, seg| match (v, seg) {
            (Value::Object(m), crate::Segment::Key(k)) => m.get_mut(k),
            (Value::Array(a), crate::Segment::Index(i)) => a.get_mut(*i),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redacts_credentials_but_not_references_or_locations() {
        let mut doc = json!({
            "gateway": {"auth": {"mode": "token", "token": "abc", "passwordFile": "/p"}},
            "models": {"providers": {"x": {"apiKey": "${OPENAI_KEY}", "baseUrl": "http://h"},
                                     "y": {"apiKey": {"source": "env", "id": "K"}},
                                     "z": {"apiKey": "sk-live"}}},
            "channels": {"telegram": {"botToken": "123:abc", "allowFrom": ["1"]}},
            "env": {"vars": {"OPENAI_KEY": "sk-env"}}
        });
        redact_value(&mut doc);
        assert_eq!(doc["gateway"]["auth"]["token"], REDACTED_SENTINEL);
        assert_eq!(doc["gateway"]["auth"]["mode"], "token");
        assert_eq!(doc["gateway"]["auth"]["passwordFile"], "/p");
        assert_eq!(doc["models"]["providers"]["x"]["apiKey"], "${OPENAI_KEY}");
        assert_eq!(doc["models"]["providers"]["y"]["apiKey"]["id"], "K");
        assert_eq!(doc["models"]["providers"]["z"]["apiKey"], REDACTED_SENTINEL);
        assert_eq!(doc["channels"]["telegram"]["botToken"], REDACTED_SENTINEL);
        assert_eq!(doc["channels"]["telegram"]["allowFrom"][0], "1");
        assert_eq!(doc["env"]["vars"]["OPENAI_KEY"], REDACTED_SENTINEL);
    }

    #[test]
    fn redacts_raw_text_keeping_comments() {
        let raw = "// mine\n{\n  gateway: { auth: { token: 'super-secret-1' } }, // auth\n}\n";
        let out = redact_text(raw).unwrap();
        assert_eq!(
            out,
            format!(
                "// mine\n{{\n  gateway: {{ auth: {{ token: \"{REDACTED_SENTINEL}\" }} }}, // auth\n}}\n"
            )
        );
        assert_eq!(redact_text("").as_deref(), Some(""));
        assert_eq!(redact_text("{ token: 'x' "), None);
    }

    #[test]
    fn redacts_every_copy_of_a_repeated_key() {
        let raw = "{\n  gateway: { auth: { token: 'first-secret', token: 'second-secret' } },\n  models: { providers: { p: { apiKey: 'dropped-secret' } } },\n  models: { providers: { p: { apiKeys: ['k-one', 'k-two'] } } },\n}\n";
        let out = redact_text(raw).unwrap();
        for secret in [
            "first-secret",
            "second-secret",
            "dropped-secret",
            "k-one",
            "k-two",
        ] {
            assert!(!out.contains(secret), "{secret} shown in {out}");
        }
        assert_eq!(out.matches(REDACTED_SENTINEL).count(), 5, "{out}");
    }

    #[test]
    fn restores_sentinels_from_the_stored_document() {
        let stored = json!({"gateway": {"auth": {"token": "real"}}});
        let mut incoming = json!({"gateway": {"auth": {"token": REDACTED_SENTINEL}, "port": 1}});
        let restored = restore_redacted(&mut incoming, &stored).unwrap();
        assert_eq!(incoming["gateway"]["auth"]["token"], "real");
        assert_eq!(restored.len(), 1);
        let mut orphan = json!({"models": {"providers": {"n": {"apiKey": REDACTED_SENTINEL}}}});
        let err = restore_redacted(&mut orphan, &stored).unwrap_err();
        assert_eq!(err.path.to_string(), "models.providers.n.apiKey");
    }
}
