use super::{conformance, rc};
use rustyclaw_testkit::TempStateDir;
use serde_json::Value;

#[tokio::test]
async fn openclaw_transcripts_round_trip_through_the_store() {
    let dir = TempStateDir::new().unwrap();
    let source = conformance("transcript-events-bench-head.jsonl");
    let out = rc(&dir)
        .args(["sessions", "import"])
        .arg(&source)
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert!(
        out.stdout_str().contains("agent:main:explicit:bench"),
        "{}",
        out.stdout_str()
    );

    let out = rc(&dir)
        .args(["sessions", "list", "--json"])
        .run()
        .await
        .unwrap();
    let list: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(list["sessions"][0]["key"], "agent:main:explicit:bench");

    let exported = dir.root().join("out.jsonl");
    let out = rc(&dir)
        .args(["sessions", "export", "agent:main:explicit:bench", "-o"])
        .arg(&exported)
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let original = std::fs::read_to_string(&source).unwrap();
    let round = std::fs::read_to_string(&exported).unwrap();
    let lines = |t: &str| {
        t.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(lines(&original), lines(&round));

    let out = rc(&dir)
        .args(["sessions", "export", "bench"])
        .run()
        .await
        .unwrap();
    assert_eq!(
        lines(&out.stdout_str()).len(),
        lines(&original).len(),
        "export by session id to stdout"
    );
}

#[tokio::test]
async fn a_malformed_transcript_is_rejected_with_its_line_and_nothing_stored() {
    let dir = TempStateDir::new().unwrap();
    let file = dir.root().join("bad.jsonl");
    std::fs::write(&file, "{\"type\":\"session\",\"version\":4,\"id\":\"s1\",\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"cwd\":\"/w\"}\nnot json\n").unwrap();
    let out = rc(&dir)
        .args(["sessions", "import"])
        .arg(&file)
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1));
    assert!(out.stderr_str().contains("line 2"), "{}", out.stderr_str());
    let out = rc(&dir)
        .args(["sessions", "list", "--json"])
        .run()
        .await
        .unwrap();
    let list: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(list["count"], 0);
}
