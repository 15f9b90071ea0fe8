//! Enough of a POSIX shell parser to see what a command line really runs.
//!
//! The scorer cannot match text: `r''m -rf /`, `\rm`, `/bin/rm`, `rm${IFS}-rf${IFS}/`,
//! `{rm,-rf,/}`, `a=rm; $a -rf /` and `$(echo cm0gLXJmIC8K | base64 -d)` all run the same
//! thing. So the text is lexed the way a shell would: quotes removed, escapes applied, simple
//! variables and `$IFS` expanded, brace lists expanded, command substitutions that only print
//! constants (`echo`, `printf`, `base64 -d`) evaluated, heredoc bodies attached, and every
//! simple command split out with its redirections. What is lexed is never executed; anything the
//! parser cannot evaluate stays literal (`$VAR`) and the scorer treats it as unknown.

mod eval;
mod lex;

pub(crate) use eval::{Output, static_pipeline};
pub(crate) use lex::parse;

use std::collections::HashMap;

/// Nesting limit for substitutions and scripts inside scripts (`sh -c "$(…)"`).
pub(crate) const MAX_DEPTH: usize = 8;

/// Shell variables known from earlier assignments in the same command line.
pub(crate) type Vars = HashMap<String, String>;

/// A parsed command line: pipelines separated by `;`, `&&`, `||`, `&` or newlines.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Script {
    /// The pipelines, in order.
    pub pipelines: Vec<Pipeline>,
}

impl Script {
    /// Every simple command, in order.
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.pipelines.iter().flat_map(|p| p.commands.iter())
    }
}

/// Commands joined by `|`.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Pipeline {
    /// The commands, left to right.
    pub commands: Vec<Command>,
}

/// One simple command.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Command {
    /// `NAME=value` words before the command name.
    pub assignments: Vec<(String, String)>,
    /// The command name and its arguments, expanded.
    pub words: Vec<Word>,
    /// Redirections (`> file`, `< file`, heredocs).
    pub redirects: Vec<Redirect>,
    /// Command and process substitutions found in the words, as source text.
    pub substitutions: Vec<Substitution>,
    /// `$IFS` was used to separate words.
    pub ifs: bool,
    /// `$'…'` with numeric escapes (`\x72`, `\162`) was used.
    pub ansi_c_numeric: bool,
}

impl Command {
    /// The command name (first word), if any.
    pub fn name(&self) -> Option<&Word> {
        self.words.first()
    }

    /// The words as plain text.
    pub fn texts(&self) -> Vec<&str> {
        self.words.iter().map(|w| w.text.as_str()).collect()
    }

    /// The command as text, for excerpts.
    pub fn display(&self) -> String {
        let mut parts: Vec<String> = self
            .assignments
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        parts.extend(self.words.iter().map(|w| w.text.clone()));
        for redirect in &self.redirects {
            parts.push(format!("{}{}", redirect.op.symbol(), redirect.target));
        }
        parts.join(" ")
    }
}

/// How a word was quoted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quoting {
    /// Not at all.
    #[default]
    None,
    /// One quoted string from start to end (`"rm"`).
    Whole,
    /// Quotes or backslashes inside the word (`r''m`, `\rm`, `"r"m`).
    Split,
}

/// One word after expansion.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Word {
    /// The text the command receives.
    pub text: String,
    /// How it was quoted.
    pub quoting: Quoting,
    /// Contains unquoted `*`, `?` or `[`.
    pub glob: bool,
    /// Produced (wholly or partly) by a command substitution.
    pub computed: bool,
}

/// A redirection operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RedirectOp {
    /// `<`
    Read,
    /// `>`, `>|`, `&>`, `>&file`
    Write,
    /// `>>`, `&>>`
    Append,
    /// `<>`
    ReadWrite,
    /// `<&n`, `>&n`: duplicates a descriptor.
    Duplicate,
    /// `<<` / `<<-`
    Heredoc,
    /// `<<<`
    HereString,
}

impl RedirectOp {
    fn symbol(self) -> &'static str {
        match self {
            RedirectOp::Read => "<",
            RedirectOp::Write => ">",
            RedirectOp::Append => ">>",
            RedirectOp::ReadWrite => "<>",
            RedirectOp::Duplicate => ">&",
            RedirectOp::Heredoc => "<<",
            RedirectOp::HereString => "<<<",
        }
    }
}

/// A redirection.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Redirect {
    /// The operator.
    pub op: RedirectOp,
    /// The file (or the heredoc delimiter, or the here-string).
    pub target: String,
    /// A heredoc's body.
    pub body: Option<String>,
}

/// The kind of a substitution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubstitutionKind {
    /// `$(…)` or backticks.
    Command,
    /// `<(…)`: the command's output as a file to read.
    ProcessIn,
    /// `>(…)`: a file whose writes feed the command.
    ProcessOut,
}

/// A command or process substitution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Substitution {
    /// Its kind.
    pub kind: SubstitutionKind,
    /// Its source text.
    pub source: String,
}
