//! `config.get|set|patch|apply|schema|schema.lookup`: reading and writing `openclaw.json` over the
//! protocol.
//!
//! Reads show the file as OpenClaw's `ConfigFileSnapshot` with credentials redacted; writes
//! take the `hash` of a read back as `baseHash` (optimistic concurrency), restore redacted
//! values from the file, validate with the loader's rules, write atomically with a `.bak`, and
//! ask the gateway to restart with the new config. The config crate does the document work
//! ([`rustyclaw_config::snapshot`]); this module adds the protocol: params, errors, the write
//! lock, the per-client write budget and the restart request.

pub(super) mod params;
mod write;

pub(super) use write::patch_for;

use rustyclaw_config::{schema, schema_lookup};
use serde_json::{Value, json};

use super::{ADMIN, Call, READ, Reply, invalid, unhandled};
use params::{check_keys, required_string};

/// Methods of this module and the scope each needs (upstream's method table: reads and schema
/// lookups are `read`, rewrites `admin`).
pub(super) const METHODS: &[(&str, &str)] = &[
    ("config.get", READ),
    ("config.set", ADMIN),
    ("config.apply", ADMIN),
    ("config.patch", ADMIN),
    ("config.schema", READ),
    ("config.schema.lookup", READ),
];

pub(super) async fn call(call: &Call<'_>, method: &str, params: &Value) -> Reply {
    match method {
        "config.get" => {
            check_keys(method, params, &[])?;
            let path = write::config_path(call)?;
            let snapshot = write::read_snapshot(path).await?;
            Ok(snapshot.to_redacted_json())
        }
        "config.set" | "config.apply" | "config.patch" => {
            write::rewrite(call, method, params).await
        }
        "config.schema" => {
            check_keys(method, params, &[])?;
            Ok(schema_response())
        }
        "config.schema.lookup" => {
            check_keys(method, params, &["path"])?;
            let path = required_string(method, params, "path")?;
            let valid_chars = path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_./[]-*".contains(c));
            if path.len() > 1024 || !valid_chars {
                return Err(invalid(format!(
                    "invalid {method} params: at /path: must match pattern \"^[A-Za-z0-9_./\\\\[\\\\]\\\\-*]+$\""
                )));
            }
            schema_lookup::lookup(&schema::config_schema(), path)
                .ok_or_else(|| invalid("config schema path not found"))
        }
        _ => unhandled(method),
    }
}

/// `config.schema`: the JSON Schema of the file with uiHints derived from it.
fn schema_response() -> Value {
    let schema = schema::config_schema();
    let hints = schema_lookup::ui_hints(&schema);
    json!({
        "schema": schema,
        "uiHints": hints,
        "version": env!("CARGO_PKG_VERSION"),
        "generatedAt": generated_at(),
    })
}

/// When the schema was generated (RFC 3339, UTC): it is built from the code at run time, so
/// "now" is accurate (upstream reports its build time).
fn generated_at() -> String {
    let secs = crate::clock::now_ms() / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        crate::calendar::day_key(i64::try_from(days).unwrap_or(0)),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_at_is_rfc3339() {
        let t = super::generated_at();
        assert_eq!(t.len(), 20, "{t}");
        assert!(
            t.starts_with("20") && t.ends_with('Z') && &t[10..11] == "T",
            "{t}"
        );
    }
}
