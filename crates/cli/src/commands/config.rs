//! `rustyclaw config get|set|unset|validate|schema|file`.

use std::process::ExitCode;

use rustyclaw_config::edit::{Edit, edit_file};
use rustyclaw_config::{ConfigError, JsonPath, LoadedConfig};
use serde_json::Value;

use crate::UserError;
use crate::args::ConfigCommand;
use crate::context::Context;
use crate::output;

/// Runs a `config` subcommand. `loaded` is the result of loading the config at start-up.
pub fn run(
    ctx: &Context,
    loaded: Result<LoadedConfig, ConfigError>,
    cmd: ConfigCommand,
) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::File => Ok(print_file(ctx)),
        ConfigCommand::Schema => Ok(print_schema()),
        ConfigCommand::Get { path, json } => get(loaded?, path.as_deref(), json),
        ConfigCommand::Set {
            path,
            value,
            string,
        } => {
            let json_path = parse_path(&path)?;
            let value = if string {
                Value::String(value)
            } else {
                parse_value(&value)
            };
            write(ctx, &json_path, &Edit::Set(value), "set")
        }
        ConfigCommand::Unset { path } => write(ctx, &parse_path(&path)?, &Edit::Unset, "unset"),
        ConfigCommand::Validate(flag) => validate(ctx, loaded, flag.json),
    }
}

/// `config file`: the config path in use.
pub fn print_file(ctx: &Context) -> ExitCode {
    output::out(&ctx.locations.config_path.display().to_string());
    ExitCode::SUCCESS
}

/// `config schema`: the JSON Schema of the config file.
pub fn print_schema() -> ExitCode {
    output::out(&rustyclaw_config::schema::config_schema_text());
    ExitCode::SUCCESS
}

fn parse_path(text: &str) -> anyhow::Result<JsonPath> {
    JsonPath::parse(text).map_err(|e| UserError::new(e.to_string()).hint("paths look like gateway.port, agents.list[0].id or models.providers[\"my.provider\"]").into())
}

/// JSON5 when it parses as such, otherwise the text itself as a string.
fn parse_value(text: &str) -> Value {
    jsonc_value(text).unwrap_or_else(|| Value::String(text.to_owned()))
}

fn jsonc_value(text: &str) -> Option<Value> {
    let map = rustyclaw_config::parse_document(
        &format!("{{\"v\": {text}\n}}"),
        std::path::Path::new("<value>"),
    )
    .ok()?;
    map.get("v").cloned()
}

/// Keys whose values are credentials; `config get` prints them redacted.
fn is_sensitive_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "token",
        "password",
        "apikey",
        "secret",
        "privatekey",
        "authorization",
        "cookie",
    ]
    .iter()
    .any(|s| k.ends_with(s))
}

