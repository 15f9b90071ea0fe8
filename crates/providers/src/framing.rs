//! Byte-level framing of streamed responses: Server-Sent Events and newline-delimited JSON.
//!
//! Both parsers are fed arbitrary chunks as they come off the socket — an event may be split
//! anywhere, even inside a UTF-8 sequence or a `\r\n` — and return whole frames only.

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseFrame {
    /// The `event:` field; `None` means the default `message` type.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// What a response body is cut into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `text/event-stream`.
    Sse,
    /// One JSON value per line.
    NdJson,
}

/// A frame of either kind, handed to a format's decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Frame {
    /// A server-sent event.
    Sse(SseFrame),
    /// One line of newline-delimited JSON (trimmed, never empty).
    Line(String),
}

/// Longest line or event accepted, so a hostile server cannot grow memory without bound.
pub(crate) const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// Incremental splitter into lines (`\n`, `\r\n` or `\r` endings, per the SSE spec).
#[derive(Debug, Default)]
struct Lines {
    buffer: Vec<u8>,
    /// The previous chunk ended in `\r`: a leading `\n` in the next one belongs to it.
    pending_cr: bool,
}

impl Lines {
    fn feed(&mut self, chunk: &[u8], mut on_line: impl FnMut(&[u8])) -> Result<(), usize> {
        let mut rest = chunk;
        if self.pending_cr {
            self.pending_cr = false;
            if let Some(stripped) = rest.strip_prefix(b"\n") {
                rest = stripped;
            }
        }
        while let Some(at) = rest.iter().position(|b| *b == b'\n' || *b == b'\r') {
            self.buffer.extend_from_slice(&rest[..at]);
            on_line(&self.buffer);
            self.buffer.clear();
            let was_cr = rest[at] == b'\r';
            rest = &rest[at + 1..];
            if was_cr {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.pending_cr = true,
                }
            }
        }
        self.buffer.extend_from_slice(rest);
        if self.buffer.len() > MAX_FRAME_BYTES {
            return Err(self.buffer.len());
        }
        Ok(())
    }

    fn take_rest(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buffer)
    }
}

/// Parses `text/event-stream` bodies.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    lines: Lines,
    event: Option<String>,
    data: Option<String>,
}

impl SseParser {
    /// Feeds a chunk; returns the events it completed. `Err` carries the size of an oversized
    /// pending line.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<SseFrame>, usize> {
        let mut frames = Vec::new();
        let mut lines = Vec::new();
        self.lines.feed(chunk, |line| lines.push(line.to_vec()))?;
        for line in lines {
            self.line(&line, &mut frames);
        }
        if self
            .data
            .as_ref()
            .is_some_and(|d| d.len() > MAX_FRAME_BYTES)
        {
            return Err(self.data.as_ref().map_or(0, String::len));
        }
        Ok(frames)
    }

    /// Ends the body: an event not yet terminated by a blank line is dispatched anyway
    /// (servers often omit the final blank line).
    pub fn finish(&mut self) -> Vec<SseFrame> {
        let mut frames = Vec::new();
        let rest = self.lines.take_rest();
        if !rest.is_empty() {
            self.line(&rest, &mut frames);
        }
        self.dispatch(&mut frames);
        frames
    }

    fn line(&mut self, line: &[u8], frames: &mut Vec<SseFrame>) {
        let line = String::from_utf8_lossy(line);
        if line.is_empty() {
            self.dispatch(frames);
            return;
        }
        if line.starts_with(':') {
            return; // comment / keep-alive
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {} // `id`, `retry` and unknown fields do not matter here
        }
    }

    fn dispatch(&mut self, frames: &mut Vec<SseFrame>) {
        let event = self.event.take();
        if let Some(data) = self.data.take() {
            frames.push(SseFrame { event, data });
        }
    }
}

/// Parses newline-delimited JSON bodies into trimmed, non-empty lines.
#[derive(Debug, Default)]
pub(crate) struct NdJsonParser {
    lines: Lines,
}

impl NdJsonParser {
    /// Feeds a chunk; returns the lines it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<String>, usize> {
        let mut out = Vec::new();
        self.lines.feed(chunk, |line| push_line(&mut out, line))?;
        Ok(out)
    }

    /// Ends the body, returning a final unterminated line if any.
    pub fn finish(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        push_line(&mut out, &self.lines.take_rest());
        out
    }
}

fn push_line(out: &mut Vec<String>, line: &[u8]) {
    let text = String::from_utf8_lossy(line);
    let trimmed = text.trim();
    if !trimmed.is_empty() {
        out.push(trimmed.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn frame(event: Option<&str>, data: &str) -> SseFrame {
        SseFrame {
            event: event.map(Into::into),
            data: data.into(),
        }
    }

    #[test]
    fn events_split_at_every_byte_are_reassembled() {
        let body = b": keep-alive\r\n\r\nevent: message_start\r\ndata: {\"a\":1}\r\n\r\ndata: x\ndata: y\n\ndata: [DONE]\n\n";
        let mut parser = SseParser::default();
        let mut frames = Vec::new();
        for byte in body.iter() {
            frames.extend(parser.feed(std::slice::from_ref(byte)).unwrap());
        }
        frames.extend(parser.finish());
        assert_eq!(
            frames,
            vec![
                frame(Some("message_start"), "{\"a\":1}"),
                frame(None, "x\ny"),
                frame(None, "[DONE]"),
            ]
        );
    }

    #[test]
    fn a_last_event_without_blank_line_is_dispatched_at_the_end() {
        let mut parser = SseParser::default();
        assert!(parser.feed(b"data: tail").unwrap().is_empty());
        assert_eq!(parser.finish(), vec![frame(None, "tail")]);
    }

    #[test]
    fn utf8_split_across_chunks_survives() {
        let body = "data: héllo ✓\n\n".as_bytes();
        let mut parser = SseParser::default();
        let mut frames = parser.feed(&body[..8]).unwrap();
        frames.extend(parser.feed(&body[8..]).unwrap());
        assert_eq!(frames, vec![frame(None, "héllo ✓")]);
    }

    #[test]
    fn ndjson_lines_are_split_and_trimmed() {
        let mut parser = NdJsonParser::default();
        let mut lines = parser.feed(b"{\"a\":1}\n\n  {\"b\"").unwrap();
        lines.extend(parser.feed(b":2}\r\n{\"c\":3}").unwrap());
        lines.extend(parser.finish());
        assert_eq!(lines, vec!["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]);
    }
}
