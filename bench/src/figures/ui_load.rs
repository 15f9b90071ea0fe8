//! The Control UI's load time: headless Chromium opens each gateway's own web UI, signed in
//! by the token in the URL, in a fresh browser profile every time (nothing cached), and times
//! the page's `load` event and the moment the UI is connected to its gateway.

use anyhow::{Context, Result};
use rustyclaw_testkit::browser::Browser;

use super::{Bench, progress};
use crate::fake::Reply;
use crate::report::{Figure, Goal};
use crate::target::{GatewayOptions, Kind};

use super::startup::READY_LIMIT;

/// Measures the load of each gateway's Control UI.
pub async fn ui_load(bench: &mut Bench) -> Result<Figure> {
    let mut figure = Figure::new(
        "uiload",
        "Control UI load",
        "Headless Chromium (Debian's, driven by playwright-core; `ui/tests/scenarios/\
         bench-ui-load.mjs`) opens the gateway's own Control UI on loopback with the token in \
         the URL fragment, in a fresh browser profile each time (cold cache): time from \
         navigation to the page's `load` event, and to the UI connected to the gateway \
         (rustyclaw: its status reads \"connected\"; OpenClaw: its chat composer is shown); \
         bytes are what the page transferred until then.",
    );
    let browser = Browser::from_env().context("the Control UI benchmark needs Chromium")?;
    let url = bench.base_url(Reply::Instant);
    for target in bench.targets.clone() {
        let runs = match target.kind {
            Kind::RustyClaw => bench.plan.ui_loads.0,
            Kind::OpenClaw => bench.plan.ui_loads.1,
        };
        let mut gateway = target.start(&url, GatewayOptions::default())?;
        gateway.wait_ready(READY_LIMIT).await?;
        let http = format!("http://{}", gateway.endpoint.addr);
        let runs_text = runs.to_string();
        let kind = target.kind.name().to_lowercase();
        let run = browser
            .run(
                "bench-ui-load",
                &[
                    ("URL", http.as_str()),
                    ("TOKEN", gateway.endpoint.token.as_str()),
                    ("KIND", kind.as_str()),
                    ("RUNS", runs_text.as_str()),
                ],
                std::time::Duration::from_secs(120 + 30 * runs as u64),
            )
            .await;
        gateway.stop().await;
        let run = run?;
        let loads: Vec<serde_json::Value> = run
            .facts()
            .into_iter()
            .filter(|f| f["fact"] == "load")
            .collect();
        let column =
            |field: &str| -> Vec<f64> { loads.iter().filter_map(|l| l[field].as_f64()).collect() };
        let (load, connected, bytes) = (column("loadMs"), column("connectedMs"), column("bytes"));
        progress(&format!(
            "{} UI load: {load:.0?} ms, connected {connected:.0?} ms",
            target.kind.name()
        ));
        let row = figure.row("navigation → `load` event", "ms");
        row.set(target.kind, &load);
        row.goal = Some(Goal::AtMost(300.0));
        let row = figure.row("navigation → connected", "ms");
        row.set(target.kind, &connected);
        let kilobytes: Vec<f64> = bytes.iter().map(|b| b / 1000.0).collect();
        let row = figure.row("transferred", "kB");
        row.set(target.kind, &kilobytes);
    }
    Ok(figure)
}
