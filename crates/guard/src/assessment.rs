//! What a scorer returns: findings (which rule matched, on what) and the combined score.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::rules::{self, Rule};

/// Longest excerpt kept in a finding, in characters.
pub const MAX_EXCERPT_CHARS: usize = 80;

/// The kind of risk a rule detects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Deletes or overwrites data, disks or the system (`rm -rf /`, `mkfs`, fork bombs).
    Destructive,
    /// Gains or keeps more privileges (`sudo`, setuid, sudoers, authorized_keys, cron).
    PrivilegeEscalation,
    /// Runs code fetched or decoded on the fly (`curl … | sh`, `base64 -d | sh`).
    PipeToShell,
    /// Reads secrets or sends data off the machine, or (in content) asks for that.
    Exfiltration,
    /// Hands a shell to a remote party (`nc -e`, `bash -i >& /dev/tcp/…`).
    ReverseShell,
    /// Covers tracks or disables defences (history, logs, audit, firewall).
    Tampering,
    /// Hides what a command does (quote splitting, `${IFS}`, encoded payloads).
    Obfuscation,
    /// Text that tries to replace the assistant's instructions.
    InstructionOverride,
    /// Text a human reader would not see (zero-width, bidi, tag characters, hidden HTML).
    HiddenText,
}

impl Category {
    /// The kebab-case name used in JSON and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Destructive => "destructive",
            Category::PrivilegeEscalation => "privilege-escalation",
            Category::PipeToShell => "pipe-to-shell",
            Category::Exfiltration => "exfiltration",
            Category::ReverseShell => "reverse-shell",
            Category::Tampering => "tampering",
            Category::Obfuscation => "obfuscation",
            Category::InstructionOverride => "instruction-override",
            Category::HiddenText => "hidden-text",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's stable id (`download-piped-to-shell`, `ignore-previous-instructions`, …).
    pub rule: &'static str,
    /// What kind of risk it is.
    pub category: Category,
    /// How much it adds to the score (0–100).
    pub weight: u8,
    /// A short piece of what matched (at most [`MAX_EXCERPT_CHARS`] characters), for humans.
    pub excerpt: String,
}

impl Finding {
    /// A finding of `rule` on `matched` (shortened to an excerpt).
    pub(crate) fn new(rule: &'static Rule, matched: &str) -> Self {
        Self {
            rule: rule.id,
            category: rule.category,
            weight: rule.weight,
            excerpt: excerpt(matched),
        }
    }
}

/// A finding as read back from JSON (a tool's details, the quarantine).
#[derive(Deserialize)]
struct StoredFinding {
    rule: String,
    category: Category,
    weight: u8,
    excerpt: String,
}

/// Findings carry `&'static str` ids so they compare and match cheaply; reading one back maps
/// the id onto the rule table, and an id this build does not know is an error rather than a
/// silently invented rule.
impl<'de> Deserialize<'de> for Finding {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = StoredFinding::deserialize(deserializer)?;
        let rule = rules::by_id(&stored.rule).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown guard rule {:?}", stored.rule))
        })?;
        Ok(Self {
            rule: rule.id,
            category: stored.category,
            weight: stored.weight,
            excerpt: stored.excerpt,
        })
    }
}

/// The result of scoring one command or one piece of content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// 0 (nothing found) to 100: the weights of the distinct rules that matched, summed and
    /// capped, so several weak signals add up and one severe rule is enough on its own.
    pub score: u8,
    /// Each matched rule once, heaviest first.
    pub findings: Vec<Finding>,
}

impl Assessment {
    /// An assessment of `findings`: one finding per rule (the first seen), heaviest first.
    pub fn from_findings(findings: impl IntoIterator<Item = Finding>) -> Self {
        let mut unique: Vec<Finding> = Vec::new();
        for finding in findings {
            if !unique.iter().any(|f| f.rule == finding.rule) {
                unique.push(finding);
            }
        }
        // Stable sort: among equal weights the order of discovery is kept.
        unique.sort_by_key(|f| std::cmp::Reverse(f.weight));
        let total: u32 = unique.iter().map(|f| u32::from(f.weight)).sum();
        Self {
            score: u8::try_from(total.min(100)).unwrap_or(100),
            findings: unique,
        }
    }

    /// Whether no rule matched.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// The ids of the matched rules, heaviest first.
    pub fn rules(&self) -> Vec<&'static str> {
        self.findings.iter().map(|f| f.rule).collect()
    }

    /// Both assessments' findings scored together (a rule found by both counts once).
    #[must_use]
    pub fn merge(self, other: Assessment) -> Assessment {
        Assessment::from_findings(self.findings.into_iter().chain(other.findings))
    }

    /// `rule ("excerpt"); rule ("excerpt")`, for messages shown to the model and the user.
    pub fn summary(&self) -> String {
        self.findings
            .iter()
            .map(|f| format!("{} ({:?})", f.rule, f.excerpt))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// `text` on one line, cut to [`MAX_EXCERPT_CHARS`] characters (never inside a character).
pub(crate) fn excerpt(text: &str) -> String {
    let flat: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if flat.chars().count() <= MAX_EXCERPT_CHARS {
        return flat;
    }
    let mut cut: String = flat.chars().take(MAX_EXCERPT_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{ENVIRONMENT_DUMP, FILE_UPLOAD, RM_ROOT, SECRET_PATH};

    #[test]
    fn weights_of_distinct_rules_add_up_and_cap_at_100() {
        let weak = Assessment::from_findings([
            Finding::new(&ENVIRONMENT_DUMP, "env"),
            Finding::new(&SECRET_PATH, "~/.ssh"),
            Finding::new(&SECRET_PATH, "~/.aws/credentials"),
        ]);
        assert_eq!(
            weak.score,
            ENVIRONMENT_DUMP.weight + SECRET_PATH.weight,
            "a repeated rule counts once"
        );
        assert_eq!(weak.rules(), [SECRET_PATH.id, ENVIRONMENT_DUMP.id]);
        assert_eq!(weak.findings[0].excerpt, "~/.ssh", "first excerpt kept");

        let severe = Assessment::from_findings([
            Finding::new(&RM_ROOT, "rm -rf /"),
            Finding::new(&FILE_UPLOAD, "curl -T x"),
        ]);
        assert_eq!(severe.score, 100);
        assert_eq!(weak.clone().merge(severe.clone()).score, 100);
        assert_eq!(weak.clone().merge(weak.clone()), weak);
        assert!(Assessment::default().is_clean());
    }

    #[test]
    fn excerpts_are_short_single_line_and_cut_on_char_boundaries() {
        assert_eq!(excerpt("rm  -rf\n/"), "rm -rf /");
        let long = "é".repeat(200);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), MAX_EXCERPT_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn findings_round_trip_through_json_and_unknown_rules_are_refused() {
        let assessment = Assessment::from_findings([Finding::new(&RM_ROOT, "rm -rf /")]);
        let json = serde_json::to_value(&assessment).unwrap();
        assert_eq!(json["findings"][0]["rule"], "rm-root");
        assert_eq!(json["findings"][0]["category"], "destructive");
        let back: Assessment = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, assessment);
        let mut bad = json;
        bad["findings"][0]["rule"] = "made-up".into();
        assert!(serde_json::from_value::<Assessment>(bad).is_err());
    }
}
