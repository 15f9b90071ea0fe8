//! What is masked before two outputs are compared. Each rule says why the difference it hides
//! is not a real one: the value is different on every run (ids, clocks, ports), names the
//! implementation itself (versions, state paths), or measures speed rather than behaviour.

use serde_json::{Map, Value};

/// The facts of one run that appear in outputs: masked wherever they occur.
#[derive(Debug, Clone, Default)]
pub struct RunFacts {
    /// The gateway's home directory (state paths differ by run and by implementation).
    pub home: String,
    /// The gateway's port (a free port picked per run).
    pub port: u16,
    /// The gateway's token (random per run; must never appear anyway).
    pub token: String,
}

/// Keys whose values are clocks or durations: different on every run.
const TIME_KEYS: &[&str] = &[
    "ts",
    "time",
    "date",
    "uptime",
    "uptimeMs",
    "durationMs",
    "startedAt",
    "endedAt",
    "createdAt",
    "updatedAt",
    "lastUsedAt",
    "approvedAt",
    "createdAtMs",
    "updatedAtMs",
    "lastActivityAt",
    "ageMs",
    "elapsedMs",
    "latencyMs",
    "timestamp",
    "generatedAt",
    "expiresAt",
    "expiresAtMs",
    "lastSeenAt",
    "connectedAt",
    "tookMs",
    "sinceMs",
    "runtimeMs",
    "at",
];

/// Whether `key` holds a clock or a duration: the list above, and any `…At`, `…LatencyMs` or
/// `…DurationMs` (a timestamp, or how fast something was: speed, not behaviour).
fn is_time_key(key: &str) -> bool {
    TIME_KEYS.contains(&key)
        || key.ends_with("At")
        || key.ends_with("LatencyMs")
        || key.ends_with("DurationMs")
}

/// Keys naming the implementation or its build: rustyclaw reports its own version, by design.
const VERSION_KEYS: &[&str] = &[
    "gatewayVersion",
    "version",
    "runtimeVersion",
    "serverVersion",
    "buildId",
    "commit",
    "node",
    "nodeVersion",
];

/// Keys holding per-run identities: connection, instance, boot and run ids.
const ID_KEYS: &[&str] = &[
    "connId",
    "instanceId",
    "bootId",
    "runId",
    "sessionId",
    "id",
    "requestId",
    "deviceId",
    "messageId",
    "entryId",
    "parentId",
    "idempotencyKey",
    "pid",
    "cursor",
    "size",
    "bytes",
    // The fake model numbers its responses: which call of the run answered is not behaviour.
    "responseId",
];

/// Keys holding token usage: each implementation's own system prompt and tool list decide how
/// many tokens a turn takes, so which fields are counted is compared, not how many.
const USAGE_KEYS: &[&str] = &["usage", "lastCallUsage"];
/// Token counts outside a usage record (session rows, run results), masked for the same reason.
const TOKEN_COUNT_KEYS: &[&str] = &[
    "inputTokens",
    "outputTokens",
    "totalTokens",
    "promptTokens",
    "cacheRead",
    "cacheWrite",
];

/// `value` with every per-run fact masked.
pub fn json(value: &Value, facts: &RunFacts) -> Value {
    match value {
        Value::Object(map) => Value::Object(object(map, facts)),
        Value::Array(items) => Value::Array(items.iter().map(|v| json(v, facts)).collect()),
        Value::String(s) => Value::String(text(s, facts)),
        // The gateway's port is a free port picked per run.
        Value::Number(n) if facts.port != 0 && n.as_u64() == Some(u64::from(facts.port)) => {
            Value::String("<port>".into())
        }
        other => other.clone(),
    }
}

fn object(map: &Map<String, Value>, facts: &RunFacts) -> Map<String, Value> {
    map.iter()
        .map(|(key, value)| {
            let masked = if USAGE_KEYS.contains(&key.as_str()) && value.is_object()
                || TOKEN_COUNT_KEYS.contains(&key.as_str()) && value.is_number()
            {
                numbers_masked(value)
            } else if value.is_null() {
                Value::Null
            } else if is_time_key(key) {
                Value::String("<time>".into())
            } else if VERSION_KEYS.contains(&key.as_str()) {
                Value::String("<version>".into())
            } else if ID_KEYS.contains(&key.as_str()) && !value.is_object() && !value.is_array() {
                Value::String("<id>".into())
            } else {
                json(value, facts)
            };
            (key.clone(), masked)
        })
        .collect()
}

fn numbers_masked(value: &Value) -> Value {
    match value {
        Value::Number(_) => Value::String("<n>".into()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), numbers_masked(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(numbers_masked).collect()),
        other => other.clone(),
    }
}

