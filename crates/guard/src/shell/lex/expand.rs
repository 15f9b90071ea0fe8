//! Expansions inside words: `$…`, `${…}`, `$(…)`, backticks, `$IFS`.

use super::super::MAX_DEPTH;
use super::super::eval::{decode_ansi_c, static_output};
use super::{Lexer, Substitution, SubstitutionKind};

impl Lexer<'_> {
    /// `$…` at `pos`.
    pub(super) fn dollar(&mut self, quoted: bool) {
        self.pos += 1;
        match self.peek() {
            Some('\'') if !quoted => {
                self.pos += 1;
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if c == '\\' {
                        self.pos += 2;
                    } else if c == '\'' {
                        break;
                    } else {
                        self.pos += 1;
                    }
                }
                let end = self.pos.min(self.chars.len());
                let raw: String = self.chars[start..end].iter().collect();
                self.pos = end + 1;
                let (text, numeric) = decode_ansi_c(&raw);
                if numeric {
                    self.cmd.ansi_c_numeric = true;
                }
                let buf = self.buf();
                buf.quoted_parts += 1;
                buf.text.push_str(&text);
            }
            Some('"') if !quoted => {
                self.pos += 1;
                self.double_quoted();
            }
            Some('(') => {
                self.pos += 1;
                if self.peek() == Some('(') {
                    // Arithmetic: its value is a number, never a command.
                    self.pos += 1;
                    let _ = self.read_balanced('(', ')');
                    if self.peek() == Some(')') {
                        self.pos += 1;
                    }
                    self.push_text("0", quoted);
                } else {
                    let inner = self.read_balanced('(', ')');
                    self.command_substitution(inner, quoted);
                }
            }
            Some('{') => {
                self.pos += 1;
                let inner = self.read_balanced('{', '}');
                self.parameter(&inner, quoted);
            }
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c == '_' || c.is_ascii_alphanumeric())
                {
                    self.pos += 1;
                }
                let name: String = self.chars[start..self.pos].iter().collect();
                self.variable(&name, quoted);
            }
            Some('0') => {
                // `$0` is the shell itself: `… | $0` runs a shell.
                self.pos += 1;
                self.push_text("sh", quoted);
            }
            Some('1'..='9' | '@' | '*') => {
                // Positional parameters are empty in a command the agent runs.
                self.pos += 1;
                self.buf();
            }
            Some('#' | '?' | '$' | '!' | '-') => {
                self.pos += 1;
                self.push_text("0", quoted);
            }
            _ => self.push_text("$", quoted),
        }
    }

    pub(super) fn backtick(&mut self, quoted: bool) {
        self.pos += 1;
        let mut inner = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '`' => break,
                '\\' => {
                    if let Some(next) = self.peek() {
                        self.pos += 1;
                        if !matches!(next, '`' | '\\' | '$') {
                            inner.push('\\');
                        }
                        inner.push(next);
                    }
                }
                _ => inner.push(c),
            }
        }
        self.command_substitution(inner, quoted);
    }

    /// Reads up to the `close` matching an already consumed `open`, skipping quoted text.
    pub(super) fn read_balanced(&mut self, open: char, close: char) -> String {
        let start = self.pos;
        let mut depth = 1usize;
        while let Some(c) = self.peek() {
            match c {
                '\\' => self.pos += 1,
                '\'' => {
                    self.pos += 1;
                    while self.peek().is_some_and(|c| c != '\'') {
                        self.pos += 1;
                    }
                }
                '"' => {
                    self.pos += 1;
                    while let Some(c) = self.peek() {
                        if c == '\\' {
                            self.pos += 1;
                        } else if c == '"' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        let inner = self.chars[start..self.pos].iter().collect();
                        self.pos += 1;
                        return inner;
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        let end = self.pos.min(self.chars.len());
        self.chars[start..end].iter().collect()
    }

    fn command_substitution(&mut self, inner: String, quoted: bool) {
        let evaluated = (self.depth < MAX_DEPTH)
            .then(|| {
                let mut vars = self.vars.clone();
                static_output(&super::parse(&inner, &mut vars, self.depth + 1))
            })
            .flatten();
        match evaluated {
            Some(output) => self.push_text(output.trim_end_matches('\n'), quoted),
            None => {
                let literal = format!("$({inner})");
                self.buf().text.push_str(&literal);
            }
        }
        self.buf().computed = true;
        self.cmd.substitutions.push(Substitution {
            kind: SubstitutionKind::Command,
            source: inner,
        });
    }

    /// `${…}`: the forms that matter for what runs (defaults, `$IFS`); others stay literal.
    fn parameter(&mut self, inner: &str, quoted: bool) {
        let name_len = inner
            .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
            .unwrap_or(inner.len());
        let (name, rest) = inner.split_at(name_len);
        if name.is_empty() {
            let literal = format!("${{{inner}}}");
            self.push_text(&literal, true);
            return;
        }
        if name == "IFS" {
            self.ifs(quoted);
            return;
        }
        let known = self.lookup(name);
        let strip_quotes = |s: &str| s.replace(['\'', '"'], "");
        let value = if let Some(default) = rest
            .strip_prefix(":-")
            .or_else(|| rest.strip_prefix(":="))
            .or_else(|| rest.strip_prefix('-'))
            .or_else(|| rest.strip_prefix('='))
        {
            Some(
                known
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| strip_quotes(default)),
            )
        } else if let Some(alternative) = rest.strip_prefix(":+").or_else(|| rest.strip_prefix('+'))
        {
            Some(known.map(|_| strip_quotes(alternative)).unwrap_or_default())
        } else if let Some(range) = rest.strip_prefix(':').filter(|r| !r.starts_with('?')) {
            known.map(|value| substring(&value, range))
        } else if rest.is_empty() {
            known
        } else {
            None
        };
        match value {
            Some(value) => self.push_text(&value, quoted),
            None => {
                // Unknown: keep it recognisable (`${DIR:?}` stays guarded, `$DIR` stays a
                // variable) without pretending to know its value.
                let literal = if rest.is_empty() {
                    format!("${name}")
                } else {
                    format!("${{{inner}}}")
                };
                self.push_text(&literal, true);
            }
        }
    }

    fn variable(&mut self, name: &str, quoted: bool) {
        if name == "IFS" {
            self.ifs(quoted);
            return;
        }
        match self.lookup(name) {
            Some(value) => self.push_text(&value, quoted),
            None => {
                let literal = format!("${name}");
                self.push_text(&literal, true);
            }
        }
    }

    fn lookup(&self, name: &str) -> Option<String> {
        if let Some(value) = self.vars.get(name) {
            return Some(value.clone());
        }
        let implied = match name {
            "HOME" => "~",
            "SHELL" => "/bin/sh",
            "BASH" => "/bin/bash",
            "PWD" => ".",
            _ => return None,
        };
        Some(implied.to_owned())
    }

    fn ifs(&mut self, quoted: bool) {
        self.cmd.ifs = true;
        if quoted {
            self.buf().text.push(' ');
        } else {
            self.end_word();
        }
    }
}

/// `${VAR:offset:length}` on a known value.
fn substring(value: &str, range: &str) -> String {
    let mut parts = range.splitn(2, ':');
    let offset: usize = parts
        .next()
        .and_then(|o| o.trim().parse().ok())
        .unwrap_or(0);
    let chars = value.chars().skip(offset);
    match parts.next().and_then(|l| l.trim().parse::<usize>().ok()) {
        Some(length) => chars.take(length).collect(),
        None => chars.collect(),
    }
}
