//! One-time browser handoffs (`<stateDir>/devices/bootstrap.json`): `rustyclaw dashboard`
//! issues a token that lets one browser pair itself as the owner's Control UI, as 9.6's
//! `openclaw dashboard` does, so the shared gateway token never goes into a browser's launch
//! arguments. A token is good for ten minutes and one device: the first `connect` presenting it
//! (`auth.bootstrapToken`) with a signed device identity consumes it and is paired with at most
//! the profile's scopes. Only SHA-256 digests of tokens are stored.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::DeviceError;
use super::files;
use super::store::DeviceStore;

/// How long an issued token can be used (upstream: ten minutes).
pub const BOOTSTRAP_TTL_MS: u64 = 10 * 60 * 1000;

/// The scopes of the Control UI owner profile (upstream `CONTROL_UI_OWNER_BOOTSTRAP_PROFILE`).
pub const OWNER_SCOPES: [&str; 7] = [
    "operator.admin",
    "operator.approvals",
    "operator.pairing",
    "operator.questions",
    "operator.read",
    "operator.talk.secrets",
    "operator.write",
];

/// One issued, unused token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Issued {
    /// SHA-256 of the token, base64url.
    digest: String,
    issued_at_ms: u64,
    expires_at_ms: u64,
    /// The role the token may pair.
    role: String,
    /// The most the paired device may hold.
    scopes: Vec<String>,
    /// What it is for (`control-ui-owner`).
    purpose: String,
}

/// What a consumed token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapGrant {
    /// The role it pairs.
    pub role: String,
    /// The most the device may hold.
    pub scopes: Vec<String>,
}

/// A freshly issued token (the only time it exists in clear).
#[derive(Debug, Clone)]
pub struct IssuedBootstrap {
    /// The token to hand to the browser.
    pub token: String,
    /// When it stops working.
    pub expires_at_ms: u64,
}

type BootstrapFile = BTreeMap<String, Issued>;

impl DeviceStore {
    fn bootstrap_path(&self) -> std::path::PathBuf {
        self.dir().join("bootstrap.json")
    }

    /// Issues a token for one browser to pair as the owner's Control UI.
    pub fn issue_owner_bootstrap(&self, now_ms: u64) -> Result<IssuedBootstrap, DeviceError> {
        let token = URL_SAFE_NO_PAD.encode(files::random_bytes::<32>()?);
        let issued = Issued {
            digest: digest(&token),
            issued_at_ms: now_ms,
            expires_at_ms: now_ms + BOOTSTRAP_TTL_MS,
            role: "operator".to_owned(),
            scopes: OWNER_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            purpose: "control-ui-owner".to_owned(),
        };
        let expires_at_ms = issued.expires_at_ms;
        let _lock = files::lock(&self.dir().join(".lock"))?;
        let mut file = self.live_bootstraps(now_ms)?;
        file.insert(issued.digest.clone(), issued);
        files::write_json(&self.bootstrap_path(), &file)?;
        Ok(IssuedBootstrap {
            token,
            expires_at_ms,
        })
    }

    /// Consumes `token` for a device asking for `role`: what it grants, or `None` when it is
    /// unknown, expired, used, or not for that role.
    pub fn consume_bootstrap(
        &self,
        token: &str,
        role: &str,
        now_ms: u64,
    ) -> Result<Option<BootstrapGrant>, DeviceError> {
        let _lock = files::lock(&self.dir().join(".lock"))?;
        let mut file = self.live_bootstraps(now_ms)?;
        let presented = digest(token);
        let key = file
            .keys()
            .find(|k| bool::from(k.as_bytes().ct_eq(presented.as_bytes())))
            .cloned();
        let grant = key.and_then(|key| {
            let issued = file.get(&key)?;
            if issued.role != role {
                return None;
            }
            let grant = BootstrapGrant {
                role: issued.role.clone(),
                scopes: issued.scopes.clone(),
            };
            file.remove(&key);
            Some(grant)
        });
        files::write_json(&self.bootstrap_path(), &file)?;
        Ok(grant)
    }

    /// The unexpired tokens (expired ones dropped).
    fn live_bootstraps(&self, now_ms: u64) -> Result<BootstrapFile, DeviceError> {
        let mut file: BootstrapFile = files::read_json(&self.bootstrap_path())?.unwrap_or_default();
        file.retain(|_, issued| issued.expires_at_ms > now_ms);
        Ok(file)
    }
}

fn digest(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_works_once_for_its_role_within_ten_minutes() {
        let dir = tempfile::tempdir().unwrap();
        let store = DeviceStore::in_state_dir(dir.path());
        let issued = store.issue_owner_bootstrap(1_000).unwrap();
        assert_eq!(issued.expires_at_ms, 1_000 + BOOTSTRAP_TTL_MS);
        let text = std::fs::read_to_string(dir.path().join("devices/bootstrap.json")).unwrap();
        assert!(!text.contains(&issued.token), "only a digest is stored");
        assert_eq!(
            store
                .consume_bootstrap(&issued.token, "node", 2_000)
                .unwrap(),
            None
        );
        let grant = store
            .consume_bootstrap(&issued.token, "operator", 2_000)
            .unwrap()
            .unwrap();
        assert!(grant.scopes.contains(&"operator.admin".to_owned()));
        assert_eq!(
            store
                .consume_bootstrap(&issued.token, "operator", 3_000)
                .unwrap(),
            None
        );
        let late = store.issue_owner_bootstrap(10_000).unwrap();
        assert_eq!(
            store
                .consume_bootstrap(&late.token, "operator", 10_000 + BOOTSTRAP_TTL_MS)
                .unwrap(),
            None
        );
    }
}
