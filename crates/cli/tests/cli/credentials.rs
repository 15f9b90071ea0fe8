//! `rustyclaw credentials`: the encrypted store from the command line, and its use as an exec
//! SecretRef provider by the config loader.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use rustyclaw_testkit::TempStateDir;
use serde_json::{Value, json};

use super::rc;

const PASSPHRASE_VAR: &str = "RUSTYCLAW_CREDENTIALS_PASSPHRASE";

/// The binary's real path: exec providers refuse symlinks.
pub fn binary() -> PathBuf {
    std::fs::canonicalize(env!("CARGO_BIN_EXE_rustyclaw")).unwrap()
}

/// `secrets.providers.<alias>` reading the vault of `dir`.
pub fn vault_provider(dir: &TempStateDir) -> Value {
    json!({
        "source": "exec",
        "command": binary(),
        "args": ["credentials", "resolve", "--state-dir", dir.state_dir()],
        "passEnv": [PASSPHRASE_VAR],
    })
}

#[tokio::test]
async fn set_list_resolve_and_remove() {
    let dir = TempStateDir::new().unwrap();
    let out = rc(&dir)
        .args(["credentials", "set", "openai"])
        .stdin("sk-cli-stdin-value\n")
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    assert!(
        out.stdout_str().contains("Stored openai"),
        "{}",
        out.stdout_str()
    );
    let out = rc(&dir)
        .env("SOME_KEY", "sk-cli-env-value")
        .args(["credentials", "set", "anthropic", "--from-env", "SOME_KEY"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());

    let credentials = dir.state_dir().join("credentials");
    let mode = |p: PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(credentials.clone()), 0o700);
    assert_eq!(mode(credentials.join("vault.json")), 0o600);
    assert_eq!(mode(credentials.join("vault.key")), 0o600);

    let out = rc(&dir)
        .args(["credentials", "list", "--json"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let list: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(list["protection"], "keyFile");
    let names: Vec<&str> = list["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["anthropic", "openai"]);
    assert!(list["credentials"][0]["createdAt"].is_string());
    let text = rc(&dir)
        .args(["credentials", "list"])
        .run()
        .await
        .unwrap()
        .stdout_str()
        .into_owned();
    assert!(
        text.contains("openai") && !text.contains("sk-cli"),
        "{text}"
    );

    let request = json!({"protocolVersion": 1, "provider": "vault", "ids": ["openai", "nope"]});
    let out = rc(&dir)
        .args(["credentials", "resolve"])
        .stdin(request.to_string())
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let response: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(response["protocolVersion"], 1);
    assert_eq!(response["values"], json!({"openai": "sk-cli-stdin-value"}));
    assert_eq!(response["errors"]["nope"]["code"], "NOT_FOUND");

    let out = rc(&dir)
        .args(["credentials", "remove", "openai"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let out = rc(&dir)
        .args(["credentials", "remove", "openai"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr_str().contains("no credential named"));
}

#[tokio::test]
async fn values_never_come_from_arguments_and_bad_input_is_refused() {
    let dir = TempStateDir::new().unwrap();
    let out = rc(&dir)
        .args(["credentials", "set", "openai", "sk-on-the-command-line"])
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2), "a value argument is a usage error");
    let out = rc(&dir)
        .args(["credentials", "set", "openai"])
        .stdin("\n")
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr_str().contains("empty"), "{}", out.stderr_str());
    let out = rc(&dir)
        .args(["credentials", "set", "../escape"])
        .stdin("x")
        .run()
        .await
        .unwrap();
    assert!(!out.success());
    assert!(
        out.stderr_str().contains("invalid credential name"),
        "{}",
        out.stderr_str()
    );
    assert!(!dir.state_dir().join("credentials").exists());
    let out = rc(&dir)
        .args(["credentials", "resolve"])
        .stdin("not json")
        .run()
        .await
        .unwrap();
    assert_eq!(out.code(), Some(2));
    assert!(out.stdout_str().is_empty());
}

#[tokio::test]
async fn the_config_reads_the_vault_through_an_exec_secret_ref() {
    let dir = TempStateDir::new().unwrap();
    let out = rc(&dir)
        .env(PASSPHRASE_VAR, "correct horse battery")
        .args(["credentials", "set", "fake"])
        .stdin("sk-through-the-vault")
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let config = json!({
        "secrets": {"providers": {"rustyclaw-vault": vault_provider(&dir)}},
        "models": {"providers": {"fake": {
            "baseUrl": "http://127.0.0.1:9/v1",
            "api": "openai-completions",
            "apiKey": {"source": "exec", "provider": "rustyclaw-vault", "id": "fake"},
            "models": [{"id": "fake-model"}]
        }}}
    });
    dir.write_config(&config.to_string()).unwrap();

    let out = rc(&dir)
        .env(PASSPHRASE_VAR, "correct horse battery")
        .args(["models", "list", "--json", "--provider", "fake"])
        .run()
        .await
        .unwrap();
    assert!(out.success(), "{}", out.stderr_str());
    let list: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    assert_eq!(list["models"][0]["available"], true, "{list:#}");

    // A wrong passphrase is named as such, with where the ref is.
    let out = rc(&dir)
        .env(PASSPHRASE_VAR, "wrong")
        .args(["config", "validate"])
        .run()
        .await
        .unwrap();
    assert!(!out.success());
    let err = out.stderr_str();
    assert!(
        err.contains("models.providers.fake.apiKey") && err.contains("wrong passphrase"),
        "{err}"
    );
    assert!(!err.contains("sk-through-the-vault"), "{err}");

    // A missing record is reported as not found.
    let mut config = config;
    config["models"]["providers"]["fake"]["apiKey"]["id"] = json!("other");
    dir.write_config(&config.to_string()).unwrap();
    let out = rc(&dir)
        .env(PASSPHRASE_VAR, "correct horse battery")
        .args(["config", "validate"])
        .run()
        .await
        .unwrap();
    assert!(!out.success());
    assert!(
        out.stderr_str().contains("not found"),
        "{}",
        out.stderr_str()
    );
}
