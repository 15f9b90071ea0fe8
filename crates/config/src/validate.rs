//! Key validation driven by the generated JSON Schema.
//!
//! The same schema that `rustyclaw config schema` prints decides which keys rustyclaw accepts,
//! so the two can never disagree. Walking the document beside the schema, each object key is:
//! a key of ours (descend); a key OpenClaw knows but rustyclaw does not implement (warning with
//! its path, removed before typed deserialization — see [`crate::upstream_keys`]); a map entry
//! (descend into the map's value schema); or unknown to both (error with the closest valid key).

use serde_json::{Map, Value};

use crate::refused_keys;
use crate::upstream_keys::{self, UpstreamKey};
use crate::{Issue, JsonPath, Segment};

/// Findings of a walk.
#[derive(Debug, Default)]
pub struct KeyReport {
    /// Unknown keys.
    pub errors: Vec<Issue>,
    /// Keys accepted but without effect.
    pub warnings: Vec<Issue>,
}

/// Checks every key of `doc` against `schema`, removing OpenClaw-only keys from `doc` in place.
pub fn check_keys(doc: &mut Value, schema: &Value) -> KeyReport {
    let mut report = KeyReport::default();
    let walker = Walker { root: schema };
    walker.walk(doc, schema, &JsonPath::root(), &mut report);
    report
}

struct Walker<'s> {
    root: &'s Value,
}

/// What keys an object schema allows.
#[derive(Default)]
struct Shape<'s> {
    properties: Vec<(&'s str, &'s Value)>,
    additional: Option<&'s Value>,
}

