//! Ed25519 device identities: public keys as OpenClaw sends them (base64url of the raw 32 bytes,
//! or a PEM SPKI block), device ids (`hex(sha256(raw key))`), the signed connect payload, and the
//! gateway's own identity file `<stateDir>/identity/device.json`.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signature, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::DeviceError;
use super::files;

/// DER prefix of an Ed25519 `SubjectPublicKeyInfo` (RFC 8410); the raw key follows.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
/// DER prefix of an Ed25519 PKCS#8 v1 private key (RFC 8410); the 32-byte seed follows. Node's
/// `crypto.generateKeyPairSync("ed25519")` exports exactly this form.
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Parses a wire public key: base64url (padding optional) of the raw 32 bytes, or PEM SPKI.
pub fn parse_public_key(text: &str) -> Option<VerifyingKey> {
    let text = text.trim();
    let raw: Vec<u8> = if text.starts_with("-----BEGIN") {
        let der = pem_body(text, "PUBLIC KEY")?;
        der.strip_prefix(SPKI_PREFIX.as_slice())?.to_vec()
    } else {
        URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?
    };
    let raw: [u8; 32] = raw.try_into().ok()?;
    VerifyingKey::from_bytes(&raw).ok()
}

/// The device id of a public key: lowercase hex of the SHA-256 of the raw key.
pub fn device_id(key: &VerifyingKey) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The canonical wire form of a public key (base64url, no padding).
pub fn public_key_base64url(key: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// The fields of a connect request that a device signs.
#[derive(Debug, Clone)]
pub struct SignedFields<'a> {
    /// `device.id`.
    pub device_id: &'a str,
    /// `client.id`.
    pub client_id: &'a str,
    /// `client.mode`.
    pub client_mode: &'a str,
    /// The requested role.
    pub role: &'a str,
    /// The requested scopes, in request order.
    pub scopes: &'a [String],
    /// `device.signedAt` in milliseconds.
    pub signed_at_ms: i64,
    /// The first of `auth.token`, `auth.deviceToken`, `auth.bootstrapToken`.
    pub token: &'a str,
    /// `device.nonce`.
    pub nonce: &'a str,
    /// `client.platform`.
    pub platform: &'a str,
    /// `client.deviceFamily`.
    pub device_family: &'a str,
}

impl SignedFields<'_> {
    /// The v3 payload: the v2 fields plus the normalized platform and device family.
    pub fn v3(&self) -> String {
        format!(
            "v3|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
            self.device_id,
            self.client_id,
            self.client_mode,
            self.role,
            self.scopes.join(","),
            self.signed_at_ms,
            self.token,
            self.nonce,
            normalize_metadata(self.platform),
            normalize_metadata(self.device_family),
        )
    }

    /// The v2 payload.
    pub fn v2(&self) -> String {
        format!(
            "v2|{}|{}|{}|{}|{}|{}|{}|{}",
            self.device_id,
            self.client_id,
            self.client_mode,
            self.role,
            self.scopes.join(","),
            self.signed_at_ms,
            self.token,
            self.nonce,
        )
    }
}

/// Trimmed, ASCII-lowercased (upstream's `normalizeDeviceMetadataForAuth`).
fn normalize_metadata(value: &str) -> String {
    value.trim().to_ascii_lowercase()
}

/// Which payload version a valid signature covers (v3 is tried first), or `None`.
pub fn verify_signature(
    key: &VerifyingKey,
    signature: &str,
    fields: &SignedFields<'_>,
) -> Option<u8> {
    let bytes = URL_SAFE_NO_PAD
        .decode(signature.trim().trim_end_matches('='))
        .or_else(|_| STANDARD.decode(signature.trim()))
        .ok()?;
    let signature = Signature::from_slice(&bytes).ok()?;
    if key.verify(fields.v3().as_bytes(), &signature).is_ok() {
        return Some(3);
    }
    key.verify(fields.v2().as_bytes(), &signature)
        .is_ok()
        .then_some(2)
}

/// The gateway's own identity file (upstream `src/infra/device-identity.ts`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdentityFile {
    version: u32,
    device_id: String,
    public_key_pem: String,
    private_key_pem: String,
    created_at_ms: u64,
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// The gateway's device identity as `gateway.identity.get` reports it (no private key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayIdentity {
    /// `hex(sha256(raw public key))`.
    pub device_id: String,
    /// Base64url of the raw public key.
    pub public_key: String,
}

/// Path of the gateway identity file under `state_dir`.
pub fn identity_path(state_dir: &Path) -> PathBuf {
    state_dir.join("identity").join("device.json")
}