/// The form of a list of records: for each record `type`, the keys its records carry (all of
/// them, sorted). For outputs whose values are each implementation's own — the lines of a log
/// are its own messages — while their form is the protocol. Anything but a list of records keeps
/// only its keys and the types of its values.
pub fn shape(value: &Value) -> Value {
    match value {
        Value::Array(items) if items.iter().all(Value::is_object) => {
            let mut forms: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
                std::collections::BTreeMap::new();
            for item in items.iter().filter_map(Value::as_object) {
                let kind = item
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("(no type)")
                    .to_owned();
                forms.entry(kind).or_default().extend(item.keys().cloned());
            }
            Value::Object(
                forms
                    .into_iter()
                    .map(|(kind, keys)| {
                        (
                            kind,
                            Value::Array(keys.into_iter().map(Value::String).collect()),
                        )
                    })
                    .collect(),
            )
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(_) => Value::String("string".into()),
        Value::Number(_) => Value::String("number".into()),
        Value::Bool(_) => Value::String("boolean".into()),
        Value::Null => Value::Null,
    }
}

/// Text with per-run facts masked: the home directory, the port, the token, UUIDs, ISO
/// timestamps and long hex ids.
pub fn text(input: &str, facts: &RunFacts) -> String {
    // JavaScript prints a thrown Error as "Error: <message>"; the message is what is compared.
    let mut out = input.strip_prefix("Error: ").unwrap_or(input).to_owned();
    if !facts.home.is_empty() {
        out = out.replace(&facts.home, "<home>");
    }
    if !facts.token.is_empty() {
        out = out.replace(&facts.token, "<token>");
    }
    if facts.port != 0 {
        out = out.replace(&format!(":{}", facts.port), ":<port>");
    }
    mask_tokens(&out)
}

/// Masks word-like tokens that are ids or times whatever their key: UUIDs, 16+ hex digits,
/// ISO-8601 timestamps, and numbers of 10+ digits (epoch times).
fn mask_tokens(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(&classify(word));
        word.clear();
    };
    for c in input.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.' | '_') {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn classify(word: &str) -> String {
    let trimmed = word.trim_end_matches(['.', ':']);
    let tail = &word[trimmed.len()..];
    let is_hex = |s: &str| s.len() >= 16 && s.chars().all(|c| c.is_ascii_hexdigit());
    let is_uuid = trimmed.len() == 36
        && trimmed.chars().filter(|c| *c == '-').count() == 4
        && trimmed.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let is_time = trimmed.len() >= 19
        && trimmed.as_bytes().get(4) == Some(&b'-')
        && trimmed.as_bytes().get(10) == Some(&b'T');
    let is_epoch = trimmed.len() >= 10 && trimmed.chars().all(|c| c.is_ascii_digit());
    if is_uuid || is_hex(trimmed) {
        format!("<id>{tail}")
    } else if is_time || is_epoch {
        format!("<time>{tail}")
    } else {
        word.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json as j;

    fn facts() -> RunFacts {
        RunFacts {
            home: "/tmp/bench-x".into(),
            port: 41234,
            token: "secret-token".into(),
        }
    }

    #[test]
    fn per_run_values_are_masked_and_behaviour_is_kept() {
        let value = j!({
            "ok": true,
            "runtimeVersion": "0.1.0",
            "uptimeMs": 1234,
            "connId": "5f0c3a2e-1b7c-4e0a-9d3e-0c1b2a3d4e5f",
            "url": "ws://127.0.0.1:41234",
            "path": "/tmp/bench-x/.openclaw/openclaw.json",
            "note": "started 2026-12-07T10:00:00.000Z by 0123456789abcdef0123",
            "sessions": [{"key": "agent:main:main", "updatedAt": 1765100000000_u64}],
        });
        assert_eq!(
            json(&value, &facts()),
            j!({
                "ok": true,
                "runtimeVersion": "<version>",
                "uptimeMs": "<time>",
                "connId": "<id>",
                "url": "ws://127.0.0.1:<port>",
                "path": "<home>/.openclaw/openclaw.json",
                "note": "started <time> by <id>",
                "sessions": [{"key": "agent:main:main", "updatedAt": "<time>"}],
            })
        );
    }

    #[test]
    fn token_counts_are_masked_but_which_are_counted_is_kept() {
        let value = j!({
            "lastCallUsage": {"input": 14988, "output": 6, "cost": {"total": 0}},
            "promptTokens": 14988,
            "totalTokens": null,
            "label": "14988 tokens",
        });
        assert_eq!(
            json(&value, &facts()),
            j!({
                "lastCallUsage": {"input": "<n>", "output": "<n>", "cost": {"total": "<n>"}},
                "promptTokens": "<n>",
                "totalTokens": null,
                "label": "14988 tokens",
            })
        );
    }

    #[test]
    fn the_token_never_survives() {
        assert_eq!(text("Bearer secret-token", &facts()), "Bearer <token>");
    }
}
