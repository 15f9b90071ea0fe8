//! `skills.status`, `skills.bins` and `skills.update`: the skills of an agent as OpenClaw's
//! clients read them, read from disk at each request, and their settings written.

use serde_json::{Value, json};

use super::harness::{Client, Gateway};

fn write_skill(root: &std::path::Path, folder: &str, frontmatter: &str) {
    let dir = root.join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("SKILL.md"),
        format!("---\n{frontmatter}\n---\nBody\n"),
    )
    .unwrap();
}

#[tokio::test]
async fn status_bins_and_update_follow_the_skills_on_disk() {
    let gateway = Gateway::start().await;
    let state_dir = gateway._dir.path().to_path_buf();
    let (mut client, _) = Client::connect(&gateway).await;

    let empty = client.request("skills.status", json!({})).await;
    assert_eq!(empty["ok"], true, "{empty}");
    assert_eq!(empty["payload"]["skills"], json!([]));
    let workspace = std::path::PathBuf::from(empty["payload"]["workspaceDir"].as_str().unwrap());

    write_skill(
        &workspace.join("skills"),
        "notes",
        "name: notes\ndescription: Take notes\nmetadata: {\"openclaw\": {\"emoji\": \"📝\", \"requires\": {\"bins\": [\"sh\"], \"anyBins\": [\"rg\", \"grep\"]}}}",
    );
    write_skill(
        &state_dir.join("skills"),
        "keyed",
        "name: keyed\ndescription: Needs a key\nmetadata: {\"openclaw\": {\"primaryEnv\": \"KEYED_TOKEN\", \"requires\": {\"env\": [\"KEYED_TOKEN\"]}, \"install\": [{\"kind\": \"download\", \"url\": \"https://example.invalid/keyed.tar.gz\", \"bins\": [\"keyed\"]}]}}",
    );
    let status = client
        .request("skills.status", json!({"agentId": "main"}))
        .await;
    let payload: &Value = &status["payload"];
    assert_eq!(payload["agentId"], "main");
    assert_eq!(
        payload["managedSkillsDir"],
        state_dir.join("skills").display().to_string()
    );
    let skills = payload["skills"].as_array().unwrap();
    assert_eq!(skills.len(), 2, "{payload}");
    let keyed = &skills[0];
    assert_eq!(keyed["name"], "keyed");
    assert_eq!(keyed["source"], "openclaw-managed");
    assert_eq!(keyed["eligible"], false);
    assert_eq!(keyed["missing"]["env"], json!(["KEYED_TOKEN"]));
    assert_eq!(keyed["install"][0]["label"], "Download keyed.tar.gz");
    let notes = &skills[1];
    assert_eq!(notes["source"], "openclaw-workspace");
    assert_eq!(notes["eligible"], true, "{notes}");
    assert_eq!(notes["emoji"], "📝");
    assert_eq!(notes["modelVisible"], true);

    let bins = client.request("skills.bins", json!({})).await;
    assert_eq!(
        bins["payload"]["bins"],
        json!(["grep", "keyed", "rg", "sh"]),
        "{bins}"
    );

    let bad = client
        .request("skills.status", json!({"agentId": "nobody"}))
        .await;
    assert_eq!(bad["ok"], false);
    assert!(
        bad["error"]["message"].as_str().unwrap().contains("nobody"),
        "{bad}"
    );

    let update = client
        .request(
            "skills.update",
            json!({"skillKey": "keyed", "apiKey": "key-123456", "env": {"KEYED_REGION": "eu"}, "enabled": true}),
        )
        .await;
    assert_eq!(update["ok"], true, "{update}");
    assert_eq!(update["payload"]["skillKey"], "keyed");
    assert_eq!(update["payload"]["config"]["env"]["KEYED_REGION"], "eu");
    assert_ne!(
        update["payload"]["config"]["apiKey"], "key-123456",
        "the key is redacted in the answer"
    );
    let written = std::fs::read_to_string(state_dir.join("openclaw.json")).unwrap();
    assert!(
        written.contains("key-123456") && written.contains("KEYED_REGION"),
        "{written}"
    );

    let removed = client
        .request(
            "skills.update",
            json!({"skillKey": "keyed", "apiKey": "", "env": {"KEYED_REGION": ""}}),
        )
        .await;
    assert_eq!(removed["ok"], true, "{removed}");
    let written = std::fs::read_to_string(state_dir.join("openclaw.json")).unwrap();
    assert!(
        !written.contains("key-123456") && !written.contains("KEYED_REGION"),
        "{written}"
    );

    let refused = client
        .request("skills.update", json!({"skillKey": "keyed", "bogus": 1}))
        .await;
    assert_eq!(refused["ok"], false);
}
