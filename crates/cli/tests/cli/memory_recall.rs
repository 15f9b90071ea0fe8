//! Memory end to end, in the real binary: the model writes a preference to today's note with
//! its file tools; in a new session it finds it with `memory_search`, which cites the file and
//! line, by words (no embedding provider configured); `memory_get` reads it back; and the
//! `rustyclaw memory` commands see the same index.

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use serde_json::{Value, json};

use super::rc;

const KEY: &str = "sk-fake-memory-secret-1234567890";

fn today() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

fn write_config(dir: &TempStateDir, fake: &FakeLlm) {
    super::write_fake_model_config(dir, fake, "${FAKE_API_KEY}");
}

/// Writes memory files of the workspace (`path` relative to it).
fn seed(dir: &TempStateDir, files: &[(&str, &str)]) {
    for (path, text) in files {
        let file = dir.workspace().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
}

/// Runs one `rustyclaw agent --local` turn (in the session `session_id` when given) and
/// checks that it succeeded.
async fn turn(
    dir: &TempStateDir,
    session_id: Option<&str>,
    message: &str,
) -> rustyclaw_testkit::Output {
    let mut args = vec!["agent", "--local"];
    if let Some(id) = session_id {
        args.extend(["--session-id", id]);
    }
    args.extend(["-m", message]);
    let out = rc(dir)
        .env("FAKE_API_KEY", KEY)
        .args(args)
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    out
}

/// The tool results the model was given in request `index`, by tool call id.
fn tool_results(fake: &FakeLlm, index: usize) -> Vec<(String, String)> {
    let body: Value = fake.requests()[index].body.clone().unwrap();
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| {
            (
                m["tool_call_id"].as_str().unwrap_or_default().to_owned(),
                m["content"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_preference_written_today_is_found_in_a_new_session_and_cited() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    write_config(&dir, &fake);
    let note = format!("memory/{}.md", today());
    seed(
        &dir,
        &[(
            "memory/projects.md",
            "# Projects\n- garden shed: paint it in spring\n",
        )],
    );

    // Session one: the model writes the preference down.
    fake.push(Turn::tool_calls([ToolCall::new(
        "w1",
        "write",
        json!({"path": note, "content": "# Notes\n- Prefers green tea, never coffee, in the morning\n"}),
    )]));
    fake.push(Turn::text("Noted."));
    turn(&dir, None, "remember: I prefer green tea in the morning").await;

    // Session two (a new session id): the model searches, then reads the lines.
    fake.push(Turn::tool_calls([ToolCall::new(
        "s1",
        "memory_search",
        json!({"query": "green tea morning"}),
    )]));
    fake.push(Turn::tool_calls([ToolCall::new(
        "g1",
        "memory_get",
        json!({"path": note, "from": 2, "lines": 1}),
    )]));
    fake.push(Turn::text("You prefer green tea."));
    let out = turn(&dir, Some("second"), "what do I drink in the morning?").await;
    assert_eq!(out.stdout_str().trim(), "You prefer green tea.");

    let requests = fake.requests();
    let system = requests[2].body.as_ref().unwrap()["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(system.contains("## Memory Recall"), "{system}");
    assert!(
        system.contains("- memory_search:"),
        "the tool is offered: {system}"
    );

    let search: Value = serde_json::from_str(&tool_results(&fake, 3)[0].1)
        .unwrap_or_else(|e| panic!("{e}: {:?}", tool_results(&fake, 3)));
    assert_eq!(search["mode"], "fts", "{search}");
    let first = &search["results"][0];
    assert_eq!(first["path"], note.as_str(), "{search}");
    assert_eq!(first["startLine"], 1);
    assert!(first["snippet"].as_str().unwrap().contains("green tea"));
    let citation = format!("Source: {note}#L1-L2");
    assert!(
        first["snippet"].as_str().unwrap().ends_with(&citation),
        "{first}"
    );
    assert!(
        !search["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["path"] == "memory/projects.md"),
        "unrelated notes stay out: {search}"
    );

    let get: Value = serde_json::from_str(&tool_results(&fake, 4)[1].1).unwrap();
    assert_eq!(get["status"], "ok");
    assert!(
        get["text"]
            .as_str()
            .unwrap()
            .starts_with("- Prefers green tea"),
        "{get}"
    );
    fake.assert_no_violations().unwrap();

    // The CLI sees the same index.
    let out = rc(&dir)
        .env("FAKE_API_KEY", KEY)
        .args(["memory", "search", "coffee", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let found: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(found["results"][0]["path"], note.as_str());
    let out = rc(&dir)
        .env("FAKE_API_KEY", KEY)
        .args(["memory", "status", "--json"])
        .run()
        .await
        .unwrap();
    let status: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(status[0]["status"]["files"], 2, "{status}");
    assert_eq!(status[0]["status"]["dirty"], false);
}

#[tokio::test]
async fn memory_get_reads_only_memory_files() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    write_config(&dir, &fake);
    std::fs::write(dir.workspace().join("AGENTS.md"), "not memory").unwrap();
    fake.push(Turn::tool_calls([
        ToolCall::new("a", "memory_get", json!({"path": "AGENTS.md"})),
        ToolCall::new(
            "b",
            "memory_get",
            json!({"path": "memory/../../openclaw.json"}),
        ),
        ToolCall::new("c", "memory_get", json!({"path": "memory/none.md"})),
    ]));
    fake.push(Turn::text("done"));
    turn(&dir, None, "read").await;
    let results = tool_results(&fake, 1);
    let statuses: Vec<Value> = results
        .iter()
        .map(|(_, c)| serde_json::from_str(c).unwrap())
        .collect();
    assert_eq!(statuses[0]["code"], "MEMORY_PATH_NOT_ALLOWED");
    assert_eq!(statuses[1]["code"], "MEMORY_PATH_NOT_ALLOWED");
    assert_eq!(statuses[2]["status"], "not_found");
}

/// The same recall by meaning, with the built-in sentence-embedding model: the binary built
/// with `local-embeddings` (CI's feature step) and all-MiniLM-L6-v2 from
/// `RUSTYCLAW_TEST_MINILM_DIR`. The model writes the preference; a new session's search, in
/// words the note does not contain, finds it and cites it.
#[cfg(feature = "local-embeddings")]
#[tokio::test]
async fn with_the_local_model_a_paraphrase_with_no_shared_word_finds_the_note() {
    let model = std::env::var("RUSTYCLAW_TEST_MINILM_DIR").expect(
        "RUSTYCLAW_TEST_MINILM_DIR: the all-MiniLM-L6-v2 directory (scripts/test.sh fetches it)",
    );
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    write_config(&dir, &fake);
    let mut config: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.config_path()).unwrap()).unwrap();
    config["memory"] = json!({"search": {"provider": "local", "local": {"modelPath": model}}});
    dir.write_config(&config.to_string()).unwrap();
    let note = format!("memory/{}.md", today());
    seed(
        &dir,
        &[
            ("memory/parking.md", "- The car is parked in bay 12\n"),
            (
                "memory/health.md",
                "- Dentist appointment on Friday at 3pm\n",
            ),
        ],
    );

    fake.push(Turn::tool_calls([ToolCall::new(
        "w1",
        "write",
        json!({"path": note, "content": "- Prefers green tea in the morning\n"}),
    )]));
    fake.push(Turn::text("Noted."));
    turn(&dir, None, "remember my morning drink").await;

    // MiniLM puts this paraphrase at about 0.48 cosine, 0.34 once weighted 0.7 with no word
    // match: under the 0.35 default (upstream's too), so the model lowers the bar, as the
    // tool's minScore lets it.
    fake.push(Turn::tool_calls([ToolCall::new(
        "s1",
        "memory_search",
        json!({"query": "which hot beverage do they enjoy at breakfast", "minScore": 0.2}),
    )]));
    fake.push(Turn::text("Green tea."));
    turn(&dir, Some("second"), "what do I like to drink?").await;
    let search: Value = serde_json::from_str(&tool_results(&fake, 3)[0].1)
        .unwrap_or_else(|e| panic!("{e}: {:?}", tool_results(&fake, 3)));
    assert_eq!(search["mode"], "hybrid", "{search}");
    assert_eq!(search["provider"], "local", "{search}");
    let first = &search["results"][0];
    assert_eq!(first["path"], note.as_str(), "{search}");
    assert_eq!(first["startLine"], 1, "{search}");
    let others: Vec<f64> = search["results"].as_array().unwrap()[1..]
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(
        others
            .iter()
            .all(|s| *s < first["score"].as_f64().unwrap() / 2.0),
        "the unrelated notes rank far below: {search}"
    );
}