/// Loads `<stateDir>/identity/device.json`, creating it (0600) with a new key on first use.
pub fn load_or_create_identity(
    state_dir: &Path,
    now_ms: u64,
) -> Result<GatewayIdentity, DeviceError> {
    let path = identity_path(state_dir);
    let _lock = files::lock(&state_dir.join("identity").join(".device.lock"))?;
    if let Some(file) = files::read_json::<IdentityFile>(&path)? {
        let key = parse_public_key(&file.public_key_pem).ok_or_else(|| DeviceError::Malformed {
            path: path.clone(),
            reason: "publicKeyPem is not an Ed25519 public key".into(),
        })?;
        return Ok(GatewayIdentity {
            device_id: device_id(&key),
            public_key: public_key_base64url(&key),
        });
    }
    let signing = SigningKey::from_bytes(&files::random_bytes::<32>()?);
    let key = signing.verifying_key();
    let mut spki = SPKI_PREFIX.to_vec();
    spki.extend_from_slice(key.as_bytes());
    let mut pkcs8 = PKCS8_PREFIX.to_vec();
    pkcs8.extend_from_slice(signing.as_bytes());
    let file = IdentityFile {
        version: 1,
        device_id: device_id(&key),
        public_key_pem: pem("PUBLIC KEY", &spki),
        private_key_pem: pem("PRIVATE KEY", &pkcs8),
        created_at_ms: now_ms,
        other: Map::new(),
    };
    files::write_json(&path, &file)?;
    Ok(GatewayIdentity {
        device_id: file.device_id,
        public_key: public_key_base64url(&key),
    })
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn pem_body(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = text[start..].find(&end)? + start;
    let body: String = text[start..stop].split_whitespace().collect();
    STANDARD.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer;

    fn fields<'a>(scopes: &'a [String]) -> SignedFields<'a> {
        SignedFields {
            device_id: "dev",
            client_id: "cli",
            client_mode: "cli",
            role: "operator",
            scopes,
            signed_at_ms: 1_700_000_000_000,
            token: "tok",
            nonce: "n-1",
            platform: " Linux ",
            device_family: "",
        }
    }

    #[test]
    fn payloads_match_upstream_layout() {
        let scopes = vec!["operator.read".to_owned(), "operator.write".to_owned()];
        let f = fields(&scopes);
        assert_eq!(
            f.v3(),
            "v3|dev|cli|cli|operator|operator.read,operator.write|1700000000000|tok|n-1|linux|"
        );
        assert_eq!(
            f.v2(),
            "v2|dev|cli|cli|operator|operator.read,operator.write|1700000000000|tok|n-1"
        );
    }

    #[test]
    fn keys_parse_from_base64url_and_pem_and_signatures_verify() {
        let signing = SigningKey::from_bytes(&[7u8; 32]);
        let key = signing.verifying_key();
        let wire = public_key_base64url(&key);
        assert_eq!(parse_public_key(&wire), Some(key));
        let mut spki = SPKI_PREFIX.to_vec();
        spki.extend_from_slice(key.as_bytes());
        assert_eq!(parse_public_key(&pem("PUBLIC KEY", &spki)), Some(key));
        assert_eq!(parse_public_key("not-a-key"), None);
        assert_eq!(device_id(&key).len(), 64);

        let scopes = vec!["operator.read".to_owned()];
        let f = fields(&scopes);
        let v2 = URL_SAFE_NO_PAD.encode(signing.sign(f.v2().as_bytes()).to_bytes());
        let v3 = URL_SAFE_NO_PAD.encode(signing.sign(f.v3().as_bytes()).to_bytes());
        assert_eq!(verify_signature(&key, &v3, &f), Some(3));
        assert_eq!(verify_signature(&key, &v2, &f), Some(2));
        let other = SignedFields {
            nonce: "n-2",
            ..f.clone()
        };
        assert_eq!(verify_signature(&key, &v3, &other), None);
    }

    #[test]
    fn gateway_identity_is_created_once_in_upstream_format() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_identity(dir.path(), 5).unwrap();
        let second = load_or_create_identity(dir.path(), 6).unwrap();
        assert_eq!(first, second);
        let raw: Value =
            serde_json::from_str(&std::fs::read_to_string(identity_path(dir.path())).unwrap())
                .unwrap();
        assert_eq!(raw["version"], 1);
        assert_eq!(raw["deviceId"], first.device_id.as_str());
        assert!(
            raw["privateKeyPem"]
                .as_str()
                .unwrap()
                .starts_with("-----BEGIN PRIVATE KEY-----")
        );
        let key = parse_public_key(raw["publicKeyPem"].as_str().unwrap()).unwrap();
        assert_eq!(public_key_base64url(&key), first.public_key);
    }
}
