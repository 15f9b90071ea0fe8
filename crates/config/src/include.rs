//! `$include` resolution, as OpenClaw does it.
//!
//! `"$include": "./x.json5"` replaces the object that contains it with the included file; an
//! array of files is deep-merged in order; sibling keys next to `$include` are merged over the
//! included content. Paths are relative to the including file, nesting is limited to
//! [`MAX_INCLUDE_DEPTH`], and a file that (transitively) includes itself is an error.
//!
//! An include path can be set remotely (`config.patch`), so it is read as untrusted: only a
//! regular file of at most [`MAX_INCLUDE_BYTES`] is accepted (never a device such as
//! `/dev/zero`, a FIFO or a directory, which would be read for ever), and all included files
//! together may hold at most [`MAX_INCLUDED_TOTAL_BYTES`], so listing one large file a thousand
//! times cannot exhaust memory either.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::regular_file::{self, ReadLimits};
use crate::{ConfigError, Issue, JsonPath, duplicate_keys, json5};

/// Deepest allowed `$include` nesting.
pub const MAX_INCLUDE_DEPTH: usize = 10;

/// Largest file `$include` reads, in bytes (2 MiB; a config part is a few kilobytes).
pub const MAX_INCLUDE_BYTES: u64 = 2 * 1024 * 1024;

/// Largest total of every file one config pulls in through `$include`, in bytes (8 MiB).
pub const MAX_INCLUDED_TOTAL_BYTES: u64 = 8 * 1024 * 1024;

/// The key that pulls another file in.
pub const INCLUDE_KEY: &str = "$include";

/// A document with every `$include` resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The merged document.
    pub document: Map<String, Value>,
    /// The files that were included (for reload watching and diagnostics).
    pub files: Vec<PathBuf>,
    /// Warnings about the included files' text (keys given twice), with their merged paths.
    pub warnings: Vec<Issue>,
}

/// Resolves every `$include` in `doc`, which was read from `path`.
pub fn resolve_includes(doc: Map<String, Value>, path: &Path) -> Result<Resolved, ConfigError> {
    let mut resolver = Resolver {
        chain: vec![canonical(path)],
        files: Vec::new(),
        warnings: Vec::new(),
        total_bytes: 0,
    };
    let root = JsonPath::root();
    let value = resolver.resolve_value(
        Value::Object(doc),
        &Place {
            file: path,
            base: &root,
        },
        &root,
    )?;
    match value {
        Value::Object(document) => Ok(Resolved {
            document,
            files: resolver.files,
            warnings: resolver.warnings,
        }),
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
    files: Vec<PathBuf>,
    warnings: Vec<Issue>,
    total_bytes: u64,
}

/// The file being resolved and where its document sits in the merged config.
#[derive(Clone, Copy)]
struct Place<'a> {
    /// The file.
    file: &'a Path,
    /// The merged path of its root (the root for the config file itself).
    base: &'a JsonPath,
}

/// One `$include` target: the file it names and where it was written.
struct Target<'a> {
    /// The path as written.
    name: &'a str,
    /// The including file.
    from: Place<'a>,
    /// The object the included content replaces, in the including file.
    at: &'a JsonPath,
    /// The `$include` (or its array element) in the including file, for messages.
    json_path: JsonPath,
}

