//! Splitting a shell command into the simple commands it runs, conservatively.
//!
//! Only the subset of POSIX shell whose meaning is certain from the text is accepted: words
//! (with single quotes, double quotes and backslash escapes), `|` pipes, and `&&`, `||`, `;` or
//! newline chains. Anything that could run or read something the words do not show — command
//! substitution (`$(…)`, backticks), redirections and here-documents (`<`, `>`), subshells and
//! groups in parentheses, background jobs (`&`), line continuations — makes the whole command
//! unanalysable, and an unanalysable command is never allowed without a human. Parameter
//! expansion, globs and `~` are not evaluated: the word is flagged as expanding, which is enough
//! to refuse it where its value matters (the executable, safe-bin arguments).

/// One word after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The text with quotes and escapes removed; expansions left as written (`$HOME`).
    pub text: String,
    /// The word as it appears in the command, quotes included.
    pub raw: String,
    /// Whether the shell would change the word: an unquoted glob (`*`, `?`, `[`), brace or
    /// leading `~`, or a `$` outside single quotes.
    pub expands: bool,
}

/// How a segment is joined to the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joiner {
    /// `|`
    Pipe,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `;` or a newline.
    Then,
}

impl Joiner {
    /// The operator as written in a rebuilt command.
    pub fn as_str(self) -> &'static str {
        match self {
            Joiner::Pipe => "|",
            Joiner::And => "&&",
            Joiner::Or => "||",
            Joiner::Then => ";",
        }
    }
}

/// One simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Its words; the first names the program.
    pub words: Vec<Word>,
    /// How it is joined to the next segment (`None` for the last).
    pub joiner: Option<Joiner>,
}

/// Why a command cannot be analysed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Unanalysable {
    /// What was found, in words for the approver and the model.
    pub reason: String,
}

fn refuse<T>(reason: &str) -> Result<T, Unanalysable> {
    Err(Unanalysable {
        reason: reason.to_owned(),
    })
}

/// A word being read.
#[derive(Default)]
struct Pending {
    text: String,
    raw: String,
    expands: bool,
    /// A quote was seen, so an empty word (`''`) is still a word.
    quoted: bool,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.text.is_empty() && !self.quoted
    }

    fn take(&mut self) -> Option<Word> {
        if self.is_empty() {
            return None;
        }
        let word = std::mem::take(self);
        Some(Word {
            text: word.text,
            raw: word.raw,
            expands: word.expands,
        })
    }

    fn push(&mut self, c: char) {
        self.text.push(c);
        self.raw.push(c);
    }
}

/// Ends the current segment with `joiner`. An empty segment before an operator is a syntax
/// error the shell would report, so it is refused rather than guessed at.
fn end_segment(
    words: &mut Vec<Word>,
    joiner: Option<Joiner>,
    segments: &mut Vec<Segment>,
) -> Result<(), Unanalysable> {
    if words.is_empty() {
        return match joiner {
            // Blank lines and a trailing `;` separate nothing.
            Some(Joiner::Then) | None => Ok(()),
            Some(op) => refuse(&format!("empty command before `{}`", op.as_str())),
        };
    }
    segments.push(Segment {
        words: std::mem::take(words),
        joiner,
    });
    Ok(())
}

/// Splits `command` into segments, or says why it cannot be analysed.
pub fn split(command: &str) -> Result<Vec<Segment>, Unanalysable> {
    let mut segments: Vec<Segment> = Vec::new();
    let mut words: Vec<Word> = Vec::new();
    let mut word = Pending::default();
    let mut chars = command.chars().peekable();

    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                word.quoted = true;
                word.raw.push('\'');
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(q) => word.push(q),
                        None => return refuse("unterminated single quote"),
                    }
                }
                word.raw.push('\'');
            }
            '"' => {
                word.quoted = true;
                word.raw.push('"');
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('\\' | '"' | '$' | '`')) => {
                                word.text.push(e);
                                word.raw.push('\\');
                                word.raw.push(e);
                            }
                            Some('\n' | '\r') => return refuse("line continuation"),
                            Some(other) => {
                                word.push('\\');
                                word.push(other);
                            }
                            None => return refuse("unterminated double quote"),
                        },
                        Some('`') => return refuse("command substitution (backticks)"),
                        Some('$') => {
                            if chars.peek() == Some(&'(') {
                                return refuse("command substitution ($(…))");
                            }
                            word.expands = true;
                            word.push('$');
                        }
                        Some('\n' | '\r') => return refuse("newline inside double quotes"),
                        Some(q) => word.push(q),
                        None => return refuse("unterminated double quote"),
                    }
                }
                word.raw.push('"');
            }
            '\\' => match chars.next() {
                Some('\n' | '\r') => return refuse("line continuation"),
                Some(e) => {
                    word.text.push(e);
                    word.raw.push('\\');
                    word.raw.push(e);
                }
                None => return refuse("trailing backslash"),
            },
            '`' => return refuse("command substitution (backticks)"),
            '$' => {
                if chars.peek() == Some(&'(') {
                    return refuse("command substitution ($(…))");
                }
                word.expands = true;
                word.push('$');
            }
            '<' | '>' => return refuse("redirection or here-document"),
            '(' | ')' => return refuse("subshell or grouping"),
            '#' if word.is_empty() => {
                // A comment runs to the end of the line; the next line is a new command.
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        break;
                    }
                }
                words.extend(word.take());
                end_segment(&mut words, Some(Joiner::Then), &mut segments)?;
            }
            '|' => {
                words.extend(word.take());
                let joiner = match chars.peek() {
                    Some('|') => {
                        chars.next();
                        Joiner::Or
                    }
                    Some('&') => return refuse("`|&` pipes standard error"),
                    _ => Joiner::Pipe,
                };
                end_segment(&mut words, Some(joiner), &mut segments)?;
            }
            '&' => {
                if chars.peek() != Some(&'&') {
                    return refuse("background job (`&`)");
                }
                chars.next();
                words.extend(word.take());
                end_segment(&mut words, Some(Joiner::And), &mut segments)?;
            }
            ';' => {
                if chars.peek() == Some(&';') {
                    return refuse("`;;` outside a case statement");
                }
                words.extend(word.take());
                end_segment(&mut words, Some(Joiner::Then), &mut segments)?;
            }
            '\n' | '\r' => {
                words.extend(word.take());
                end_segment(&mut words, Some(Joiner::Then), &mut segments)?;
            }
            c if c.is_whitespace() => words.extend(word.take()),
            '*' | '?' | '[' | '{' | '}' => {
                word.expands = true;
                word.push(c);
            }
            '~' if word.is_empty() => {
                word.expands = true;
                word.push('~');
            }
            c => word.push(c),
        }
    }
    words.extend(word.take());
    end_segment(&mut words, None, &mut segments)?;
    match segments.last_mut() {
        None => refuse("empty command"),
        Some(last) => match last.joiner {
            Some(Joiner::Then) | None => {
                last.joiner = None;
                Ok(segments)
            }
            Some(op) => refuse(&format!("the command ends with `{}`", op.as_str())),
        },
    }
}

