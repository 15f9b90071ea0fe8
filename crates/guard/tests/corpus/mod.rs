//! The corpus: every entry is labelled with the decision the default thresholds must reach.
//! Benign entries are things an assistant does all day; malicious ones are real-world attack
//! shapes and the evasions that hide them. A failure prints the score and the findings.

mod commands;
mod content;

use rustyclaw_guard::{Assessment, Decision, GuardMode, Thresholds, Verdict};

/// Checks every `(input, expected)` pair and reports all mismatches at once.
fn check(corpus: &[(&str, Decision)], thresholds: Thresholds, assess: impl Fn(&str) -> Assessment) {
    let mut failures = Vec::new();
    for (input, expected) in corpus {
        let assessment = assess(input);
        let verdict = Verdict::of(&assessment, thresholds, GuardMode::Enforce);
        if verdict.decision != *expected {
            failures.push(format!(
                "{expected:?} expected, got {:?} (score {}): {input:?}\n    {}",
                verdict.decision,
                assessment.score,
                assessment.summary()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus entries decided wrongly:\n{}",
        failures.len(),
        corpus.len(),
        failures.join("\n")
    );
}
