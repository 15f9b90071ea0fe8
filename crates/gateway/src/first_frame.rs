//! How the first frame of a socket is judged before any `connect` parameter is looked at,
//! following upstream's message handler: a `connect` request proceeds; another request is
//! answered "invalid handshake: first request must be connect" and closed 1008; JSON that is not
//! a request frame is closed 1008 "invalid request frame" without an answer; text that is not
//! JSON at all is closed normally without a reason (upstream's bare `close()` after its parse
//! error, captured as `err-garbage`).

use rustyclaw_protocol::gateway::{Frame, RequestFrame};
use serde_json::Value;

/// What the first frame is.
#[derive(Debug)]
pub(crate) enum First {
    /// A `connect` request.
    Connect(RequestFrame),
    /// A request for another method, with its id.
    NotConnect(String),
    /// JSON that is not a request frame.
    NotARequest,
    /// Not JSON.
    NotJson,
}

/// Nesting past which `serde_json` stops parsing (its recursion limit is 128 levels).
const PARSER_DEPTH: usize = 128;

/// Judges the first frame's text.
pub(crate) fn judge(text: &str) -> First {
    let value = match serde_json::from_str::<Value>(text) {
        Ok(value) => value,
        // Upstream's parser takes any depth and then finds no request frame in it; ours stops
        // early, which must not turn such a frame into "not JSON".
        Err(_) if nested_deeper_than(text, PARSER_DEPTH - 1) => return First::NotARequest,
        Err(_) => return First::NotJson,
    };
    match serde_json::from_value::<Frame>(value) {
        Ok(Frame::Request(request)) if request.method == "connect" => First::Connect(request),
        Ok(Frame::Request(request)) => First::NotConnect(request.id),
        Ok(Frame::Response(_) | Frame::Event(_)) | Err(_) => First::NotARequest,
    }
}

/// Whether arrays and objects in `text` nest deeper than `limit` (brackets inside strings do
/// not count). Only called on text the parser refused, so it need not validate anything.
fn nested_deeper_than(text: &str, limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_judged_like_upstream() {
        let connect = r#"{"type":"req","id":"1","method":"connect","params":{}}"#;
        assert!(matches!(judge(connect), First::Connect(_)));
        let health = r#"{"type":"req","id":"7","method":"health"}"#;
        assert!(matches!(judge(health), First::NotConnect(id) if id == "7"));
        assert!(matches!(judge(r#"{"hello":1}"#), First::NotARequest));
        assert!(matches!(judge("[1,2]"), First::NotARequest));
        assert!(matches!(judge("not json"), First::NotJson));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(serde_json::from_str::<Value>(&deep).is_err());
        assert!(matches!(judge(&deep), First::NotARequest));
        // The deepest nesting the parser takes is still parsed.
        let deepest = format!("{}{}", "[".repeat(127), "]".repeat(127));
        assert!(serde_json::from_str::<Value>(&deepest).is_ok());
        // Brackets in strings are text.
        assert!(!nested_deeper_than(&format!("\"{}\"", "[".repeat(300)), 10));
        assert!(nested_deeper_than(r#"{"a":"\"","b":[[["#, 3));
    }
}
