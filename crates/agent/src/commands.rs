//! The chat commands a user can type (`/new`, `/think high`, …), described for clients: the
//! data behind the gateway's `commands.list`. The parser is [`crate::directives`]; a test keeps
//! the two in step.

use crate::thinking::THINKING_LEVELS;

/// One argument of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandArg {
    /// Argument name.
    pub name: &'static str,
    /// What it is.
    pub description: &'static str,
    /// Whether the command needs it.
    pub required: bool,
    /// The accepted values, when there is a fixed set.
    pub choices: &'static [&'static str],
}

/// One chat command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandInfo {
    /// Name without the slash.
    pub name: &'static str,
    /// Other names the parser accepts.
    pub aliases: &'static [&'static str],
    /// One line for menus.
    pub description: &'static str,
    /// OpenClaw's category (`session`, `options`, `status`, `management`, `media`, `tools`).
    pub category: &'static str,
    /// Its arguments.
    pub args: &'static [CommandArg],
}

const QUEUE: &[&str] = &["collect", "followup", "steer", "steer-backlog", "interrupt"];
const VERBOSE: &[&str] = &["on", "off", "full"];
const DECISIONS: &[&str] = &["allow-once", "allow-always", "deny"];

/// Every command, in menu order.
pub const COMMANDS: &[CommandInfo] = &[
    CommandInfo {
        name: "new",
        aliases: &[],
        description: "Start a new session (a fresh session id); text after it is the first message.",
        category: "session",
        args: &[],
    },
    CommandInfo {
        name: "reset",
        aliases: &[],
        description: "Clear the conversation context, keeping the session.",
        category: "session",
        args: &[],
    },
    CommandInfo {
        name: "compact",
        aliases: &[],
        description: "Summarise older turns to free context; optional instructions for the summary.",
        category: "session",
        args: &[CommandArg {
            name: "instructions",
            description: "What the summary should keep.",
            required: false,
            choices: &[],
        }],
    },
    CommandInfo {
        name: "think",
        aliases: &["t", "thinking"],
        description: "Set the thinking level for this session, or show it.",
        category: "options",
        args: &[CommandArg {
            name: "level",
            description: "Thinking level.",
            required: false,
            choices: THINKING_LEVELS,
        }],
    },
    CommandInfo {
        name: "model",
        aliases: &[],
        description: "Switch this session's model (provider/model or alias; `default` clears), or show it.",
        category: "options",
        args: &[CommandArg {
            name: "model",
            description: "Model reference.",
            required: false,
            choices: &[],
        }],
    },
    CommandInfo {
        name: "queue",
        aliases: &[],
        description: "Set how messages that arrive during a run are handled, or show it.",
        category: "options",
        args: &[CommandArg {
            name: "mode",
            description: "Queue mode.",
            required: false,
            choices: QUEUE,
        }],
    },
    CommandInfo {
        name: "verbose",
        aliases: &["v"],
        description: "Show tool calls in replies (on, off, full); without an argument, toggle.",
        category: "options",
        args: &[CommandArg {
            name: "level",
            description: "Verbosity.",
            required: false,
            choices: VERBOSE,
        }],
    },
    CommandInfo {
        name: "status",
        aliases: &[],
        description: "Show the session's model, context use and settings.",
        category: "status",
        args: &[],
    },
    CommandInfo {
        name: "approve",
        aliases: &[],
        description: "Answer a pending exec approval.",
        category: "tools",
        args: &[
            CommandArg {
                name: "id",
                description: "The approval id or a unique prefix.",
                required: true,
                choices: &[],
            },
            CommandArg {
                name: "decision",
                description: "The answer.",
                required: true,
                choices: DECISIONS,
            },
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directives::parse;

    /// Every listed name and alias is a directive the parser understands, with a valid sample
    /// argument where one is required.
    #[test]
    fn every_listed_command_parses() {
        for command in COMMANDS {
            let sample: Vec<&str> = command
                .args
                .iter()
                .filter(|a| a.required)
                .map(|a| a.choices.first().copied().unwrap_or("abc123"))
                .collect();
            for name in std::iter::once(&command.name).chain(command.aliases) {
                let text = format!("/{name} {}", sample.join(" "));
                let parsed = parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
                assert!(parsed.directive.is_some(), "{text} is not a directive");
            }
            for arg in command.args {
                for choice in arg.choices {
                    let text = if command.name == "approve" {
                        format!("/approve abc123 {choice}")
                    } else {
                        format!("/{} {choice}", command.name)
                    };
                    assert!(parse(&text).is_ok_and(|p| p.directive.is_some()), "{text}");
                }
            }
        }
    }
}