/// `text` in single quotes, safe to paste into a shell command.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(command: &str) -> Vec<Vec<String>> {
        split(command)
            .unwrap()
            .into_iter()
            .map(|s| s.words.into_iter().map(|w| w.text).collect())
            .collect()
    }

    fn reason(command: &str) -> String {
        split(command).unwrap_err().reason
    }

    #[test]
    fn chains_and_pipes_split_into_segments() {
        let segments = split("ls -la && cat a | wc -l; echo done || true\npwd").unwrap();
        let joiners: Vec<Option<Joiner>> = segments.iter().map(|s| s.joiner).collect();
        assert_eq!(
            joiners,
            [
                Some(Joiner::And),
                Some(Joiner::Pipe),
                Some(Joiner::Then),
                Some(Joiner::Or),
                Some(Joiner::Then),
                None
            ]
        );
        assert_eq!(texts("ls -la && cat a")[1], ["cat", "a"]);
        assert_eq!(texts("echo hi;\n\n"), [["echo", "hi"]]);
    }

    #[test]
    fn quotes_and_escapes_are_removed_but_raw_text_is_kept() {
        let segments = split(r#"grep -e 'a b' "c\"d" e\ f '' "$HOME" '$HOME'"#).unwrap();
        let words = &segments[0].words;
        let t: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            t,
            ["grep", "-e", "a b", "c\"d", "e f", "", "$HOME", "$HOME"]
        );
        assert_eq!(words[2].raw, "'a b'");
        assert!(words[6].expands, "$ in double quotes expands");
        assert!(!words[7].expands, "$ in single quotes is literal");
        assert!(!words[2].expands);
    }

    #[test]
    fn globs_tilde_and_variables_are_flagged() {
        let segments = split("ls *.rs ~/x a~b $PATH '*' {a,b}").unwrap();
        let flags: Vec<bool> = segments[0].words.iter().map(|w| w.expands).collect();
        assert_eq!(flags, [false, true, true, false, true, false, true]);
    }

    #[test]
    fn substitutions_redirections_and_subshells_are_unanalysable() {
        assert!(reason("echo $(id)").contains("command substitution"));
        assert!(reason("echo \"$(id)\"").contains("command substitution"));
        assert!(reason("echo `id`").contains("backticks"));
        assert!(reason("echo \"`id`\"").contains("backticks"));
        assert!(reason("ls > out").contains("redirection"));
        assert!(reason("cat <<EOF\nx\nEOF").contains("here-document"));
        assert!(reason("diff <(ls) <(ls)").contains("redirection"));
        assert!(reason("(cd / && ls)").contains("subshell"));
        assert!(reason("sleep 9 &").contains("background"));
        assert!(reason("ls |& cat").contains("|&"));
        assert!(reason("echo a \\\n b").contains("continuation"));
        assert!(reason("echo 'open").contains("unterminated"));
        assert!(reason("| ls").contains("empty command"));
        assert!(reason("ls &&").contains("ends with"));
        assert!(reason("   ").contains("empty"));
    }

    #[test]
    fn comments_end_at_the_line_and_the_next_line_still_counts() {
        assert_eq!(texts("ls # rm -rf /"), [["ls"]]);
        assert_eq!(
            texts("ls # note\nrm -rf /"),
            [vec!["ls"], vec!["rm", "-rf", "/"]]
        );
        assert_eq!(texts("echo a#b"), [["echo", "a#b"]]);
    }

    #[test]
    fn quoting_round_trips_through_the_shell_syntax() {
        let quoted = quote("it's /usr/bin");
        assert_eq!(quoted, r"'it'\''s /usr/bin'");
        assert_eq!(texts(&quoted), [["it's /usr/bin"]]);
    }
}
