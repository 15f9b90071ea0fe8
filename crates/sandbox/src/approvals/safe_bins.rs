//! Safe bins: stream filters (`head`, `wc`, …) that may run in allowlist mode without an
//! allowlist entry, as long as their arguments keep them reading standard input only.
//!
//! Each program has a profile: the flags that take a value, the boolean flags, the flags that
//! are always refused (they read or write files, run programs, or follow files for ever), and
//! how many positional arguments it may have. Parsing is fail-closed and follows GNU getopt:
//! combined short flags (`-cz`), a value glued to a short flag (`-n5`) or given as the next
//! argument, `--flag=value` and `--flag value`, `--` ending the options — and, the hole an
//! upstream advisory closed, any unambiguous prefix of a long option counts as that option, so
//! `sort --compress-prog=sh` is `--compress-program` and refused. A prefix shared by two known
//! options, an unknown option, and every argument that looks like a path, a glob or a shell
//! expansion are refused outright.

use std::collections::BTreeSet;

use super::shell::Word;

/// What a safe bin may be given.
#[derive(Debug)]
pub struct SafeBinProfile {
    /// Fewest positional arguments.
    pub min_positional: usize,
    /// Most positional arguments.
    pub max_positional: usize,
    /// Flags that take a value.
    pub value_flags: &'static [&'static str],
    /// Flags without a value.
    pub boolean_flags: &'static [&'static str],
    /// Flags that are always refused.
    pub denied_flags: &'static [&'static str],
}

/// Upstream's default safe bins.
pub const DEFAULT_SAFE_BINS: [&str; 6] = ["cut", "uniq", "head", "tail", "tr", "wc"];

/// The built-in profiles (upstream's): the default safe bins plus `grep` and `sort`, which an
/// operator may opt into. A name without a profile is never a safe bin.
pub fn profile(name: &str) -> Option<&'static SafeBinProfile> {
    Some(match name {
        "cut" => &CUT,
        "uniq" => &UNIQ,
        "head" => &HEAD,
        "tail" => &TAIL,
        "tr" => &TR,
        "wc" => &WC,
        "grep" => &GREP,
        "sort" => &SORT,
        _ => return None,
    })
}

static CUT: SafeBinProfile = SafeBinProfile {
    min_positional: 0,
    max_positional: 0,
    value_flags: &[
        "--bytes",
        "--characters",
        "--fields",
        "--delimiter",
        "--output-delimiter",
        "-b",
        "-c",
        "-f",
        "-d",
    ],
    boolean_flags: &[
        "--complement",
        "--only-delimited",
        "--zero-terminated",
        "-n",
        "-s",
        "-z",
    ],
    denied_flags: &[],
};

static UNIQ: SafeBinProfile = SafeBinProfile {
    min_positional: 0,
    max_positional: 0,
    value_flags: &[
        "--skip-fields",
        "--skip-chars",
        "--check-chars",
        "--group",
        "-f",
        "-s",
        "-w",
    ],
    boolean_flags: &[
        "--count",
        "--repeated",
        "--unique",
        "--ignore-case",
        "--zero-terminated",
        "-c",
        "-d",
        "-u",
        "-i",
        "-z",
    ],
    denied_flags: &[],
};

static HEAD: SafeBinProfile = SafeBinProfile {
    min_positional: 0,
    max_positional: 0,
    value_flags: &["--lines", "--bytes", "-n", "-c"],
    boolean_flags: &[
        "--quiet",
        "--silent",
        "--verbose",
        "--zero-terminated",
        "-q",
        "-v",
        "-z",
    ],
    denied_flags: &[],
};

static TAIL: SafeBinProfile = SafeBinProfile {
    min_positional: 0,
    max_positional: 0,
    value_flags: &[
        "--lines",
        "--bytes",
        "--sleep-interval",
        "--max-unchanged-stats",
        "--pid",
        "-n",
        "-c",
    ],
    boolean_flags: &[
        "--quiet",
        "--silent",
        "--verbose",
        "--zero-terminated",
        "-q",
        "-v",
        "-z",
    ],
    denied_flags: &["--follow", "--retry", "-F", "-f"],
};

static TR: SafeBinProfile = SafeBinProfile {
    min_positional: 1,
    max_positional: 2,
    value_flags: &[],
    boolean_flags: &[
        "--complement",
        "--delete",
        "--squeeze-repeats",
        "--truncate-set1",
        "-C",
        "-c",
        "-d",
        "-s",
        "-t",
    ],
    denied_flags: &[],
};

static WC: SafeBinProfile = SafeBinProfile {
    min_positional: 0,
    max_positional: 0,
    value_flags: &[],
    boolean_flags: &[
        "--bytes",
        "--chars",
        "--lines",
        "--max-line-length",
        "--words",
        "-L",
        "-c",
        "-l",
        "-m",
        "-w",
    ],
    denied_flags: &["--files0-from"],
};

