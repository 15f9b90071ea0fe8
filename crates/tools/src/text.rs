//! Small text helpers shared by the tools: sizes, character-safe cuts, durations.

use std::time::Duration;

/// `512B`, `50.0KB`, `1.2MB` — the size format of upstream messages.
pub(crate) fn format_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    if bytes < KB {
        format!("{bytes}B")
    } else if bytes < KB * KB {
        format!("{:.1}KB", bytes as f64 / KB as f64)
    } else {
        format!("{:.1}MB", bytes as f64 / (KB * KB) as f64)
    }
}

/// The first `max` characters of `s` and whether anything was cut.
pub(crate) fn truncate_chars(s: &str, max: usize) -> (&str, bool) {
    match s.char_indices().nth(max) {
        Some((at, _)) => (&s[..at], true),
        None => (s, false),
    }
}

/// `s` shortened in the middle to at most `max` characters (`abc…xyz`), for one-line labels.
pub(crate) fn truncate_middle(s: &str, max: usize) -> String {
    let count = s.chars().count();
    if count <= max || max < 3 {
        return s.to_owned();
    }
    let keep = max - 1;
    let head: String = s.chars().take(keep / 2 + keep % 2).collect();
    let tail: String = s.chars().skip(count - keep / 2).collect();
    format!("{head}…{tail}")
}

/// `850ms`, `12s`, `3m05s`, `2h10m` — compact run times for process lists.
pub(crate) fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    let s = d.as_secs();
    if ms < 1000 {
        format!("{ms}ms")
    } else if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

/// The length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence, so
/// output read in pieces is never decoded half a character at a time.
pub(crate) fn utf8_complete_len(bytes: &[u8]) -> usize {
    // A sequence is at most 4 bytes; look at the last 3 for an unfinished lead byte.
    for back in 1..=bytes.len().min(3) {
        let b = bytes[bytes.len() - back];
        if b & 0b1100_0000 == 0b1000_0000 {
            continue; // continuation byte: keep looking for its lead
        }
        let needed = match b {
            0b1100_0000..=0b1101_1111 => 2,
            0b1110_0000..=0b1110_1111 => 3,
            0b1111_0000..=0b1111_0111 => 4,
            _ => 1,
        };
        return if back < needed {
            bytes.len() - back
        } else {
            bytes.len()
        };
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_upstream_format() {
        assert_eq!(format_size(512), "512B");
        assert_eq!(format_size(50 * 1024), "50.0KB");
        assert_eq!(format_size(3 * 1024 * 1024 / 2), "1.5MB");
    }

    #[test]
    fn cuts_respect_characters() {
        assert_eq!(truncate_chars("héllo", 2), ("hé", true));
        assert_eq!(truncate_chars("hé", 5), ("hé", false));
        assert_eq!(truncate_middle("abcdefghij", 5), "ab…ij");
        assert_eq!(truncate_middle("short", 10), "short");
    }

    #[test]
    fn durations_are_compact() {
        assert_eq!(format_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(format_duration(Duration::from_secs(12)), "12s");
        assert_eq!(format_duration(Duration::from_secs(185)), "3m05s");
        assert_eq!(format_duration(Duration::from_secs(7800)), "2h10m");
    }

    #[test]
    fn incomplete_utf8_tails_are_held_back() {
        let e = "é".as_bytes(); // C3 A9
        assert_eq!(utf8_complete_len(b"ab"), 2);
        assert_eq!(utf8_complete_len(&[b'a', e[0]]), 1);
        assert_eq!(utf8_complete_len(&[b'a', e[0], e[1]]), 3);
        let euro = "€".as_bytes(); // 3 bytes
        assert_eq!(utf8_complete_len(&[euro[0], euro[1]]), 0);
        assert_eq!(utf8_complete_len(euro), 3);
    }
}
