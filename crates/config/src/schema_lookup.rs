//! Walking the config JSON Schema by dot path: OpenClaw's `config.schema` uiHints and
//! `config.schema.lookup`.
//!
//! Paths are OpenClaw's: dot-separated keys, `*` for any entry of a map or array
//! (`models.providers.*.apiKey`). The schema is the one generated from `ConfigFile`, so a path
//! that resolves here is a key the loader accepts. Hints come from the schema as well: the doc
//! comment of a field becomes its `help`, and a field typed as a secret input is `sensitive`.

use serde_json::{Map, Value, json};

/// Depth at which hint generation stops (the config is far shallower; this bounds recursive
/// types).
const MAX_DEPTH: usize = 12;

/// A schema node with `$ref`s and `T | null` unions resolved to the underlying type.
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..MAX_DEPTH {
        if let Some(target) = node.get("$ref").and_then(Value::as_str) {
            match target
                .strip_prefix("#/$defs/")
                .and_then(|name| root.get("$defs")?.get(name))
            {
                Some(next) => node = next,
                None => return node,
            }
            continue;
        }
        let variants = node.get("anyOf").or_else(|| node.get("oneOf"));
        if let Some(Value::Array(variants)) = variants {
            let non_null: Vec<&Value> = variants
                .iter()
                .filter(|v| v.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if let [only] = non_null.as_slice() {
                node = only;
                continue;
            }
        }
        return node;
    }
    node
}

/// Whether a (raw, unresolved) property schema is a secret input.
fn is_secret(node: &Value) -> bool {
    let text = node.to_string();
    text.contains("#/$defs/SecretInput")
}

/// The child schemas of a resolved node: named properties, then `*` for map or array entries.
fn children(node: &Value) -> Vec<(String, &Value)> {
    let mut out: Vec<(String, &Value)> = node
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| props.iter().map(|(k, v)| (k.clone(), v)).collect())
        .unwrap_or_default();
    if let Some(extra) = node.get("additionalProperties").filter(|v| v.is_object()) {
        out.push(("*".to_owned(), extra));
    }
    if let Some(items) = node.get("items").filter(|v| v.is_object()) {
        out.push(("*".to_owned(), items));
    }
    out
}

/// The uiHint of one property: its description as help, and whether it is a secret.
fn hint_for(raw: &Value, resolved: &Value) -> Option<Value> {
    let mut hint = Map::new();
    let help = raw
        .get("description")
        .or_else(|| resolved.get("description"))
        .and_then(Value::as_str);
    if let Some(help) = help {
        hint.insert("help".to_owned(), json!(help));
    }
    if is_secret(raw) {
        hint.insert("sensitive".to_owned(), json!(true));
    }
    (!hint.is_empty()).then_some(Value::Object(hint))
}

/// uiHints for every path of the schema, keyed by dot path with `*` for entries.
pub fn ui_hints(schema: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    walk_hints(schema, resolve(schema, schema), "", 0, &mut out);
    out
}