static GREP: SafeBinProfile = SafeBinProfile {
    min_positional: 0,
    // The pattern must come from `-e`: a positional pattern would free a slot for a file name.
    max_positional: 0,
    value_flags: &[
        "--regexp",
        "--max-count",
        "--after-context",
        "--before-context",
        "--context",
        "--devices",
        "--binary-files",
        "--exclude",
        "--include",
        "--label",
        "-e",
        "-m",
        "-A",
        "-B",
        "-C",
        "-D",
    ],
    boolean_flags: &[],
    denied_flags: &[
        "--file",
        "--exclude-from",
        "--dereference-recursive",
        "--directories",
        "--recursive",
        "-f",
        "-d",
        "-r",
        "-R",
    ],
};

static SORT: SafeBinProfile = SafeBinProfile {
    min_positional: 0,
    max_positional: 0,
    value_flags: &[
        "--key",
        "--field-separator",
        "--buffer-size",
        "--parallel",
        "--batch-size",
        "-k",
        "-t",
        "-S",
    ],
    boolean_flags: &[],
    // `--compress-program` runs a program; the others read or write named files.
    denied_flags: &[
        "--compress-program",
        "--files0-from",
        "--output",
        "--random-source",
        "--temporary-directory",
        "-T",
        "-o",
    ],
};

impl SafeBinProfile {
    fn flags(&self) -> impl Iterator<Item = &'static str> {
        self.value_flags
            .iter()
            .chain(self.boolean_flags)
            .chain(self.denied_flags)
            .copied()
    }

    /// The long option `flag` stands for: itself when known, else the one known option it is a
    /// prefix of (at least one letter after `--`). `None` when unknown or ambiguous.
    fn canonical_long(&self, flag: &str) -> Option<&'static str> {
        if flag.len() < 3 {
            return None;
        }
        if let Some(exact) = self.flags().find(|f| *f == flag) {
            return Some(exact);
        }
        let candidates: BTreeSet<&'static str> = self
            .flags()
            .filter(|f| f.starts_with("--") && f.starts_with(flag))
            .collect();
        match candidates.len() {
            1 => candidates.into_iter().next(),
            _ => None,
        }
    }

    /// Whether `args` (the words after the program name) keep the program on standard input.
    pub fn allows(&self, args: &[Word]) -> bool {
        let mut positional = 0usize;
        let mut i = 0;
        while let Some(word) = args.get(i) {
            let token = word.text.as_str();
            if token.is_empty() || token == "-" {
                i += 1;
                continue;
            }
            if token == "--" {
                for rest in &args[i + 1..] {
                    if rest.text.is_empty() || rest.text == "-" {
                        continue;
                    }
                    if !literal(rest) {
                        return false;
                    }
                    positional += 1;
                }
                break;
            }
            if !token.starts_with('-') {
                if !literal(word) {
                    return false;
                }
                positional += 1;
                i += 1;
                continue;
            }
            if word.expands {
                return false;
            }
            let next = if token.starts_with("--") {
                self.long_option(args, i)
            } else {
                self.short_cluster(args, i)
            };
            match next {
                Some(n) => i = n,
                None => return false,
            }
        }
        positional >= self.min_positional && positional <= self.max_positional
    }

    /// Consumes the long option at `args[i]`; returns the index after it and its value.
    fn long_option(&self, args: &[Word], i: usize) -> Option<usize> {
        let token = args[i].text.as_str();
        let (flag, inline) = match token.split_once('=') {
            Some((flag, value)) => (flag, Some(value)),
            None => (token, None),
        };
        let canonical = self.canonical_long(flag)?;
        if self.denied_flags.contains(&canonical) {
            return None;
        }
        let takes_value = self.value_flags.contains(&canonical);
        match (inline, takes_value) {
            (Some(value), true) => literal_text(value).then_some(i + 1),
            (Some(_), false) => None,
            (None, false) => Some(i + 1),
            (None, true) => value_at(args, i + 1).then_some(i + 2),
        }
    }

    /// Consumes the short flags at `args[i]` (`-cz`, `-n5`, `-n 5`).
    fn short_cluster(&self, args: &[Word], i: usize) -> Option<usize> {
        let cluster = &args[i].text[1..];
        for (at, c) in cluster.char_indices() {
            let flag = format!("-{c}");
            if self.denied_flags.contains(&flag.as_str()) {
                return None;
            }
            if self.value_flags.contains(&flag.as_str()) {
                let glued = &cluster[at + c.len_utf8()..];
                if !glued.is_empty() {
                    return literal_text(glued).then_some(i + 1);
                }
                return value_at(args, i + 1).then_some(i + 2);
            }
            if !self.boolean_flags.contains(&flag.as_str()) {
                return None;
            }
        }
        Some(i + 1)
    }
}

fn value_at(args: &[Word], i: usize) -> bool {
    args.get(i)
        .is_some_and(|w| !w.text.is_empty() && literal(w))
}

/// A word the shell passes through unchanged and that cannot name a file by itself.
fn literal(word: &Word) -> bool {
    !word.expands && literal_text(&word.text)
}

fn literal_text(text: &str) -> bool {
    if text.is_empty() || text == "-" {
        return true;
    }
    let trimmed = text.trim();
    let path_like = trimmed.starts_with('/')
        || trimmed.starts_with("./")
        || trimmed.starts_with("../")
        || trimmed.starts_with('~');
    let glob = text.contains(['*', '?', '[', ']']);
    let expansion = text.contains('$') || text.contains('`');
    !(path_like || glob || expansion)
}

