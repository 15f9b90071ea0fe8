//! `metadata.openclaw` of a skill: its gates, its presentation and how to install what it
//! needs.
//!
//! The `metadata` frontmatter value is JSON5 text (a one-line object, or the multi-line block
//! turned into JSON by [`crate::frontmatter`]); its `openclaw` object is read, or a legacy
//! `clawdbot`/`clawd`/`moltbot` one when `openclaw` is absent. Lists accept an array or a
//! comma-separated string, as upstream's loose lists do. An install step that is malformed or
//! unsafe (a formula starting with `-`, a URL that is not http(s), a bad sha256) is dropped.

use serde_json::{Map, Value};

use crate::frontmatter::Frontmatter;

/// Manifest keys read, newest first.
const MANIFEST_KEYS: [&str; 4] = ["openclaw", "clawdbot", "clawd", "moltbot"];

/// What `metadata.openclaw` says about a skill.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkillMetadata {
    /// Eligible whenever the OS matches, whatever it requires.
    pub always: Option<bool>,
    /// Shown beside the name.
    pub emoji: Option<String>,
    /// The skill's website.
    pub homepage: Option<String>,
    /// The key under `skills.entries` (default: the skill's name).
    pub skill_key: Option<String>,
    /// The variable `skills.entries.<key>.apiKey` stands for.
    pub primary_env: Option<String>,
    /// Operating systems it works on (`darwin`, `linux`, `win32`); empty = any.
    pub os: Vec<String>,
    /// What must be present.
    pub requires: Option<Requires>,
    /// How to install what it requires.
    pub install: Vec<InstallSpec>,
}

/// `requires`: each list must be satisfied.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Requires {
    /// Programs that must all be on `PATH`.
    pub bins: Vec<String>,
    /// Programs of which one must be on `PATH`.
    pub any_bins: Vec<String>,
    /// Environment variables that must be set (or given in `skills.entries`).
    pub env: Vec<String>,
    /// Config paths that must be truthy.
    pub config: Vec<String>,
}

/// The kinds of install step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallKind {
    /// A Homebrew formula.
    Brew,
    /// An npm package.
    Node,
    /// A Go module.
    Go,
    /// A Python package through `uv`.
    Uv,
    /// A file or archive from a URL.
    Download,
}

impl InstallKind {
    /// The kind as written in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Brew => "brew",
            Self::Node => "node",
            Self::Go => "go",
            Self::Uv => "uv",
            Self::Download => "download",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "brew" => Self::Brew,
            "node" => Self::Node,
            "go" => Self::Go,
            "uv" => Self::Uv,
            "download" => Self::Download,
            _ => return None,
        })
    }
}

/// One install step of `metadata.openclaw.install`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallSpec {
    /// Its kind.
    pub kind: InstallKind,
    /// Its id (default `<kind>-<index>`).
    pub id: Option<String>,
    /// What the user is shown.
    pub label: Option<String>,
    /// Programs it provides.
    pub bins: Vec<String>,
    /// Operating systems it applies to; empty = any.
    pub os: Vec<String>,
    /// Homebrew formula (or cask).
    pub formula: Option<String>,
    /// npm or Python package.
    pub package: Option<String>,
    /// Go module.
    pub module: Option<String>,
    /// Download URL.
    pub url: Option<String>,
    /// Expected SHA-256 of the download, lower-case hex.
    pub sha256: Option<String>,
    /// Archive type of the download (`tar.gz`, `tar.bz2`, `zip`).
    pub archive: Option<String>,
    /// Leading path components dropped when extracting.
    pub strip_components: Option<u32>,
    /// Whether to extract the download (default: when its archive type is known).
    pub extract: Option<bool>,
    /// Where the download goes, relative to the skill's tools folder.
    pub target_dir: Option<String>,
}

/// Reads `metadata` from a skill's frontmatter; `None` when there is none or it is not an
/// object with a manifest key.
pub fn from_frontmatter(frontmatter: &Frontmatter) -> Option<SkillMetadata> {
    let raw = frontmatter.get("metadata")?;
    let options = jsonc_parser::ParseOptions::default();
    let Ok(Value::Object(parsed)) = jsonc_parser::parse_to_serde_value(raw, &options) else {
        return None;
    };
    let manifest = MANIFEST_KEYS
        .iter()
        .find_map(|key| parsed.get(*key).and_then(Value::as_object))?;
    Some(SkillMetadata {
        always: manifest.get("always").and_then(Value::as_bool),
        emoji: string(manifest, "emoji"),
        homepage: string(manifest, "homepage"),
        skill_key: manifest
            .get("skillKey")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned),
        primary_env: string(manifest, "primaryEnv"),
        os: loose_list(manifest.get("os")),
        requires: manifest
            .get("requires")
            .and_then(Value::as_object)
            .map(|r| Requires {
                bins: loose_list(r.get("bins")),
                any_bins: loose_list(r.get("anyBins")),
                env: loose_list(r.get("env")),
                config: loose_list(r.get("config")),
            }),
        install: manifest
            .get("install")
            .and_then(Value::as_array)
            .map(|steps| steps.iter().filter_map(install_spec).collect())
            .unwrap_or_default(),
    })
}

