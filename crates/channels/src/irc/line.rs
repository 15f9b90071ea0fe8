//! Cuts the bytes a server sends into lines, refusing lines that never end.
//!
//! A server (or whatever sits between it and us) that sends bytes without a line feed must not
//! make the client buffer without limit: once a line passes [`MAX_INBOUND_LINE_BYTES`] its
//! bytes are discarded up to the next line feed and the line is reported as refused, and the
//! connection goes on.

use super::message::MAX_INBOUND_LINE_BYTES;

/// What the buffer yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    /// A complete line without its CR LF (possibly empty).
    Complete(Vec<u8>),
    /// A line longer than [`MAX_INBOUND_LINE_BYTES`] was dropped.
    TooLong,
}

/// Bytes received and not yet cut into lines.
#[derive(Debug, Default)]
pub(crate) struct LineBuffer {
    pending: Vec<u8>,
    /// Inside a refused line: bytes are dropped until the next line feed.
    discarding: bool,
}

impl LineBuffer {
    /// Adds received bytes.
    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// The next line, if one is complete (or refused).
    pub(crate) fn next_line(&mut self) -> Option<Line> {
        loop {
            let newline = self.pending.iter().position(|&byte| byte == b'\n');
            if self.discarding {
                match newline {
                    Some(end) => {
                        self.pending.drain(..=end);
                        self.discarding = false;
                        continue;
                    }
                    None => {
                        self.pending.clear();
                        return None;
                    }
                }
            }
            return match newline {
                Some(end) if end + 1 > MAX_INBOUND_LINE_BYTES => {
                    self.pending.drain(..=end);
                    Some(Line::TooLong)
                }
                Some(end) => {
                    let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                    line.pop();
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    Some(Line::Complete(line))
                }
                None if self.pending.len() >= MAX_INBOUND_LINE_BYTES => {
                    self.pending.clear();
                    self.discarding = true;
                    Some(Line::TooLong)
                }
                None => None,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(buffer: &mut LineBuffer) -> Vec<Line> {
        std::iter::from_fn(|| buffer.next_line()).collect()
    }

    #[test]
    fn cuts_lines_across_reads() {
        let mut buffer = LineBuffer::default();
        buffer.extend(b"PING :a\r\nPRIV");
        assert_eq!(lines(&mut buffer), [Line::Complete(b"PING :a".to_vec())]);
        buffer.extend(b"MSG x :y\n\r\n");
        assert_eq!(
            lines(&mut buffer),
            [
                Line::Complete(b"PRIVMSG x :y".to_vec()),
                Line::Complete(Vec::new())
            ]
        );
    }

    #[test]
    fn refuses_endless_lines_without_buffering_them() {
        let mut buffer = LineBuffer::default();
        let chunk = vec![b'x'; 4096];
        let mut refused = 0;
        for _ in 0..10 {
            buffer.extend(&chunk);
            refused += lines(&mut buffer).len();
            assert!(buffer.pending.len() < MAX_INBOUND_LINE_BYTES);
        }
        assert_eq!(refused, 1);
        buffer.extend(b"tail of the long line\r\nPING :ok\r\n");
        assert_eq!(lines(&mut buffer), [Line::Complete(b"PING :ok".to_vec())]);
    }

    #[test]
    fn refuses_a_long_line_that_arrives_whole() {
        let mut buffer = LineBuffer::default();
        let mut bytes = vec![b'x'; MAX_INBOUND_LINE_BYTES + 5];
        bytes.extend_from_slice(b"\nPING :ok\n");
        buffer.extend(&bytes);
        let got = lines(&mut buffer);
        assert_eq!(got.last(), Some(&Line::Complete(b"PING :ok".to_vec())));
        assert!(got.contains(&Line::TooLong));
    }
}
