//! Parameter checks with upstream's (AJV) error wording, shared by the config, logs, channel and
//! send methods.

use serde_json::Value;

use crate::methods::{Fail, invalid};

/// Refuses params that are not an object or carry keys the method's schema does not allow.
pub(crate) fn check_keys(method: &str, params: &Value, allowed: &[&str]) -> Result<(), Fail> {
    let Some(map) = params.as_object() else {
        return Err(invalid(format!("invalid {method} params: must be object")));
    };
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(invalid(format!(
            "invalid {method} params: at root: unexpected property '{key}'"
        ))),
        None => Ok(()),
    }
}

/// A required non-empty string.
pub(crate) fn required_string<'a>(
    method: &str,
    params: &'a Value,
    name: &str,
) -> Result<&'a str, Fail> {
    match params.get(name) {
        None => Err(invalid(format!(
            "invalid {method} params: must have required property '{name}'"
        ))),
        Some(value) => string_value(method, name, value),
    }
}

/// An optional non-empty string.
pub(crate) fn optional_string<'a>(
    method: &str,
    params: &'a Value,
    name: &str,
) -> Result<Option<&'a str>, Fail> {
    params
        .get(name)
        .map(|value| string_value(method, name, value))
        .transpose()
}

fn string_value<'a>(method: &str, name: &str, value: &'a Value) -> Result<&'a str, Fail> {
    match value.as_str() {
        Some("") => Err(invalid(format!(
            "invalid {method} params: at /{name}: must NOT have fewer than 1 characters"
        ))),
        Some(s) => Ok(s),
        None => Err(invalid(format!(
            "invalid {method} params: at /{name}: must be string"
        ))),
    }
}

/// An optional string that may be empty (a schema property without `minLength`).
pub(crate) fn optional_text<'a>(
    method: &str,
    params: &'a Value,
    name: &str,
) -> Result<Option<&'a str>, Fail> {
    match params.get(name) {
        None => Ok(None),
        Some(value) => value.as_str().map(Some).ok_or_else(|| {
            invalid(format!(
                "invalid {method} params: at /{name}: must be string"
            ))
        }),
    }
}

/// An optional boolean.
pub(crate) fn optional_bool(
    method: &str,
    params: &Value,
    name: &str,
) -> Result<Option<bool>, Fail> {
    match params.get(name) {
        None => Ok(None),
        Some(value) => value.as_bool().map(Some).ok_or_else(|| {
            invalid(format!(
                "invalid {method} params: at /{name}: must be boolean"
            ))
        }),
    }
}

/// An optional array of strings.
pub(crate) fn optional_strings<'a>(
    method: &str,
    params: &'a Value,
    name: &str,
) -> Result<Vec<&'a str>, Fail> {
    let Some(value) = params.get(name) else {
        return Ok(Vec::new());
    };
    let Some(items) = value.as_array() else {
        return Err(invalid(format!(
            "invalid {method} params: at /{name}: must be array"
        )));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_str().ok_or_else(|| {
                invalid(format!(
                    "invalid {method} params: at /{name}/{i}: must be string"
                ))
            })
        })
        .collect()
}

/// An optional integer in `min..=max`.
pub(crate) fn optional_integer(
    method: &str,
    params: &Value,
    name: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, Fail> {
    let Some(value) = params.get(name) else {
        return Ok(None);
    };
    let n = value.as_u64().ok_or_else(|| {
        let what = if value.as_i64().is_some_and(|n| n < 0) {
            format!("must be >= {min}")
        } else {
            "must be integer".to_owned()
        };
        invalid(format!("invalid {method} params: at /{name}: {what}"))
    })?;
    if n < min {
        return Err(invalid(format!(
            "invalid {method} params: at /{name}: must be >= {min}"
        )));
    }
    if n > max {
        return Err(invalid(format!(
            "invalid {method} params: at /{name}: must be <= {max}"
        )));
    }
    Ok(Some(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_name_the_field() {
        let err = check_keys("config.get", &json!({"x": 1}), &[]).unwrap_err();
        assert_eq!(
            err.message,
            "invalid config.get params: at root: unexpected property 'x'"
        );
        let err = required_string("config.set", &json!({}), "raw").unwrap_err();
        assert_eq!(
            err.message,
            "invalid config.set params: must have required property 'raw'"
        );
        let err = required_string("config.set", &json!({"raw": 1}), "raw").unwrap_err();
        assert_eq!(
            err.message,
            "invalid config.set params: at /raw: must be string"
        );
        let err =
            optional_integer("logs.tail", &json!({"limit": 5001}), "limit", 1, 5000).unwrap_err();
        assert_eq!(
            err.message,
            "invalid logs.tail params: at /limit: must be <= 5000"
        );
        let err = optional_integer("logs.tail", &json!({"cursor": -1}), "cursor", 0, u64::MAX)
            .unwrap_err();
        assert_eq!(
            err.message,
            "invalid logs.tail params: at /cursor: must be >= 0"
        );
        let err =
            optional_integer("logs.tail", &json!({"cursor": "a"}), "cursor", 0, 9).unwrap_err();
        assert_eq!(
            err.message,
            "invalid logs.tail params: at /cursor: must be integer"
        );
        assert_eq!(
            optional_integer("logs.tail", &json!({"limit": 3}), "limit", 1, 5000).unwrap(),
            Some(3)
        );
    }
}
