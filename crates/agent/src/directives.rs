//! Slash directives at the start of a message: `/new`, `/reset`, `/think`, `/model`, `/queue`,
//! `/verbose`, `/status`, `/compact`, `/approve`.
//!
//! A message that is only a directive changes the session and is answered with a confirmation;
//! `/new` and `/reset` may be followed by a message that then runs in the fresh session, and
//! `/think <level>` followed by text applies to that message only (OpenClaw's inline rule).

use rustyclaw_protocol::session_entry::QueueMode;
use rustyclaw_protocol::{ThinkingLevel, VerboseLevel};
use rustyclaw_tools::approvals::Decision;

use crate::thinking::parse_thinking;

/// A parsed directive.
#[derive(Debug, Clone, PartialEq)]
pub enum Directive {
    /// `/new [text]`: start a new session (new session id).
    New,
    /// `/reset [text]`: clear the context, keeping the session id.
    Reset,
    /// `/think <level>` (`/t`, `/thinking`, `/think:<level>`); `None` asks for the current level.
    Think(Option<ThinkingLevel>),
    /// `/model <ref>`; `None` shows the current model; `Some("default")` clears the override.
    Model(Option<String>),
    /// `/queue <mode>`; `None` shows the current mode.
    Queue(Option<QueueMode>),
    /// `/verbose on|off|full`; `None` toggles.
    Verbose(Option<VerboseLevel>),
    /// `/status`.
    Status,
    /// `/compact [instructions]`.
    Compact(Option<String>),
    /// `/approve <id> allow-once|allow-always|deny`: answers a pending exec approval (the
    /// decision may also come first, as upstream accepts).
    Approve {
        /// The request id or a unique prefix of it.
        id: String,
        /// The answer.
        decision: Decision,
    },
}

/// A message split into its directive and the text that follows.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The directive, if the message starts with one.
    pub directive: Option<Directive>,
    /// The rest of the message (the whole message when there is no directive).
    pub text: String,
}

/// Why a directive could not be understood; shown to the user, nothing runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectiveError {
    /// `/think` with an unknown level.
    #[error("unknown thinking level {0:?}; use {levels}", levels = crate::thinking::level_list())]
    ThinkingLevel(String),
    /// `/queue` with an unknown mode.
    #[error("unknown queue mode {0:?}; use collect, followup, steer, steer-backlog or interrupt")]
    QueueMode(String),
    /// `/verbose` with an unknown level.
    #[error("unknown verbose level {0:?}; use on, off or full")]
    VerboseLevel(String),
    /// `/approve` without an id and a decision.
    #[error("Usage: /approve <id> allow-once|allow-always|deny")]
    ApproveUsage,
}

fn parse_queue(word: &str) -> Option<QueueMode> {
    Some(match word.to_ascii_lowercase().as_str() {
        "collect" => QueueMode::Collect,
        "followup" | "follow-up" => QueueMode::Followup,
        "steer" | "queue" => QueueMode::Steer,
        "steer-backlog" | "steer+backlog" => QueueMode::SteerBacklog,
        "interrupt" => QueueMode::Interrupt,
        _ => return None,
    })
}

fn parse_verbose(word: &str) -> Option<VerboseLevel> {
    Some(match word.to_ascii_lowercase().as_str() {
        "on" => VerboseLevel::On,
        "off" => VerboseLevel::Off,
        "full" => VerboseLevel::Full,
        _ => return None,
    })
}

