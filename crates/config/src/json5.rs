//! JSON5 text → `serde_json::Value`, with line/column errors.
//!
//! `jsonc-parser` implements JSON5 (comments, trailing commas, unquoted keys, single quotes, hex
//! numbers) and also offers a concrete syntax tree, which [`crate::edit`] uses to change a file
//! without losing its comments. Missing commas are rejected: JSON5 requires them.

use std::path::Path;

use jsonc_parser::{CollectOptions, ParseOptions};
use serde_json::Value;

use crate::ConfigError;

/// Parse options for config files: JSON5, nothing looser.
pub(crate) fn parse_options() -> ParseOptions {
    ParseOptions {
        allow_missing_commas: false,
        ..ParseOptions::default()
    }
}

/// Parses a config document. An empty (or comment-only) file is an empty object.
pub fn parse_document(
    text: &str,
    path: &Path,
) -> Result<serde_json::Map<String, Value>, ConfigError> {
    match parse_document_any(text, path)? {
        Value::Null => Ok(serde_json::Map::new()),
        Value::Object(map) => Ok(map),
        _ => Err(ConfigError::NotAnObject {
            path: path.to_path_buf(),
        }),
    }
}

/// Parses any JSON5 value (an included file may hold a non-object, e.g. an array).
pub(crate) fn parse_document_any(text: &str, path: &Path) -> Result<Value, ConfigError> {
    jsonc_parser::parse_to_serde_value(text, &parse_options()).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        line: e.line_display(),
        column: e.column_display(),
        message: e.kind().to_string(),
    })
}

/// The syntax tree of `text`, with the byte range of every node; `Ok(None)` for an empty
/// text. Used where the parsed value is not enough: it keeps every copy of a repeated key.
pub(crate) fn parse_ast(
    text: &str,
) -> Result<Option<jsonc_parser::ast::Value<'_>>, jsonc_parser::errors::ParseError> {
    jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &parse_options())
        .map(|result| result.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_json5() {
        let text = "// comment\n{ unquoted: 'single', trailing: [1, 2,], hex: 0x10, /* c */ }";
        let map = parse_document(text, Path::new("c.json")).unwrap();
        assert_eq!(map["unquoted"], "single");
        assert_eq!(map["trailing"], serde_json::json!([1, 2]));
        assert_eq!(map["hex"], 16);
    }

    #[test]
    fn reports_line_and_column() {
        let err = parse_document("{\n  a: 1,\n  b: }\n", Path::new("c.json")).unwrap_err();
        match err {
            ConfigError::Parse { line, .. } => assert_eq!(line, 3),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn rejects_missing_commas_and_non_objects() {
        assert!(parse_document("{ a: 1 b: 2 }", Path::new("c")).is_err());
        assert!(matches!(
            parse_document("[1]", Path::new("c")).unwrap_err(),
            ConfigError::NotAnObject { .. }
        ));
        assert!(
            parse_document("  // nothing\n", Path::new("c"))
                .unwrap()
                .is_empty()
        );
    }
}
