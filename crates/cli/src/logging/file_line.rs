//! The log file's line format: one JSON object per event, in the shape OpenClaw's own log
//! readers parse (`openclaw logs`, the Control UI's Logs tab) — `time`, `level`, `subsystem`
//! and a `message` that carries the event's fields as `key=value` — plus the fields themselves
//! under `fields` for tools that want them structured.

use std::fmt::Debug;
use std::io::Write;

use serde_json::{Map, Value, json};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};

/// The layer writing [`line`]s to `W`.
pub struct FileLines<W> {
    writer: W,
}

impl<W> FileLines<W> {
    /// Lines go to `writer`.
    pub fn new(writer: W) -> Self {
        Self { writer }
    }
}

impl<S, W> Layer<S> for FileLines<W>
where
    S: Subscriber,
    W: for<'a> MakeWriter<'a> + 'static,
{
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let meta = event.metadata();
        let mut text = line(&now(), meta.level().as_str(), meta.target(), fields).to_string();
        text.push('\n');
        let _ = self.writer.make_writer().write_all(text.as_bytes());
    }
}

/// An event's fields: the message apart, the rest in order.
#[derive(Default)]
struct Fields {
    message: String,
    rest: Map<String, Value>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_owned()));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, json!(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, json!(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, json!(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, json!(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
}

impl Fields {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
        } else {
            self.rest.insert(field.name().to_owned(), value);
        }
    }
}

/// `rustyclaw_gateway::methods::chat` → `gateway/methods`: the crate without its prefix and the
/// first module, as OpenClaw names subsystems (`gateway/ws`, `agent/embedded`).
fn subsystem(target: &str) -> String {
    let mut parts = target.split("::");
    let krate = parts.next().unwrap_or(target);
    let krate = krate.strip_prefix("rustyclaw_").unwrap_or(krate);
    match parts.next() {
        Some(module) => format!("{krate}/{module}"),
        None => krate.to_owned(),
    }
}

/// A field's value in the message: bare when it is one word, quoted otherwise.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s)
            if !s.is_empty() && !s.contains(char::is_whitespace) && !s.contains('"') =>
        {
            s.clone()
        }
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// The line for one event.
fn line(time: &str, level: &str, target: &str, fields: Fields) -> Value {
    let mut message = fields.message;
    for (key, value) in &fields.rest {
        if !message.is_empty() {
            message.push(' ');
        }
        message.push_str(key);
        message.push('=');
        message.push_str(&shown(value));
    }
    json!({
        "time": time,
        "level": level,
        "subsystem": subsystem(target),
        "message": message,
        "fields": fields.rest,
        "target": target,
    })
}

/// Now, as OpenClaw's logger writes it: UTC with milliseconds.
fn now() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_as_openclaw_writes_them() {
        let mut fields = Fields {
            message: "client connected".into(),
            rest: Map::new(),
        };
        fields.rest.insert("conn".into(), json!("c-1"));
        fields.rest.insert("client".into(), json!("openclaw tui"));
        fields.rest.insert("duration_ms".into(), json!(12));
        let line = line(
            "2026-12-07T10:00:00.000Z",
            "INFO",
            "rustyclaw_gateway::conn",
            fields,
        );
        assert_eq!(line["time"], "2026-12-07T10:00:00.000Z");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["subsystem"], "gateway/conn");
        assert_eq!(
            line["message"],
            r#"client connected conn=c-1 client="openclaw tui" duration_ms=12"#
        );
        assert_eq!(line["fields"]["duration_ms"], 12);
    }

    #[test]
    fn the_timestamp_has_milliseconds_and_a_z() {
        let time = now();
        assert_eq!(time.len(), "2026-12-07T10:00:00.000Z".len(), "{time}");
        assert!(time.ends_with('Z'));
    }
}
