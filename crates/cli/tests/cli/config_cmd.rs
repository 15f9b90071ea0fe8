use super::onboard::jsonc;
use super::{conformance, rc};
use rustyclaw_testkit::TempStateDir;
use serde_json::Value;

const COMMENTED: &str = "// personal setup\n{\n  gateway: {\n    port: 18789, // the default\n    auth: { mode: 'token', token: 'tok-secret-value' },\n  },\n}\n";

#[tokio::test]
async fn set_get_unset_keep_comments_and_backups() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config(COMMENTED).unwrap();
    let out = rc(&dir)
        .args(["config", "set", "gateway.port", "19999"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let text = dir.read_config().unwrap();
    assert!(
        text.contains("// personal setup")
            && text.contains("// the default")
            && text.contains("19999"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.state_dir().join("openclaw.json.bak")).unwrap(),
        COMMENTED
    );

    let out = rc(&dir)
        .args(["config", "get", "gateway.port"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.stdout_str().trim(), "19999");

    let out = rc(&dir)
        .args([
            "config",
            "set",
            "agents.defaults.model.primary",
            "openai/gpt-5.1",
        ])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let out = rc(&dir)
        .args(["config", "get", "agents.defaults.model"])
        .run()
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&out.stdout_str()).unwrap(),
        serde_json::json!({"primary": "openai/gpt-5.1"})
    );

    let out = rc(&dir)
        .args(["config", "unset", "gateway.port"])
        .run()
        .await
        .unwrap();
    assert!(out.success());
    assert!(
        jsonc(&dir.read_config().unwrap())["gateway"]
            .get("port")
            .is_none()
    );
    let out = rc(&dir)
        .args(["config", "get", "gateway.port"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(1));
}

#[tokio::test]
async fn invalid_edits_are_refused_and_the_file_is_untouched() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config(COMMENTED).unwrap();
    for (path, value, expected) in [
        ("gateway.prot", "1", "did you mean \"port\""),
        ("gateway.port", "not-a-port", "gateway.port"),
        ("gateway.bind", "everywhere", "gateway.bind"),
    ] {
        let out = rc(&dir)
            .args(["config", "set", path, value])
            .run()
            .await
            .unwrap();
        assert_eq!(out.code(), Some(2), "{path}");
        assert!(
            out.stderr_str().contains(expected),
            "{path}: {}",
            out.stderr_str()
        );
        assert_eq!(dir.read_config().unwrap(), COMMENTED);
    }
}

#[tokio::test]
async fn get_redacts_secrets() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config(COMMENTED).unwrap();
    let out = rc(&dir).args(["config", "get"]).run().await.unwrap();
    assert!(out.success());
    assert!(
        !out.stdout_str().contains("tok-secret-value"),
        "{}",
        out.stdout_str()
    );
    assert!(out.stdout_str().contains("[REDACTED]"));
}

#[tokio::test]
async fn the_config_written_by_openclaw_onboarding_loads_cleanly() {
    let dir = TempStateDir::new().unwrap();
    let captured = std::fs::read_to_string(conformance("openclaw.json")).unwrap();
    dir.write_config(&captured).unwrap();
    let out = rc(&dir)
        .args(["config", "validate", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let report: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(
        report["warnings"],
        serde_json::json!([]),
        "every key of OpenClaw's own onboarding output is understood"
    );
    let out = rc(&dir)
        .args([
            "config",
            "get",
            "models.providers.custom-127-0-0-1-18080.baseUrl",
        ])
        .run()
        .await
        .unwrap();
    assert_eq!(out.stdout_str().trim(), "http://127.0.0.1:18080/v1");
}

#[tokio::test]
async fn unsupported_openclaw_keys_warn_with_their_paths() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config("{ browser: { enabled: true }, gateway: { remote: { url: 'wss://x' } } }")
        .unwrap();
    let out = rc(&dir).args(["config", "validate"]).run().await.unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let err = out.stderr_str();
    assert!(
        err.contains("warning: browser:") && err.contains("warning: gateway.remote:"),
        "{err}"
    );
}

#[tokio::test]
async fn schema_and_file_commands() {
    let dir = TempStateDir::new().unwrap();
    let out = rc(&dir).args(["config", "schema"]).run().await.unwrap();
    let schema: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert!(schema["properties"]["gateway"].is_object());
    let out = rc(&dir).args(["config", "file"]).run().await.unwrap();
    assert_eq!(
        out.stdout_str().trim(),
        dir.config_path().display().to_string()
    );
}

#[tokio::test]
async fn printing_the_path_or_schema_never_runs_secret_resolvers() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempStateDir::new().unwrap();
    let marker = dir.root().join("resolver-ran");
    let resolver = dir.root().join("resolver.sh");
    std::fs::write(
        &resolver,
        format!("#!/bin/sh\ncat >/dev/null\ntouch {}\necho '{{\"protocolVersion\":1,\"values\":{{\"k\":\"v\"}}}}'\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(&resolver, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir.write_config(&format!(
        "{{ secrets: {{ providers: {{ vault: {{ source: 'exec', command: '{}' }} }} }}, gateway: {{ auth: {{ token: {{ source: 'exec', provider: 'vault', id: 'k' }} }} }} }}",
        resolver.display()
    ))
    .unwrap();
    for args in [["config", "file"], ["config", "schema"]] {
        let out = rc(&dir).args(args).run().await.unwrap();
        assert!(out.success(), "{}", out.stderr_str());
    }
    assert!(
        !marker.exists(),
        "a resolver ran for a command that does not need secrets"
    );
    let out = rc(&dir).args(["config", "validate"]).run().await.unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert!(marker.exists(), "validate resolves secrets");
}

/// Checking a config writes nothing: not the log file `logging.file` names (relative to the
/// directory the command runs in), not anything in the state directory.
#[tokio::test]
async fn validating_a_config_writes_nothing() {
    let dir = TempStateDir::new().unwrap();
    dir.write_config(r#"{"logging": {"file": "x", "level": "debug"}}"#)
        .unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let listing = |path: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let state_before = listing(dir.state_dir());
    for args in [&["config", "validate"][..], &["doctor"], &["status"]] {
        let out = rc(&dir)
            .args(args.iter().copied())
            .current_dir(cwd.path())
            .run()
            .await
            .unwrap();
        assert!(
            listing(cwd.path()).is_empty(),
            "rustyclaw {args:?} wrote {:?}\n{}",
            listing(cwd.path()),
            out.stderr_str()
        );
    }
    assert_eq!(listing(dir.state_dir()), state_before);
}
