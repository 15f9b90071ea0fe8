//! The skills catalog of the system prompt, within `skills.limits`.
//!
//! Each skill the agent may use is listed as `<skill>` with its name, description and the
//! path of its `SKILL.md`, which the model reads when a task matches. Sorted by name, at most
//! `maxSkillsInPrompt` skills; when the full catalog exceeds `maxSkillsPromptChars` the
//! descriptions are shortened (or dropped) before any skill is, and a note says the catalog
//! was cut and how to audit it. The same budget rules as OpenClaw's, so a setup tuned there
//! fits here.

use crate::skill::Skill;

/// Default `skills.limits.maxSkillsInPrompt`.
pub const DEFAULT_MAX_SKILLS_IN_PROMPT: usize = 150;
/// Default `skills.limits.maxSkillsPromptChars`.
pub const DEFAULT_MAX_SKILLS_PROMPT_CHARS: usize = 18_000;
/// The longest description kept in the compact format.
const COMPACT_DESCRIPTION_MAX: usize = 220;
/// The shortest description worth keeping in the compact format.
const COMPACT_DESCRIPTION_MIN: usize = 4;

/// The prompt's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptLimits {
    /// At most this many skills.
    pub max_skills: usize,
    /// At most this many characters.
    pub max_chars: usize,
}

