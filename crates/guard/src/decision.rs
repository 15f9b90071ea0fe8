//! From a score to what happens: thresholds, the guard mode and the verdict.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::assessment::Assessment;

/// What a score calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Go ahead, but tell the user and record it.
    Review,
    /// Do not act; record the payload.
    Block,
}

impl Decision {
    /// `allow`, `review` or `block`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Review => "review",
            Decision::Block => "block",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the guards act on their decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GuardMode {
    /// Review and block as decided.
    #[default]
    Enforce,
    /// Decide and record, but let everything through (for tuning thresholds on real traffic).
    AuditOnly,
    /// Do not assess at all.
    Off,
}

impl GuardMode {
    /// `enforce`, `audit` or `off` (the config's spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            GuardMode::Enforce => "enforce",
            GuardMode::AuditOnly => "audit",
            GuardMode::Off => "off",
        }
    }
}

/// Score limits: a score at or above `review` is reviewed, at or above `block` is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Thresholds {
    /// Lowest score that is reviewed (0–100).
    pub review: u8,
    /// Lowest score that is blocked (0–100, at least `review`).
    pub block: u8,
}

impl Thresholds {
    /// Defaults for commands: review at 40, block at 80.
    pub const COMMAND: Thresholds = Thresholds {
        review: 40,
        block: 80,
    };
    /// Defaults for content (tool output, fetched pages, files): review at 35, block at 70.
    pub const CONTENT: Thresholds = Thresholds {
        review: 35,
        block: 70,
    };

    /// What `score` calls for. A clean assessment (score 0) is always allowed, even with a
    /// threshold of 0, so "review everything" still means "everything suspicious".
    pub fn decide(self, score: u8) -> Decision {
        if score == 0 {
            Decision::Allow
        } else if score >= self.block {
            Decision::Block
        } else if score >= self.review {
            Decision::Review
        } else {
            Decision::Allow
        }
    }
}

/// A decision and what is done about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Verdict {
    /// What the thresholds call for.
    pub decision: Decision,
    /// The mode it was taken under.
    pub mode: GuardMode,
}

impl Verdict {
    /// The verdict on `assessment`.
    pub fn of(assessment: &Assessment, thresholds: Thresholds, mode: GuardMode) -> Self {
        let decision = match mode {
            GuardMode::Off => Decision::Allow,
            GuardMode::Enforce | GuardMode::AuditOnly => thresholds.decide(assessment.score),
        };
        Self { decision, mode }
    }

    /// What actually happens: the decision when enforcing, always `Allow` otherwise.
    pub fn effective(self) -> Decision {
        match self.mode {
            GuardMode::Enforce => self.decision,
            GuardMode::AuditOnly | GuardMode::Off => Decision::Allow,
        }
    }

    /// Whether it is worth recording (a review or block, enforced or not).
    pub fn is_notable(self) -> bool {
        self.decision != Decision::Allow
    }

    /// The label recorded in the audit log and the quarantine: `block`, `review`, `allow`, or
    /// `would-block` / `would-review` in audit-only mode.
    pub fn label(self) -> &'static str {
        match (self.mode, self.decision) {
            (_, Decision::Allow) => "allow",
            (GuardMode::AuditOnly | GuardMode::Off, Decision::Review) => "would-review",
            (GuardMode::AuditOnly | GuardMode::Off, Decision::Block) => "would-block",
            (GuardMode::Enforce, decision) => decision.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment::Finding;
    use crate::rules::{ENVIRONMENT_DUMP, PRIVILEGE_ESCALATION, RM_ROOT};

    fn scored(rules: &[&'static crate::rules::Rule]) -> Assessment {
        Assessment::from_findings(rules.iter().map(|r| Finding::new(r, "x")))
    }

    #[test]
    fn thresholds_split_scores_into_three_bands() {
        let t = Thresholds::COMMAND;
        assert_eq!(t.decide(0), Decision::Allow);
        assert_eq!(t.decide(39), Decision::Allow);
        assert_eq!(t.decide(40), Decision::Review);
        assert_eq!(t.decide(79), Decision::Review);
        assert_eq!(t.decide(80), Decision::Block);
        let everything = Thresholds {
            review: 0,
            block: 0,
        };
        assert_eq!(everything.decide(0), Decision::Allow);
        assert_eq!(everything.decide(1), Decision::Block);
    }

    #[test]
    fn audit_only_records_what_would_have_happened_but_allows() {
        let severe = scored(&[&RM_ROOT]);
        let enforce = Verdict::of(&severe, Thresholds::COMMAND, GuardMode::Enforce);
        assert_eq!(
            (enforce.decision, enforce.effective(), enforce.label()),
            (Decision::Block, Decision::Block, "block")
        );
        let audit = Verdict::of(&severe, Thresholds::COMMAND, GuardMode::AuditOnly);
        assert_eq!(
            (audit.decision, audit.effective(), audit.label()),
            (Decision::Block, Decision::Allow, "would-block")
        );
        let review = Verdict::of(
            &scored(&[&PRIVILEGE_ESCALATION]),
            Thresholds::COMMAND,
            GuardMode::AuditOnly,
        );
        assert_eq!(review.label(), "would-review");
        assert!(review.is_notable());
        let off = Verdict::of(&severe, Thresholds::COMMAND, GuardMode::Off);
        assert_eq!((off.decision, off.label()), (Decision::Allow, "allow"));
        assert!(!off.is_notable());
        let weak = Verdict::of(
            &scored(&[&ENVIRONMENT_DUMP]),
            Thresholds::COMMAND,
            GuardMode::Enforce,
        );
        assert!(!weak.is_notable());
    }
}
