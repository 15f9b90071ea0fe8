//! `$include` resolution, as OpenClaw does it.
//!
//! `"$include": "./x.json5"` replaces the object that contains it with the included file; an
//! array of files is deep-merged in order; sibling keys next to `$include` are merged over the
//! included content. Paths are relative to the including file, nesting is limited to
//! [`MAX_INCLUDE_DEPTH`], and a file that (transitively) includes itself is an error.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::{ConfigError, JsonPath, json5};

/// Deepest allowed `$include` nesting.
pub const MAX_INCLUDE_DEPTH: usize = 10;

/// The key that pulls another file in.
pub const INCLUDE_KEY: &str = "$include";

/// Resolves every `$include` in `doc`, which was read from `path`. Returns the merged document
/// and the list of files that were included (for reload watching and diagnostics).
pub fn resolve_includes(
    doc: Map<String, Value>,
    path: &Path,
) -> Result<(Map<String, Value>, Vec<PathBuf>), ConfigError> {
    let mut resolver = Resolver {
        chain: vec![canonical(path)],
        included: Vec::new(),
    };
    let value = resolver.resolve_value(Value::Object(doc), path, &JsonPath::root())?;
    match value {
        Value::Object(map) => Ok((map, resolver.included)),
        _ => Err(ConfigError::NotAnObject {
            path: path.to_path_buf(),
        }),
    }
}

/// Deep-merges `over` into `base`: objects merge key by key, anything else replaces.
pub fn deep_merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (k, v) in over {
                match base.get_mut(&k) {
                    Some(slot) => deep_merge(slot, v),
                    None => {
                        base.insert(k, v);
                    }
                }
            }
        }
        (slot, over) => *slot = over,
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

struct Resolver {
    chain: Vec<PathBuf>,
    included: Vec<PathBuf>,
}

