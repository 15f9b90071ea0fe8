//! Per-session behaviour levels set by directives (`/think`, `/verbose`, `/reasoning`,
//! `/elevated`) and recorded both on the session entry and in the transcript.
//!
//! Open enums (see the crate docs): values added upstream later are kept verbatim.

use crate::open_enum::open_string_enum;

open_string_enum! {
    /// How much the model is asked to think (`/think <level>`; `thinkingLevel`).
    pub enum ThinkingLevel {
        /// No extended thinking.
        Off = "off",
        /// "think".
        Minimal = "minimal",
        /// "think hard".
        Low = "low",
        /// "think harder".
        Medium = "medium",
        /// "ultrathink".
        High = "high",
        /// Beyond high, for the models that support it.
        Xhigh = "xhigh",
    }
}

open_string_enum! {
    /// How much tool activity is echoed to the chat (`/verbose`; `verboseLevel`).
    pub enum VerboseLevel {
        /// Only replies.
        Off = "off",
        /// Tool summaries.
        On = "on",
        /// Tool summaries and output.
        Full = "full",
    }
}

open_string_enum! {
    /// Whether the model's reasoning is shown (`/reasoning`; `reasoningLevel`).
    pub enum ReasoningLevel {
        /// Hidden.
        Off = "off",
        /// Sent after the reply.
        On = "on",
        /// Streamed while it is produced.
        Stream = "stream",
    }
}

open_string_enum! {
    /// Whether host (non-sandboxed) execution is allowed (`/elevated`; `elevatedLevel`).
    pub enum ElevatedLevel {
        /// Never.
        Off = "off",
        /// Allowed, following the exec approval policy.
        On = "on",
        /// Allowed after asking the owner each time.
        Ask = "ask",
        /// Allowed without approvals.
        Full = "full",
    }
}
