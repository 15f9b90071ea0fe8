//! Skills against OpenClaw itself: the same skill folders (OpenClaw's 51 bundled skills, plus
//! workspace, project and managed ones that shadow and group them), the same config and the
//! same environment, read by the official `openclaw skills list --json` and by
//! `rustyclaw skills list --json`; every skill must come out with the same name, description,
//! source, eligibility, visibility and missing requirements.
//!
//! OpenClaw also lists skills shipped inside its plugins (`browser-automation`, `canvas`) and
//! the Custodian agent's library; rustyclaw has neither plugins nor Custodian, so those are the
//! documented difference (docs/skills.md) and are left out of the comparison by their source.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::conformance::OfficialCli;
use serde_json::Value;

use super::rc;

/// Sources OpenClaw has and rustyclaw does not (plugin skills, the Custodian library).
const UPSTREAM_ONLY_SOURCES: [&str; 2] = ["openclaw-extra", "openclaw-custodian"];

const CONFIG: &str = r#"{
  skills: {
    allowBundled: ["weather", "tmux", "notion", "github", "openai-whisper-api", "gemini", "spotify-player", "1password"],
    entries: {
      tmux: { enabled: false },
      notion: { apiKey: "secret-notion" },
      "openai-whisper-api": { env: { OPENAI_API_KEY: "from-config" } },
    },
  },
  agents: { defaults: { skills: ["weather", "tmux", "notion", "github", "research", "proj"] } },
}"#;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Skill folders outside the bundled ones: a workspace copy shadowing a bundled skill, a
/// grouped skill whose unquoted description holds a colon, a project skill, a managed skill
/// gated on an environment variable and the OS, and one without a description (skipped).
fn seed_skills(dir: &TempStateDir) {
    let ws = dir.workspace();
    write(
        ws,
        "skills/weather/SKILL.md",
        "---\nname: weather\ndescription: My own weather skill\n---\nUse curl.\n",
    );
    write(
        ws,
        "skills/personal/research/SKILL.md",
        "---\nname: research\ndescription: Research: find and cite sources\nuser-invocable: false\n---\nBody\n",
    );
    write(
        ws,
        ".agents/skills/proj/SKILL.md",
        "---\nname: proj\ndescription: 'Project helper'\ndisable-model-invocation: true\n---\n",
    );
    write(
        dir.state_dir(),
        "skills/keyed/SKILL.md",
        "---\nname: keyed\ndescription: Needs a key\nmetadata: {\"openclaw\": {\"os\": [\"linux\", \"darwin\"], \"requires\": {\"env\": [\"KEYED_TOKEN\"], \"anyBins\": [\"sh\", \"nope\"]}, \"primaryEnv\": \"KEYED_TOKEN\"}}\n---\n",
    );
    write(
        dir.state_dir(),
        "skills/nodesc/SKILL.md",
        "---\nname: nodesc\n---\n",
    );
}

fn by_name(list: &Value) -> BTreeMap<String, Value> {
    list["skills"]
        .as_array()
        .unwrap_or_else(|| panic!("no skills array: {list}"))
        .iter()
        .filter(|s| !UPSTREAM_ONLY_SOURCES.contains(&s["source"].as_str().unwrap_or_default()))
        .map(|s| (s["name"].as_str().unwrap().to_owned(), s.clone()))
        .collect()
}

#[tokio::test]
async fn skills_list_matches_the_official_cli_skill_by_skill() {
    let cli = OfficialCli::from_env().unwrap();
    let bundled = cli
        .cli()
        .parent()
        .unwrap()
        .join("skills")
        .to_string_lossy()
        .into_owned();
    let dir = TempStateDir::new().unwrap();
    dir.write_config(CONFIG).unwrap();
    seed_skills(&dir);
    // The same PATH for both (Node's directory first, as the official CLI needs it), so the
    // same programs are found.
    let path = format!(
        "{}:{}",
        cli.node().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = [
        ("PATH", path.as_str()),
        ("GEMINI_API_KEY", "from-env"),
        ("OPENCLAW_BUNDLED_SKILLS_DIR", bundled.as_str()),
    ];

    let mut official = cli.command(&dir, ["skills", "list", "--json"]);
    official.envs(env);
    let child = official.spawn().unwrap();
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("openclaw skills list timed out")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "openclaw skills list: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Value = serde_json::from_str(&stdout).unwrap();

    let mut ours_cmd = rc(&dir).args(["skills", "list", "--json"]);
    for (k, v) in env {
        ours_cmd = ours_cmd.env(k, v);
    }
    let out = ours_cmd.run().await.unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let ours: Value = serde_json::from_str(&out.stdout_str()).unwrap();

    assert_eq!(ours["workspaceDir"], theirs["workspaceDir"]);
    assert_eq!(ours["managedSkillsDir"], theirs["managedSkillsDir"]);
    let (theirs, ours) = (by_name(&theirs), by_name(&ours));
    // 51 bundled skills (one shadowed by the workspace copy) and the three seeded ones.
    assert!(
        theirs.len() >= 54,
        "OpenClaw listed only {} skills",
        theirs.len()
    );
    assert_eq!(
        theirs.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>(),
        "the same skills"
    );
    for (name, expected) in &theirs {
        pretty_assertions::assert_eq!(expected, &ours[name], "skill {name}");
    }
    // The cases the seed is there for really happened.
    assert_eq!(ours["weather"]["source"], "openclaw-workspace");
    assert_eq!(
        ours["research"]["description"],
        "Research: find and cite sources"
    );
    assert_eq!(ours["tmux"]["disabled"], true);
    assert_eq!(ours["gemini"]["blockedByAgentFilter"], true);
    assert_eq!(ours["keyed"]["missing"]["env"][0], "KEYED_TOKEN");
    assert!(ours.values().any(|s| s["blockedByAllowlist"] == true));
    assert!(ours.values().any(|s| s["eligible"] == true));
    assert!(!ours.contains_key("nodesc"));
}

#[tokio::test]
async fn info_and_check_explain_what_a_skill_lacks() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config(CONFIG).unwrap();
    seed_skills(&dir);
    let out = rc(&dir)
        .args(["skills", "info", "keyed"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let text = out.stdout_str();
    assert!(text.contains("✗ KEYED_TOKEN"), "{text}");
    assert!(text.contains("skills.entries.keyed.apiKey"), "{text}");

    let out = rc(&dir)
        .args(["skills", "info", "KEYED", "--json"])
        .run()
        .await
        .unwrap();
    let info: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(
        info["requirements"]["anyBins"],
        serde_json::json!(["sh", "nope"])
    );
    assert_eq!(info["missing"]["anyBins"], serde_json::json!([]));

    let out = rc(&dir)
        .args(["skills", "info", "absent"])
        .run()
        .await
        .unwrap();
    assert!(!out.success());
    assert!(
        out.stderr_str().contains("skill \"absent\" not found"),
        "{}",
        out.stderr_str()
    );

    let out = rc(&dir)
        .args(["skills", "check", "--json"])
        .run()
        .await
        .unwrap();
    let check: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(
        check["summary"]["disabled"], 0,
        "no bundled skills here: {check}"
    );
    assert!(
        check["missingRequirements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "keyed"),
        "{check}"
    );
    assert_eq!(check["notInjected"][0]["name"], "proj");
}
