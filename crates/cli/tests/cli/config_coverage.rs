//! The list of OpenClaw's config paths the config crate's coverage test reads
//! (`crates/config/tests/data/openclaw-config-paths.txt`) is the installed official CLI's:
//! `openclaw config schema`, walked into property paths. When the pinned OpenClaw moves, this
//! fails with the paths that came and went; `RUSTYCLAW_UPDATE_OPENCLAW_PATHS=1` rewrites the
//! list (then the coverage test says which new keys rustyclaw must learn or warn about).

use std::path::Path;
use std::time::Duration;

use rustyclaw_testkit::conformance::OfficialCli;
use rustyclaw_testkit::schema_paths::schema_paths;
use serde_json::Value;

#[tokio::test]
async fn openclaw_config_paths_are_the_installed_clis() {
    let cli = OfficialCli::from_env().unwrap();
    let out = cli
        .run(&["config", "schema"], &[], Duration::from_secs(120))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths = schema_paths(&schema);
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../config/tests/data/openclaw-config-paths.txt");
    let text = std::fs::read_to_string(&file).unwrap();
    let header: Vec<&str> = text.lines().take_while(|l| l.starts_with('#')).collect();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    if std::env::var_os("RUSTYCLAW_UPDATE_OPENCLAW_PATHS").is_some() {
        let mut new = header.join("\n");
        new.push('\n');
        for path in &paths {
            new.push_str(path);
            new.push('\n');
        }
        std::fs::write(&file, new).unwrap();
        return;
    }
    let came: Vec<&String> = paths
        .iter()
        .filter(|p| !kept.contains(&p.as_str()))
        .collect();
    let went: Vec<&&str> = kept
        .iter()
        .filter(|k| !paths.iter().any(|p| p == *k))
        .collect();
    assert!(
        came.is_empty() && went.is_empty(),
        "the installed openclaw's config schema differs from the kept list \
         (rewrite it with RUSTYCLAW_UPDATE_OPENCLAW_PATHS=1):\nnew: {came:#?}\ngone: {went:#?}"
    );
}
