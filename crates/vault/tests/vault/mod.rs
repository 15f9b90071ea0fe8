#![cfg(test)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;
use rustyclaw_config::{ExposeSecret, Secret};
use rustyclaw_vault::{KEY_FILE, KeySource, Protection, VAULT_FILE, Vault, VaultError};
use serde_json::Value;

fn dir() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("credentials");
    (root, dir)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn file_json(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(VAULT_FILE)).unwrap()).unwrap()
}

fn pass(p: &str) -> KeySource {
    KeySource::Passphrase(Secret::from(p))
}

fn get(vault: &Vault, name: &str) -> Option<String> {
    vault
        .get(name)
        .unwrap()
        .map(|s| s.expose_secret().to_owned())
}

#[test]
fn a_key_file_vault_round_trips_through_private_files() {
    let (_root, dir) = dir();
    let mut vault = Vault::open(&dir, KeySource::KeyFile).unwrap();
    assert!(vault.names().is_empty());
    assert_eq!(vault.protection(), None);
    assert!(!dir.exists(), "opening must not create anything");

    vault
        .set("openai", &Secret::from("sk-openai-plain-1"))
        .unwrap();
    vault
        .set("providers/anthropic", &Secret::from("sk-ant-plain-2"))
        .unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(VAULT_FILE)), 0o600);
    assert_eq!(mode(&dir.join(KEY_FILE)), 0o600);
    let text = std::fs::read_to_string(dir.join(VAULT_FILE)).unwrap();
    assert!(!text.contains("sk-openai-plain-1") && !text.contains("sk-ant-plain-2"));
    assert_eq!(
        file_json(&dir)["kdf"],
        serde_json::json!({"algorithm": "keyFile"})
    );

    let mut reopened = Vault::open(&dir, KeySource::KeyFile).unwrap();
    assert_eq!(reopened.protection(), Some(Protection::KeyFile));
    assert_eq!(reopened.names(), ["openai", "providers/anthropic"]);
    assert_eq!(
        get(&reopened, "openai").as_deref(),
        Some("sk-openai-plain-1")
    );
    assert_eq!(get(&reopened, "missing"), None);

    assert!(reopened.remove("openai").unwrap());
    assert!(!reopened.remove("openai").unwrap());
    let again = Vault::open(&dir, KeySource::KeyFile).unwrap();
    assert_eq!(again.names(), ["providers/anthropic"]);

    // Atomic replacement leaves no temporary files behind.
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["vault.json", "vault.key", "vault.lock"]);
}