fn walk_hints(
    root: &Value,
    node: &Value,
    prefix: &str,
    depth: usize,
    out: &mut Map<String, Value>,
) {
    if depth >= MAX_DEPTH {
        return;
    }
    for (key, raw) in children(node) {
        let path = join(prefix, &key);
        let resolved = resolve(root, raw);
        if let Some(hint) = hint_for(raw, resolved) {
            out.insert(path.clone(), hint);
        }
        walk_hints(root, resolved, &path, depth + 1, out);
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The JSON types a node accepts (without `null`), as OpenClaw reports them.
fn type_of(root: &Value, node: &Value) -> Option<Value> {
    let node = resolve(root, node);
    let mut types: Vec<String> = match node.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    if types.is_empty() {
        if let Some(Value::Array(variants)) = node.get("anyOf").or_else(|| node.get("oneOf")) {
            for v in variants {
                match type_of(root, v) {
                    Some(Value::String(t)) => types.push(t),
                    Some(Value::Array(ts)) => {
                        types.extend(ts.iter().filter_map(|t| t.as_str().map(str::to_owned)))
                    }
                    _ => {}
                }
            }
        } else if node.get("enum").is_some() || node.get("const").is_some() {
            types.push("string".to_owned());
        }
    }
    types.retain(|t| t != "null");
    types.dedup();
    match types.as_slice() {
        [] => None,
        [one] => Some(json!(one)),
        _ => Some(json!(types)),
    }
}

/// A node without its children, with its alternatives resolved one level, so it can be shown
/// on its own (the `$defs` it would point into are not part of the answer).
fn shallow(root: &Value, node: &Value, depth: usize) -> Value {
    let node = resolve(root, node);
    let Value::Object(map) = node else {
        return node.clone();
    };
    let mut out = Map::new();
    for (k, v) in map {
        match k.as_str() {
            "properties" | "additionalProperties" | "items" | "$defs" | "$schema" => {}
            "anyOf" | "oneOf" if depth < 2 => {
                let variants = v
                    .as_array()
                    .map(|vs| vs.iter().map(|x| shallow(root, x, depth + 1)).collect())
                    .unwrap_or_default();
                out.insert(k.clone(), Value::Array(variants));
            }
            "anyOf" | "oneOf" => {}
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    // `null` only says the key may be absent; report the type of a present value.
    out.remove("type");
    if let Some(t) = type_of(root, node) {
        out.insert("type".to_owned(), t);
    }
    Value::Object(out)
}

fn has_children(root: &Value, node: &Value) -> bool {
    !children(resolve(root, node)).is_empty()
}

/// `config.schema.lookup`: the schema at `path` and its direct children, `None` when the path
/// does not exist in the schema.
pub fn lookup(schema: &Value, path: &str) -> Option<Value> {
    let segments: Vec<&str> = path
        .split(['.', '[', ']'])
        .filter(|s| !s.is_empty())
        .collect();
    if segments.is_empty() {
        return None;
    }
    let hints = ui_hints(schema);
    let mut raw = schema;
    let mut node = resolve(schema, schema);
    let mut hint_path = String::new();
    for seg in &segments {
        let (key, child) = children(node)
            .into_iter()
            .find(|(k, _)| k == seg)
            .or_else(|| children(node).into_iter().find(|(k, _)| k == "*"))?;
        hint_path = join(&hint_path, &key);
        raw = child;
        node = resolve(schema, child);
    }
    let required: Vec<&str> = node
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let display_path = segments.join(".");
    let kids: Vec<Value> = children(node)
        .into_iter()
        .map(|(key, child)| {
            let child_hint_path = join(&hint_path, &key);
            let mut entry = json!({
                "key": key,
                "path": join(&display_path, &key),
                "required": required.contains(&key.as_str()),
                "hasChildren": has_children(schema, child),
            });
            if let Some(t) = type_of(schema, child) {
                entry["type"] = t;
            }
            if let Some(h) = hints.get(&child_hint_path) {
                entry["hint"] = h.clone();
                entry["hintPath"] = json!(child_hint_path);
            }
            entry
        })
        .collect();
    let mut out = json!({
        "path": display_path,
        "schema": shallow(schema, raw, 0),
        "children": kids,
    });
    if let Some(h) = hints.get(&hint_path) {
        out["hint"] = h.clone();
        out["hintPath"] = json!(hint_path);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::config_schema;

    #[test]
    fn hints_mark_secrets_and_carry_help() {
        let hints = ui_hints(&config_schema());
        assert_eq!(hints["gateway.auth.token"]["sensitive"], true);
        assert_eq!(hints["models.providers.*.apiKey"]["sensitive"], true);
        assert!(
            hints["gateway.port"]["help"]
                .as_str()
                .unwrap()
                .contains("18789")
        );
        assert!(hints["gateway.port"].get("sensitive").is_none());
    }

    #[test]
    fn lookup_lists_children_with_types() {
        let schema = config_schema();
        let found = lookup(&schema, "gateway.auth").unwrap();
        assert_eq!(found["path"], "gateway.auth");
        let keys: Vec<&str> = found["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["key"].as_str().unwrap())
            .collect();
        assert!(
            keys.contains(&"token") && keys.contains(&"mode"),
            "{keys:?}"
        );
        let token = found["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == "token")
            .unwrap();
        assert_eq!(token["hint"]["sensitive"], true);
        assert_eq!(token["hasChildren"], false);

        let entry = lookup(&schema, "models.providers.openai").unwrap();
        assert_eq!(entry["path"], "models.providers.openai");
        assert_eq!(entry["schema"]["type"], "object");
        assert!(lookup(&schema, "models.providers.openai.apiKey").is_some());
        assert_eq!(
            lookup(&schema, "gateway.port").unwrap()["schema"]["type"],
            "integer"
        );
        assert!(lookup(&schema, "gateway.nope").is_none());
    }
}
