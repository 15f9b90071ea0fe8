//! Readers of whole response bodies written from the formats' public descriptions, not from
//! the server code: server-sent events with their `event:` names (LF or CRLF line ends, as
//! Anthropic and Google send them) and newline-delimited JSON (Ollama).

use serde_json::Value;

/// One server-sent event: its `event:` name, if any, and its `data:` parsed as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: Option<String>,
    pub data: Value,
}

/// The events of a complete SSE body, in order; comment lines are skipped.
pub fn sse_events(body: &str) -> Vec<Event> {
    let normalized = body.replace("\r\n", "\n");
    normalized
        .split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = Some(value.trim_start().to_owned());
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push(value.strip_prefix(' ').unwrap_or(value));
                }
            }
            (!data.is_empty()).then(|| Event {
                name,
                data: serde_json::from_str(&data.join("\n")).expect("every event's data is JSON"),
            })
        })
        .collect()
}

/// The JSON values of a complete newline-delimited JSON body.
pub fn ndjson_lines(body: &str) -> Vec<Value> {
    body.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect()
}
