//! Streams a turn's reply text to stdout as it arrives, whether from the in-process runtime or
//! from a gateway's `agent` events.

use std::io::Write;

use rustyclaw_agent::EventKind;

use crate::output;

/// Writes reply text to stdout and tool activity to stderr, holding back text that might still
/// turn out to be the silent `NO_REPLY`.
pub(crate) struct Printer {
    live: bool,
    pending: String,
    wrote_any: bool,
    at_line_start: bool,
}

impl Printer {
    /// A printer that shows the stream when `live` (not with `--json`).
    pub(crate) fn new(live: bool) -> Self {
        Self {
            live,
            pending: String::new(),
            wrote_any: false,
            at_line_start: true,
        }
    }

    /// Whether any reply text reached stdout.
    pub(crate) fn wrote_any(&self) -> bool {
        self.wrote_any
    }

    fn write(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
        self.wrote_any = true;
        self.at_line_start = text.ends_with('\n');
    }

    fn flush_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        if pending.trim().eq_ignore_ascii_case("NO_REPLY") {
            return;
        }
        self.write(&pending);
    }

    /// A piece of the assistant's reply.
    pub(crate) fn delta(&mut self, delta: &str) {
        if !self.live {
            return;
        }
        self.pending.push_str(delta);
        let candidate = self.pending.trim_start().to_ascii_uppercase();
        if !"NO_REPLY".starts_with(candidate.as_str()) {
            self.flush_pending();
        }
    }

    /// The end of one assistant message: what was held back is written, and the line ended.
    pub(crate) fn message_end(&mut self) {
        if !self.live {
            return;
        }
        self.flush_pending();
        if !self.at_line_start {
            self.write("\n");
        }
    }

    /// One event of the in-process runtime.
    pub(crate) fn event(&mut self, kind: &EventKind) {
        if !self.live {
            return;
        }
        match kind {
            EventKind::AssistantDelta { delta } => self.delta(delta),
            EventKind::EntryAppended {
                role: Some(role), ..
            } if role == "assistant" => self.message_end(),
            EventKind::ToolStarted { name, args, .. } => self.tool_started(name, args),
            EventKind::ToolFinished {
                name,
                is_error: true,
                output: text,
                ..
            } => self.tool_failed(name, text),
            EventKind::Failover { from, to, reason } => {
                output::err(&format!("(model {from} failed: {reason}; trying {to})"));
            }
            EventKind::Compacted { tokens_before } => {
                output::err(&format!(
                    "(compacted the conversation; {tokens_before} tokens before)"
                ));
            }
            EventKind::Notice { text } => self.write(&format!("{text}\n")),
            _ => {}
        }
    }

    /// A tool call began: its name and the start of its arguments, on stderr (text held back
    /// so far goes out first, so the line lands after what the model said).
    pub(crate) fn tool_started(&mut self, name: &str, args: &serde_json::Value) {
        if !self.live {
            return;
        }
        self.flush_pending();
        if !self.at_line_start {
            self.write("\n");
        }
        let args = args.to_string();
        let shown: String = args.chars().take(160).collect();
        output::err(&format!("→ {name} {shown}"));
    }

    /// A tool call failed: the first line of what it said, on stderr.
    pub(crate) fn tool_failed(&mut self, name: &str, text: &str) {
        if !self.live {
            return;
        }
        let first = text.lines().next().unwrap_or_default();
        output::err(&format!("✗ {name}: {first}"));
    }

    /// The turn is over: anything held back is written and the last line ended.
    pub(crate) fn finish(&mut self) {
        if self.live {
            self.flush_pending();
            if self.wrote_any && !self.at_line_start {
                self.write("\n");
            }
        }
    }
}
