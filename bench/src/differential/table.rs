//! The differential table in `docs/protocol.md`, between two markers: one row per command,
//! with its verdict.

use super::{Observed, Script, differences};

/// The line before the table.
pub const START: &str = "<!-- differential:start -->";
/// The line after it.
pub const END: &str = "<!-- differential:end -->";

/// Differences shown per row.
const SHOWN: usize = 4;

/// How a command compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Identical after normalization.
    Same,
    /// Different; where.
    Differs(Vec<String>),
    /// Different by design; why, and where.
    ByDesign(String, Vec<String>),
    /// The same but for parts another issue owns or that differ by design: (why, where).
    SameExcept(Vec<(String, String)>),
    /// The feature belongs to another issue.
    NotYet(String),
}

/// One row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `openclaw <args>`.
    pub command: String,
    /// The verdict.
    pub verdict: Verdict,
}

/// The command line shown for `script`.
pub fn command_line(script: &Script) -> String {
    let args: Vec<String> = script
        .args
        .iter()
        .map(|a| {
            if a.contains(' ') || a.contains('{') {
                format!("'{a}'")
            } else {
                (*a).to_owned()
            }
        })
        .collect();
    format!("openclaw {}", args.join(" "))
}

/// The verdict for `script` from what both gateways gave.
pub fn verdict(script: &Script, openclaw: &Observed, rustyclaw: &Observed) -> Verdict {
    if script.shape_only && openclaw.code == rustyclaw.code && forms_within(rustyclaw, openclaw) {
        return Verdict::Same;
    }
    let all = differences(openclaw, rustyclaw, usize::MAX);
    let owner = |d: &str| {
        script
            .owned
            .iter()
            .find(|(part, _)| d.split('`').nth(1).is_some_and(|path| path.contains(part)))
            .map(|(_, issue)| (*issue).to_owned())
    };
    let (owned, found): (Vec<String>, Vec<String>) =
        all.into_iter().partition(|d| owner(d).is_some());
    let mut found = found;
    found.truncate(SHOWN);
    match (found.is_empty(), script.by_design) {
        (true, _) if owned.is_empty() => Verdict::Same,
        (true, _) => {
            let mut issues: Vec<(String, String)> = Vec::new();
            for d in owned {
                let issue = owner(&d).unwrap_or_default();
                let path = d.split('`').nth(1).unwrap_or_default().to_owned();
                if !issues.iter().any(|(i, _)| *i == issue) {
                    issues.push((issue, path));
                }
            }
            Verdict::SameExcept(issues)
        }
        (false, Some(why)) => Verdict::ByDesign(why.to_owned(), found),
        (false, None) => Verdict::Differs(found),
    }
}

/// Whether every record type in `ours` is one of `theirs`, its keys among theirs (see
/// `normalize::shape`): a tail of a log holds a different mix of lines each run, so the forms
/// are compared, not which of them the last few lines happen to use.
fn forms_within(ours: &Observed, theirs: &Observed) -> bool {
    use serde_json::Value;
    match (&ours.stdout, &theirs.stdout) {
        (Value::Object(a), Value::Object(b)) => a.iter().all(|(kind, keys)| {
            let (Some(ours), Some(theirs)) =
                (keys.as_array(), b.get(kind).and_then(Value::as_array))
            else {
                return false;
            };
            ours.iter().all(|key| theirs.contains(key))
        }),
        (a, b) => a == b,
    }
}

/// The table, markers included.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = vec![
        START.to_owned(),
        "| command | result |".to_owned(),
        "|---|---|".to_owned(),
    ];
    for row in rows {
        let result = match &row.verdict {
            Verdict::Same => "same".to_owned(),
            Verdict::Differs(found) => format!("differs: {}", found.join("; ")),
            Verdict::ByDesign(why, found) => {
                format!("differs by design — {why}: {}", found.join("; "))
            }
            Verdict::NotYet(issue) => format!("not yet ({issue})"),
            Verdict::SameExcept(owned) => format!(
                "same, except {}",
                owned
                    .iter()
                    .map(|(issue, path)| format!("`{path}` ({issue})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out.push(format!(
            "| `{}` | {} |",
            row.command.replace('|', "\\|"),
            result.replace('|', "\\|").replace('\n', " ")
        ));
    }
    out.push(END.to_owned());
    out.join("\n")
}

/// `doc` with its table replaced by `table`; `None` when the markers are missing.
pub fn replace(doc: &str, table: &str) -> Option<String> {
    let start = doc.find(START)?;
    let end = doc[start..].find(END)? + start + END.len();
    Some(format!("{}{table}{}", &doc[..start], &doc[end..]))
}

/// The commands the table in `doc` marks `same`.
pub fn marked_same(doc: &str) -> Vec<String> {
    let Some(start) = doc.find(START) else {
        return Vec::new();
    };
    doc[start..]
        .lines()
        .take_while(|l| !l.starts_with(END))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let result = cells.get(1).map(|c| c.trim_end_matches(" |").trim());
            (cells.len() == 2
                && result.is_some_and(|r| r == "same" || r.starts_with("same, except")))
            .then(|| {
                cells[0]
                    .trim_start_matches("| ")
                    .trim_matches('`')
                    .replace("\\|", "|")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_tails_compare_by_the_forms_of_their_lines() {
        use crate::differential::normalize::shape;
        use serde_json::json;
        let script = Script {
            args: &["logs", "--json"],
            shape_only: true,
            ..crate::differential::SCRIPTS[0]
        };
        let observed = |lines: serde_json::Value| Observed {
            code: Some(0),
            stdout: shape(&lines),
        };
        let theirs = observed(json!([
            {"type": "meta", "file": "a", "cursor": 1},
            {"type": "log", "time": "t", "level": "info", "subsystem": "s", "message": "m"},
            {"type": "log", "time": "t", "level": "warn", "message": "no subsystem"},
        ]));
        let ours = observed(json!([
            {"type": "meta", "file": "b", "cursor": 9},
            {"type": "log", "time": "t", "level": "info", "subsystem": "gateway/conn", "message": "x"},
        ]));
        assert_eq!(verdict(&script, &theirs, &ours), Verdict::Same);
        let odd = observed(json!([{"type": "log", "extra": 1}]));
        assert_ne!(verdict(&script, &theirs, &odd), Verdict::Same);
    }

    #[test]
    fn the_table_round_trips_through_the_document() {
        let rows = vec![
            Row {
                command: "openclaw health --json".into(),
                verdict: Verdict::Same,
            },
            Row {
                command: "openclaw cron list --json".into(),
                verdict: Verdict::NotYet("#19 automation".into()),
            },
        ];
        let table = markdown(&rows);
        let doc = format!("intro\n{START}\nold\n{END}\nafter\n");
        let new = replace(&doc, &table).unwrap();
        assert!(new.starts_with("intro\n") && new.ends_with("\nafter\n"));
        assert!(new.contains("| `openclaw cron list --json` | not yet (#19 automation) |"));
        assert_eq!(marked_same(&new), ["openclaw health --json"]);
    }
}