/// The safe bins in force: upstream's default list unless the operator chose another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeBins {
    names: BTreeSet<String>,
}

impl Default for SafeBins {
    fn default() -> Self {
        Self::new(DEFAULT_SAFE_BINS)
    }
}

impl SafeBins {
    /// These names (lower-cased); names without a built-in profile never match.
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(names: I) -> Self {
        SafeBins {
            names: names
                .into_iter()
                .map(|n| n.as_ref().trim().to_ascii_lowercase())
                .filter(|n| !n.is_empty())
                .collect(),
        }
    }

    /// The profile of `name` when it is a safe bin here.
    pub fn profile(&self, name: &str) -> Option<&'static SafeBinProfile> {
        self.names.contains(name).then(|| profile(name)).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approvals::shell::split;

    /// Whether `command` (one segment) passes its program's profile.
    fn allowed(command: &str) -> bool {
        let segment = split(command).unwrap().remove(0);
        let name = segment.words[0].text.clone();
        profile(&name).unwrap().allows(&segment.words[1..])
    }

    #[test]
    fn ordinary_filter_use_is_allowed() {
        for ok in [
            "head -n 5",
            "head -n5",
            "head --lines=5",
            "head --lines 5",
            "head --li=5",
            "wc -l",
            "wc -lw",
            "wc --words",
            "tail -qn 3",
            "cut -d , -f 1",
            "cut -d, -sf1",
            "tr -d abc",
            "tr a-z A-Z",
            "uniq -c",
            "sort -k 2 -t ,",
            "grep -e needle",
            "head - -n 1",
        ] {
            assert!(allowed(ok), "{ok}");
        }
    }

    #[test]
    fn gnu_abbreviations_count_as_the_full_option() {
        assert!(!allowed("sort --compress-program=sh"));
        assert!(!allowed("sort --compress-prog=sh"));
        assert!(!allowed("sort --compress-prog sh"));
        assert!(!allowed("sort --compress sh"));
        assert!(!allowed("sort --files0=list"));
        assert!(!allowed("sort --out=x"));
        assert!(!allowed("sort --temp=/tmp"));
        assert!(!allowed("sort --random=x"));
        assert!(!allowed("wc --files0-fr=list"));
        assert!(!allowed("wc --files=list"));
        assert!(!allowed("grep --recursi -e x"));
        assert!(!allowed("grep --dir=recurse -e x"));
        assert!(!allowed("grep --fi=patterns"));
        assert!(!allowed("tail --fo"));
        assert!(!allowed("tail --ret"));
    }

    #[test]
    fn ambiguous_and_unknown_long_options_are_refused() {
        // `--s` could be `--sleep-interval` or `--silent`.
        assert!(!allowed("tail --s"));
        assert!(!allowed("head --nonsense"));
        assert!(
            !allowed("cut --o=x"),
            "--only-delimited or --output-delimiter"
        );
        // An exact name wins over the longer names it prefixes.
        assert!(allowed("grep --exclude=x -e y"));
        assert!(!allowed("grep --exclude-f=x -e y"));
    }

    #[test]
    fn inline_values_only_for_value_flags() {
        assert!(!allowed("wc --lines=5"), "boolean flag with a value");
        assert!(!allowed("head --lines=/etc/passwd"));
        assert!(!allowed("head -n"), "missing value");
    }

    #[test]
    fn combined_short_flags_are_checked_one_by_one() {
        assert!(!allowed("tail -fn 1"), "-f hides in the cluster");
        assert!(!allowed("sort -uo out"));
        assert!(!allowed("grep -re x"));
        assert!(!allowed("wc -lx"), "unknown flag in the cluster");
        assert!(!allowed("tr -x a b"));
    }

    #[test]
    fn positional_files_paths_globs_and_expansions_are_refused() {
        assert!(!allowed("head /etc/passwd"));
        assert!(
            !allowed("head notes.txt"),
            "a positional is a file for head"
        );
        assert!(!allowed("head -- notes.txt"));
        assert!(!allowed("wc -l ./x"));
        assert!(!allowed("tr a-z A-Z extra"), "tr takes at most two");
        assert!(!allowed("tr"), "tr needs one");
        assert!(!allowed("tr '*' x"), "quoted globs still refused");
        assert!(!allowed("tr $HOME x"));
        assert!(!allowed("tr '$HOME' x"));
        assert!(!allowed("cut -d '~' -f1"));
        assert!(!allowed("grep needle"), "grep patterns come from -e");
        assert!(!allowed("grep -e x -- file"));
    }

    #[test]
    fn the_list_in_force_decides() {
        let defaults = SafeBins::default();
        assert!(defaults.profile("head").is_some());
        assert!(defaults.profile("sort").is_none(), "sort is opt-in");
        let custom = SafeBins::new(["Sort", "python3"]);
        assert!(custom.profile("sort").is_some());
        assert!(
            custom.profile("python3").is_none(),
            "no profile, no safe bin"
        );
    }
}
