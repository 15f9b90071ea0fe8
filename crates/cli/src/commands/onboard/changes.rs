//! What a run of onboarding changes in an existing config: the edits whose value differs from
//! what is there, and one line per change for the person to read before anything is written.

use serde_json::Value;

use super::current::Current;

/// One config edit: dotted path segments and the value to set.
pub type EditList = Vec<(Vec<String>, Value)>;

/// One changed setting, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Dotted path.
    pub path: String,
    /// The value before (`None` when unset), secrets masked.
    pub before: Option<String>,
    /// The value after, secrets masked.
    pub after: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.before {
            Some(before) => write!(f, "{}: {before} → {}", self.path, self.after),
            None => write!(f, "{}: {} (new)", self.path, self.after),
        }
    }
}

/// Keys whose values are never shown.
const SECRET_KEYS: &[&str] = &["token", "password", "apiKey"];

/// Bookkeeping edits: applied on every run, never listed as changes.
const BOOKKEEPING: &[&str] = &["wizard"];

/// Splits `edits` into those that change something and the lines describing them. Edits that
/// set what is already there are dropped, so a second run with the same answers leaves the
/// file as it was (apart from the wizard's bookkeeping).
pub fn diff(current: &Current, edits: EditList) -> (EditList, Vec<Change>) {
    let mut kept = Vec::new();
    let mut changes = Vec::new();
    for (path, value) in edits {
        let before = current.get(&path);
        if path
            .first()
            .is_some_and(|key| BOOKKEEPING.contains(&key.as_str()))
        {
            kept.push((path, value));
            continue;
        }
        if before == Some(&value) {
            continue;
        }
        let mut change = Change {
            path: path.join("."),
            before: before.map(show),
            after: show(&value),
        };
        mask_secret_leaf(&mut change);
        changes.push(change);
        kept.push((path, value));
    }
    (kept, changes)
}

/// A value as one short line, with secret fields (and secret-named leaves) masked.
fn show(value: &Value) -> String {
    masked(value).to_string()
}

fn masked(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if SECRET_KEYS.contains(&k.as_str()) && v.is_string() {
                        Value::String("(secret)".into())
                    } else {
                        masked(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A change of a leaf named like a secret (a token set directly) shows no value.
fn mask_secret_leaf(change: &mut Change) {
    let leaf = change.path.rsplit('.').next().unwrap_or_default();
    if SECRET_KEYS.contains(&leaf) {
        if change.before.is_some() {
            change.before = Some("(secret)".into());
        }
        if change.after.starts_with('"') {
            change.after = "(new secret)".into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn current(json: Value) -> Current {
        let dir = std::env::temp_dir().join(format!("rc-changes-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("openclaw.json");
        std::fs::write(&path, json.to_string()).unwrap();
        let c = Current::read(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        c
    }

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn unchanged_values_are_dropped_and_changed_ones_listed() {
        let c = current(json!({"gateway": {"port": 18789, "auth": {"token": "old"}}}));
        let (kept, changes) = diff(
            &c,
            vec![
                (path("gateway.port"), json!(18789)),
                (path("gateway.bind"), json!("loopback")),
                (path("gateway.auth.token"), json!("new")),
                (path("wizard"), json!({"lastRunAt": "now"})),
            ],
        );
        assert_eq!(kept.len(), 3, "port unchanged: {kept:?}");
        let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "gateway.bind: \"loopback\" (new)",
                "gateway.auth.token: (secret) → (new secret)"
            ]
        );
    }

    #[test]
    fn secrets_inside_objects_are_masked() {
        let c = current(json!({}));
        let (_, changes) = diff(
            &c,
            vec![(
                path("models.providers.x"),
                json!({"baseUrl": "u", "apiKey": "sk-1"}),
            )],
        );
        assert_eq!(changes[0].after, r#"{"baseUrl":"u","apiKey":"(secret)"}"#);
    }
}
