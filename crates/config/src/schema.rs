//! The JSON Schema of the config file, generated from [`crate::file::ConfigFile`].
//!
//! The checked-in copy (`schema/config.schema.json` at the repository root) is compared with
//! the generated one by a test, so the published contract cannot drift from the code.

use serde_json::Value;

/// The schema as JSON (draft 2020-12, definitions under `$defs`).
pub fn config_schema() -> Value {
    let schema = schemars::schema_for!(crate::file::ConfigFile);
    schema.to_value()
}

/// The schema as pretty-printed JSON text with a trailing newline, as checked in.
pub fn config_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&config_schema()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails when the checked-in schema differs from the generated one. To update it:
    /// `cargo run -p rustyclaw-cli -- config schema > schema/config.schema.json`.
    #[test]
    fn checked_in_schema_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../schema/config.schema.json");
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == config_schema_text(),
            "{} is out of date; regenerate it with `cargo run -p rustyclaw-cli -- config schema > schema/config.schema.json`",
            path.display()
        );
    }

    #[test]
    fn schema_has_descriptions_from_doc_comments() {
        let schema = config_schema();
        let port = &schema["$defs"]["GatewaySection"]["properties"]["port"];
        assert!(
            port["description"]
                .as_str()
                .unwrap_or_default()
                .contains("18789"),
            "{port}"
        );
    }
}