impl<'s> Walker<'s> {
    fn deref(&self, mut node: &'s Value) -> &'s Value {
        for _ in 0..32 {
            let Some(reference) = node.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some(target) = reference
                .strip_prefix("#/")
                .and_then(|p| p.split('/').try_fold(self.root, |v, seg| v.get(seg)))
            else {
                break;
            };
            node = target;
        }
        node
    }

    fn branches(&self, node: &'s Value) -> Vec<&'s Value> {
        let node = self.deref(node);
        let mut out = vec![node];
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(items) = node.get(key).and_then(Value::as_array) {
                for item in items {
                    out.extend(self.branches(item));
                }
            }
        }
        out
    }

    fn object_shape(&self, node: &'s Value, value: &Map<String, Value>) -> Option<Shape<'s>> {
        let candidates: Vec<&Value> = self
            .branches(node)
            .into_iter()
            .filter(|b| {
                b.get("properties").is_some()
                    || b.get("additionalProperties").is_some_and(Value::is_object)
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        // Tagged unions: keep the branches whose `const` properties agree with the value.
        let matching: Vec<&Value> = candidates
            .iter()
            .copied()
            .filter(|b| {
                b.get("properties")
                    .and_then(Value::as_object)
                    .is_none_or(|props| {
                        props.iter().all(|(k, s)| {
                            match (self.deref(s).get("const"), value.get(k)) {
                                (Some(c), Some(v)) => c == v,
                                (Some(_), None) => false,
                                (None, _) => true,
                            }
                        })
                    })
            })
            .collect();
        let chosen = if matching.is_empty() {
            candidates
        } else {
            matching
        };
        let mut shape = Shape::default();
        for branch in chosen {
            if let Some(props) = branch.get("properties").and_then(Value::as_object) {
                for (k, s) in props {
                    if !shape.properties.iter().any(|(name, _)| name == k) {
                        shape.properties.push((k.as_str(), s));
                    }
                }
            }
            if shape.additional.is_none() {
                shape.additional = branch.get("additionalProperties").filter(|a| a.is_object());
            }
        }
        Some(shape)
    }

    fn items_schema(&self, node: &'s Value) -> Option<&'s Value> {
        self.branches(node).into_iter().find_map(|b| b.get("items"))
    }

    fn walk(&self, value: &mut Value, node: &'s Value, at: &JsonPath, report: &mut KeyReport) {
        match value {
            Value::Object(map) => {
                let Some(shape) = self.object_shape(node, map) else {
                    return;
                };
                let keys: Vec<String> = map.keys().cloned().collect();
                for key in keys {
                    let path = at.key(&key);
                    if let Some((_, child_schema)) =
                        shape.properties.iter().find(|(k, _)| *k == key)
                    {
                        if let Some(child) = map.get_mut(&key) {
                            self.walk(child, child_schema, &path, report);
                        }
                        continue;
                    }
                    let segments = segment_strs(&path);
                    if let Some(refused) = refused_keys::lookup(&segments) {
                        map.shift_remove(&key);
                        let hint = if segments.first() == Some(&"channels") {
                            "remove it (nothing may run with more access than the config allows), or disable the channel with enabled: false"
                        } else {
                            "remove it: nothing may run with more access than the config allows"
                        };
                        report.errors.push(
                            Issue::error(
                                path,
                                format!(
                                    "rustyclaw cannot enforce this key yet, and ignoring it would allow more than the config says: it restricts {}",
                                    refused.restricts
                                ),
                            )
                            .with_hint(hint),
                        );
                        continue;
                    }
                    let exact = upstream_keys::lookup(&segments);
                    if exact.is_none()
                        && let Some(additional) = shape.additional
                    {
                        if let Some(child) = map.get_mut(&key) {
                            self.walk(child, additional, &path, report);
                        }
                        continue;
                    }
                    if exact.is_some() || upstream_keys::has_descendants(&segments) {
                        if let Some(child) = map.shift_remove(&key) {
                            upstream_value(&child, &path, exact, report);
                        }
                        continue;
                    }
                    let parent = segment_strs(at);
                    let mut candidates: Vec<&str> =
                        shape.properties.iter().map(|(k, _)| *k).collect();
                    candidates.extend(upstream_keys::children_of(&parent));
                    // Taken out, so the typed pass that follows reports the other problems
                    // rather than this one again.
                    map.shift_remove(&key);
                    let mut issue = Issue::error(path, format!("unknown key {key:?}"));
                    issue = match closest(&key, &candidates) {
                        Some(best) => issue.with_hint(format!("did you mean {best:?}?")),
                        None => issue.with_hint(format!("valid keys here: {}", list(&candidates))),
                    };
                    report.errors.push(issue);
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = self.items_schema(node) {
                    for (i, item) in items.iter_mut().enumerate() {
                        self.walk(item, item_schema, &at.index(i), report);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Reports an OpenClaw-only value: silent where it is inert, otherwise a warning per key.
fn upstream_value(
    value: &Value,
    at: &JsonPath,
    entry: Option<&UpstreamKey>,
    report: &mut KeyReport,
) {
    if let Some(inert) = entry.and_then(|e| e.inert)
        && serde_json::from_str::<Value>(inert).is_ok_and(|v| &v == value)
    {
        return;
    }
    let segments = segment_strs(at);
    if let Value::Object(map) = value
        && upstream_keys::has_descendants(&segments)
        && !map.is_empty()
    {
        for (k, v) in map {
            let path = at.key(k);
            let child_segments = segment_strs(&path);
            upstream_value(v, &path, upstream_keys::lookup(&child_segments), report);
        }
        return;
    }
    report.warnings.push(
        Issue::warning(at.clone(), "accepted for OpenClaw compatibility but not implemented by rustyclaw; it has no effect")
            .with_hint("remove it to silence this warning, or see docs/configuration.md for what is supported"),
    );
}

fn segment_strs(path: &JsonPath) -> Vec<&str> {
    path.segments()
        .iter()
        .map(|s| match s {
            Segment::Key(k) => k.as_str(),
            // Array positions match `*` in patterns.
            Segment::Index(_) => "#",
        })
        .collect()
}

fn closest<'a>(key: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = key.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.len().max(key.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn list(candidates: &[&str]) -> String {
    let mut sorted: Vec<&str> = candidates.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        crate::schema::config_schema()
    }

    #[test]
    fn unknown_key_names_path_and_closest_key() {
        let mut doc = json!({"gateway": {"prot": 1}});
        let report = check_keys(&mut doc, &schema());
        assert_eq!(report.errors.len(), 1);
        let issue = &report.errors[0];
        assert_eq!(issue.path.to_string(), "gateway.prot");
        assert_eq!(issue.hint.as_deref(), Some("did you mean \"port\"?"));
    }

    #[test]
    fn upstream_keys_warn_and_are_removed() {
        let mut doc =
            json!({"browser": {"enabled": true}, "gateway": {"remote": {"url": "x"}, "port": 1}});
        let report = check_keys(&mut doc, &schema());
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let paths: Vec<String> = report.warnings.iter().map(|w| w.path.to_string()).collect();
        assert_eq!(paths, ["browser", "gateway.remote"]);
        assert_eq!(doc, json!({"gateway": {"port": 1}}));
    }

    #[test]
    fn inert_values_are_silent_and_others_warn_per_key() {
        let mut doc = json!({
            "update": {"checkOnStart": false},
            "discovery": {"mdns": {"mode": "off"}},
            "models": {"catalogRefresh": {"enabled": false}}
        });
        let report = check_keys(&mut doc, &schema());
        assert!(
            report.errors.is_empty() && report.warnings.is_empty(),
            "{report:?}"
        );

        let mut doc =
            json!({"update": {"checkOnStart": true}, "discovery": {"mdns": {"mode": "full"}}});
        let report = check_keys(&mut doc, &schema());
        let paths: Vec<String> = report.warnings.iter().map(|w| w.path.to_string()).collect();
        assert_eq!(paths, ["update.checkOnStart", "discovery.mdns.mode"]);
    }

    #[test]
    fn map_entries_descend_into_value_schema() {
        let mut doc =
            json!({"models": {"providers": {"custom-1": {"baseUrl": "u", "apiKy": "k"}}}});
        let report = check_keys(&mut doc, &schema());
        assert_eq!(report.errors.len(), 1);
        assert_eq!(
            report.errors[0].path.to_string(),
            "models.providers.custom-1.apiKy"
        );
        assert_eq!(
            report.errors[0].hint.as_deref(),
            Some("did you mean \"apiKey\"?")
        );
    }

    #[test]
    fn arrays_and_flattened_channel_sections_are_checked() {
        let mut doc = json!({
            "agents": {"list": [{"id": "a", "groupChat": {"unmentionedInbound": "room_event"}},
                {"id": "b", "wrkspace": "x"}]},
            "channels": {"telegram": {"botToken": "t", "dmPolicy": "open", "bogus": 1,
                "streaming": {"mode": "partial", "preview": {"toolProgress": false}}}}
        });
        let report = check_keys(&mut doc, &schema());
        let errors: Vec<String> = report.errors.iter().map(|e| e.path.to_string()).collect();
        assert_eq!(
            errors,
            ["agents.list[1].wrkspace", "channels.telegram.bogus"]
        );
        let warnings: Vec<String> = report.warnings.iter().map(|e| e.path.to_string()).collect();
        assert_eq!(
            warnings,
            [
                "agents.list[0].groupChat.unmentionedInbound",
                "channels.telegram.streaming.preview"
            ]
        );
    }

    #[test]
    fn tagged_unions_pick_the_matching_branch() {
        let mut doc = json!({"secrets": {"providers": {
            "f": {"source": "file", "path": "/x", "mode": "json"},
            "e": {"source": "exec", "command": "/bin/x", "path": "/wrong"}
        }}});
        let report = check_keys(&mut doc, &schema());
        let errors: Vec<String> = report.errors.iter().map(|e| e.path.to_string()).collect();
        assert_eq!(errors, ["secrets.providers.e.path"]);
    }
}
