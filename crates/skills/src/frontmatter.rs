//! The frontmatter of a `SKILL.md`, read as OpenClaw reads it.
//!
//! The block between the leading `---` lines is parsed as YAML 1.2 and every top-level value is
//! kept as a string: scalars as their text, mappings and sequences as JSON (so the multi-line
//! `metadata:` block the bundled skills use becomes a JSON string, later read as JSON5). A
//! `description:` whose unquoted text holds `: ` is not valid YAML; like upstream, that one line
//! is quoted and the block parsed again. A line-by-line reading (`key: value`, indented
//! continuation lines) fills keys YAML did not give and stands in for a structured value whose
//! first line already held a `:` (a description such as `Usage: {…}`).

use std::collections::BTreeMap;

use yaml_rust2::{Yaml, YamlLoader};

/// What a `SKILL.md` starts with, key by key, every value as text.
pub type Frontmatter = BTreeMap<String, String>;

/// Why a frontmatter block could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontmatterError {
    /// The opening `---` has no closing one.
    #[error("the frontmatter has no closing --- line")]
    Unterminated,
    /// The block is not YAML.
    #[error("the frontmatter is not valid YAML: {0}")]
    Yaml(String),
    /// The block is YAML but not a mapping of keys to values.
    #[error("the frontmatter must be a YAML mapping of keys to values")]
    NotAMapping,
}

/// A file split into its frontmatter and its Markdown body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The keys of the frontmatter (empty when the file has none).
    pub frontmatter: Frontmatter,
    /// The text after the frontmatter.
    pub body: String,
}

/// Reads `content`: its frontmatter (if it starts with `---`) and the body after it.
pub fn parse(content: &str) -> Result<Document, FrontmatterError> {
    let normalized = normalize(content);
    let Some(rest) = strip_opening(&normalized) else {
        return Ok(Document {
            frontmatter: Frontmatter::new(),
            body: normalized,
        });
    };
    let (block, body) = split_closing(rest).ok_or(FrontmatterError::Unterminated)?;
    let frontmatter = if block.is_empty() {
        Frontmatter::new()
    } else {
        parse_block(block)?
    };
    Ok(Document {
        frontmatter,
        body: body.to_owned(),
    })
}

/// Drops a byte-order mark and makes every line end in `\n`.
fn normalize(content: &str) -> String {
    content
        .strip_prefix('\u{feff}')
        .unwrap_or(content)
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

/// The text after an opening `---` line (trailing blanks allowed), if the file has one.
fn strip_opening(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("---")?;
    let end = rest.find('\n')?;
    rest[..end]
        .chars()
        .all(|c| c == ' ' || c == '\t')
        .then(|| &rest[end + 1..])
}

/// The block before the first closing `---` line and the body after it.
fn split_closing(tail: &str) -> Option<(&str, &str)> {
    let mut start = 0;
    loop {
        let line_end = tail[start..].find('\n').map(|i| start + i);
        let line = &tail[start..line_end.unwrap_or(tail.len())];
        if let Some(after) = line.strip_prefix("---")
            && after.chars().all(|c| c == ' ' || c == '\t')
        {
            let block = tail[..start].strip_suffix('\n').unwrap_or(&tail[..start]);
            let body = line_end.map_or("", |end| &tail[end + 1..]);
            return Some((block, body));
        }
        start = line_end? + 1;
    }
}

/// Parses a non-empty block: YAML first, with the description repaired once if needed.
fn parse_block(block: &str) -> Result<Frontmatter, FrontmatterError> {
    let lines = line_values(block);
    match parse_yaml(block, &lines) {
        Ok(map) => Ok(map),
        Err(FrontmatterError::Yaml(first)) => match quote_description(block) {
            Some(repaired) => parse_yaml(&repaired, &lines),
            None => Err(FrontmatterError::Yaml(first)),
        },
        Err(other) => Err(other),
    }
}

fn parse_yaml(block: &str, lines: &Frontmatter) -> Result<Frontmatter, FrontmatterError> {
    let docs =
        YamlLoader::load_from_str(block).map_err(|e| FrontmatterError::Yaml(e.to_string()))?;
    let Some(Yaml::Hash(hash)) = docs.into_iter().next() else {
        return Err(FrontmatterError::NotAMapping);
    };
    let inline_colon = keys_with_inline_colon(block);
    let mut out = Frontmatter::new();
    for (key, value) in hash {
        let Some(key) = scalar_text(&key) else {
            continue;
        };
        let key = key.trim().to_owned();
        if key.is_empty() {
            continue;
        }
        let Some((text, structured)) = value_text(&value) else {
            continue;
        };
        let text = match lines.get(&key) {
            Some(line) if structured && inline_colon.contains(&key) => line.clone(),
            _ => text,
        };
        out.insert(key, text);
    }
    for (key, value) in lines {
        out.entry(key.clone()).or_insert_with(|| value.clone());
    }
    Ok(out)
}

/// A scalar's text as JavaScript would print it; `None` for anything else.
fn scalar_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A value as frontmatter text, and whether it was a mapping or a sequence. Null values are
/// left out, as upstream leaves them out.
fn value_text(value: &Yaml) -> Option<(String, bool)> {
    match value {
        Yaml::String(s) => Some((s.trim().to_owned(), false)),
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => None,
        Yaml::Array(_) | Yaml::Hash(_) => Some((to_json(value).to_string(), true)),
        other => scalar_text(other).map(|text| (text, false)),
    }
}

/// A YAML value as JSON (keys as text; non-finite numbers as null, as `JSON.stringify` does).
fn to_json(value: &Yaml) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Hash(hash) => Value::Object(
            hash.iter()
                .filter_map(|(k, v)| Some((scalar_text(k)?, to_json(v))))
                .collect(),
        ),
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => Value::Null,
    }
}

