//! The tail of a command's merged output, with stream positions, so a reader can follow the
//! output while it grows and learn what was dropped at the cap.

use std::collections::VecDeque;

use super::OutputRead;

/// The tail of the merged output, at most `cap` bytes.
#[derive(Debug)]
pub(super) struct OutputBuffer {
    pub(super) data: VecDeque<u8>,
    pub(super) cap: usize,
    pub(super) total: u64,
}

impl OutputBuffer {
    pub(super) fn new(cap: usize) -> Self {
        OutputBuffer {
            data: VecDeque::new(),
            cap,
            total: 0,
        }
    }

    pub(super) fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let keep = bytes.len().min(self.cap);
        self.data.extend(&bytes[bytes.len() - keep..]);
        let excess = self.data.len().saturating_sub(self.cap);
        self.data.drain(..excess);
    }

    fn retained_start(&self) -> u64 {
        self.total - self.data.len() as u64
    }

    pub(super) fn read_from(&self, offset: u64) -> OutputRead {
        let retained_start = self.retained_start();
        let start = offset.clamp(retained_start, self.total);
        let skip = usize::try_from(start - retained_start).unwrap_or(usize::MAX);
        OutputRead {
            bytes: self.data.iter().skip(skip).copied().collect(),
            start,
            end: self.total,
            dropped: offset < retained_start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_keeps_the_tail_and_tracks_positions() {
        let mut buf = OutputBuffer::new(4);
        buf.push(b"ab");
        assert_eq!(buf.read_from(0).bytes, b"ab");
        buf.push(b"cdef");
        assert_eq!(buf.total, 6);
        let read = buf.read_from(0);
        assert_eq!(read.bytes, b"cdef");
        assert_eq!((read.start, read.end, read.dropped), (2, 6, true));
        let read = buf.read_from(4);
        assert_eq!(read.bytes, b"ef");
        assert!(!read.dropped);
        assert!(buf.read_from(6).bytes.is_empty());
        buf.push(b"0123456789");
        assert_eq!(buf.read_from(0).bytes, b"6789");
    }
}
