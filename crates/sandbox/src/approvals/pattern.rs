//! Allowlist patterns: globs over an executable's canonical path.
//!
//! Upstream's semantics: `*` matches within one path segment, `**` across segments, `?` one
//! character other than `/`, everything else literally; a leading `~` is the home directory.
//! A pattern must name a path (contain `/` or start with `~`): bare names such as `rg` never
//! match, because the name alone says nothing about which file runs. The lone pattern `*`
//! matches every resolved executable. Matching is case-sensitive, like Linux paths.

use std::path::Path;

/// Whether `pattern` matches the canonical executable path `target`.
pub fn matches(pattern: &str, target: &Path, home: Option<&Path>) -> bool {
    let pattern = pattern.trim();
    if pattern == "*" {
        return true;
    }
    let expanded;
    let pattern = if pattern == "~" || pattern.starts_with("~/") {
        let Some(home) = home else {
            return false;
        };
        expanded = format!(
            "{}{}",
            home.display().to_string().trim_end_matches('/'),
            &pattern[1..]
        );
        expanded.as_str()
    } else {
        pattern
    };
    if !pattern.contains('/') {
        return false;
    }
    let Some(target) = target.to_str() else {
        return false;
    };
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = target.chars().collect();
    glob(&p, &t)
}

/// One element of a compiled pattern.
#[derive(Clone, Copy, PartialEq)]
enum Token {
    Literal(char),
    /// `?`: one character other than `/`.
    One,
    /// `*`: any run of characters other than `/`.
    Segment,
    /// `**`: any run of characters.
    Any,
}

fn compile(pattern: &[char]) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(pattern.len());
    let mut i = 0;
    while let Some(&c) = pattern.get(i) {
        let token = match c {
            '*' if pattern.get(i + 1) == Some(&'*') => {
                i += 1;
                Token::Any
            }
            '*' => Token::Segment,
            '?' => Token::One,
            c => Token::Literal(c),
        };
        tokens.push(token);
        i += 1;
    }
    tokens
}

/// Table-driven matching (`fits[j]`: the pattern so far matches the first `j` characters), so
/// mixed `*` and `**` never need backtracking and take `O(pattern × path)` steps.
fn glob(p: &[char], t: &[char]) -> bool {
    let mut fits = vec![false; t.len() + 1];
    fits[0] = true;
    for token in compile(p) {
        let mut next = vec![false; t.len() + 1];
        for j in 0..=t.len() {
            next[j] = match token {
                Token::Literal(c) => j > 0 && fits[j - 1] && t[j - 1] == c,
                Token::One => j > 0 && fits[j - 1] && t[j - 1] != '/',
                // Empty, or one more character (of the allowed kind) than a shorter match.
                Token::Segment => fits[j] || (j > 0 && next[j - 1] && t[j - 1] != '/'),
                Token::Any => fits[j] || (j > 0 && next[j - 1]),
            };
        }
        fits = next;
    }
    fits[t.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, target: &str) -> bool {
        matches(pattern, Path::new(target), Some(Path::new("/home/u")))
    }

    #[test]
    fn exact_paths_and_single_segment_stars() {
        assert!(m("/usr/bin/rg", "/usr/bin/rg"));
        assert!(!m("/usr/bin/rg", "/usr/bin/rga"));
        assert!(m("/usr/bin/*", "/usr/bin/rg"));
        assert!(
            !m("/usr/bin/*", "/usr/bin/sub/rg"),
            "* stays in its segment"
        );
        assert!(m("/usr/*/rg", "/usr/bin/rg"));
        assert!(m("/usr/bin/r?", "/usr/bin/rg"));
        assert!(!m("/usr/bin/r?", "/usr/bin/r/"));
        assert!(!m("/usr/bin/RG", "/usr/bin/rg"), "case-sensitive");
    }

    #[test]
    fn double_stars_cross_segments_and_tilde_is_home() {
        assert!(m("~/Projects/**/bin/rg", "/home/u/Projects/a/b/bin/rg"));
        assert!(m("~/.local/bin/*", "/home/u/.local/bin/tool"));
        assert!(!m("~/.local/bin/*", "/home/v/.local/bin/tool"));
        assert!(m("/opt/**", "/opt/x/y/z"));
        assert!(
            m("/**/bin/*", "/x/bin/y/bin/z"),
            "** absorbs an earlier bin/"
        );
        assert!(!m("/**/bin/*", "/x/bin/y/z"));
        assert!(
            !matches("~/bin/x", Path::new("/home/u/bin/x"), None),
            "no home, no match"
        );
    }

    #[test]
    fn bare_names_never_match_but_the_lone_star_matches_everything() {
        assert!(!m("rg", "/usr/bin/rg"));
        assert!(!m("r*", "/usr/bin/rg"));
        assert!(m("*", "/usr/bin/rg"));
    }
}
