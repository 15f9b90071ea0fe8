//! The owner's memory in the prompt: `MEMORY.md` reaches private sessions (upstream's P0 bug
//! was it silently missing) and never a group chat's; the recent daily notes come with the
//! first turn of a session.

use rustyclaw_agent::Op;
use rustyclaw_protocol::SessionKey;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use serde_json::Value;

use super::harness::Harness;

fn system_prompt(fake: &FakeLlm, index: usize) -> String {
    let body: Value = fake.requests()[index].body.clone().unwrap();
    body["messages"][0]["content"].as_str().unwrap().to_owned()
}

fn today() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

#[tokio::test]
async fn memory_reaches_private_sessions_and_never_a_group_chat() {
    let fake = FakeLlm::start().await.unwrap();
    for _ in 0..4 {
        fake.push(Turn::text("ok"));
    }
    let mut h = Harness::start(&fake).await;
    let ws = h.workspace();
    std::fs::write(
        ws.join("MEMORY.md"),
        "# Memory\nThe owner's bank is Northwind; PIN hint: birthday.\n",
    )
    .unwrap();
    std::fs::create_dir_all(ws.join("memory")).unwrap();
    std::fs::write(
        ws.join("memory").join(format!("{}.md", today())),
        "- dentist at 3pm\n",
    )
    .unwrap();

    h.send("hello").await;
    let main = system_prompt(&fake, 0);
    assert!(
        main.contains("## MEMORY.md") && main.contains("Northwind"),
        "{main}"
    );
    assert!(main.contains(&format!("## memory/{}.md", today())) && main.contains("dentist at 3pm"));

    h.send("again").await;
    let second = system_prompt(&fake, 1);
    assert!(
        second.contains("Northwind"),
        "MEMORY.md stays in every turn"
    );
    assert!(
        !second.contains("dentist at 3pm"),
        "daily notes come with the session's start only"
    );

    for (n, key) in [
        "agent:main:telegram:group:-1001",
        "agent:main:discord:channel:42",
    ]
    .iter()
    .enumerate()
    {
        let key = SessionKey::parse(key).unwrap();
        let inbound = Harness::inbound(&key, "what do you know about me?");
        let run_id = inbound.run_id.clone();
        h.runtime.submit(Op::Message(inbound)).unwrap();
        h.wait(&run_id).await;
        let group = system_prompt(&fake, 2 + n);
        assert!(
            !group.contains("Northwind"),
            "{key:?} must not see MEMORY.md: {group}"
        );
        assert!(
            !group.contains("dentist"),
            "{key:?} must not see daily notes"
        );
        assert!(
            group.contains("## AGENTS.md"),
            "the rest of the workspace files still come"
        );
    }
}
