//! Keys given more than once in one object.
//!
//! JSON5 allows `{ port: 1, port: 2 }` and OpenClaw's parser keeps the last value, so rustyclaw
//! accepts it too; but the earlier value looks as if it counted, and a later copy pasted at the
//! end of a long file silently overrides it. Every such key is reported as a warning naming the
//! path and the lines.

use std::path::Path;

use jsonc_parser::ast::{Object, Value};

use crate::{Issue, JsonPath, json5};

/// A warning for every key that occurs more than once in one object of `text`.
///
/// `at` is where the text's document sits in the merged config: the root for the config file,
/// the object holding the `$include` for an included file, which `included` then names.
pub(crate) fn warnings(text: &str, at: &JsonPath, included: Option<&Path>) -> Vec<Issue> {
    let Ok(Some(root)) = json5::parse_ast(text) else {
        return Vec::new();
    };
    let finder = Finder {
        lines: LineIndex::new(text),
        included,
    };
    let mut out = Vec::new();
    finder.value(&root, at, &mut out);
    out
}

struct Finder<'a> {
    lines: LineIndex,
    included: Option<&'a Path>,
}

impl Finder<'_> {
    fn value(&self, value: &Value<'_>, at: &JsonPath, out: &mut Vec<Issue>) {
        match value {
            Value::Object(object) => self.object(object, at, out),
            Value::Array(array) => {
                for (i, element) in array.elements.iter().enumerate() {
                    self.value(element, &at.index(i), out);
                }
            }
            _ => {}
        }
    }

    fn object(&self, object: &Object<'_>, at: &JsonPath, out: &mut Vec<Issue>) {
        // Names in first-occurrence order, each with the start of every occurrence.
        let mut names: Vec<(&str, Vec<usize>)> = Vec::new();
        for prop in &object.properties {
            let name = prop.name.as_str();
            let start = prop.range.start;
            match names.iter_mut().find(|(n, _)| *n == name) {
                Some((_, starts)) => starts.push(start),
                None => names.push((name, vec![start])),
            }
        }
        for (name, starts) in &names {
            if starts.len() > 1 {
                let lines: Vec<usize> = starts.iter().map(|s| self.lines.line_of(*s)).collect();
                out.push(
                    Issue::warning(at.key(name), self.message(&lines))
                        .with_hint("remove all but one of them"),
                );
            }
        }
        // Only the last occurrence of a key reaches the document, so only its value is
        // searched further.
        for (name, _) in &names {
            if let Some(prop) = object
                .properties
                .iter()
                .rev()
                .find(|p| p.name.as_str() == *name)
            {
                self.value(&prop.value, &at.key(name), out);
            }
        }
    }

    fn message(&self, lines: &[usize]) -> String {
        let place = match self.included {
            Some(file) => format!(" in {}", file.display()),
            None => String::new(),
        };
        match lines {
            [a, b] if a == b => {
                format!("is given twice{place} (both on line {a}); the later value is used")
            }
            [a, b] => {
                format!("is given twice{place} (line {a} and line {b}); the later value is used")
            }
            [rest @ .., last] => {
                let rest: Vec<String> = rest.iter().map(ToString::to_string).collect();
                format!(
                    "is given {} times{place} (lines {} and {last}); the last value is used",
                    lines.len(),
                    rest.join(", ")
                )
            }
            [] => String::new(),
        }
    }
}

/// Byte offset → 1-based line number.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn shown(text: &str) -> Vec<String> {
        warnings(text, &JsonPath::root(), None)
            .iter()
            .map(|issue| format!("{issue}"))
            .collect()
    }

    #[test]
    fn a_repeated_key_names_its_path_and_both_lines() {
        let text = "{\n  gateway: {\n    port: 1,\n    bind: 'loopback',\n    // later\n\n    port: 2,\n  },\n}\n";
        assert_eq!(
            shown(text),
            [
                "gateway.port: is given twice (line 3 and line 7); the later value is used (remove all but one of them)"
            ]
        );
    }

    #[test]
    fn three_copies_quoted_names_arrays_and_same_line() {
        let text = "{ a: 1, 'a': 2, \"a\": 3,\n list: [{ x: 1, x: 2 }] }";
        assert_eq!(
            shown(text),
            [
                "a: is given 3 times (lines 1, 1 and 1); the last value is used (remove all but one of them)",
                "list[0].x: is given twice (both on line 2); the later value is used (remove all but one of them)",
            ]
        );
    }

    #[test]
    fn only_the_surviving_copy_is_searched_and_includes_are_named() {
        let text = "{ tools: { deny: [], deny: [] },\n  tools: { allow: [] } }";
        let issues = warnings(
            text,
            &JsonPath::root().key("agents"),
            Some(Path::new("parts/a.json5")),
        );
        let shown: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            shown,
            [
                "agents.tools: is given twice in parts/a.json5 (line 1 and line 2); the later value is used (remove all but one of them)"
            ]
        );
    }

    #[test]
    fn no_duplicates_no_warnings() {
        assert!(shown("{ a: { a: 1 }, b: [{ a: 1 }, { a: 2 }] }").is_empty());
        assert!(shown("{ broken").is_empty());
    }
}
