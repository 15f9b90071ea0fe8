//! System events waiting for a session's next turn (upstream's system-event queue): `wake`
//! puts a line here, and the next run in that session sees it before the user's message.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use rustyclaw_protocol::SessionKey;

/// Most events kept per session; older ones are dropped first (upstream keeps 20).
const MAX_PER_SESSION: usize = 20;
/// Most sessions with waiting events; past it, one session's queue is forgotten.
const MAX_SESSIONS: usize = 1000;

/// The queues, by session key.
#[derive(Default)]
pub(crate) struct SystemEvents {
    queues: Mutex<HashMap<String, VecDeque<String>>>,
}

impl SystemEvents {
    /// Queues `text` for `key`'s next turn.
    pub fn push(&self, key: &SessionKey, text: &str) {
        let mut queues = self.lock();
        if !queues.contains_key(key.as_str()) && queues.len() >= MAX_SESSIONS {
            // Bounded memory: forget an arbitrary session's queue rather than grow.
            if let Some(victim) = queues.keys().next().cloned() {
                queues.remove(&victim);
            }
        }
        let queue = queues.entry(key.as_str().to_owned()).or_default();
        if queue.len() >= MAX_PER_SESSION {
            queue.pop_front();
        }
        queue.push_back(text.trim().to_owned());
    }

    /// The message for `key`'s next turn: waiting events as `System:` lines, then `text`. The
    /// events are taken; give them back with [`SystemEvents::restore`] if the turn could not be
    /// submitted.
    pub fn prepend(&self, key: &SessionKey, text: String) -> (String, Vec<String>) {
        let Some(queue) = self.lock().remove(key.as_str()) else {
            return (text, Vec::new());
        };
        let mut out: String = queue
            .iter()
            .map(|line| format!("System: {line}\n"))
            .collect();
        if text.is_empty() {
            out.pop();
        } else {
            out.push('\n');
            out.push_str(&text);
        }
        (out, queue.into())
    }

    /// Puts `taken` back ahead of anything queued since, for `key`'s next turn (the turn they
    /// were taken for was refused).
    pub fn restore(&self, key: &SessionKey, taken: Vec<String>) {
        if taken.is_empty() {
            return;
        }
        let mut queues = self.lock();
        let queue = queues.entry(key.as_str().to_owned()).or_default();
        for line in taken.into_iter().rev() {
            queue.push_front(line);
        }
        while queue.len() > MAX_PER_SESSION {
            queue.pop_front();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<String>>> {
        // Each operation leaves the map consistent, so a poisoned lock is still usable.
        self.queues
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_events_lead_the_next_turn_once() {
        let events = SystemEvents::default();
        let key = SessionKey::parse("agent:main:main").unwrap();
        assert_eq!(events.prepend(&key, "hi".into()).0, "hi");
        events.push(&key, "build finished");
        events.push(&key, " deploy done ");
        assert_eq!(
            events.prepend(&key, "hi".into()).0,
            "System: build finished\nSystem: deploy done\n\nhi"
        );
        assert_eq!(events.prepend(&key, "again".into()).0, "again");
    }

    #[test]
    fn queues_are_bounded() {
        let events = SystemEvents::default();
        let key = SessionKey::parse("agent:main:main").unwrap();
        for i in 0..30 {
            events.push(&key, &format!("e{i}"));
        }
        let (text, _) = events.prepend(&key, String::new());
        assert_eq!(text.lines().count(), MAX_PER_SESSION);
        assert!(text.starts_with("System: e10"));
    }

    #[test]
    fn events_of_a_refused_turn_lead_the_next_one() {
        let events = SystemEvents::default();
        let key = SessionKey::parse("agent:main:main").unwrap();
        events.push(&key, "first");
        let (_, taken) = events.prepend(&key, "refused".into());
        events.push(&key, "second");
        events.restore(&key, taken);
        assert_eq!(
            events.prepend(&key, "next".into()).0,
            "System: first\nSystem: second\n\nnext"
        );
    }
}
