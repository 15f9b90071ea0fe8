//! Dotted JSON paths (`gateway.auth.token`, `agents.list[0].id`) used in messages and by
//! `config get/set/unset`.

use std::fmt;

/// One step of a path: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// A path from the config root to a value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct JsonPath(Vec<Segment>);

/// A path string that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid config path {input:?}: {reason}")]
pub struct PathParseError {
    /// The text given.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl JsonPath {
    /// The root path.
    pub fn root() -> Self {
        JsonPath(Vec::new())
    }

    /// This path extended by an object key.
    pub fn key(&self, key: &str) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Key(key.to_owned()));
        JsonPath(v)
    }

    /// This path extended by an array index.
    pub fn index(&self, index: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Index(index));
        JsonPath(v)
    }

    /// This path followed by `tail` (`tail` read relative to this path).
    pub fn join(&self, tail: &JsonPath) -> Self {
        let mut v = self.0.clone();
        v.extend(tail.0.iter().cloned());
        JsonPath(v)
    }

    /// The segments, root first.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// True for the root path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses `a.b[0].c` or `a["key.with.dots"]`.
    pub fn parse(input: &str) -> Result<Self, PathParseError> {
        let err = |reason| PathParseError {
            input: input.to_owned(),
            reason,
        };
        let mut segments = Vec::new();
        let mut chars = input.chars().peekable();
        let mut expect_key = true;
        while let Some(&c) = chars.peek() {
            match c {
                '.' => {
                    chars.next();
                    if expect_key {
                        return Err(err("empty segment"));
                    }
                    expect_key = true;
                }
                '[' => {
                    chars.next();
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        let mut key = String::new();
                        loop {
                            match chars.next() {
                                Some('"') => break,
                                Some('\\') => {
                                    key.push(chars.next().ok_or_else(|| err("unterminated quote"))?)
                                }
                                Some(ch) => key.push(ch),
                                None => return Err(err("unterminated quote")),
                            }
                        }
                        if chars.next() != Some(']') {
                            return Err(err("expected ] after quoted key"));
                        }
                        segments.push(Segment::Key(key));
                    } else {
                        let digits: String = chars.by_ref().take_while(|c| *c != ']').collect();
                        let index = digits
                            .parse()
                            .map_err(|_| err("array index must be a number"))?;
                        segments.push(Segment::Index(index));
                    }
                    expect_key = false;
                }
                _ => {
                    if !expect_key {
                        return Err(err("expected . or [ between segments"));
                    }
                    let mut key = String::new();
                    while let Some(&ch) = chars.peek() {
                        if ch == '.' || ch == '[' {
                            break;
                        }
                        key.push(ch);
                        chars.next();
                    }
                    segments.push(Segment::Key(key));
                    expect_key = false;
                }
            }
        }
        if segments.is_empty() {
            return Err(err("empty path"));
        }
        if expect_key {
            return Err(err("path ends with ."));
        }
        Ok(JsonPath(segments))
    }

    /// Looks the path up in a JSON value.
    pub fn get<'a>(&self, value: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        self.0.iter().try_fold(value, |v, seg| match seg {
            Segment::Key(k) => v.get(k),
            Segment::Index(i) => v.get(i),
        })
    }
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$' | '*' | '/' | ':'))
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(root)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if is_plain_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Key(k) => write!(f, "[{k:?}]")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl From<&serde_path_to_error::Path> for JsonPath {
    fn from(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment as S;
        JsonPath(
            path.iter()
                .filter_map(|s| match s {
                    S::Map { key } => Some(Segment::Key(key.clone())),
                    S::Seq { index } => Some(Segment::Index(*index)),
                    S::Enum { .. } | S::Unknown => None,
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_round_trip() {
        for p in [
            "gateway.auth.token",
            "agents.list[0].id",
            "models.providers.custom-1.models[2]",
        ] {
            assert_eq!(JsonPath::parse(p).unwrap().to_string(), p);
        }
        let quoted = JsonPath::parse(r#"agents.defaults.models["openai/gpt-4.1"].alias"#).unwrap();
        assert_eq!(quoted.segments()[3], Segment::Key("openai/gpt-4.1".into()));
        assert_eq!(
            quoted.to_string(),
            r#"agents.defaults.models["openai/gpt-4.1"].alias"#
        );
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in ["", "a..b", "a.", ".a", "a[x]", "a[\"b", "a[0]b"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn looks_up_values() {
        let v = serde_json::json!({"a": {"b": [1, {"c": true}]}});
        assert_eq!(
            JsonPath::parse("a.b[1].c").unwrap().get(&v),
            Some(&serde_json::json!(true))
        );
        assert_eq!(JsonPath::parse("a.x").unwrap().get(&v), None);
    }
}
