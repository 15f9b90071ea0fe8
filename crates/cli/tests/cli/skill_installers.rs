//! Skills' `metadata.openclaw.install` steps with the real binary: a download installer runs
//! only after approval, lands in `<state>/tools`, makes its skill ready, and the program runs
//! from the agent's sandboxed `exec`; Homebrew is reported unavailable, never run; a download
//! whose digest does not match keeps nothing; the gateway's `skills.install {name, installId}`
//! does the same for an operator.

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::bin::RustyClaw;
use rustyclaw_testkit::fake_clawhub::FakeSkill;
use rustyclaw_testkit::fake_downloads::FakeDownloads;
use rustyclaw_testkit::fake_llm::{FakeLlm, ToolCall, Turn};
use rustyclaw_testkit::fake_npm::{FakeNpmRegistry, FakePackage};
use serde_json::{Value, json};
use sha2::Digest;

use super::rc;

const KEY: &str = "sk-fake-installers-secret-0987654321";

/// A release tarball holding `hello-tool-1.0/bin/hello-tool`, made by the system's `tar`.
async fn hello_tarball() -> Vec<u8> {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("hello-tool-1.0/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let program = bin.join("hello-tool");
    std::fs::write(&program, "#!/bin/sh\necho \"hello from hello-tool, $1\"\n").unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    let archive = tmp.path().join("hello-tool-1.0-linux.tar.gz");
    let out = RustyClaw::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(tmp.path())
        .arg("hello-tool-1.0")
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    std::fs::read(archive).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Writes a workspace skill `name` whose manifest is `openclaw`.
fn write_skill(dir: &TempStateDir, name: &str, openclaw: Value) {
    let folder = dir.workspace().join("skills").join(name);
    std::fs::create_dir_all(&folder).unwrap();
    let metadata = json!({ "openclaw": openclaw });
    std::fs::write(
        folder.join("SKILL.md"),
        format!("---\nname: {name}\ndescription: Uses a program it installs\nmetadata: {metadata}\n---\nRun the program.\n"),
    )
    .unwrap();
}

fn skill_entry(list: &Value, name: &str) -> Value {
    list["skills"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("{name} listed: {list}"))
}

/// Runs `rustyclaw skills deps <args>` to completion.
async fn deps(dir: &TempStateDir, args: &[&str]) -> rustyclaw_testkit::Output {
    rc(dir)
        .arg("skills")
        .arg("deps")
        .args(args)
        .run()
        .await
        .unwrap()
}

/// Has the agent run `command` with `exec` in one turn and returns what the model was sent
/// back (the tool result is in it).
async fn exec_through_agent(dir: &TempStateDir, fake: &FakeLlm, command: &str) -> String {
    fake.push(Turn::tool_calls([ToolCall::new(
        "call_1",
        "exec",
        json!({ "command": command }),
    )]));
    fake.push(Turn::text("done"));
    let out = rc(dir)
        .args(["agent", "--local", "-m", "run it"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    fake.requests()[1].body.clone().unwrap().to_string()
}

async fn skills_list(dir: &TempStateDir) -> Value {
    let out = rc(dir)
        .args(["skills", "list", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    serde_json::from_str(&out.stdout_str()).unwrap()
}

#[tokio::test]
async fn a_downloaded_program_is_installed_after_approval_and_runs_in_the_agents_sandbox() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    super::write_fake_model_config(&dir, &fake, KEY);
    let downloads = FakeDownloads::start().await.unwrap();
    let tarball = hello_tarball().await;
    let url = downloads.publish("hello-tool-1.0-linux.tar.gz", tarball.clone());
    write_skill(
        &dir,
        "hello",
        json!({
            "requires": {"bins": ["hello-tool"]},
            "install": [{
                "id": "download-hello", "kind": "download", "url": url,
                "sha256": sha256(&tarball), "stripComponents": 1,
                "bins": ["hello-tool"], "label": "Download hello-tool"
            }]
        }),
    );
    let before = skill_entry(&skills_list(&dir).await, "hello");
    assert_eq!(before["eligible"], false, "{before}");
    assert_eq!(before["missing"]["bins"], json!(["hello-tool"]), "{before}");

    // Nobody approved it (no terminal, no --yes): the plan is shown and nothing runs.
    let out = deps(&dir, &["hello"]).await;
    assert!(!out.success());
    let stderr = out.stderr_str();
    assert!(
        stderr.contains("installer download-hello (Download hello-tool)")
            && stderr.contains(&format!("download {url}"))
            && stderr.contains("nothing was run"),
        "{stderr}"
    );
    let tools = dir.state_dir().join("tools");
    assert!(!tools.join("hello").exists(), "nothing downloaded");

    let out = deps(&dir, &["hello", "--yes"]).await;
    assert!(out.success(), "{}\n{}", out.stdout_str(), out.stderr_str());
    assert!(
        out.stdout_str()
            .contains("programs on the agent's PATH: hello-tool"),
        "{}",
        out.stdout_str()
    );
    assert!(tools.join("hello/bin/hello-tool").is_file());
    assert!(
        !tools.join("hello/hello-tool-1.0-linux.tar.gz").exists(),
        "the archive is not kept once unpacked"
    );
    let after = skill_entry(&skills_list(&dir).await, "hello");
    assert_eq!(after["eligible"], true, "{after}");

    // The agent's sandboxed exec finds it on its PATH and can run it, but cannot change it.
    let command = format!(
        "command -v hello-tool && hello-tool world; echo x > {bin}/planted; echo planted=$?; \
         echo y > {bin}/hello-tool; echo replaced=$?",
        bin = tools.join(".bin").display()
    );
    let result = exec_through_agent(&dir, &fake, &command).await;
    assert!(
        result.contains("hello from hello-tool, world"),
        "the tool result: {result}"
    );
    assert!(result.contains("tools/.bin/hello-tool"), "{result}");
    assert!(
        result.contains("planted=1") && result.contains("replaced=1"),
        "{result}"
    );
    assert!(!tools.join(".bin/planted").exists());
}

#[tokio::test]
async fn brew_is_never_run_and_a_tampered_download_keeps_nothing() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    super::write_fake_model_config(&dir, &fake, KEY);
    let downloads = FakeDownloads::start().await.unwrap();
    write_skill(
        &dir,
        "gh-helper",
        json!({
            "requires": {"bins": ["gh"]},
            "install": [{"id": "brew", "kind": "brew", "formula": "gh", "bins": ["gh"]}]
        }),
    );
    let out = deps(&dir, &["gh-helper", "--yes"]).await;
    assert!(!out.success());
    let stderr = out.stderr_str();
    assert!(
        stderr.contains("installer brew cannot run here") && stderr.contains("brew install gh"),
        "{stderr}"
    );

    write_skill(
        &dir,
        "mac-only",
        json!({"install": [{"id": "dl-mac", "kind": "download", "os": ["macos"],
                            "url": "https://example.com/tool.zip"}]}),
    );
    let out = deps(&dir, &["mac-only", "--installer", "dl-mac", "--yes"]).await;
    assert!(!out.success());
    assert!(
        out.stderr_str()
            .contains("installer dl-mac is for macos; this host is linux"),
        "{}",
        out.stderr_str()
    );

    let tarball = hello_tarball().await;
    let url = downloads.publish("hello.tar.gz", tarball);
    write_skill(
        &dir,
        "tampered",
        json!({
            "install": [{"id": "dl", "kind": "download", "url": url,
                         "sha256": "0".repeat(64), "bins": ["hello-tool"]}]
        }),
    );
    let out = deps(&dir, &["tampered", "--yes", "--json"]).await;
    assert!(!out.success());
    let outcome: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(outcome["ok"], false);
    assert!(
        outcome["message"]
            .as_str()
            .unwrap()
            .contains("but the skill expects 0000"),
        "{outcome}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.state_dir().join("tools/tampered"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "nothing kept: {leftovers:?}");
}

#[tokio::test]
async fn an_operator_runs_an_installer_through_the_gateway() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let downloads = FakeDownloads::start().await.unwrap();
    // A zip release (GitHub-style redirect in front of it) with the program at bin/zip-tool.
    let zip = FakeSkill::new("o", "zip-tool", "1.0.0", "x", "x\n")
        .with_file("bin/zip-tool", "#!/bin/sh\necho zipped\n", 0o755)
        .archive();
    downloads.publish("zip-tool.zip", zip.clone());
    write_skill(
        &dir,
        "zipper",
        json!({
            "requires": {"bins": ["zip-tool"]},
            "install": [{"id": "zip", "kind": "download",
                         "url": downloads.redirecting_url("zip-tool.zip"),
                         "sha256": sha256(&zip), "bins": ["zip-tool"]}]
        }),
    );
    let token = "installers-gateway-token-0042";
    let config = super::fake_llm_config(&dir, &fake, token);
    dir.write_config(&config.to_string()).unwrap();
    let (_server, url) = super::start_gateway(&dir, &["--port", "0"]).await;
    let call = |params: Value| {
        let (dir, url) = (&dir, url.clone());
        async move {
            let out = rc(dir)
                .args([
                    "gateway",
                    "call",
                    "skills.install",
                    "--url",
                    &url,
                    "--token",
                    token,
                    "--params",
                ])
                .arg(params.to_string())
                .run()
                .await
                .unwrap();
            (
                out.success(),
                format!("{}{}", out.stdout_str(), out.stderr_str()),
            )
        }
    };
    let (ok, text) = call(json!({"name": "zipper", "installId": "nope"})).await;
    assert!(!ok);
    assert!(
        text.contains("Installer not found: nope (the skill zipper offers zip)"),
        "{text}"
    );
    let (ok, text) = call(json!({"name": "nobody", "installId": "zip"})).await;
    assert!(!ok);
    assert!(text.contains("Skill not found: nobody"), "{text}");
    let (ok, text) = call(json!({
        "name": "zipper", "installId": "zip", "timeoutMs": 60000,
        "dangerouslyForceUnsafeInstall": true
    }))
    .await;
    assert!(ok, "{text}");
    assert!(
        text.contains("\"ok\": true") && text.contains("zip-tool"),
        "{text}"
    );
    let program = dir.state_dir().join("tools/.bin/zip-tool");
    let out = RustyClaw::new(&program).run().await.unwrap();
    assert_eq!(out.stdout_str(), "zipped\n");
}

#[tokio::test]
async fn npm_runs_in_the_sandbox_into_the_prefix_and_its_program_reaches_the_agent() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    super::write_fake_model_config(&dir, &fake, KEY);
    // The registry listens on the host's loopback: the sandbox shares the host's network to
    // reach it (a private network cannot reach the host's own services).
    let mut config: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.config_path()).unwrap()).unwrap();
    config["agents"]["defaults"]["sandbox"] = json!({"hostNetwork": true});
    dir.write_config(&config.to_string()).unwrap();
    let registry = FakeNpmRegistry::start().await.unwrap();
    registry.publish(FakePackage::new("hello-npm", "1.0.0").with_bin(
        "hello-npm",
        "cli.js",
        "#!/usr/bin/env node\nconsole.log('hello from npm, ' + process.argv[2]);\n",
    ));
    write_skill(
        &dir,
        "npm-hello",
        json!({
            "requires": {"bins": ["hello-npm"]},
            "install": [{"id": "node", "kind": "node", "package": "hello-npm@1.0.0",
                         "bins": ["hello-npm"]}]
        }),
    );
    let out = rc(&dir)
        .args(["skills", "deps", "npm-hello", "--yes", "--json"])
        .env("npm_config_registry", registry.url())
        .timeout(std::time::Duration::from_secs(180))
        .run()
        .await
        .unwrap();
    let stderr = out.stderr_str();
    assert!(
        stderr.contains("run in the sandbox")
            && stderr.contains("npm install --global --prefix")
            && stderr.contains("hello-npm@1.0.0"),
        "{stderr}"
    );
    assert!(out.success(), "{}\n{stderr}", out.stdout_str());
    let outcome: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(outcome["ok"], true, "{outcome}");
    assert_eq!(outcome["bins"], json!(["hello-npm"]), "{outcome}");
    assert!(
        registry
            .requests()
            .contains(&"/hello-npm/-/hello-npm-1.0.0.tgz".to_owned()),
        "npm fetched from the configured registry: {:?}",
        registry.requests()
    );
    let tools = dir.state_dir().join("tools");
    assert!(
        tools
            .join(".node/lib/node_modules/hello-npm/package.json")
            .is_file()
    );
    assert!(
        !tools.join(".node/.home").exists(),
        "npm's cache and logs are not kept where the agent can read them"
    );
    assert!(
        std::fs::read_link(tools.join(".bin/hello-npm")).is_ok(),
        "the gateway linked the program"
    );
    assert_eq!(
        skill_entry(&skills_list(&dir).await, "npm-hello")["eligible"],
        true
    );

    let result = exec_through_agent(&dir, &fake, "hello-npm sandbox").await;
    assert!(result.contains("hello from npm, sandbox"), "{result}");
}
