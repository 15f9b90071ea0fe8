//! Server-sent events framing shared by the streaming wire formats.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::delivery::{self, Delivery, Frame};

/// The comment line proxies and providers send to keep an idle stream open.
const KEEP_ALIVE: &str = ": keep-alive\n\n";

/// An event whose only field is `data: <json>`.
pub(crate) fn json_event(value: &Value) -> Frame {
    data_event(&value.to_string())
}

/// An event whose only field is `data: <payload>`; `payload` must not contain newlines.
pub(crate) fn data_event(payload: &str) -> Frame {
    Frame::event(format!("data: {payload}\n\n"))
}

/// An event with a type line, `event: <name>` then `data: <json>` (Anthropic's framing).
pub(crate) fn named_event(name: &str, value: &Value) -> Frame {
    Frame::event(format!("event: {name}\ndata: {value}\n\n"))
}

/// Puts a keep-alive comment before every event, so comments sit between all data events.
pub(crate) fn interleave_keep_alive(frames: Vec<Frame>) -> Vec<Frame> {
    frames
        .into_iter()
        .flat_map(|frame| [Frame::filler(KEEP_ALIVE), frame])
        .collect()
}

/// A `200 OK` event stream delivering `frames` as `delivery` says.
pub(crate) fn response(frames: Vec<Frame>, delivery: &Delivery) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/event-stream; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        delivery::body(frames, delivery),
    )
        .into_response()
}
