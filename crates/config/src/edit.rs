//! Comment-preserving edits of the config file, written atomically with a backup.
//!
//! Edits go through `jsonc-parser`'s concrete syntax tree, so comments, key order and formatting
//! of everything not touched survive `config set`/`unset`. Before anything is written the new
//! text is validated with the same rules as loading; an invalid result is refused and the file
//! on disk is not touched. The write itself goes to a temporary file in the same directory,
//! is flushed to disk, then renamed over the original, after copying the original to `.bak`:
//! at every instant the path holds either the old or the new file, never a partial one.
//!
//! A key given twice in one object counts with its last copy (as when loading), so edits
//! address the last copy, and `unset` removes every copy.

use std::path::{Path, PathBuf};

use jsonc_parser::cst::{
    CstContainerNode, CstInputValue, CstNode, CstObject, CstObjectProp, CstRootNode,
};
use rustyclaw_support::{FileMode, ParentDir, WritePolicy, write_atomic};
use serde_json::Value;

use crate::{ConfigError, Issue, JsonPath, Segment, json5, load};

/// One change to a document.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Set the value at the path, creating intermediate objects.
    Set(Value),
    /// Remove the value at the path.
    Unset,
}

/// What a write did.
#[derive(Debug, Clone)]
pub struct WriteOutcome {
    /// The file written (symlinks are written through to their target).
    pub path: PathBuf,
    /// The backup of the previous contents, when there was a previous file.
    pub backup: Option<PathBuf>,
    /// Warnings of the new config (keys without effect).
    pub warnings: Vec<Issue>,
    /// Whether the document changed at all (an identical write is skipped).
    pub changed: bool,
}

