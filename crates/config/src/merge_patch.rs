//! JSON merge patch (RFC 7396) as OpenClaw applies it to configs, and the edits that turn one
//! document into another.
//!
//! OpenClaw's `config.patch` merges objects, deletes keys set to `null` and replaces arrays,
//! except arrays of objects that all carry an `id` on both sides: those merge element by
//! element by `id` (a list of agents or models can be patched one entry at a time). The
//! result is written back as the smallest set of [`Edit`]s on the file's syntax tree, so
//! comments and formatting of everything the patch did not touch survive.

use serde_json::{Map, Value};

use crate::JsonPath;
use crate::edit::Edit;

/// `base` with `patch` merged in.
pub fn apply_merge_patch(base: &Value, patch: &Value) -> Value {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            let mut out = b.clone();
            for (k, pv) in p {
                if pv.is_null() {
                    out.remove(k);
                    continue;
                }
                let merged = match out.get(k) {
                    Some(bv) => apply_merge_patch(bv, pv),
                    None => apply_merge_patch(&Value::Null, pv),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(b), Value::Array(p)) if has_ids(b) && has_ids(p) => {
            let mut out = b.clone();
            for item in p {
                let id = item.get("id");
                match out.iter_mut().find(|e| e.get("id") == id) {
                    Some(existing) => *existing = apply_merge_patch(existing, item),
                    None => out.push(strip_nulls(item)),
                }
            }
            Value::Array(out)
        }
        (_, Value::Object(_)) => apply_merge_patch(&Value::Object(Map::new()), patch),
        _ => patch.clone(),
    }
}

/// Whether every element is an object with a string `id` (and there is at least one).
fn has_ids(items: &[Value]) -> bool {
    !items.is_empty()
        && items
            .iter()
            .all(|i| i.get("id").is_some_and(Value::is_string))
}

/// A new value from a patch: its `null` members mean "absent".
fn strip_nulls(value: &Value) -> Value {
    apply_merge_patch(&Value::Null, value)
}

/// The edits that turn `old` into `new`: changed leaves and arrays are set, removed keys unset,
/// objects present on both sides are compared key by key.
pub fn diff_edits(old: &Value, new: &Value) -> Vec<(JsonPath, Edit)> {
    let mut out = Vec::new();
    diff(old, new, &JsonPath::root(), &mut out);
    out
}

fn diff(old: &Value, new: &Value, at: &JsonPath, out: &mut Vec<(JsonPath, Edit)>) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for k in o.keys().filter(|k| !n.contains_key(*k)) {
                out.push((at.key(k), Edit::Unset));
            }
            for (k, nv) in n {
                match o.get(k) {
                    Some(ov) => diff(ov, nv, &at.key(k), out),
                    None => out.push((at.key(k), Edit::Set(nv.clone()))),
                }
            }
        }
        _ if old == new => {}
        _ => out.push((at.clone(), Edit::Set(new.clone()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_objects_deletes_nulls_replaces_arrays() {
        let base = json!({"a": {"b": 1, "c": 2}, "tags": ["x", "y"], "gone": true});
        let patch =
            json!({"a": {"c": null, "d": {"e": null, "f": 3}}, "tags": ["z"], "gone": null});
        assert_eq!(
            apply_merge_patch(&base, &patch),
            json!({"a": {"b": 1, "d": {"f": 3}}, "tags": ["z"]})
        );
    }

    #[test]
    fn merges_object_arrays_by_id() {
        let base = json!({"list": [{"id": "main", "name": "Main", "x": 1}, {"id": "ops"}]});
        let patch = json!({"list": [{"id": "main", "x": null, "y": 2}, {"id": "new", "z": null}]});
        assert_eq!(
            apply_merge_patch(&base, &patch),
            json!({"list": [{"id": "main", "name": "Main", "y": 2}, {"id": "ops"}, {"id": "new"}]})
        );
        // Without ids on both sides the array is replaced.
        let base = json!({"list": [1, 2]});
        assert_eq!(
            apply_merge_patch(&base, &json!({"list": [{"id": "a"}]})),
            json!({"list": [{"id": "a"}]})
        );
    }

    #[test]
    fn diff_is_minimal() {
        let old = json!({"a": {"b": 1, "c": 2}, "l": [1], "k": "v"});
        let new = json!({"a": {"b": 1, "d": 3}, "l": [1, 2], "k": "v"});
        let edits: Vec<String> = diff_edits(&old, &new)
            .into_iter()
            .map(|(p, e)| format!("{p} {e:?}"))
            .collect();
        assert_eq!(
            edits,
            vec![
                "a.c Unset".to_owned(),
                "a.d Set(Number(3))".to_owned(),
                "l Set(Array [Number(1), Number(2)])".to_owned()
            ]
        );
        assert!(diff_edits(&old, &old).is_empty());
    }
}