fn string(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// An array of strings, or one comma-separated string, trimmed, empties dropped.
pub(crate) fn loose_list(value: Option<&Value>) -> Vec<String> {
    let items: Vec<String> = match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) => s.split(',').map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn install_spec(raw: &Value) -> Option<InstallSpec> {
    let raw = raw.as_object()?;
    let kind_text = raw
        .get("kind")
        .or_else(|| raw.get("type"))
        .and_then(Value::as_str)?;
    let kind = InstallKind::parse(kind_text)?;
    let text = |key: &str| {
        raw.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let formula = text("formula")
        .filter(|f| safe_brew_formula(f))
        .or_else(|| text("cask").filter(|f| safe_brew_formula(f)))
        .map(str::to_owned);
    let package = match kind {
        InstallKind::Node => text("package").filter(|p| safe_npm_spec(p)),
        InstallKind::Uv => text("package").filter(|p| safe_package(p, uv_char)),
        _ => None,
    }
    .map(str::to_owned);
    let module = text("module")
        .filter(|m| safe_package(m, go_char))
        .map(str::to_owned);
    let url = text("url").filter(|u| safe_url(u)).map(str::to_owned);
    let sha256 = match raw.get("sha256") {
        None => None,
        Some(Value::String(s)) if kind == InstallKind::Download => {
            let s = s.trim().to_ascii_lowercase();
            if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            Some(s)
        }
        Some(_) if kind == InstallKind::Download => return None,
        Some(_) => None,
    };
    let complete = match kind {
        InstallKind::Brew => formula.is_some(),
        InstallKind::Node | InstallKind::Uv => package.is_some(),
        InstallKind::Go => module.is_some(),
        InstallKind::Download => url.is_some(),
    };
    complete.then(|| InstallSpec {
        kind,
        id: raw.get("id").and_then(Value::as_str).map(str::to_owned),
        label: raw.get("label").and_then(Value::as_str).map(str::to_owned),
        bins: loose_list(raw.get("bins")),
        os: loose_list(raw.get("os")),
        formula,
        package,
        module,
        url,
        sha256,
        archive: raw
            .get("archive")
            .and_then(Value::as_str)
            .map(str::to_owned),
        strip_components: raw
            .get("stripComponents")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
        extract: raw.get("extract").and_then(Value::as_bool),
        target_dir: text("targetDir").map(str::to_owned),
    })
}

fn safe_brew_formula(f: &str) -> bool {
    let mut chars = f.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && !f.contains("..")
        && f.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@+._/-".contains(c))
}

fn safe_npm_spec(p: &str) -> bool {
    !p.starts_with('-')
        && !p.contains("://")
        && !p.contains(char::is_whitespace)
        && !p.contains("..")
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@/._-~^<>=*+".contains(c))
}

fn uv_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-[]=<>!~+,".contains(c)
}

fn go_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._~+-/@".contains(c)
}

fn safe_package(p: &str, allowed: fn(char) -> bool) -> bool {
    p.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && !p.contains('\\')
        && !p.contains("://")
        && p.chars().all(allowed)
}

fn safe_url(u: &str) -> bool {
    !u.contains(char::is_whitespace) && (u.starts_with("https://") || u.starts_with("http://"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn meta(json5: &str) -> Option<SkillMetadata> {
        let mut f = Frontmatter::new();
        f.insert("metadata".into(), json5.into());
        from_frontmatter(&f)
    }

    #[test]
    fn json5_with_trailing_commas_and_loose_lists() {
        let m = meta(
            r#"{ openclaw: { emoji: "x", os: "darwin, linux", requires: { bins: ["gh",], env: "A,B" }, primaryEnv: "A", }, }"#,
        )
        .unwrap();
        assert_eq!(m.os, vec!["darwin", "linux"]);
        let r = m.requires.unwrap();
        assert_eq!(r.bins, vec!["gh"]);
        assert_eq!(r.env, vec!["A", "B"]);
        assert_eq!(m.primary_env.as_deref(), Some("A"));
    }

    #[test]
    fn legacy_manifest_keys_are_read_when_openclaw_is_absent() {
        let m = meta(r#"{"clawdbot": {"always": true}}"#).unwrap();
        assert_eq!(m.always, Some(true));
        assert!(meta(r#"{"other": {}}"#).is_none());
        assert!(meta("not json").is_none());
    }

    #[test]
    fn unsafe_install_steps_are_dropped() {
        let m = meta(
            r#"{"openclaw": {"install": [
                {"kind": "brew", "formula": "--force"},
                {"kind": "brew", "formula": "gh", "bins": ["gh"]},
                {"kind": "download", "url": "file:///etc/passwd"},
                {"kind": "download", "url": "https://x/a.tgz", "sha256": "nothex"},
                {"kind": "node", "package": "clawhub"},
                {"kind": "apt", "package": "x"}
            ]}}"#,
        )
        .unwrap();
        let kinds: Vec<_> = m.install.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, vec![InstallKind::Brew, InstallKind::Node]);
        assert_eq!(m.install[0].formula.as_deref(), Some("gh"));
    }
}