/// Replaces every sensitive string value with `[REDACTED]` (SecretRef objects are kept: they are
/// references, not secrets).
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_sensitive_key(k) && v.is_string() {
                    *v = Value::String("[REDACTED]".to_owned());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

fn get(loaded: LoadedConfig, path: Option<&str>, json: bool) -> anyhow::Result<ExitCode> {
    output::warnings(&loaded.warnings);
    let mut doc = loaded.document.clone();
    redact(&mut doc);
    let value = match path {
        None => doc,
        Some(p) => {
            let json_path = parse_path(p)?;
            match json_path.get(&doc) {
                Some(v) => v.clone(),
                None => {
                    return Err(UserError::new(format!(
                        "{json_path} is not set in {}",
                        loaded.path.display()
                    ))
                    .hint("`rustyclaw config get` without a path prints the whole config")
                    .code(1)
                    .into());
                }
            }
        }
    };
    match (&value, json) {
        (Value::String(s), false) => output::out(s),
        _ => output::json(&value),
    }
    Ok(ExitCode::SUCCESS)
}

fn write(ctx: &Context, path: &JsonPath, edit: &Edit, verb: &str) -> anyhow::Result<ExitCode> {
    let outcome = edit_file(&ctx.locations.config_path, path, edit)?;
    output::warnings(&outcome.warnings);
    if !outcome.changed {
        output::err(&format!("{path}: no change"));
        return Ok(ExitCode::SUCCESS);
    }
    tracing::info!(path = %path, verb, file = %outcome.path.display(), "config edited");
    let mut message = format!("{verb} {path} in {}", outcome.path.display());
    if let Some(bak) = &outcome.backup {
        message.push_str(&format!(" (backup: {})", bak.display()));
    }
    output::err(&message);
    record_audit(ctx, verb, path);
    Ok(ExitCode::SUCCESS)
}

/// Records the edit in the audit log when a database exists (it is not created just for this).
fn record_audit(ctx: &Context, verb: &str, path: &JsonPath) {
    record_edit(ctx, &format!("config.{verb}"), &path.to_string());
}

/// Records a config edit (`action`, on `target`) in the audit log when a database exists.
pub(crate) fn record_edit(ctx: &Context, action: &str, target: &str) {
    if !ctx.locations.database_path().exists() {
        return;
    }
    let result = super::runtime().and_then(|rt| {
        rt.block_on(async {
            let store = ctx.open_store().await?;
            store
                .append_audit(&rustyclaw_store::AuditRecord {
                    ts_ms: i64::try_from(
                        time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000,
                    )
                    .unwrap_or(0),
                    actor: "cli".to_owned(),
                    action: action.to_owned(),
                    target: Some(target.to_owned()),
                    detail: serde_json::Value::Null,
                })
                .await?;
            anyhow::Ok(())
        })
    });
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record the config edit in the audit log");
    }
}

fn validate(
    ctx: &Context,
    loaded: Result<LoadedConfig, ConfigError>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    match loaded {
        Ok(l) => {
            if json {
                output::json(
                    &serde_json::json!({"valid": true, "path": l.path, "exists": l.exists, "warnings": l.warnings, "errors": []}),
                );
            } else {
                output::warnings(&l.warnings);
                let what = if l.exists {
                    "valid"
                } else {
                    "missing (defaults apply)"
                };
                output::out(&format!(
                    "{}: {what}, {} warning(s)",
                    l.path.display(),
                    l.warnings.len()
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            if json {
                let errors = match &err {
                    ConfigError::Invalid { issues, .. } => {
                        serde_json::to_value(issues).unwrap_or_default()
                    }
                    other => {
                        serde_json::json!([{"severity": "error", "path": "(root)", "message": other.to_string()}])
                    }
                };
                output::json(
                    &serde_json::json!({"valid": false, "path": ctx.locations.config_path, "errors": errors}),
                );
                Ok(ExitCode::from(1))
            } else {
                Err(err.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_parse_as_json5_or_fall_back_to_strings() {
        assert_eq!(parse_value("18789"), json!(18789));
        assert_eq!(parse_value("{a: [1, 'x']}"), json!({"a": [1, "x"]}));
        assert_eq!(parse_value("true"), json!(true));
        assert_eq!(parse_value("hello world"), json!("hello world"));
        assert_eq!(parse_value("openai/gpt-5"), json!("openai/gpt-5"));
    }

    #[test]
    fn redacts_credentials_but_not_refs() {
        let mut v = json!({"gateway": {"auth": {"token": "abc", "mode": "token"}},
            "models": {"providers": {"x": {"apiKey": {"source": "env", "id": "K"}}}},
            "channels": {"telegram": {"botToken": "123:abc"}}});
        redact(&mut v);
        assert_eq!(v["gateway"]["auth"]["token"], "[REDACTED]");
        assert_eq!(v["gateway"]["auth"]["mode"], "token");
        assert_eq!(v["models"]["providers"]["x"]["apiKey"]["id"], "K");
        assert_eq!(v["channels"]["telegram"]["botToken"], "[REDACTED]");
    }
}
