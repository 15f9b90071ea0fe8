//! Rendering command output and exits for the model, in upstream's wording.

use rustyclaw_sandbox::{ExitInfo, ExitReason};

/// Put first when older output was discarded at the retention cap (upstream's note).
pub(crate) const RETENTION_CAP_NOTE: &str =
    "[earlier output was discarded at the retention cap and cannot be recovered]\n\n";

/// Appended to timeout reports (upstream's guidance).
pub(crate) const TIMEOUT_GUIDANCE: &str = "The command was terminated, but external side effects may already have completed. Verify the resulting state before retrying. Do not automatically rerun non-idempotent commands. Use a higher timeout only when the command is known to be safe to retry.";

/// Characters of output tail kept in `running` details.
pub(crate) const TAIL_CHARS: usize = 2000;

/// Decodes output bytes and makes them readable as a terminal would show them: escape sequences
/// (colours, cursor moves) removed, `\r\n` as `\n`, and a line rewritten with `\r` (progress
/// bars) reduced to its last state. Other control characters are dropped.
pub(crate) fn clean(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let stripped = strip_escapes(&text);
    let mut out = String::with_capacity(stripped.len());
    for (i, line) in stripped.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        let visible = line
            .rsplit('\r')
            .find(|segment| !segment.is_empty())
            .unwrap_or("");
        out.extend(visible.chars().filter(|c| *c == '\t' || !c.is_control()));
    }
    out
}

fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters and intermediates up to a final byte in @..~.
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // OSC: up to BEL or ESC \.
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            // Any other escape is two characters long.
            _ => {}
        }
    }
    out
}

/// The last `max` characters of `text`.
pub(crate) fn tail(text: &str, max: usize) -> &str {
    let count = text.chars().count();
    if count <= max {
        return text;
    }
    let skip = count - max;
    let at = text.char_indices().nth(skip).map_or(0, |(i, _)| i);
    &text[at..]
}

/// `SIGKILL` for 9, `signal 42` for unnamed ones.
pub(crate) fn signal_name(signal: i32) -> String {
    let name = match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return format!("signal {signal}"),
    };
    name.to_owned()
}

/// `code 0`, `signal SIGKILL` — upstream's exit label.
pub(crate) fn exit_label(exit: &ExitInfo) -> String {
    match (exit.signal, exit.code) {
        (Some(signal), _) => format!("signal {}", signal_name(signal)),
        (None, Some(code)) => format!("code {code}"),
        (None, None) => "unknown exit code".to_owned(),
    }
}

/// `completed` for a command that exited by itself with a code, else `failed`.
pub(crate) fn status_word(exit: &ExitInfo) -> &'static str {
    match (exit.reason, exit.signal) {
        (ExitReason::Exited, None) => "completed",
        (ExitReason::Exited, Some(_)) | (ExitReason::TimedOut, _) | (ExitReason::Killed, _) => {
            "failed"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_terminal_noise() {
        assert_eq!(
            clean(b"\x1b[31mred\x1b[0m plain\r\n10%\r50%\r100%\nbell\x07\x1b]0;title\x07end"),
            "red plain\n100%\nbellend"
        );
        assert_eq!(clean(b"tab\there"), "tab\there");
        assert_eq!(clean(&[b'a', 0xFF, b'b']), "a\u{FFFD}b");
    }

    #[test]
    fn tails_by_characters() {
        assert_eq!(tail("héllo", 3), "llo");
        assert_eq!(tail("hi", 3), "hi");
    }

    #[test]
    fn labels_exits_like_upstream() {
        let exit = |code, signal, reason| ExitInfo {
            code,
            signal,
            reason,
            duration: std::time::Duration::ZERO,
        };
        assert_eq!(
            exit_label(&exit(Some(2), None, ExitReason::Exited)),
            "code 2"
        );
        assert_eq!(
            exit_label(&exit(None, Some(9), ExitReason::TimedOut)),
            "signal SIGKILL"
        );
        assert_eq!(
            status_word(&exit(Some(1), None, ExitReason::Exited)),
            "completed"
        );
        assert_eq!(
            status_word(&exit(None, Some(9), ExitReason::Killed)),
            "failed"
        );
    }
}