impl Default for PromptLimits {
    fn default() -> Self {
        Self {
            max_skills: DEFAULT_MAX_SKILLS_IN_PROMPT,
            max_chars: DEFAULT_MAX_SKILLS_PROMPT_CHARS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Full,
    /// Descriptions cut to this many characters (0 = none).
    Compact(usize),
}

/// The catalog text for `skills` (those the model may see, in any order); empty when there are
/// none or none fits.
pub fn catalog(skills: &[&Skill], limits: PromptLimits) -> String {
    let mut sorted: Vec<&Skill> = skills.to_vec();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let total = sorted.len();
    let by_count: Vec<&Skill> = sorted.into_iter().take(limits.max_skills).collect();
    let fits = |skills: &[&Skill], format, note| {
        let text = render(skills, total, format, note);
        (text.chars().count() <= limits.max_chars).then_some(text)
    };
    if let Some(text) = fits(&by_count, Format::Full, true) {
        return text;
    }
    let mut chosen: &[&Skill] = &by_count;
    if fits(chosen, Format::Compact(0), true).is_none() {
        let n = largest_prefix(chosen.len(), |n| {
            fits(&chosen[..n], Format::Compact(0), true).is_some()
        });
        chosen = &by_count[..n];
    }
    if chosen.is_empty() && !by_count.is_empty() {
        if let Some(text) = fits(&by_count, Format::Full, false) {
            return text;
        }
        let n = largest_prefix(by_count.len(), |n| {
            fits(&by_count[..n], Format::Compact(0), false).is_some()
        });
        chosen = &by_count[..n];
    }
    let note = fits(chosen, Format::Compact(0), true).is_some();
    let mut description_max = 0;
    if !chosen.is_empty() && fits(chosen, Format::Compact(COMPACT_DESCRIPTION_MIN), note).is_some()
    {
        let (mut lo, mut hi) = (COMPACT_DESCRIPTION_MIN, COMPACT_DESCRIPTION_MAX);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if fits(chosen, Format::Compact(mid), note).is_some() {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        description_max = lo;
    }
    fits(chosen, Format::Compact(description_max), note).unwrap_or_default()
}

/// The largest `n` in `0..=len` for which `ok(n)` holds, `ok` being monotone.
fn largest_prefix(len: usize, ok: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

fn render(skills: &[&Skill], total: usize, format: Format, with_note: bool) -> String {
    if skills.is_empty() {
        return String::new();
    }
    let mut lines: Vec<String> = Vec::new();
    if with_note {
        let how = match format {
            Format::Compact(0) => " (compact: descriptions left out)",
            Format::Compact(_) => " (compact: descriptions shortened)",
            Format::Full => "",
        };
        if skills.len() < total {
            lines.push(format!(
                "Note: only {} of {total} skills are listed{how}. Run `rustyclaw skills check` to audit them.",
                skills.len()
            ));
        } else if format != Format::Full {
            lines.push(format!(
                "Note: the skills catalog is compact{how}. Run `rustyclaw skills check` to audit it."
            ));
        }
    }
    lines.push("Skills hold instructions for particular tasks.".to_owned());
    lines.push(match format {
        Format::Compact(0) => "When a task matches a skill's name, read its SKILL.md at the location given before acting.",
        _ => "When a task matches a skill's description, read its SKILL.md at the location given before acting.",
    }.to_owned());
    lines.push("Paths inside a skill are relative to its folder (the directory of its SKILL.md), and {baseDir} stands for that folder: make them absolute in commands.".to_owned());
    lines.push(String::new());
    lines.push("<available_skills>".to_owned());
    for skill in skills {
        lines.push("  <skill>".to_owned());
        lines.push(format!("    <name>{}</name>", escape(&skill.name)));
        let description = match format {
            Format::Full => Some(skill.description.clone()),
            Format::Compact(0) => None,
            Format::Compact(max) => {
                Some(shorten(&skill.description, max)).filter(|d| !d.is_empty())
            }
        };
        if let Some(description) = description {
            lines.push(format!(
                "    <description>{}</description>",
                escape(&description)
            ));
        }
        lines.push(format!(
            "    <location>{}</location>",
            escape(&skill.file_path.display().to_string())
        ));
        lines.push("  </skill>".to_owned());
    }
    lines.push("</available_skills>".to_owned());
    lines.join("\n")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Whitespace collapsed, cut to `max` characters with `...`.
fn shorten(text: &str, max: usize) -> String {
    let normalized = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if normalized.chars().count() <= max {
        return normalized;
    }
    if max <= 3 {
        return normalized.chars().take(max).collect();
    }
    let cut: String = normalized.chars().take(max - 3).collect();
    format!("{}...", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::skill::SkillSource;
    use std::path::PathBuf;

    fn skill(name: &str, description: &str) -> Skill {
        Skill {
            name: name.into(),
            description: description.into(),
            file_path: PathBuf::from(format!("/skills/{name}/SKILL.md")),
            base_dir: PathBuf::from(format!("/skills/{name}")),
            source: SkillSource::Managed,
            frontmatter: Default::default(),
            metadata: None,
            user_invocable: true,
            disable_model_invocation: false,
            tool_dispatch: None,
            content_hash: 0,
        }
    }

    #[test]
    fn the_full_catalog_lists_and_escapes_every_skill() {
        let a = skill("b-skill", "Uses <tags> & \"quotes\"");
        let b = skill("a-skill", "First");
        let text = catalog(&[&a, &b], PromptLimits::default());
        assert!(text.find("a-skill").unwrap() < text.find("b-skill").unwrap());
        assert!(
            text.contains("<description>Uses &lt;tags&gt; &amp; &quot;quotes&quot;</description>")
        );
        assert!(text.contains("<location>/skills/a-skill/SKILL.md</location>"));
        assert!(!text.contains("Note:"));
    }

    #[test]
    fn a_tight_budget_shortens_descriptions_before_dropping_skills() {
        let long = "word ".repeat(100);
        let skills: Vec<Skill> = (0..5).map(|i| skill(&format!("s{i}"), &long)).collect();
        let refs: Vec<&Skill> = skills.iter().collect();
        let limits = PromptLimits {
            max_skills: 150,
            max_chars: 1_500,
        };
        let text = catalog(&refs, limits);
        assert!(text.chars().count() <= 1_500);
        assert_eq!(text.matches("<skill>").count(), 5);
        assert!(text.contains("..."));
        assert!(text.contains("compact"));
        let tiny = catalog(
            &refs,
            PromptLimits {
                max_skills: 150,
                max_chars: 700,
            },
        );
        assert!(tiny.chars().count() <= 700);
        assert!(tiny.matches("<skill>").count() < 5);
        assert!(tiny.contains("only"));
    }

    #[test]
    fn max_skills_caps_the_count() {
        let skills: Vec<Skill> = (0..4).map(|i| skill(&format!("s{i}"), "d")).collect();
        let refs: Vec<&Skill> = skills.iter().collect();
        let text = catalog(
            &refs,
            PromptLimits {
                max_skills: 2,
                max_chars: 18_000,
            },
        );
        assert_eq!(text.matches("<skill>").count(), 2);
        assert!(text.contains("only 2 of 4"));
    }
}