impl Resolver {
    fn resolve_value(
        &mut self,
        value: Value,
        file: &Path,
        at: &JsonPath,
    ) -> Result<Value, ConfigError> {
        match value {
            Value::Object(map) => self.resolve_object(map, file, at),
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| self.resolve_value(v, file, &at.index(i)))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other),
        }
    }

    fn resolve_object(
        &mut self,
        mut map: Map<String, Value>,
        file: &Path,
        at: &JsonPath,
    ) -> Result<Value, ConfigError> {
        let include = map.shift_remove(INCLUDE_KEY);
        let mut siblings = Map::new();
        for (k, v) in map {
            let resolved = self.resolve_value(v, file, &at.key(&k))?;
            siblings.insert(k, resolved);
        }
        let Some(include) = include else {
            return Ok(Value::Object(siblings));
        };
        let invalid = |reason: &str| ConfigError::IncludeInvalid {
            path: file.to_path_buf(),
            json_path: at.key(INCLUDE_KEY),
            reason: reason.to_owned(),
        };
        let targets: Vec<String> = match include {
            Value::String(s) => vec![s],
            Value::Array(items) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(invalid("array entries must be file paths (strings)")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(invalid("must be a file path or an array of file paths")),
        };
        let mut merged = Value::Object(Map::new());
        for target in targets {
            let included = self.load(&target, file)?;
            deep_merge(&mut merged, included);
        }
        if !siblings.is_empty() {
            if !merged.is_object() {
                return Err(invalid(
                    "an included non-object cannot be merged with sibling keys",
                ));
            }
            deep_merge(&mut merged, Value::Object(siblings));
        }
        Ok(merged)
    }

    fn load(&mut self, target: &str, from: &Path) -> Result<Value, ConfigError> {
        let base = from.parent().unwrap_or_else(|| Path::new("."));
        let path = base.join(target);
        let key = canonical(&path);
        if self.chain.contains(&key) {
            let mut chain = self.chain.clone();
            chain.push(key);
            return Err(ConfigError::IncludeCycle { chain });
        }
        if self.chain.len() > MAX_INCLUDE_DEPTH {
            return Err(ConfigError::IncludeTooDeep {
                path: path.clone(),
                max: MAX_INCLUDE_DEPTH,
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let doc = json5::parse_document_any(&text, &path)?;
        self.chain.push(key);
        self.included.push(path.clone());
        let resolved = self.resolve_value(doc, &path, &JsonPath::root());
        self.chain.pop();
        resolved
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    fn load(path: &Path) -> Result<Value, ConfigError> {
        let text = std::fs::read_to_string(path).unwrap();
        let doc = json5::parse_document(&text, path)?;
        resolve_includes(doc, path).map(|(m, _)| Value::Object(m))
    }

    #[test]
    fn single_include_replaces_object_and_siblings_override() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "parts/gw.json5",
            "{ port: 1, bind: 'loopback', auth: { mode: 'token' } }",
        );
        let main = write(
            dir.path(),
            "openclaw.json",
            "{ gateway: { $include: './parts/gw.json5', port: 2, auth: { token: 't' } } }",
        );
        assert_eq!(
            load(&main).unwrap(),
            json!({"gateway": {"port": 2, "bind": "loopback", "auth": {"mode": "token", "token": "t"}}})
        );
    }

    #[test]
    fn array_include_merges_in_order_and_nested_paths_are_relative() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "a/one.json5",
            "{ x: 1, deep: { a: 1 }, $include: './two.json5' }",
        );
        write(dir.path(), "a/two.json5", "{ y: 2 }");
        write(dir.path(), "b.json5", "{ x: 3, deep: { b: 2 } }");
        let main = write(
            dir.path(),
            "main.json",
            "{ $include: ['a/one.json5', 'b.json5'] }",
        );
        assert_eq!(
            load(&main).unwrap(),
            json!({"x": 3, "y": 2, "deep": {"a": 1, "b": 2}})
        );
    }

    #[test]
    fn detects_cycles() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.json5", "{ $include: 'b.json5' }");
        write(dir.path(), "b.json5", "{ inner: { $include: 'a.json5' } }");
        let main = write(dir.path(), "main.json", "{ $include: 'a.json5' }");
        let err = load(&main).unwrap_err();
        assert!(
            matches!(err, ConfigError::IncludeCycle { ref chain } if chain.len() == 4),
            "{err}"
        );
    }

    #[test]
    fn limits_depth_to_ten() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..12 {
            write(
                dir.path(),
                &format!("f{i}.json5"),
                &format!("{{ v{i}: {i}, $include: 'f{}.json5' }}", i + 1),
            );
        }
        write(dir.path(), "f12.json5", "{ end: true }");
        let main = write(dir.path(), "main.json", "{ $include: 'f0.json5' }");
        assert!(matches!(
            load(&main).unwrap_err(),
            ConfigError::IncludeTooDeep { max: 10, .. }
        ));

        let ok_dir = tempfile::tempdir().unwrap();
        for i in 0..9 {
            write(
                ok_dir.path(),
                &format!("f{i}.json5"),
                &format!("{{ v{i}: {i}, $include: 'f{}.json5' }}", i + 1),
            );
        }
        write(ok_dir.path(), "f9.json5", "{ end: true }");
        let main = write(ok_dir.path(), "main.json", "{ $include: 'f0.json5' }");
        assert_eq!(load(&main).unwrap()["end"], json!(true));
    }

    #[test]
    fn reports_missing_files_and_bad_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let main = write(dir.path(), "main.json", "{ a: { $include: 'nope.json5' } }");
        assert!(
            matches!(load(&main).unwrap_err(), ConfigError::Read { ref path, .. } if path.ends_with("nope.json5"))
        );
        let main = write(dir.path(), "main2.json", "{ a: { $include: 5 } }");
        let err = load(&main).unwrap_err();
        assert!(err.to_string().contains("a.$include"), "{err}");
    }
}
