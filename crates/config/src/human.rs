//! Deserialisation errors in a user's words: serde says `invalid type: string "x", expected
//! u16`; a user reads `expected a port number 1–65535, got "x"`.

use crate::JsonPath;

/// `message` (serde's) for the value at `path`, without Rust type names.
pub(crate) fn type_error(path: &JsonPath, message: &str) -> String {
    let parsed = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|rest| rest.split_once(", expected "));
    if let Some((got, expected)) = parsed {
        return format!(
            "expected {}, got {}",
            expected_words(path, expected),
            got_words(got)
        );
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return format!("missing key {field:?}");
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        return format!("wrong number of items: {rest}");
    }
    message.to_owned()
}

/// What was expected, for people.
fn expected_words(path: &JsonPath, expected: &str) -> String {
    let last = path.to_string();
    let last = last
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let port = last == "port" || last.ends_with("port");
    match expected {
        "u16" if port => "a port number 1–65535".to_owned(),
        "u8" => "a whole number from 0 to 255".to_owned(),
        "u16" => "a whole number from 0 to 65535".to_owned(),
        "u32" => "a whole number from 0 to 4294967295".to_owned(),
        "u64" | "usize" => "a whole number, 0 or more".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        "a sequence" => "a list".to_owned(),
        "a map" | "map" => "an object".to_owned(),
        "string or map" => "a string or an object".to_owned(),
        "a boolean" | "a string" => expected.to_owned(),
        other if other.starts_with("struct ") => "an object".to_owned(),
        other if other.starts_with("a sequence") => "a list".to_owned(),
        other => other.to_owned(),
    }
}

/// What was found, for people.
fn got_words(got: &str) -> String {
    let quoted = |rest: &str| rest.trim_matches('`').to_owned();
    if let Some(rest) = got.strip_prefix("string ") {
        return rest.to_owned();
    }
    for prefix in [
        "integer ",
        "floating point ",
        "boolean ",
        "unsigned integer ",
    ] {
        if let Some(rest) = got.strip_prefix(prefix) {
            return quoted(rest);
        }
    }
    match got {
        "map" => "an object".to_owned(),
        "sequence" => "a list".to_owned(),
        "unit" | "null" => "null".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(path: &str) -> JsonPath {
        path.split('.').fold(JsonPath::root(), |p, k| p.key(k))
    }

    #[test]
    fn serde_messages_read_as_words() {
        assert_eq!(
            type_error(
                &at("gateway.port"),
                r#"invalid type: string "x", expected u16"#
            ),
            r#"expected a port number 1–65535, got "x""#
        );
        assert_eq!(
            type_error(
                &at("gateway.port"),
                "invalid value: integer `70000`, expected u16"
            ),
            "expected a port number 1–65535, got 70000"
        );
        assert_eq!(
            type_error(
                &at("agents.list"),
                r#"invalid type: string "x", expected a sequence"#
            ),
            r#"expected a list, got "x""#
        );
        assert_eq!(
            type_error(
                &at("agents.defaults.timeoutSeconds"),
                "invalid value: integer `-1`, expected u64"
            ),
            "expected a whole number, 0 or more, got -1"
        );
        assert_eq!(
            type_error(
                &at("gateway.auth.mode"),
                "invalid type: boolean `true`, expected string or map"
            ),
            "expected a string or an object, got true"
        );
        assert_eq!(
            type_error(&at("x"), "missing field `agents`"),
            r#"missing key "agents""#
        );
        // Already in words: kept.
        let variant = "unknown variant `moon`, expected one of `loopback`, `lan`";
        assert_eq!(type_error(&at("gateway.bind"), variant), variant);
    }
}
