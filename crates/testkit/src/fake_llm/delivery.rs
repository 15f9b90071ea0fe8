//! Byte-level delivery of a response body: how the bytes a wire format rendered travel over TCP.
//!
//! Client bugs live at these seams: an SSE parser that assumes one event per read, a JSON reader
//! that assumes the whole body arrives at once, a stream consumer that treats a dropped
//! connection as a normal end. Every wire format renders its body as [`Frame`]s and hands them
//! here, so each format gets splitting, delays and cuts for free.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::time::Duration;

use axum::body::Body;
use bytes::{Bytes, BytesMut};

/// How long the body waits before failing a cut stream, so the bytes before the cut are flushed
/// to the socket first (the HTTP server drops unflushed data when a body errors).
const FLUSH_BEFORE_CUT: Duration = Duration::from_millis(20);

/// Byte-level delivery options of one scripted turn.
#[derive(Debug, Clone, Default)]
pub(crate) struct Delivery {
    pub(crate) split_every: Option<NonZeroUsize>,
    pub(crate) chunk_delay: Option<Duration>,
    pub(crate) response_delay: Option<Duration>,
    pub(crate) cut: Option<Cut>,
}

/// Where to close the connection abruptly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cut {
    /// After this many body bytes.
    AfterBytes(usize),
    /// Halfway through the n-th event frame (0-based, filler frames not counted).
    MidEvent(usize),
}

/// One unit of a rendered body: an event (an SSE event or a whole JSON document) or filler that
/// carries no data (an SSE comment). Without splitting, each frame is one write.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    bytes: Bytes,
    is_event: bool,
}

impl Frame {
    /// A frame that carries data.
    pub(crate) fn event(bytes: impl Into<Bytes>) -> Self {
        Self {
            bytes: bytes.into(),
            is_event: true,
        }
    }

    /// A frame clients must ignore, such as an SSE comment.
    pub(crate) fn filler(bytes: impl Into<Bytes>) -> Self {
        Self {
            bytes: bytes.into(),
            is_event: false,
        }
    }
}

/// Builds a body that delivers `frames` as `delivery` says. A single frame with no delivery
/// options becomes a plain body with a `content-length`, as real servers send JSON.
pub(crate) fn body(mut frames: Vec<Frame>, delivery: &Delivery) -> Body {
    let plain =
        delivery.split_every.is_none() && delivery.chunk_delay.is_none() && delivery.cut.is_none();
    if plain
        && frames.len() == 1
        && let Some(frame) = frames.pop()
    {
        return Body::from(frame.bytes);
    }
    let cut_at = delivery.cut.map(|cut| cut_offset(&frames, cut));
    let writes = writes(frames, delivery.split_every, cut_at);
    let state = BodyState {
        writes,
        delay: delivery.chunk_delay,
        yield_between: delivery.split_every.is_some(),
        first: true,
        fail_at_end: cut_at.is_some(),
    };
    Body::from_stream(futures_util::stream::unfold(state, next_write))
}

/// The absolute byte offset at which `cut` closes the connection.
fn cut_offset(frames: &[Frame], cut: Cut) -> usize {
    match cut {
        Cut::AfterBytes(bytes) => bytes,
        Cut::MidEvent(wanted) => {
            let mut offset = 0;
            let mut last_event = None;
            let mut seen = 0;
            for frame in frames {
                if frame.is_event {
                    let middle = offset + frame.bytes.len() / 2;
                    if seen == wanted {
                        return middle;
                    }
                    last_event = Some(middle);
                    seen += 1;
                }
                offset += frame.bytes.len();
            }
            last_event.unwrap_or(0)
        }
    }
}

/// The sequence of writes: one per frame, or fixed-size slices of the concatenated body when
/// split, truncated at the cut.
fn writes(
    frames: Vec<Frame>,
    split_every: Option<NonZeroUsize>,
    cut_at: Option<usize>,
) -> VecDeque<Bytes> {
    let mut pieces: Vec<Bytes> = match split_every {
        None => frames.into_iter().map(|frame| frame.bytes).collect(),
        Some(size) => {
            let mut whole = BytesMut::new();
            for frame in &frames {
                whole.extend_from_slice(&frame.bytes);
            }
            let whole = whole.freeze();
            (0..whole.len())
                .step_by(size.get())
                .map(|start| whole.slice(start..whole.len().min(start + size.get())))
                .collect()
        }
    };
    if let Some(limit) = cut_at {
        let mut kept = 0;
        pieces = pieces
            .into_iter()
            .filter_map(|piece| {
                let room = limit.saturating_sub(kept);
                kept += piece.len().min(room);
                (room > 0).then(|| piece.slice(..piece.len().min(room)))
            })
            .collect();
    }
    pieces.into()
}

struct BodyState {
    writes: VecDeque<Bytes>,
    delay: Option<Duration>,
    yield_between: bool,
    first: bool,
    fail_at_end: bool,
}

async fn next_write(mut state: BodyState) -> Option<(Result<Bytes, std::io::Error>, BodyState)> {
    if let Some(piece) = state.writes.pop_front() {
        if !state.first {
            match state.delay {
                Some(delay) => tokio::time::sleep(delay).await,
                // Returning `Pending` once makes the server flush the previous piece as its own
                // write instead of coalescing it with this one.
                None if state.yield_between => tokio::task::yield_now().await,
                None => {}
            }
        }
        state.first = false;
        return Some((Ok(piece), state));
    }
    if state.fail_at_end {
        state.fail_at_end = false;
        tokio::time::sleep(FLUSH_BEFORE_CUT).await;
        let error = std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "the fake LLM cut this stream as scripted",
        );
        return Some((Err(error), state));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames() -> Vec<Frame> {
        vec![
            Frame::filler(": ka\n\n"),
            Frame::event("data: 0123\n\n"),
            Frame::event("data: 4567\n\n"),
        ]
    }

    fn joined(writes: &VecDeque<Bytes>) -> Vec<u8> {
        writes
            .iter()
            .flat_map(|piece| piece.iter().copied())
            .collect()
    }

    #[test]
    fn unsplit_bodies_write_one_frame_at_a_time() {
        let writes = writes(frames(), None, None);
        assert_eq!(writes.len(), 3);
        assert_eq!(joined(&writes), b": ka\n\ndata: 0123\n\ndata: 4567\n\n");
    }

    #[test]
    fn split_bodies_ignore_frame_boundaries() {
        let writes = writes(frames(), NonZeroUsize::new(7), None);
        let sizes: Vec<usize> = writes.iter().map(Bytes::len).collect();
        assert_eq!(sizes, [7, 7, 7, 7, 2]);
        assert_eq!(joined(&writes), b": ka\n\ndata: 0123\n\ndata: 4567\n\n");
    }

    #[test]
    fn cuts_truncate_inside_a_write() {
        let writes = writes(frames(), None, Some(10));
        assert_eq!(joined(&writes), b": ka\n\ndata");
        let writes = super::writes(frames(), NonZeroUsize::new(4), Some(10));
        assert_eq!(joined(&writes), b": ka\n\ndata");
    }

    #[test]
    fn mid_event_cuts_skip_filler_and_land_inside_the_event() {
        // The second event starts at 6 + 12 = 18 and is 12 bytes long.
        assert_eq!(cut_offset(&frames(), Cut::MidEvent(1)), 24);
        assert_eq!(cut_offset(&frames(), Cut::MidEvent(0)), 12);
        assert_eq!(cut_offset(&frames(), Cut::MidEvent(9)), 24);
    }
}
