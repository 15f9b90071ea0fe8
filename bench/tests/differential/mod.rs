//! The differential comparison runs: every command of the table against both gateways, and no
//! command the table in `docs/protocol.md` calls "same" has started to differ. The generated
//! table is left in `target/differential.md`; `cargo run -p rustyclaw-bench --bin differential
//! -- --write-docs` puts a new one in the docs.

use rustyclaw_bench::differential::{self, table};
use rustyclaw_bench::target::Target;
use rustyclaw_testkit::RustyClaw;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_cli_sees_the_same_from_both_gateways() {
    let (Ok(node), Ok(cli)) = (std::env::var("NODE"), std::env::var("OPENCLAW_CLI")) else {
        panic!(
            "NODE/OPENCLAW_CLI are not set: run scripts/conformance-deps.sh and \
             `set -a; . ~/.cache/rustyclaw-conformance/env; set +a`, as scripts/test.sh does"
        );
    };
    let binary = RustyClaw::locate().unwrap();
    let rustyclaw = Target::rustyclaw(std::fs::canonicalize(binary.program()).unwrap());
    let rows = differential::compare(&Target::openclaw(node, cli), &rustyclaw)
        .await
        .unwrap();
    // Every command, then the TUI session.
    assert_eq!(rows.len(), differential::SCRIPTS.len() + 1);
    let generated = table::markdown(&rows);
    let workspace = rustyclaw_bench::workspace();
    let _ = std::fs::write(workspace.join("target/differential.md"), &generated);

    let doc = std::fs::read_to_string(workspace.join("docs/protocol.md")).unwrap();
    let promised = table::marked_same(&doc);
    assert!(
        !promised.is_empty(),
        "docs/protocol.md has no differential table"
    );
    for command in promised {
        let row = rows
            .iter()
            .find(|r| r.command == command)
            .unwrap_or_else(|| panic!("{command} is in the docs' table but no longer run"));
        assert!(
            matches!(
                row.verdict,
                table::Verdict::Same | table::Verdict::SameExcept(_)
            ),
            "{command} is documented as the same on both gateways; now:\n{generated}"
        );
    }
}
