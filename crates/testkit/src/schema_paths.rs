//! The property paths of a JSON Schema, as the config-coverage tests list OpenClaw's:
//! `a.b.c` for properties, `*` for a map's values (`additionalProperties`,
//! `patternProperties`), `[]` appended to an array's name for its items. `$ref`s are resolved
//! against the nearest enclosing `$defs`/`definitions` that has the name (OpenClaw's schema
//! embeds plugin schemas with their own), and `anyOf`/`oneOf`/`allOf` branches all count.

use std::collections::BTreeSet;

use serde_json::Value;

/// Deepest nesting followed (the schema has no deeper legitimate paths; a cycle stops here).
const MAX_DEPTH: usize = 64;

/// Every property path of `schema`, sorted.
pub fn schema_paths(schema: &Value) -> Vec<String> {
    let mut paths = BTreeSet::new();
    walk(schema, &mut Vec::new(), &mut vec![schema], 0, &mut paths);
    paths.into_iter().collect()
}

fn walk<'s>(
    node: &'s Value,
    prefix: &mut Vec<String>,
    scopes: &mut Vec<&'s Value>,
    depth: usize,
    paths: &mut BTreeSet<String>,
) {
    if depth > MAX_DEPTH || !node.is_object() {
        return;
    }
    let scoped = node.get("$defs").is_some() || node.get("definitions").is_some();
    if scoped {
        scopes.push(node);
    }
    if let Some(node) = deref(node, scopes) {
        for combinator in ["anyOf", "oneOf", "allOf"] {
            for branch in node
                .get(combinator)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                walk(branch, prefix, scopes, depth + 1, paths);
            }
        }
        for (name, child) in node
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            prefix.push(name.clone());
            paths.insert(prefix.join("."));
            walk(child, prefix, scopes, depth + 1, paths);
            prefix.pop();
        }
        let maps = node
            .get("additionalProperties")
            .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
            .into_iter()
            .chain(
                node.get("patternProperties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|o| o.values()),
            );
        for values in maps {
            prefix.push("*".to_owned());
            walk(values, prefix, scopes, depth + 1, paths);
            prefix.pop();
        }
        if let (Some(items), Some(last)) = (
            node.get("items").filter(|i| i.is_object()),
            prefix.last().cloned(),
        ) {
            let len = prefix.len();
            prefix[len - 1] = format!("{last}[]");
            walk(items, prefix, scopes, depth + 1, paths);
            prefix[len - 1] = last;
        }
    }
    if scoped {
        scopes.pop();
    }
}

/// `node` with its `$ref`s followed (`None` when one does not resolve).
fn deref<'s>(mut node: &'s Value, scopes: &[&'s Value]) -> Option<&'s Value> {
    for _ in 0..32 {
        let Some(reference) = node.get("$ref").and_then(Value::as_str) else {
            return Some(node);
        };
        let mut parts = reference.rsplit('/');
        let name = parts.next()?;
        let kind = parts.next()?;
        node = scopes
            .iter()
            .rev()
            .find_map(|scope| scope.get(kind).and_then(|defs| defs.get(name)))?;
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn properties_maps_arrays_branches_and_refs_are_paths() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": {"type": "object", "properties": {"b": {"type": "string"}}},
                "m": {"type": "object", "additionalProperties": {"properties": {"x": {}}}},
                "list": {"type": "array", "items": {"properties": {"id": {}}}},
                "u": {"anyOf": [{"properties": {"p": {}}}, {"properties": {"q": {}}}]},
                "r": {"$ref": "#/$defs/thing"}
            },
            "$defs": {"thing": {"properties": {"inner": {}}}}
        });
        assert_eq!(
            schema_paths(&schema),
            [
                "a",
                "a.b",
                "list",
                "list[].id",
                "m",
                "m.*.x",
                "r",
                "r.inner",
                "u",
                "u.p",
                "u.q"
            ]
        );
    }
}