/// Splits `message` into a leading directive and the rest.
pub fn parse(message: &str) -> Result<Parsed, DirectiveError> {
    let trimmed = message.trim_start();
    let plain = |text: &str| Parsed {
        directive: None,
        text: text.to_owned(),
    };
    let Some(body) = trimmed.strip_prefix('/') else {
        return Ok(plain(message));
    };
    let (command, rest) = match body.find(char::is_whitespace) {
        Some(at) => (&body[..at], body[at..].trim()),
        None => (body, ""),
    };
    // `/think:high` is the same as `/think high`.
    let (command, inline_arg) = match command.split_once(':') {
        Some((c, a)) => (c, Some(a)),
        None => (command, None),
    };
    let (first_word, after_first) = match rest.find(char::is_whitespace) {
        Some(at) => (&rest[..at], rest[at..].trim()),
        None => (rest, ""),
    };
    let with = |directive: Directive, text: &str| {
        Ok(Parsed {
            directive: Some(directive),
            text: text.to_owned(),
        })
    };
    match command.to_ascii_lowercase().as_str() {
        "new" => with(Directive::New, rest),
        "reset" => with(Directive::Reset, rest),
        "t" | "think" | "thinking" => {
            let (word, text) = match inline_arg {
                Some(arg) => (arg, rest),
                None => (first_word, after_first),
            };
            if word.is_empty() {
                return with(Directive::Think(None), "");
            }
            let level =
                parse_thinking(word).ok_or_else(|| DirectiveError::ThinkingLevel(word.into()))?;
            with(Directive::Think(Some(level)), text)
        }
        "model" => {
            let arg = inline_arg.unwrap_or(first_word);
            let choice = (!arg.is_empty()).then(|| arg.to_owned());
            with(Directive::Model(choice), "")
        }
        "queue" => {
            let arg = inline_arg.unwrap_or(first_word);
            if arg.is_empty() {
                return with(Directive::Queue(None), "");
            }
            let mode = parse_queue(arg).ok_or_else(|| DirectiveError::QueueMode(arg.into()))?;
            with(Directive::Queue(Some(mode)), "")
        }
        "verbose" | "v" => {
            let arg = inline_arg.unwrap_or(first_word);
            if arg.is_empty() {
                return with(Directive::Verbose(None), "");
            }
            let level =
                parse_verbose(arg).ok_or_else(|| DirectiveError::VerboseLevel(arg.into()))?;
            with(Directive::Verbose(Some(level)), "")
        }
        "status" => with(Directive::Status, ""),
        "approve" => {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let (first, second) = match words.as_slice() {
                [first, second, ..] => (*first, *second),
                _ => return Err(DirectiveError::ApproveUsage),
            };
            let (id, decision) = match (first.parse::<Decision>(), second.parse::<Decision>()) {
                (_, Ok(decision)) => (first, decision),
                (Ok(decision), Err(_)) => (second, decision),
                (Err(_), Err(_)) => return Err(DirectiveError::ApproveUsage),
            };
            with(
                Directive::Approve {
                    id: id.to_owned(),
                    decision,
                },
                "",
            )
        }
        "compact" => with(
            Directive::Compact((!rest.is_empty()).then(|| rest.to_owned())),
            "",
        ),
        // Not ours (a path like `/etc/hosts`, or a command handled elsewhere): plain text.
        _ => Ok(plain(message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn directive(text: &str) -> Option<Directive> {
        parse(text).unwrap().directive
    }

    #[test]
    fn plain_text_and_paths_are_not_directives() {
        assert_eq!(parse("hello").unwrap().text, "hello");
        assert_eq!(directive("/etc/hosts is broken"), None);
        assert_eq!(directive("say /new"), None);
    }

    #[test]
    fn thinking_forms_and_aliases() {
        assert_eq!(
            directive("/think high"),
            Some(Directive::Think(Some(ThinkingLevel::High)))
        );
        assert_eq!(
            directive("/t:x-high"),
            Some(Directive::Think(Some(ThinkingLevel::Xhigh)))
        );
        assert_eq!(directive("/thinking"), Some(Directive::Think(None)));
        let inline = parse("/think low explain this").unwrap();
        assert_eq!(
            inline.directive,
            Some(Directive::Think(Some(ThinkingLevel::Low)))
        );
        assert_eq!(inline.text, "explain this");
        assert_eq!(
            parse("/think loud"),
            Err(DirectiveError::ThinkingLevel("loud".into()))
        );
    }

    #[test]
    fn session_directives_keep_the_following_text() {
        let parsed = parse("/new summarise the news").unwrap();
        assert_eq!(parsed.directive, Some(Directive::New));
        assert_eq!(parsed.text, "summarise the news");
        assert_eq!(directive("/reset"), Some(Directive::Reset));
    }

    #[test]
    fn model_queue_verbose_status_compact() {
        assert_eq!(
            directive("/model openai/gpt-5.4"),
            Some(Directive::Model(Some("openai/gpt-5.4".into())))
        );
        assert_eq!(directive("/model"), Some(Directive::Model(None)));
        assert_eq!(
            directive("/queue steer"),
            Some(Directive::Queue(Some(QueueMode::Steer)))
        );
        assert_eq!(
            parse("/queue sideways"),
            Err(DirectiveError::QueueMode("sideways".into()))
        );
        assert_eq!(
            directive("/verbose full"),
            Some(Directive::Verbose(Some(VerboseLevel::Full)))
        );
        assert_eq!(directive("/status"), Some(Directive::Status));
        assert_eq!(
            directive("/approve 1f2e allow-always"),
            Some(Directive::Approve {
                id: "1f2e".into(),
                decision: Decision::AllowAlways
            })
        );
        assert_eq!(
            directive("/approve deny 1f2e"),
            Some(Directive::Approve {
                id: "1f2e".into(),
                decision: Decision::Deny
            }),
            "the decision may come first"
        );
        assert_eq!(parse("/approve 1f2e"), Err(DirectiveError::ApproveUsage));
        assert_eq!(
            parse("/approve 1f2e perhaps"),
            Err(DirectiveError::ApproveUsage)
        );
        assert_eq!(
            directive("/compact keep the file names"),
            Some(Directive::Compact(Some("keep the file names".into())))
        );
    }
}
