//! What a benchmark run produced, and how it is written: JSON (for later comparison) and the
//! generated section of `docs/benchmarks.md` (tables, machine, versions, commands).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::stats::Summary;
use crate::target::Kind;

/// A limit a figure should meet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Goal {
    /// At most this much.
    AtMost(f64),
    /// At least this much.
    AtLeast(f64),
}

impl Goal {
    fn met(self, value: f64) -> bool {
        match self {
            Self::AtMost(limit) => value <= limit,
            Self::AtLeast(limit) => value >= limit,
        }
    }

    fn text(self, unit: &str) -> String {
        match self {
            Self::AtMost(limit) => format!("≤ {} {unit}", number(limit)),
            Self::AtLeast(limit) => format!("≥ {} {unit}", number(limit)),
        }
    }
}

/// One line of a figure's table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// What is measured.
    pub metric: String,
    /// Its unit.
    pub unit: String,
    /// rustyclaw's runs.
    pub rustyclaw: Option<Summary>,
    /// OpenClaw's runs.
    pub openclaw: Option<Summary>,
    /// rustyclaw's target, when the issue sets one.
    pub goal: Option<Goal>,
    /// More is better (rates); the ratio is then rustyclaw ÷ OpenClaw.
    #[serde(default)]
    pub higher_is_better: bool,
}

impl Row {
    /// A row with no values yet.
    pub fn new(metric: impl Into<String>, unit: &str) -> Self {
        Self {
            metric: metric.into(),
            unit: unit.to_owned(),
            rustyclaw: None,
            openclaw: None,
            goal: None,
            higher_is_better: false,
        }
    }

    /// Sets `kind`'s runs.
    pub fn set(&mut self, kind: Kind, runs: &[f64]) {
        let summary = Summary::of(runs);
        match kind {
            Kind::RustyClaw => self.rustyclaw = summary,
            Kind::OpenClaw => self.openclaw = summary,
        }
    }

    /// Sets rustyclaw's target.
    pub fn goal(mut self, goal: Goal) -> Self {
        self.goal = Some(goal);
        self
    }

    /// Whether rustyclaw's median meets the target (`None` without target or value).
    pub fn met(&self) -> Option<bool> {
        Some(self.goal?.met(self.rustyclaw?.median))
    }
}

/// One figure: a table and how it was measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figure {
    /// Stable id, also the `bench` subcommand that measures it.
    pub id: String,
    /// Heading.
    pub title: String,
    /// How it is measured, in a sentence or two.
    pub how: String,
    /// Table rows.
    pub rows: Vec<Row>,
    /// Remarks the numbers need (sample sizes, what differs between the two).
    pub notes: Vec<String>,
}

impl Figure {
    /// An empty figure.
    pub fn new(id: &str, title: &str, how: &str) -> Self {
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            how: how.to_owned(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The row named `metric`, created with `unit` if missing.
    pub fn row(&mut self, metric: &str, unit: &str) -> &mut Row {
        if let Some(i) = self.rows.iter().position(|r| r.metric == metric) {
            return &mut self.rows[i];
        }
        self.rows.push(Row::new(metric, unit));
        let last = self.rows.len() - 1;
        &mut self.rows[last]
    }
}

/// RSS sampled while a conversation runs, for the chart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Series {
    /// Which gateway.
    pub kind: Kind,
    /// Which run (e.g. "one session").
    pub scenario: String,
    /// (turns completed, RSS in MB).
    pub points: Vec<(u64, f64)>,
}

/// Everything one `bench` invocation measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    /// When (UTC, RFC 3339).
    pub date: String,
    /// `--quick` or the full run.
    pub quick: bool,
    /// CPU, cores, memory, kernel.
    pub machine: String,
    /// Versions of everything measured.
    pub versions: Vec<(String, String)>,
    /// The command that produced this.
    pub command: String,
    /// Figures in order.
    pub figures: Vec<Figure>,
    /// RSS over the message runs.
    pub series: Vec<Series>,
}

/// Formats a number with a sensible precision for tables.
pub fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1000.0 {
        let whole = value.round() as i64;
        let digits = whole.unsigned_abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if whole < 0 {
            grouped.insert(0, '-');
        }
        grouped
    } else if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 0.1 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

fn cell(summary: Option<Summary>) -> String {
    match summary {
        None => "—".to_owned(),
        Some(s) if s.runs == 1 => number(s.median),
        Some(s) => format!(
            "{} ({}–{}, n={})",
            number(s.median),
            number(s.min),
            number(s.max),
            s.runs
        ),
    }
}