#[test]
fn a_passphrase_vault_uses_argon2id_and_tells_a_wrong_passphrase_apart() {
    let (_root, dir) = dir();
    let mut vault = Vault::open(&dir, pass("correct horse")).unwrap();
    vault.set("openai", &Secret::from("sk-pass-3")).unwrap();
    assert!(
        !dir.join(KEY_FILE).exists(),
        "no key file in passphrase mode"
    );
    let kdf = &file_json(&dir)["kdf"];
    assert_eq!(kdf["algorithm"], "argon2id");
    assert_eq!(kdf["memoryKib"], 19_456);
    assert_eq!(kdf["iterations"], 2);
    assert_eq!(kdf["parallelism"], 1);
    assert_eq!(kdf["salt"].as_str().unwrap().len(), 24, "16 bytes, base64");

    let reopened = Vault::open(&dir, pass("correct horse")).unwrap();
    assert_eq!(reopened.protection(), Some(Protection::Passphrase));
    assert_eq!(get(&reopened, "openai").as_deref(), Some("sk-pass-3"));

    let err = Vault::open(&dir, pass("battery staple")).err().unwrap();
    assert!(matches!(err, VaultError::WrongPassphrase { .. }), "{err}");
    assert!(err.to_string().contains("wrong passphrase"), "{err}");
    assert!(!err.to_string().contains("battery"), "{err}");

    let err = Vault::open(&dir, KeySource::KeyFile).err().unwrap();
    assert!(
        matches!(err, VaultError::PassphraseRequired { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("RUSTYCLAW_CREDENTIALS_PASSPHRASE"),
        "{err}"
    );
}

#[test]
fn the_key_source_must_match_the_vault() {
    let (_root, dir) = dir();
    Vault::open(&dir, KeySource::KeyFile)
        .unwrap()
        .set("a", &Secret::from("1"))
        .unwrap();
    let err = Vault::open(&dir, pass("anything")).err().unwrap();
    assert!(matches!(err, VaultError::PassphraseNotUsed { .. }), "{err}");

    // Another key file is not this vault's key.
    let key = dir.join(KEY_FILE);
    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).unwrap();
    let err = Vault::open(&dir, KeySource::KeyFile).err().unwrap();
    assert!(matches!(err, VaultError::WrongKeyFile { .. }), "{err}");

    std::fs::remove_file(&key).unwrap();
    let err = Vault::open(&dir, KeySource::KeyFile).err().unwrap();
    assert!(matches!(err, VaultError::MissingKeyFile { .. }), "{err}");
}

#[test]
fn ciphertexts_swapped_between_names_fail_authentication() {
    let (_root, dir) = dir();
    let mut vault = Vault::open(&dir, KeySource::KeyFile).unwrap();
    vault.set("alpha", &Secret::from("value-alpha")).unwrap();
    vault.set("beta", &Secret::from("value-beta")).unwrap();
    let mut json = file_json(&dir);
    let alpha = json["records"]["alpha"].clone();
    json["records"]["alpha"] = json["records"]["beta"].clone();
    json["records"]["beta"] = alpha;
    std::fs::write(dir.join(VAULT_FILE), serde_json::to_vec(&json).unwrap()).unwrap();

    let vault = Vault::open(&dir, KeySource::KeyFile).unwrap();
    for name in ["alpha", "beta"] {
        let err = vault.get(name).err().unwrap();
        assert!(matches!(err, VaultError::Tampered { .. }), "{err}");
        assert!(!err.to_string().contains("value-"), "{err}");
    }
}

#[test]
fn files_open_to_other_users_are_refused_with_the_fix() {
    let (_root, dir) = dir();
    Vault::open(&dir, KeySource::KeyFile)
        .unwrap()
        .set("a", &Secret::from("1"))
        .unwrap();
    for (path, fix) in [
        (dir.join(VAULT_FILE), "chmod 600"),
        (dir.join(KEY_FILE), "chmod 600"),
        (dir.clone(), "chmod 700"),
    ] {
        let original = mode(&path);
        chmod(&path, original | 0o044);
        let err = Vault::open(&dir, KeySource::KeyFile).err().unwrap();
        let message = err.to_string();
        assert!(matches!(err, VaultError::Unsafe { .. }), "{message}");
        assert!(
            message.contains(&path.display().to_string()) && message.contains(fix),
            "{message}"
        );
        chmod(&path, original);
    }
    assert!(Vault::open(&dir, KeySource::KeyFile).is_ok());
}

#[test]
fn every_write_uses_a_fresh_nonce_and_keeps_the_creation_date() {
    let (_root, dir) = dir();
    let mut vault = Vault::open(&dir, KeySource::KeyFile).unwrap();
    vault.set("k", &Secret::from("same")).unwrap();
    let first = file_json(&dir)["records"]["k"].clone();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    vault.set("k", &Secret::from("same")).unwrap();
    let second = file_json(&dir)["records"]["k"].clone();
    assert_ne!(first["nonce"], second["nonce"]);
    assert_ne!(first["ciphertext"], second["ciphertext"]);
    assert_eq!(first["createdAt"], second["createdAt"]);
    assert_ne!(first["updatedAt"], second["updatedAt"]);
    let entry = &vault.entries()[0];
    assert_eq!(entry.name, "k");
    assert!(entry.updated_at > entry.created_at);
}

#[test]
fn concurrent_writers_do_not_lose_records() {
    let (_root, dir) = dir();
    // Create the key file first, so both writers share one key.
    Vault::open(&dir, KeySource::KeyFile)
        .unwrap()
        .set("seed", &Secret::from("0"))
        .unwrap();
    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|prefix| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                // Each writer opened the vault before the other wrote anything.
                let mut vault = Vault::open(&dir, KeySource::KeyFile).unwrap();
                for i in 0..10 {
                    vault
                        .set(&format!("{prefix}{i}"), &Secret::from(format!("v{i}")))
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let vault = Vault::open(&dir, KeySource::KeyFile).unwrap();
    assert_eq!(vault.names().len(), 21, "{:?}", vault.names());
    assert_eq!(get(&vault, "b7").as_deref(), Some("v7"));
}

#[test]
fn bad_names_and_malformed_files_are_errors() {
    let (_root, dir) = dir();
    let mut vault = Vault::open(&dir, KeySource::KeyFile).unwrap();
    let err = vault.set("../etc", &Secret::from("x")).err().unwrap();
    assert!(matches!(err, VaultError::InvalidName { .. }), "{err}");
    assert!(!dir.exists());

    vault.set("ok", &Secret::from("x")).unwrap();
    std::fs::write(dir.join(VAULT_FILE), "{\"version\": 2}").unwrap();
    let err = Vault::open(&dir, KeySource::KeyFile).err().unwrap();
    assert!(matches!(err, VaultError::Malformed { .. }), "{err}");
}
