//! Skills as slash commands: `/<name> [input]` for each skill a user may invoke, and
//! `/skill <name> [input]` for any of them.
//!
//! A command name is the skill's name in lower case with every run of other characters than
//! `a-z`, `0-9` and `_` turned into `_`, at most 32 characters (the limit chat platforms put on
//! native commands). A name taken by a built-in command, or by an earlier skill, gets `_2`,
//! `_3`, … so the built-in keeps working.

use std::collections::HashSet;

use crate::skill::Skill;

/// The longest command name.
const MAX_COMMAND_LEN: usize = 32;

/// A skill's slash command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillCommand {
    /// The command without its `/`.
    pub name: String,
    /// The skill's name.
    pub skill_name: String,
}

/// The command name a skill name gives, before collisions.
pub fn command_name(skill_name: &str) -> String {
    let lower = skill_name.trim().to_lowercase();
    let mut out = String::new();
    for c in lower.chars() {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            c
        } else {
            '_'
        };
        if c == '_' && out.ends_with('_') {
            continue;
        }
        out.push(c);
    }
    let trimmed: String = out
        .trim_matches('_')
        .chars()
        .take(MAX_COMMAND_LEN)
        .collect();
    if trimmed.is_empty() {
        "skill".to_owned()
    } else {
        trimmed
    }
}

/// The commands of `skills` (those users may invoke, sorted by name), none taking a name in
/// `reserved`.
pub fn commands(skills: &[&Skill], reserved: &[&str]) -> Vec<SkillCommand> {
    let mut taken: HashSet<String> = reserved.iter().map(|r| r.to_ascii_lowercase()).collect();
    let mut sorted: Vec<&Skill> = skills
        .iter()
        .copied()
        .filter(|s| s.user_invocable)
        .collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    sorted
        .into_iter()
        .map(|skill| {
            let base = command_name(&skill.name);
            let mut name = base.clone();
            let mut n = 2;
            while taken.contains(&name) {
                name = format!("{base}_{n}");
                n += 1;
            }
            taken.insert(name.clone());
            SkillCommand {
                name,
                skill_name: skill.name.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitized_like_upstream() {
        assert_eq!(command_name("Release Notes"), "release_notes");
        assert_eq!(command_name("gh-issues"), "gh_issues");
        assert_eq!(command_name("--"), "skill");
        assert_eq!(command_name(&"x".repeat(40)).len(), 32);
    }
}
