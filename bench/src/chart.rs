//! The RSS-over-turns chart as a standalone SVG: one line per gateway and scenario, turns on
//! x, RSS on a logarithmic y axis (the two gateways differ by two orders of magnitude, so a
//! linear axis would flatten one of them into the floor).

use std::fmt::Write as _;

use crate::report::Series;
use crate::target::Kind;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 190.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// Renders `series` (empty ones are skipped); `None` when there is nothing to draw.
pub fn rss_svg(series: &[Series]) -> Option<String> {
    let drawn: Vec<&Series> = series.iter().filter(|s| !s.points.is_empty()).collect();
    let max_turns = drawn
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .max()?
        .max(1) as f64;
    let rss = drawn.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (lo, hi) = rss.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    // Decades that enclose every value: 1, 10, 100, 1000 MB…
    let low_exp = lo.max(0.1).log10().floor();
    let high_exp = hi.max(lo * 1.01).log10().ceil().max(low_exp + 1.0);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |turns: f64| LEFT + turns / max_turns * plot_w;
    let y = |mb: f64| {
        let t = (mb.max(0.1).log10() - low_exp) / (high_exp - low_exp);
        TOP + (1.0 - t) * plot_h
    };

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="100%" height="100%" fill="white"/><text x="{LEFT}" y="22" font-size="15">Gateway RSS (all processes) during chat.send turns</text>"#
    );
    // Axes, decade grid lines and labels.
    let mut exp = low_exp;
    while exp <= high_exp {
        let mb = 10f64.powf(exp);
        let gy = y(mb);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{gy:.1}" x2="{:.1}" y2="{gy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{} MB</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            gy + 4.0,
            crate::report::number(mb)
        );
        exp += 1.0;
    }
    for i in 0..=4 {
        let turns = max_turns * f64::from(i) / 4.0;
        let gx = x(turns);
        let _ = writeln!(
            svg,
            r##"<line x1="{gx:.1}" y1="{TOP}" x2="{gx:.1}" y2="{:.1}" stroke="#eee"/><text x="{gx:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            TOP + plot_h,
            TOP + plot_h + 18.0,
            turns.round()
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">turns completed</text><rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="black"/>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 10.0
    );
    for (i, series) in drawn.iter().enumerate() {
        let color = match series.kind {
            Kind::RustyClaw => "#c2410c",
            Kind::OpenClaw => "#1d4ed8",
        };
        let dash = if series.scenario.contains("100") {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let points: Vec<String> = series
            .points
            .iter()
            .map(|(turns, mb)| format!("{:.1},{:.1}", x(*turns as f64), y(*mb)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="{}"/>"#,
            points.join(" ")
        );
        let ly = TOP + 10.0 + 20.0 * i as f64;
        let lx = LEFT + plot_w + 12.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{color}" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}">{} · {}</text>"#,
            lx + 24.0,
            lx + 30.0,
            ly + 4.0,
            series.kind.name(),
            series.scenario
        );
    }
    svg.push_str("</svg>\n");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_gateways_get_a_line_and_a_legend() {
        let series = vec![
            Series {
                kind: Kind::RustyClaw,
                scenario: "one session".into(),
                points: vec![(0, 6.0), (500, 7.0), (1000, 7.5)],
            },
            Series {
                kind: Kind::OpenClaw,
                scenario: "100 sessions".into(),
                points: vec![(0, 800.0), (1000, 1600.0)],
            },
        ];
        let svg = rss_svg(&series).unwrap();
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("rustyclaw · one session"));
        assert!(svg.contains("OpenClaw · 100 sessions"));
        assert!(svg.contains("1,000 MB"), "{svg}");
        assert!(rss_svg(&[]).is_none());
    }
}
