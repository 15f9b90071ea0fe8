//! Config texts that must not hurt: an `$include` of a device (read for ever before; one
//! `config.patch` got the gateway OOM-killed) is refused at once, naming the config, the
//! `$include` and the file; a key given twice is accepted with a warning naming its path and
//! both lines, and neither copy of a repeated credential is shown by `config.get`.

use std::time::Duration;

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::FakeLlm;
use serde_json::{Value, json};

use super::{fake_llm_config, rc, start_gateway};

const TOKEN: &str = "hardening-token-7f3e";

/// Long enough for a real run, short enough that the old behaviour (reading `/dev/zero` into
/// memory, about 1 GB a second) is stopped before it harms the machine.
const QUICK: Duration = Duration::from_secs(5);

#[tokio::test]
async fn an_include_of_a_device_is_refused_at_once() {
    let dir = TempStateDir::new().unwrap();
    for device in ["/dev/zero", "/dev/urandom"] {
        dir.write_config(&format!("{{\n  tools: {{ $include: '{device}' }},\n}}\n"))
            .unwrap();
        for args in [&["config", "validate"][..], &["status"]] {
            let out = rc(&dir).args(args).timeout(QUICK).run().await.unwrap();
            assert!(!out.success(), "{args:?} accepted {device}");
            let err = out.stderr_str();
            let expected = format!(
                "{}: tools.$include: cannot include {device}: it is a character device, not a regular file",
                dir.config_path().display()
            );
            assert!(err.contains(&expected), "{args:?}: {err}");
            assert!(
                err.contains("hint: $include must name a regular JSON5 file"),
                "{err}"
            );
        }
    }
}

async fn call(dir: &TempStateDir, url: &str, method: &str, params: &Value) -> (bool, String) {
    let out = rc(dir)
        .args([
            "gateway", "call", method, "--url", url, "--token", TOKEN, "--params",
        ])
        .arg(params.to_string())
        .timeout(QUICK)
        .run()
        .await
        .unwrap();
    let text = format!("{}{}", out.stdout_str(), out.stderr_str());
    (out.success(), text)
}

#[tokio::test]
async fn a_patch_including_dev_zero_is_refused_and_the_gateway_stays_up() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let config = fake_llm_config(&dir, &fake, TOKEN);
    dir.write_config(&serde_json::to_string_pretty(&config).unwrap())
        .unwrap();
    let before = dir.read_config().unwrap();
    let (_server, url) = start_gateway(&dir, &["--port", "0"]).await;

    let (ok, snapshot) = call(&dir, &url, "config.get", &json!({})).await;
    assert!(ok, "{snapshot}");
    let hash = serde_json::from_str::<Value>(&snapshot).unwrap()["hash"].clone();
    let patch = json!({"tools": {"$include": "/dev/zero"}});
    let (ok, answer) = call(
        &dir,
        &url,
        "config.patch",
        &json!({"raw": patch.to_string(), "baseHash": hash}),
    )
    .await;
    assert!(!ok, "the patch was accepted: {answer}");
    assert!(
        answer.contains("tools.$include: cannot include /dev/zero")
            && answer.contains("character device, not a regular file"),
        "{answer}"
    );
    assert_eq!(dir.read_config().unwrap(), before, "the file was changed");
    let (ok, health) = call(&dir, &url, "health", &json!({})).await;
    assert!(ok, "the gateway is gone: {health}");
}

#[tokio::test]
async fn a_key_given_twice_warns_with_its_path_and_lines() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config("{\n  gateway: {\n    port: 19001,\n    mode: 'local',\n  },\n  // later\n  gateway: { port: 19002 },\n}\n")
        .unwrap();
    let out = rc(&dir).args(["config", "validate"]).run().await.unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert!(
        out.stderr_str().contains(
            "warning: gateway: is given twice (line 2 and line 7); the later value is used"
        ),
        "{}",
        out.stderr_str()
    );
    let out = rc(&dir)
        .args(["config", "validate", "--json"])
        .run()
        .await
        .unwrap();
    let report: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(report["warnings"][0]["path"], "gateway", "{report}");
    let out = rc(&dir)
        .args(["config", "get", "gateway"])
        .run()
        .await
        .unwrap();
    assert!(
        out.stdout_str().contains("19002") && !out.stdout_str().contains("local"),
        "the later copy counts: {}",
        out.stdout_str()
    );
}

#[tokio::test]
async fn no_copy_of_a_repeated_credential_is_shown() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let config = fake_llm_config(&dir, &fake, TOKEN);
    let text = serde_json::to_string_pretty(&config).unwrap().replacen(
        "\"token\":",
        "\"token\": \"old-token-never-shown\",\n      \"token\":",
        1,
    );
    assert!(text.contains("old-token-never-shown"));
    dir.write_config(&text).unwrap();
    let (_server, url) = start_gateway(&dir, &["--port", "0"]).await;
    let (ok, snapshot) = call(&dir, &url, "config.get", &json!({})).await;
    assert!(ok, "{snapshot}");
    assert!(
        !snapshot.contains("old-token-never-shown") && !snapshot.contains(TOKEN),
        "{snapshot}"
    );
    let snapshot: Value = serde_json::from_str(&snapshot).unwrap();
    let warnings = snapshot["warnings"].to_string();
    assert!(
        warnings.contains("gateway.auth.token") && warnings.contains("is given twice"),
        "{warnings}"
    );
}
