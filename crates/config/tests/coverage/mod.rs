//! Every property path of OpenClaw's config schema is understood: honoured, or accepted with a
//! warning, or refused as a restriction rustyclaw cannot enforce yet — never "unknown". The
//! paths are data (`data/openclaw-config-paths.txt`, from `openclaw config schema` of the
//! pinned version); a test in the CLI's suite checks the list against the installed CLI.

use std::path::Path;

use serde_json::{Map, Value};

/// The kept paths, without the header.
fn openclaw_paths() -> Vec<String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/openclaw-config-paths.txt"),
    )
    .unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Sets `path` in `doc`: `*` becomes a key of the map, `name[]` an array of one object.
fn set(doc: &mut Map<String, Value>, path: &str) {
    let segments: Vec<&str> = path.split('.').collect();
    let mut node = doc;
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let (name, array) = match segment.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (*segment, false),
        };
        let name = if name == "*" { "x" } else { name };
        let entry = node.entry(name.to_owned()).or_insert_with(|| {
            if array {
                Value::Array(vec![Value::Object(Map::new())])
            } else if last {
                Value::Bool(true)
            } else {
                Value::Object(Map::new())
            }
        });
        if last && !array {
            break;
        }
        if entry.is_boolean() {
            *entry = Value::Object(Map::new());
        }
        node = match entry {
            Value::Array(items) => match items.first_mut() {
                Some(Value::Object(item)) => item,
                _ => return,
            },
            Value::Object(map) => map,
            _ => return,
        };
    }
}

#[test]
fn no_openclaw_config_path_is_an_unknown_key() {
    let paths = openclaw_paths();
    assert!(paths.len() > 5_000, "{} paths", paths.len());
    let mut unknown = Vec::new();
    // One document per top-level section keeps a refused key in one section from hiding an
    // unknown one in another (a refusal stops the check of its document).
    let mut sections: std::collections::BTreeMap<&str, Vec<&String>> = Default::default();
    for path in &paths {
        let top = path.split(['.', '[']).next().unwrap_or(path);
        sections.entry(top).or_default().push(path);
    }
    for (section, paths) in sections {
        let mut doc = Map::new();
        for path in paths {
            set(&mut doc, path);
        }
        let text = Value::Object(doc).to_string();
        let issues = match rustyclaw_config::validate_text(&text, Path::new("openclaw.json")) {
            Ok(_) => continue,
            Err(rustyclaw_config::ConfigError::Invalid { issues, .. }) => issues,
            Err(other) => panic!("{section}: {other}"),
        };
        unknown.extend(
            issues
                .iter()
                .filter(|issue| issue.message.contains("unknown key"))
                .map(|issue| format!("{}: {}", issue.path, issue.message)),
        );
    }
    assert!(
        unknown.is_empty(),
        "{} OpenClaw config paths are unknown keys:\n{}",
        unknown.len(),
        unknown.join("\n")
    );
}

#[test]
fn skills_settings_without_effect_are_warned_about() {
    let warnings = |text: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("openclaw.json"), text).unwrap();
        let loaded = rustyclaw_config::load(
            &crate::locations(dir.path()),
            &rustyclaw_config::Env::default(),
        )
        .unwrap();
        loaded.warnings
    };
    let issues = warnings(
        r#"{"skills": {"install": {"allowUploadedArchives": true, "nodeManager": "pnpm"}}}"#,
    );
    let paths: Vec<String> = issues.iter().map(|i| i.path.to_string()).collect();
    assert_eq!(
        paths,
        ["skills.install.allowUploadedArchives"],
        "{issues:?}"
    );
    assert!(issues[0].message.contains("has no effect"));
    assert!(
        warnings(r#"{"skills": {"install": {"allowUploadedArchives": false}}}"#).is_empty(),
        "false is what rustyclaw does anyway"
    );
}
