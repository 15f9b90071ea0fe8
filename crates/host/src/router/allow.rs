//! Sender allowlists: `allowFrom`, `groupAllowFrom` and the senders approved by pairing, matched
//! as OpenClaw matches them.
//!
//! An entry is `*` (anyone), a sender id in the platform's spelling, optionally prefixed with
//! the channel's name (`telegram:123`, and Telegram's `tg:` — stripped case-insensitively), or,
//! where a platform names senders by mask (IRC `nick!user@host`), a mask with `*` and `?`
//! wildcards. Comparison ignores case: ids that differ only in case are the same sender on every
//! platform rustyclaw speaks to (IRC nicks, hostnames), and numeric ids have no case.

/// One sender as a channel knows them: the id allowlists name, and other names that may match
/// (an IRC sender's `nick!user@host` mask, a Telegram `@username` — which upstream does not
/// match, so the Telegram adapter leaves it out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderNames {
    /// The platform's sender id.
    pub id: String,
    /// Other spellings that entries may match (masks).
    pub aliases: Vec<String>,
}

/// An allowlist: entries from the config and from the store, normalized for `channel`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    entries: Vec<String>,
    wildcard: bool,
}

impl AllowList {
    /// The allowlist of `entries` on `channel` (entries prefixed with another channel's name are
    /// kept as they are, and match nothing here).
    pub fn new<I, S>(channel: &str, entries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = AllowList::default();
        for entry in entries {
            let entry = normalize(channel, entry.as_ref());
            if entry.is_empty() {
                continue;
            }
            if entry == "*" {
                list.wildcard = true;
            } else if !list.entries.contains(&entry) {
                list.entries.push(entry);
            }
        }
        list
    }

    /// This list with `more` entries added (the senders pairing approved).
    pub fn with<I, S>(mut self, channel: &str, more: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let added = AllowList::new(channel, more);
        self.wildcard |= added.wildcard;
        for entry in added.entries {
            if !self.entries.contains(&entry) {
                self.entries.push(entry);
            }
        }
        self
    }

    /// Whether the list names anyone at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && !self.wildcard
    }

    /// Whether the list has `*`.
    pub fn allows_anyone(&self) -> bool {
        self.wildcard
    }

    /// Whether `sender` is on the list.
    pub fn allows(&self, sender: &SenderNames) -> bool {
        if self.wildcard {
            return true;
        }
        let id = sender.id.to_lowercase();
        let aliases: Vec<String> = sender.aliases.iter().map(|a| a.to_lowercase()).collect();
        self.entries.iter().any(|entry| {
            if entry.contains(['*', '?']) {
                std::iter::once(&id)
                    .chain(&aliases)
                    .any(|name| glob_matches(entry, name))
            } else {
                *entry == id || aliases.contains(entry)
            }
        })
    }
}

/// `entry` lowercased, trimmed, without this channel's prefix.
fn normalize(channel: &str, entry: &str) -> String {
    let entry = entry.trim().to_lowercase();
    let mut prefixes = vec![format!("{channel}:")];
    if channel == "telegram" {
        prefixes.push("tg:".to_owned());
    }
    for prefix in prefixes {
        if let Some(rest) = entry.strip_prefix(&prefix) {
            return rest.trim().to_owned();
        }
    }
    entry
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters and `?` for one.
fn glob_matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    // Iterative matching with backtracking to the last `*`: linear in practice, never
    // exponential, whatever the pattern.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some('?') => {
                p += 1;
                n += 1;
            }
            Some(c) if *c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender(id: &str) -> SenderNames {
        SenderNames {
            id: id.to_owned(),
            aliases: Vec::new(),
        }
    }

    #[test]
    fn ids_match_without_the_channel_prefix_and_case() {
        let list = AllowList::new("telegram", ["telegram:123", "TG:456", " 789 ", "irc:alice"]);
        assert!(list.allows(&sender("123")));
        assert!(list.allows(&sender("456")));
        assert!(list.allows(&sender("789")));
        assert!(!list.allows(&sender("alice")), "another channel's entry");
        assert!(!list.allows(&sender("12")));
        let irc = AllowList::new("irc", ["Alice", "irc:BOB"]);
        assert!(irc.allows(&sender("alice")) && irc.allows(&sender("Bob")));
    }

    #[test]
    fn a_wildcard_allows_anyone_and_an_empty_list_no_one() {
        let open = AllowList::new("telegram", ["*"]);
        assert!(open.allows_anyone() && open.allows(&sender("1")));
        let empty = AllowList::new("telegram", Vec::<String>::new());
        assert!(empty.is_empty() && !empty.allows(&sender("1")));
        let added = empty.with("telegram", ["1"]);
        assert!(added.allows(&sender("1")) && !added.allows(&sender("2")));
    }

    #[test]
    fn masks_match_aliases_with_wildcards() {
        let list = AllowList::new("irc", ["*!*@trusted.example", "carol!~c@*"]);
        let alice = SenderNames {
            id: "alice".into(),
            aliases: vec!["alice!~a@Trusted.Example".into()],
        };
        let mallory = SenderNames {
            id: "mallory".into(),
            aliases: vec!["mallory!~m@evil.example".into()],
        };
        let carol = SenderNames {
            id: "carol".into(),
            aliases: vec!["carol!~c@home.example".into()],
        };
        assert!(list.allows(&alice));
        assert!(!list.allows(&mallory));
        assert!(list.allows(&carol));
    }

    #[test]
    fn glob_matching_is_exact_at_both_ends_and_never_slow() {
        assert!(glob_matches("a*b?d", "axxbcd"));
        assert!(!glob_matches("a*b?d", "axxbcde"));
        assert!(glob_matches("*", ""));
        assert!(!glob_matches("?", ""));
        let long = "a".repeat(10_000);
        let pattern = format!("{}b", "*a".repeat(50));
        assert!(!glob_matches(&pattern, &long));
    }
}
