//! A few iterations of every load generator against the real `rustyclaw` binary (and one
//! against the official OpenClaw when it is installed), so the harness cannot rot: each
//! figure must come back with real values in every row it measures.

use rustyclaw_bench::figures::{Bench, FIGURES, Plan};
use rustyclaw_bench::report::Figure;
use rustyclaw_bench::target::{Kind, Target};
use rustyclaw_testkit::RustyClaw;

fn rustyclaw() -> Target {
    let binary = RustyClaw::locate().unwrap();
    Target::rustyclaw(std::fs::canonicalize(binary.program()).unwrap())
}

/// Every row has a rustyclaw value, and every value is a number.
fn assert_measured(figure: &Figure) {
    assert!(!figure.rows.is_empty(), "{} has no rows", figure.id);
    for row in &figure.rows {
        let value = row
            .rustyclaw
            .unwrap_or_else(|| panic!("{}: {} has no value", figure.id, row.metric));
        assert!(value.median.is_finite(), "{}: {}", figure.id, row.metric);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_load_generator_measures_rustyclaw() {
    rustyclaw_bench::process::raise_open_files(4096);
    let mut bench = Bench::new(vec![rustyclaw()], Plan::smoke()).await.unwrap();
    for id in FIGURES {
        let figure = bench.figure(id).await.unwrap();
        assert_measured(&figure);
        match *id {
            "size" => assert!(figure.rows[0].rustyclaw.unwrap().median > 1.0),
            "turns" => {
                // Latency rows are milliseconds of real turns, RSS rows megabytes of a real
                // process tree.
                let rss = figure.rows.iter().find(|r| r.unit == "MB").unwrap();
                assert!(rss.rustyclaw.unwrap().median > 1.0);
            }
            "throughput" => assert!(figure.rows[0].rustyclaw.unwrap().median > 1.0),
            _ => {}
        }
    }
    // Both message runs left RSS samples for the chart.
    assert_eq!(bench.series.len(), 2);
    assert!(bench.series.iter().all(|s| s.points.len() >= 2));
    let svg = rustyclaw_bench::chart::rss_svg(&bench.series).unwrap();
    assert_eq!(svg.matches("<polyline").count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openclaw_target_starts_and_answers_turns() {
    // scripts/test.sh installs OpenClaw and exports these, as the conformance tests need.
    let (Ok(node), Ok(cli)) = (std::env::var("NODE"), std::env::var("OPENCLAW_CLI")) else {
        panic!(
            "NODE/OPENCLAW_CLI are not set: run scripts/conformance-deps.sh and \
             `set -a; . ~/.cache/rustyclaw-conformance/env; set +a`, as scripts/test.sh does"
        );
    };
    let mut bench = Bench::new(vec![Target::openclaw(node, cli)], Plan::smoke())
        .await
        .unwrap();
    let ready = bench.figure("ready").await.unwrap();
    let row = &ready.rows[0];
    assert!(row.openclaw.unwrap().median > 0.0, "{row:?}");
    assert!(row.rustyclaw.is_none());
    let tool = bench.figure("tool").await.unwrap();
    assert!(tool.rows[0].openclaw.unwrap().median > 0.0);
    // OpenClaw has no sandbox to switch off: one row, its own.
    assert_eq!(tool.rows.len(), 1, "{:?}", tool.rows);
    assert_eq!(bench.target(Kind::RustyClaw).map(|t| t.kind), None);
}