/// The generated Markdown: run header, then a table per figure.
pub fn markdown(results: &Results, chart_file: Option<&str>) -> String {
    let mut out = String::new();
    let mode = if results.quick {
        "quick run (`--quick`: fewer iterations, shorter settle times)"
    } else {
        "full run"
    };
    let _ = writeln!(out, "Measured {} — {mode}.\n", results.date);
    let _ = writeln!(out, "- Machine: {}", results.machine);
    for (name, version) in &results.versions {
        let _ = writeln!(out, "- {name}: {version}");
    }
    let _ = writeln!(out, "- Command: `{}`\n", results.command);
    let _ = writeln!(
        out,
        "Cells are the median over runs, with (min–max, n=runs) when there were several. \
         Ratio = OpenClaw ÷ rustyclaw (for rates: rustyclaw ÷ OpenClaw), so larger means \
         rustyclaw is ahead.\n"
    );
    for figure in &results.figures {
        let _ = writeln!(out, "### {}\n", figure.title);
        let _ = writeln!(out, "{}\n", figure.how);
        let _ = writeln!(out, "Reproduce: `./bench/run.sh {}`\n", figure.id);
        let _ = writeln!(
            out,
            "| metric | rustyclaw | OpenClaw | ratio | rustyclaw target |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|");
        for row in &figure.rows {
            let ratio = match (row.rustyclaw, row.openclaw) {
                (Some(r), Some(o)) if r.median > 0.0 && o.median > 0.0 => {
                    let higher_is_better =
                        row.higher_is_better || matches!(row.goal, Some(Goal::AtLeast(_)));
                    let ratio = if higher_is_better {
                        r.median / o.median
                    } else {
                        o.median / r.median
                    };
                    format!("{}×", number(ratio))
                }
                _ => "—".to_owned(),
            };
            let goal = match (row.goal, row.met()) {
                (Some(goal), Some(true)) => format!("{} ✅", goal.text(&row.unit)),
                (Some(goal), Some(false)) => format!("{} ❌ missed", goal.text(&row.unit)),
                (Some(goal), None) => goal.text(&row.unit),
                (None, _) => "report".to_owned(),
            };
            let _ = writeln!(
                out,
                "| {} ({}) | {} | {} | {ratio} | {goal} |",
                row.metric,
                row.unit,
                cell(row.rustyclaw),
                cell(row.openclaw)
            );
        }
        for note in &figure.notes {
            let _ = writeln!(out, "\n{note}");
        }
        out.push('\n');
    }
    if let Some(chart) = chart_file {
        let _ = writeln!(out, "### RSS over the message runs\n");
        let _ = writeln!(out, "![RSS over the message runs]({chart})\n");
    }
    out
}

/// Replaces the text between the `<!-- bench:begin -->` and `<!-- bench:end -->` markers of
/// `document` with `generated` (appending the markers when missing), keeping everything else.
pub fn splice(document: &str, generated: &str) -> String {
    const BEGIN: &str = "<!-- bench:begin -->";
    const END: &str = "<!-- bench:end -->";
    match (document.find(BEGIN), document.find(END)) {
        (Some(begin), Some(end)) if begin < end => format!(
            "{}{BEGIN}\n{generated}{}",
            &document[..begin],
            &document[end..]
        ),
        _ => format!("{document}\n{BEGIN}\n{generated}{END}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well_at_every_magnitude() {
        assert_eq!(number(50_000.0), "50,000");
        assert_eq!(number(1234.4), "1,234");
        assert_eq!(number(250.2), "250");
        assert_eq!(number(16.84), "16.8");
        assert_eq!(number(1.234), "1.23");
        assert_eq!(number(0.0123), "0.012");
    }

    #[test]
    fn a_missed_target_is_flagged_and_the_ratio_favours_the_faster() {
        let mut figure = Figure::new("x", "X", "how");
        let row = figure.row("latency", "ms");
        row.set(Kind::RustyClaw, &[2.0, 3.0, 4.0]);
        row.set(Kind::OpenClaw, &[240.0]);
        row.goal = Some(Goal::AtMost(1.0));
        let results = Results {
            date: "d".into(),
            quick: true,
            machine: "m".into(),
            versions: vec![],
            command: "c".into(),
            figures: vec![figure],
            series: vec![],
        };
        let text = markdown(&results, None);
        assert!(
            text.contains(
                "| latency (ms) | 3.00 (2.00–4.00, n=3) | 240 | 80.0× | ≤ 1.00 ms ❌ missed |"
            ),
            "{text}"
        );
    }

    #[test]
    fn splicing_keeps_the_hand_written_text_around_the_markers() {
        let doc = "intro\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nanalysis\n";
        assert_eq!(
            splice(doc, "new\n"),
            "intro\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\nanalysis\n"
        );
        assert!(
            splice("intro\n", "new\n").ends_with("<!-- bench:begin -->\nnew\n<!-- bench:end -->\n")
        );
    }
}