/// Top-level keys whose first line already holds a `:` after the key.
fn keys_with_inline_colon(block: &str) -> Vec<String> {
    block
        .lines()
        .filter_map(|line| {
            let (key, value) = top_level_pair(line)?;
            value.contains(':').then(|| key.to_owned())
        })
        .collect()
}

/// `key: value` at the start of a line (key of word characters and `-`).
fn top_level_pair(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let key = &line[..colon];
    let valid = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    valid.then(|| (key, line[colon + 1..].trim_start()))
}

/// The line-by-line reading: `key: value` with quotes stripped, or an empty value followed by
/// indented lines, joined.
fn line_values(block: &str) -> Frontmatter {
    let lines: Vec<&str> = block.split('\n').collect();
    let mut out = Frontmatter::new();
    let mut i = 0;
    while i < lines.len() {
        let Some((key, raw)) = top_level_pair(lines[i]) else {
            i += 1;
            continue;
        };
        let raw = raw.trim();
        let indented = |line: &str| line.starts_with(' ') || line.starts_with('\t');
        let value = if raw.is_empty() && lines.get(i + 1).is_some_and(|l| indented(l)) {
            let mut parts = Vec::new();
            while let Some(next) = lines.get(i + 1) {
                if !next.is_empty() && !indented(next) {
                    break;
                }
                parts.push(*next);
                i += 1;
            }
            parts.join("\n").trim().to_owned()
        } else {
            strip_quotes(raw).to_owned()
        };
        if !value.is_empty() {
            out.insert(key.to_owned(), value);
        }
        i += 1;
    }
    out
}

fn strip_quotes(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

/// The block with an unquoted one-line `description:` turned into a JSON string, or `None`
/// when there is nothing to repair.
fn quote_description(block: &str) -> Option<String> {
    let mut changed = false;
    let repaired: Vec<String> = block
        .split('\n')
        .map(|line| match top_level_pair(line) {
            Some(("description", raw)) if !changed && needs_quoting(raw.trim()) => {
                changed = true;
                let text = serde_json::Value::String(strip_quotes(raw.trim()).to_owned());
                format!("description: {text}")
            }
            _ => line.to_owned(),
        })
        .collect();
    changed.then(|| repaired.join("\n"))
}

/// Whether a description's raw text is plain text YAML could not read (not empty, not
/// already quoted, not a block scalar indicator).
fn needs_quoting(raw: &str) -> bool {
    let block_indicator = raw.starts_with(['|', '>']) && raw.len() <= 3;
    !raw.is_empty() && !raw.starts_with(['"', '\'']) && !block_indicator
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn fm(content: &str) -> Frontmatter {
        parse(content).unwrap().frontmatter
    }

    #[test]
    fn the_multi_line_metadata_block_becomes_json_text() {
        let doc = parse(
            "---\nname: weather\ndescription: \"Weather: now\"\nmetadata:\n  {\n    \"openclaw\":\n      {\n        \"emoji\": \"☔\",\n        \"requires\": { \"bins\": [\"curl\"], },\n      },\n  }\n---\n# Weather\nbody\n",
        )
        .unwrap();
        assert_eq!(doc.frontmatter["name"], "weather");
        assert_eq!(doc.frontmatter["description"], "Weather: now");
        let meta: serde_json::Value = serde_json::from_str(&doc.frontmatter["metadata"]).unwrap();
        assert_eq!(meta["openclaw"]["requires"]["bins"][0], "curl");
        assert_eq!(doc.body, "# Weather\nbody\n");
    }

    #[test]
    fn an_unquoted_description_with_a_colon_is_repaired() {
        let f = fm("---\nname: x\ndescription: Use it: carefully\n---\n");
        assert_eq!(f["description"], "Use it: carefully");
    }

    #[test]
    fn scalars_are_text_and_nulls_are_left_out() {
        let f = fm("---\nname: x\nuser-invocable: false\nversion: 2\nempty:\n---\n");
        assert_eq!(f["user-invocable"], "false");
        assert_eq!(f["version"], "2");
        assert!(!f.contains_key("empty"));
    }

    #[test]
    fn a_file_without_frontmatter_is_all_body() {
        let doc = parse("# Title\n").unwrap();
        assert!(doc.frontmatter.is_empty());
        assert_eq!(doc.body, "# Title\n");
    }

    #[test]
    fn crlf_and_bom_are_normalized() {
        let f = fm("\u{feff}---\r\nname: x\r\ndescription: d\r\n---\r\nbody");
        assert_eq!(f["description"], "d");
    }

    #[test]
    fn an_unterminated_block_is_an_error() {
        assert_eq!(
            parse("---\nname: x\n").unwrap_err(),
            FrontmatterError::Unterminated
        );
    }

    #[test]
    fn a_list_root_is_not_a_mapping() {
        assert_eq!(
            parse("---\n- a\n- b\n---\n").unwrap_err(),
            FrontmatterError::NotAMapping
        );
    }

    #[test]
    fn broken_yaml_is_reported() {
        assert!(matches!(
            parse("---\nname: [unclosed\n---\n").unwrap_err(),
            FrontmatterError::Yaml(_)
        ));
    }
}
