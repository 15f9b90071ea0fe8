//! Group messages that did not trigger a run, kept per session as context for the next one
//! that does (OpenClaw's pending group history, `historyLimit`, default 50): handed to the
//! model under `[Chat messages since your last reply - for context]` and cleared once used.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// One remembered line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryLine {
    /// Who said it.
    pub sender: String,
    /// What they said.
    pub text: String,
}

/// The pending lines of every group session, bounded per session.
#[derive(Debug, Default)]
pub(crate) struct GroupHistory {
    lines: Mutex<HashMap<String, VecDeque<HistoryLine>>>,
}

/// Sessions whose history is kept at most; the least recently touched is forgotten beyond.
const MAX_SESSIONS: usize = 1024;

impl GroupHistory {
    /// Remembers `line` for `session`, keeping the last `limit` (0 keeps nothing).
    pub(crate) fn push(&self, session: &str, line: HistoryLine, limit: usize) {
        if limit == 0 {
            return;
        }
        let mut lines = lock(&self.lines);
        if lines.len() >= MAX_SESSIONS && !lines.contains_key(session) {
            // Forget one session; pending context of a quiet group is the cheapest loss.
            if let Some(key) = lines.keys().next().cloned() {
                lines.remove(&key);
            }
        }
        let pending = lines.entry(session.to_owned()).or_default();
        pending.push_back(line);
        while pending.len() > limit {
            pending.pop_front();
        }
    }

    /// Takes the pending lines of `session` (they are handed to one run only).
    pub(crate) fn take(&self, session: &str) -> Vec<HistoryLine> {
        lock(&self.lines)
            .remove(session)
            .map(Vec::from)
            .unwrap_or_default()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The text a triggered group message runs with: the pending lines as context, then the
/// message itself, each line labelled with its sender (OpenClaw's group envelope).
pub(crate) fn with_context(pending: &[HistoryLine], sender: &str, text: &str) -> String {
    let current = format!("{sender}: {text}");
    if pending.is_empty() {
        return current;
    }
    let mut out = String::from("[Chat messages since your last reply - for context]\n");
    for line in pending {
        out.push_str(&line.sender);
        out.push_str(": ");
        out.push_str(&line.text);
        out.push('\n');
    }
    out.push_str("\n[Current message - respond to this]\n");
    out.push_str(&current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sender: &str, text: &str) -> HistoryLine {
        HistoryLine {
            sender: sender.into(),
            text: text.into(),
        }
    }

    #[test]
    fn pending_lines_are_bounded_taken_once_and_labelled() {
        let history = GroupHistory::default();
        for n in 0..5 {
            history.push("g", line("ann", &format!("m{n}")), 3);
        }
        history.push("other", line("bob", "x"), 0);
        let pending = history.take("g");
        assert_eq!(
            pending.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["m2", "m3", "m4"]
        );
        assert!(history.take("g").is_empty());
        assert!(history.take("other").is_empty(), "limit 0 keeps nothing");
        assert_eq!(
            with_context(&pending[..1], "cy", "@bot hi"),
            "[Chat messages since your last reply - for context]\nann: m2\n\n\
             [Current message - respond to this]\ncy: @bot hi"
        );
        assert_eq!(with_context(&[], "cy", "hi"), "cy: hi");
    }
}