/// Applies an edit to config text and returns the new text.
pub fn edit_text(text: &str, path: &JsonPath, edit: &Edit) -> Result<String, ConfigError> {
    let err = |reason: String| ConfigError::Edit {
        json_path: path.clone(),
        reason,
    };
    let source = if text.trim().is_empty() { "{}\n" } else { text };
    let root = CstRootNode::parse(source, &json5::parse_options())
        .map_err(|e| err(format!("the file does not parse: {}", e.kind())))?;
    let Some(obj) = root.object_value() else {
        return Err(err("the top level is not an object".to_owned()));
    };
    let segments = path.segments();
    let Some((last, parents)) = segments.split_last() else {
        return Err(err("cannot replace the whole document".to_owned()));
    };
    let mut container = Container::Object(obj);
    for (i, seg) in parents.iter().enumerate() {
        let create =
            matches!(edit, Edit::Set(_)) && matches!(segments.get(i + 1), Some(Segment::Key(_)));
        container = match (container, seg) {
            (Container::Object(o), Segment::Key(k)) => {
                match last_prop(&o, k).and_then(|p| p.value()) {
                    Some(node) => Container::from_node(node)
                        .ok_or_else(|| err(format!("{k:?} is not an object or array")))?,
                    None if create => Container::Object(
                        o.object_value_or_create(k)
                            .ok_or_else(|| err(format!("cannot create {k:?}")))?,
                    ),
                    None => return Ok(text.to_owned()),
                }
            }
            (Container::Array(a), Segment::Index(n)) => match a.elements().get(*n) {
                Some(node) => Container::from_node(node.clone())
                    .ok_or_else(|| err(format!("element {n} is not an object or array")))?,
                None => return Err(err(format!("index {n} is past the end of the array"))),
            },
            (Container::Object(_), Segment::Index(n)) => {
                return Err(err(format!("[{n}] used on an object")));
            }
            (Container::Array(_), Segment::Key(k)) => {
                return Err(err(format!("{k:?} used on an array")));
            }
        };
    }
    match (container, last, edit) {
        (Container::Object(o), Segment::Key(k), Edit::Set(v)) => match last_prop(&o, k) {
            Some(prop) => prop.set_value(to_input(v)),
            None => {
                o.append(k, to_input(v));
            }
        },
        (Container::Object(o), Segment::Key(k), Edit::Unset) => {
            for prop in o.properties() {
                if prop.decoded_name().as_deref() == Some(k.as_str()) {
                    prop.remove();
                }
            }
        }
        (Container::Array(a), Segment::Index(n), Edit::Set(v)) => {
            let elements = a.elements();
            if *n == elements.len() {
                a.append(to_input(v));
            } else if let Some(node) = elements.get(*n) {
                node.clone().remove();
                a.insert(*n, to_input(v));
            } else {
                return Err(err(format!("index {n} is past the end of the array")));
            }
        }
        (Container::Array(a), Segment::Index(n), Edit::Unset) => {
            if let Some(node) = a.elements().get(*n) {
                node.clone().remove();
            }
        }
        (Container::Object(_), Segment::Index(n), _) => {
            return Err(err(format!("[{n}] used on an object")));
        }
        (Container::Array(_), Segment::Key(k), _) => {
            return Err(err(format!("{k:?} used on an array")));
        }
    }
    let mut out = root.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// The last property named `name`: the one whose value the parsed document holds.
fn last_prop(object: &CstObject, name: &str) -> Option<CstObjectProp> {
    object
        .properties()
        .into_iter()
        .rev()
        .find(|prop| prop.decoded_name().as_deref() == Some(name))
}

enum Container {
    Object(CstObject),
    Array(jsonc_parser::cst::CstArray),
}

impl Container {
    fn from_node(node: CstNode) -> Option<Self> {
        match node {
            CstNode::Container(CstContainerNode::Object(o)) => Some(Container::Object(o)),
            CstNode::Container(CstContainerNode::Array(a)) => Some(Container::Array(a)),
            _ => None,
        }
    }
}

fn to_input(value: &Value) -> CstInputValue {
    match value {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(items) => CstInputValue::Array(items.iter().map(to_input).collect()),
        Value::Object(map) => {
            CstInputValue::Object(map.iter().map(|(k, v)| (k.clone(), to_input(v))).collect())
        }
    }
}

/// Edits the config file at `config_path`: validates the result, backs up, writes atomically.
pub fn edit_file(
    config_path: &Path,
    json_path: &JsonPath,
    edit: &Edit,
) -> Result<WriteOutcome, ConfigError> {
    let target = write_target(config_path);
    let old = load::read_optional(&target)?;
    let new = edit_text(old.as_deref().unwrap_or(""), json_path, edit)?;
    write_validated(&target, old.as_deref(), &new)
}

/// Replaces the whole file with `text` after validating it (used by onboarding).
pub fn replace_file(config_path: &Path, text: &str) -> Result<WriteOutcome, ConfigError> {
    let target = write_target(config_path);
    let old = load::read_optional(&target)?;
    write_validated(&target, old.as_deref(), text)
}

/// A symlinked config is written through to the file it points at, keeping the link.
fn write_target(config_path: &Path) -> PathBuf {
    std::fs::canonicalize(config_path).unwrap_or_else(|_| config_path.to_path_buf())
}

fn write_validated(
    target: &Path,
    old: Option<&str>,
    new: &str,
) -> Result<WriteOutcome, ConfigError> {
    let warnings = load::validate_text(new, target)?;
    if old == Some(new) {
        return Ok(WriteOutcome {
            path: target.to_path_buf(),
            backup: None,
            warnings,
            changed: false,
        });
    }
    // The backup is private whatever the config's mode: it holds the credentials the config
    // held, and nobody reviews who may read an old copy.
    let backup = match old {
        Some(old) => {
            let bak = sibling(target, ".bak");
            atomic_write(&bak, old.as_bytes(), FileMode::Exact(0o600))?;
            Some(bak)
        }
        None => None,
    };
    // The config keeps the mode its owner gave it; a new one is private like the backup.
    atomic_write(
        target,
        new.as_bytes(),
        FileMode::KeepExisting { new: 0o600 },
    )?;
    Ok(WriteOutcome {
        path: target.to_path_buf(),
        backup,
        warnings,
        changed: true,
    })
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// Writes `bytes` to `path` atomically with the permissions `mode` says. Configs hold tokens, so
/// a missing directory is created 0700.
fn atomic_write(path: &Path, bytes: &[u8], mode: FileMode) -> Result<(), ConfigError> {
    let policy = WritePolicy {
        mode,
        parent: ParentDir::Create { mode: 0o700 },
    };
    write_atomic(path, bytes, policy).map_err(|source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> JsonPath {
        JsonPath::parse(s).unwrap()
    }

    const TEXT: &str = "// my config\n{\n  // the gateway\n  gateway: {\n    port: 18789, // default port\n  },\n  tools: { deny: ['exec'] },\n}\n";

    #[test]
    fn set_keeps_comments_and_creates_objects() {
        let out = edit_text(TEXT, &p("gateway.port"), &Edit::Set(json!(19000))).unwrap();
        assert!(
            out.contains("// my config")
                && out.contains("// the gateway")
                && out.contains("// default port"),
            "{out}"
        );
        assert!(out.contains("19000"));
        let out = edit_text(&out, &p("gateway.auth.token"), &Edit::Set(json!("t0k"))).unwrap();
        let v: Value = jsonc_parser::parse_to_serde_value(&out, &json5::parse_options()).unwrap();
        assert_eq!(
            v["gateway"],
            json!({"port": 19000, "auth": {"token": "t0k"}})
        );
        assert!(out.contains("// default port"));
    }

    #[test]
    fn unset_and_array_edits() {
        let out = edit_text(TEXT, &p("tools.deny[1]"), &Edit::Set(json!("browser"))).unwrap();
        let out = edit_text(&out, &p("tools.deny[0]"), &Edit::Set(json!("cron"))).unwrap();
        let v: Value = jsonc_parser::parse_to_serde_value(&out, &json5::parse_options()).unwrap();
        assert_eq!(v["tools"]["deny"], json!(["cron", "browser"]));
        let out = edit_text(&out, &p("gateway"), &Edit::Unset).unwrap();
        let v: Value = jsonc_parser::parse_to_serde_value(&out, &json5::parse_options()).unwrap();
        assert!(v.get("gateway").is_none());
        assert!(out.contains("// my config"));
        assert!(edit_text(TEXT, &p("tools.deny[5]"), &Edit::Set(json!("x"))).is_err());
        assert!(edit_text(TEXT, &p("gateway.port.x"), &Edit::Set(json!(1))).is_err());
    }

    #[test]
    fn edits_an_empty_document() {
        let out = edit_text("", &p("gateway.mode"), &Edit::Set(json!("local"))).unwrap();
        let v: Value = jsonc_parser::parse_to_serde_value(&out, &json5::parse_options()).unwrap();
        assert_eq!(v, json!({"gateway": {"mode": "local"}}));
    }

    #[test]
    fn file_edit_backs_up_and_refuses_invalid_results() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("openclaw.json");
        std::fs::write(&cfg, TEXT).unwrap();
        let outcome = edit_file(&cfg, &p("gateway.port"), &Edit::Set(json!(20000))).unwrap();
        assert!(outcome.changed);
        assert_eq!(
            std::fs::read_to_string(outcome.backup.unwrap()).unwrap(),
            TEXT
        );
        assert!(std::fs::read_to_string(&cfg).unwrap().contains("20000"));

        let before = std::fs::read_to_string(&cfg).unwrap();
        let err = edit_file(&cfg, &p("gateway.prot"), &Edit::Set(json!(1))).unwrap_err();
        assert!(err.to_string().contains("gateway.prot"), "{err}");
        let err =
            edit_file(&cfg, &p("gateway.port"), &Edit::Set(json!("not a number"))).unwrap_err();
        assert!(err.to_string().contains("gateway.port"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&cfg).unwrap(),
            before,
            "file untouched after refused edits"
        );
    }

    #[test]
    fn write_failure_leaves_the_file_intact() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("ro");
        std::fs::create_dir(&sub).unwrap();
        let cfg = sub.join("openclaw.json");
        std::fs::write(&cfg, TEXT).unwrap();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o500)).unwrap();
        let result = edit_file(&cfg, &p("gateway.port"), &Edit::Set(json!(1234)));
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o700)).unwrap();
        // Root ignores directory permissions; only assert the failure path where it applies.
        if let Err(err) = result {
            assert!(matches!(err, ConfigError::Write { .. }), "{err}");
            assert_eq!(std::fs::read_to_string(&cfg).unwrap(), TEXT);
        }
    }

    fn mode_of(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_backup_is_private_and_the_config_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("openclaw.json");
        std::fs::write(&cfg, TEXT).unwrap();
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
        // An earlier backup left readable by everyone is replaced, not reused.
        let bak = dir.path().join("openclaw.json.bak");
        std::fs::write(&bak, "old").unwrap();
        std::fs::set_permissions(&bak, std::fs::Permissions::from_mode(0o644)).unwrap();
        let outcome = edit_file(&cfg, &p("gateway.port"), &Edit::Set(json!(20001))).unwrap();
        assert_eq!(outcome.backup.as_deref(), Some(bak.as_path()));
        assert_eq!(std::fs::read_to_string(&bak).unwrap(), TEXT);
        assert_eq!(mode_of(&bak), 0o600);
        assert_eq!(mode_of(&cfg), 0o644);
    }

    #[test]
    fn a_new_config_is_private_in_a_private_directory() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state").join("nested");
        let cfg = state.join("openclaw.json");
        edit_file(&cfg, &p("gateway.port"), &Edit::Set(json!(1))).unwrap();
        assert_eq!(mode_of(&cfg), 0o600);
        assert_eq!(mode_of(&state), 0o700);
        assert_eq!(mode_of(state.parent().unwrap()), 0o700);
    }

    #[test]
    fn edits_address_the_copy_of_a_repeated_key_that_counts() {
        let text = "{\n  gateway: { port: 1 },\n  gateway: { port: 2, bind: 'lan' },\n}\n";
        let parse = |t: &str| -> Value {
            jsonc_parser::parse_to_serde_value(t, &json5::parse_options()).unwrap()
        };
        let out = edit_text(text, &p("gateway.port"), &Edit::Set(json!(3))).unwrap();
        assert_eq!(parse(&out)["gateway"], json!({"port": 3, "bind": "lan"}));
        let text = "{ a: 1, b: 2, a: 3 }";
        let out = edit_text(text, &p("a"), &Edit::Unset).unwrap();
        assert_eq!(parse(&out), json!({"b": 2}));
    }

    #[test]
    fn symlinked_config_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::fs::write(&real, "{}").unwrap();
        let link = dir.path().join("openclaw.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        edit_file(&link, &p("gateway.port"), &Edit::Set(json!(1111))).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(std::fs::read_to_string(&real).unwrap().contains("1111"));
    }
}