impl Resolver {
    /// Resolves `value`, found at `at` in `place.file`.
    fn resolve_value(
        &mut self,
        value: Value,
        place: &Place<'_>,
        at: &JsonPath,
    ) -> Result<Value, ConfigError> {
        match value {
            Value::Object(map) => self.resolve_object(map, place, at),
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| self.resolve_value(v, place, &at.index(i)))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other),
        }
    }

    fn resolve_object(
        &mut self,
        mut map: Map<String, Value>,
        place: &Place<'_>,
        at: &JsonPath,
    ) -> Result<Value, ConfigError> {
        let include = map.shift_remove(INCLUDE_KEY);
        let mut siblings = Map::new();
        for (k, v) in map {
            let resolved = self.resolve_value(v, place, &at.key(&k))?;
            siblings.insert(k, resolved);
        }
        let Some(include) = include else {
            return Ok(Value::Object(siblings));
        };
        let include_path = at.key(INCLUDE_KEY);
        let invalid = |reason: &str| ConfigError::IncludeInvalid {
            path: place.file.to_path_buf(),
            json_path: include_path.clone(),
            reason: reason.to_owned(),
        };
        let targets: Vec<(String, JsonPath)> = match include {
            Value::String(s) => vec![(s, include_path.clone())],
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok((s, include_path.index(i))),
                    _ => Err(invalid("array entries must be file paths (strings)")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(invalid("must be a file path or an array of file paths")),
        };
        let mut merged = Value::Object(Map::new());
        for (name, json_path) in targets {
            let included = self.load(&Target {
                name: &name,
                from: *place,
                at,
                json_path,
            })?;
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

    fn load(&mut self, target: &Target<'_>) -> Result<Value, ConfigError> {
        let base = target.from.file.parent().unwrap_or_else(|| Path::new("."));
        let path = base.join(target.name);
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
        let limits = ReadLimits {
            max_bytes: MAX_INCLUDE_BYTES,
            follow_symlinks: true,
        };
        let text = regular_file::read_text(&path, limits).map_err(|source| {
            ConfigError::IncludeUnreadable {
                path: target.from.file.to_path_buf(),
                json_path: target.json_path.clone(),
                include: path.clone(),
                source,
            }
        })?;
        self.total_bytes = self
            .total_bytes
            .saturating_add(u64::try_from(text.len()).unwrap_or(u64::MAX));
        if self.total_bytes > MAX_INCLUDED_TOTAL_BYTES {
            return Err(ConfigError::IncludesTooLarge {
                path: target.from.file.to_path_buf(),
                json_path: target.json_path.clone(),
                max_bytes: MAX_INCLUDED_TOTAL_BYTES,
            });
        }
        let doc = json5::parse_document_any(&text, &path)?;
        let merged_at = target.from.base.join(target.at);
        self.warnings
            .extend(duplicate_keys::warnings(&text, &merged_at, Some(&path)));
        // The text is not needed while nested includes are read; up to 2 MiB is freed now.
        drop(text);
        self.chain.push(key);
        self.files.push(path.clone());
        let place = Place {
            file: &path,
            base: &merged_at,
        };
        let resolved = self.resolve_value(doc, &place, &JsonPath::root());
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
        resolve_includes(doc, path).map(|r| Value::Object(r.document))
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
        let err = load(&main).unwrap_err();
        assert!(
            matches!(err, ConfigError::IncludeUnreadable { ref include, .. } if include.ends_with("nope.json5")),
            "{err}"
        );
        assert!(err.to_string().contains("a.$include"), "{err}");
        let main = write(dir.path(), "main2.json", "{ a: { $include: 5 } }");
        let err = load(&main).unwrap_err();
        assert!(err.to_string().contains("a.$include"), "{err}");
    }

    #[test]
    fn devices_and_directories_are_refused_naming_both_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("parts")).unwrap();
        for (target, why) in [
            ("/dev/zero", "it is a character device, not a regular file"),
            (
                "/dev/urandom",
                "it is a character device, not a regular file",
            ),
            ("parts", "it is a directory, not a regular file"),
        ] {
            let main = write(
                dir.path(),
                "openclaw.json",
                &format!("{{ tools: {{ $include: '{target}' }} }}"),
            );
            let err = load(&main).unwrap_err().to_string();
            let expected = format!(
                "{}: tools.$include: cannot include {}: {why}",
                main.display(),
                dir.path().join(target).display()
            );
            assert_eq!(err, expected);
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.json5");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from(0o600)).unwrap();
        let main = write(
            dir.path(),
            "main.json",
            "{ a: { $include: ['pipe.json5'] } }",
        );
        let err = load(&main).unwrap_err().to_string();
        assert!(
            err.contains("a.$include[0]: cannot include") && err.contains("FIFO (named pipe)"),
            "{err}"
        );
    }

    #[test]
    fn files_and_their_total_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let cap = usize::try_from(MAX_INCLUDE_BYTES).unwrap();
        write(
            dir.path(),
            "big.json5",
            &format!("{{ a: '{}' }}", "x".repeat(cap)),
        );
        let main = write(dir.path(), "main.json", "{ $include: 'big.json5' }");
        let err = load(&main).unwrap_err().to_string();
        assert!(err.ends_with("it is larger than 2097152 bytes"), "{err}");

        // One file just under the cap, listed often enough to pass the total.
        write(
            dir.path(),
            "part.json5",
            &format!("{{ a: '{}' }}", "x".repeat(cap - 100)),
        );
        let list = ["'part.json5'"; 5].join(", ");
        let main = write(
            dir.path(),
            "main.json",
            &format!("{{ $include: [{list}] }}"),
        );
        let err = load(&main).unwrap_err();
        assert!(
            matches!(err, ConfigError::IncludesTooLarge { ref json_path, .. } if json_path.to_string() == "$include[4]"),
            "{err}"
        );
        // The hint states both limits.
        let hint = err.hint().unwrap();
        for mib in [MAX_INCLUDE_BYTES >> 20, MAX_INCLUDED_TOTAL_BYTES >> 20] {
            assert!(hint.contains(&format!("{mib} MiB")), "{hint}");
        }
    }

    #[test]
    fn repeated_keys_in_included_files_warn_with_merged_paths() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "inner.json5",
            "{\n  deny: [],\n  deny: ['exec'],\n}",
        );
        let outer = write(
            dir.path(),
            "outer.json5",
            "{ tools: { $include: 'inner.json5' } }",
        );
        let main = write(
            dir.path(),
            "main.json",
            "{ agents: { defaults: { $include: 'outer.json5' } } }",
        );
        let text = std::fs::read_to_string(&main).unwrap();
        let doc = json5::parse_document(&text, &main).unwrap();
        let resolved = resolve_includes(doc, &main).unwrap();
        let shown: Vec<String> = resolved.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [format!(
                "agents.defaults.tools.deny: is given twice in {} (line 2 and line 3); the later value is used (remove all but one of them)",
                dir.path().join("inner.json5").display()
            )]
        );
        assert_eq!(resolved.files.len(), 2);
        assert!(resolved.files[0].ends_with("outer.json5") && outer.exists());
    }
}
