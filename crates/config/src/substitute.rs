//! `${VAR}` substitution in string values, as OpenClaw does it.
//!
//! Only upper-case names (`[A-Z_][A-Z0-9_]*`) are substituted; `$${VAR}` is the escape for a
//! literal `${VAR}`; a variable that is unset or empty is an error naming it and where it was
//! used (a silently empty API key is worse than a refusal to start).

use std::path::Path;

use serde_json::Value;

use crate::{ConfigError, Env, JsonPath};

/// Substitutes variables in every string of `value` (keys are left alone).
pub fn substitute_env(value: &mut Value, env: &Env, file: &Path) -> Result<(), ConfigError> {
    walk(value, env, file, &JsonPath::root())
}

fn walk(value: &mut Value, env: &Env, file: &Path, at: &JsonPath) -> Result<(), ConfigError> {
    match value {
        Value::String(s) if s.contains('$') => {
            *s = substitute_str(s, env).map_err(|var| ConfigError::MissingEnvVar {
                path: file.to_path_buf(),
                json_path: at.clone(),
                var,
            })?;
            Ok(())
        }
        Value::Object(map) => map
            .iter_mut()
            .try_for_each(|(k, v)| walk(v, env, file, &at.key(k))),
        Value::Array(items) => items
            .iter_mut()
            .enumerate()
            .try_for_each(|(i, v)| walk(v, env, file, &at.index(i))),
        _ => Ok(()),
    }
}

/// Substitutes one string; the error is the name of the missing variable.
pub fn substitute_str(input: &str, env: &Env) -> Result<String, String> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        // `$${VAR}` → literal `${VAR}`.
        if let Some(after) = tail.strip_prefix('$').filter(|a| a.starts_with("${"))
            && let Some(name_len) = var_ref_len(after)
        {
            out.push_str(&after[..name_len]);
            rest = &after[name_len..];
            continue;
        }
        if let Some(len) = var_ref_len(tail) {
            let name = &tail[2..len - 1];
            match env.non_empty(name) {
                Some(v) => out.push_str(v),
                None => return Err(name.to_owned()),
            }
            rest = &tail[len..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// If `s` starts with `${NAME}` and NAME is a valid variable name, the length of that reference.
fn var_ref_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("${")?;
    let end = body.find('}')?;
    let name = &body[..end];
    let mut chars = name.chars();
    let first = chars.next()?;
    let valid = (first.is_ascii_uppercase() || first == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    valid.then_some(end + 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env() -> Env {
        Env::from_pairs([("API_KEY", "sk-1"), ("PORT", "8080"), ("EMPTY", "")])
    }

    #[test]
    fn substitutes_and_escapes() {
        let e = env();
        assert_eq!(
            substitute_str("Bearer ${API_KEY}", &e).unwrap(),
            "Bearer sk-1"
        );
        assert_eq!(
            substitute_str("$${API_KEY} stays", &e).unwrap(),
            "${API_KEY} stays"
        );
        assert_eq!(
            substitute_str("${lower} $5 ${ }", &e).unwrap(),
            "${lower} $5 ${ }"
        );
        assert_eq!(substitute_str("${PORT}${PORT}", &e).unwrap(), "80808080");
    }

    #[test]
    fn missing_or_empty_is_an_error_naming_the_variable_and_path() {
        assert_eq!(substitute_str("${EMPTY}", &env()).unwrap_err(), "EMPTY");
        let mut v = json!({"models": {"providers": {"x": {"apiKey": "${NOPE_KEY}"}}}});
        let err = substitute_env(&mut v, &env(), Path::new("/c/openclaw.json")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("NOPE_KEY") && msg.contains("models.providers.x.apiKey"),
            "{msg}"
        );
    }

    #[test]
    fn walks_arrays_and_nested_objects() {
        let mut v = json!({"a": ["${PORT}", {"b": "x${API_KEY}"}], "n": 1});
        substitute_env(&mut v, &env(), Path::new("c")).unwrap();
        assert_eq!(v, json!({"a": ["8080", {"b": "xsk-1"}], "n": 1}));
    }
}
