//! The pairing store: `<stateDir>/devices/pending.json` (request id → pending request, kept 5
//! minutes) and `<stateDir>/devices/paired.json` (device id → paired device with its tokens), in
//! upstream's shapes. Every operation takes the directory lock and reads the files afresh, so the
//! gateway and `rustyclaw devices …` can work on the same store at once; unknown fields survive.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustyclaw_support::FileLock;
use serde_json::Map;
use subtle::ConstantTimeEq;

use super::DeviceError;
use super::files;
pub use super::records::{DeviceRequest, DeviceToken, PairedDevice, Pairing, PendingRequest};

/// How long a pending request stays (upstream `PENDING_TTL_MS`).
pub const PENDING_TTL_MS: u64 = 5 * 60 * 1000;

type PendingFile = BTreeMap<String, PendingRequest>;
type PairedFile = BTreeMap<String, PairedDevice>;

/// The pairing store in one state directory.
#[derive(Debug, Clone)]
pub struct DeviceStore {
    dir: PathBuf,
}

impl DeviceStore {
    /// The store under `<state_dir>/devices`.
    pub fn in_state_dir(state_dir: &Path) -> Self {
        Self {
            dir: state_dir.join("devices"),
        }
    }

    /// The directory holding `pending.json` and `paired.json`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn pending_path(&self) -> PathBuf {
        self.dir.join("pending.json")
    }

    fn paired_path(&self) -> PathBuf {
        self.dir.join("paired.json")
    }

    fn lock(&self) -> Result<FileLock, DeviceError> {
        files::lock(&self.dir.join(".lock"))
    }

    fn read(&self, now_ms: u64) -> Result<(PendingFile, PairedFile, bool), DeviceError> {
        let mut pending: PendingFile = files::read_json(&self.pending_path())?.unwrap_or_default();
        let paired: PairedFile = files::read_json(&self.paired_path())?.unwrap_or_default();
        let before = pending.len();
        pending.retain(|_, r| now_ms.saturating_sub(r.ts) <= PENDING_TTL_MS);
        let expired = pending.len() != before;
        Ok((pending, paired, expired))
    }

    /// Runs `change` on both files under the lock and writes back what it changed.
    fn mutate<T>(
        &self,
        now_ms: u64,
        change: impl FnOnce(&mut PendingFile, &mut PairedFile) -> Result<(T, Dirty), DeviceError>,
    ) -> Result<T, DeviceError> {
        let _lock = self.lock()?;
        let (mut pending, mut paired, expired) = self.read(now_ms)?;
        let (out, dirty) = change(&mut pending, &mut paired)?;
        if dirty.pending || expired {
            files::write_json(&self.pending_path(), &pending)?;
        }
        if dirty.paired {
            files::write_json(&self.paired_path(), &paired)?;
        }
        Ok(out)
    }

    /// Pending requests (expired ones dropped) and paired devices.
    pub fn list(&self, now_ms: u64) -> Result<Pairing, DeviceError> {
        self.mutate(now_ms, |pending, paired| {
            let mut pending: Vec<_> = pending.values().cloned().collect();
            pending.sort_by_key(|r| r.ts);
            let mut paired: Vec<_> = paired.values().cloned().collect();
            paired.sort_by_key(|d| std::cmp::Reverse(d.approved_at_ms));
            Ok((Pairing { pending, paired }, Dirty::NONE))
        })
    }

    /// The paired device `device_id`.
    pub fn paired(
        &self,
        device_id: &str,
        now_ms: u64,
    ) -> Result<Option<PairedDevice>, DeviceError> {
        self.mutate(now_ms, |_, paired| {
            Ok((paired.get(device_id).cloned(), Dirty::NONE))
        })
    }

    /// Records (or refreshes) the pending request of a device; one request per device at a time.
    pub fn request(
        &self,
        ask: &DeviceRequest,
        is_repair: bool,
        now_ms: u64,
    ) -> Result<PendingRequest, DeviceError> {
        self.mutate(now_ms, |pending, _| {
            let existing = pending
                .values()
                .find(|r| r.device_id == ask.device_id)
                .map(|r| r.request_id.clone());
            let request_id = match existing {
                Some(id) => id,
                None => uuid::Uuid::new_v4().to_string(),
            };
            let mut roles = pending
                .get(&request_id)
                .and_then(|r| r.roles.clone())
                .unwrap_or_default();
            if !roles.contains(&ask.role) {
                roles.push(ask.role.clone());
            }
            let request = PendingRequest {
                request_id: request_id.clone(),
                device_id: ask.device_id.clone(),
                public_key: ask.public_key.clone(),
                display_name: ask.display_name.clone(),
                platform: ask.platform.clone(),
                device_family: ask.device_family.clone(),
                client_id: ask.client_id.clone(),
                client_mode: ask.client_mode.clone(),
                role: Some(ask.role.clone()),
                roles: Some(roles),
                scopes: Some(ask.scopes.clone()),
                remote_ip: ask.remote_ip.clone(),
                silent: Some(false),
                is_repair: Some(is_repair),
                ts: now_ms,
                other: pending
                    .get(&request_id)
                    .map(|r| r.other.clone())
                    .unwrap_or_default(),
            };
            pending.insert(request_id, request.clone());
            Ok((request, Dirty::PENDING))
        })
    }

    /// Pairs a device without a request (local auto-approval), merging roles and scopes into an
    /// existing pairing, and makes sure the role has a live token.
    pub fn pair_silently(
        &self,
        ask: &DeviceRequest,
        now_ms: u64,
    ) -> Result<(PairedDevice, DeviceToken), DeviceError> {
        self.mutate(now_ms, |pending, paired| {
            pending.retain(|_, r| r.device_id != ask.device_id);
            let device = approve_into(paired, ask_as_request(ask, now_ms), now_ms)?;
            let token = device
                .live_token(&ask.role)
                .cloned()
                .ok_or_else(|| DeviceError::UnknownDevice(ask.device_id.clone()))?;
            Ok(((device, token), Dirty::BOTH))
        })
    }

    /// Approves a pending request: the device is paired (or its roles and scopes widened) and
    /// the requested role gets a token.
    pub fn approve(
        &self,
        request_id: &str,
        now_ms: u64,
    ) -> Result<(PendingRequest, PairedDevice), DeviceError> {
        self.mutate(now_ms, |pending, paired| {
            let request = pending
                .remove(request_id)
                .ok_or_else(|| DeviceError::UnknownRequest(request_id.to_owned()))?;
            let device = approve_into(paired, request.clone(), now_ms)?;
            Ok(((request, device), Dirty::BOTH))
        })
    }

    /// Drops a pending request.
    pub fn reject(&self, request_id: &str, now_ms: u64) -> Result<PendingRequest, DeviceError> {
        self.mutate(now_ms, |pending, _| {
            let request = pending
                .remove(request_id)
                .ok_or_else(|| DeviceError::UnknownRequest(request_id.to_owned()))?;
            Ok((request, Dirty::PENDING))
        })
    }

    /// Unpairs a device (its tokens go with it).
    pub fn remove(&self, device_id: &str, now_ms: u64) -> Result<PairedDevice, DeviceError> {
        self.mutate(now_ms, |_, paired| {
            let device = paired
                .remove(device_id)
                .ok_or_else(|| DeviceError::UnknownDevice(device_id.to_owned()))?;
            Ok((device, Dirty::PAIRED))
        })
    }

    /// Checks `presented` against the live token of `role` in constant time; on a match records
    /// the use and returns the token.
    pub fn verify_token(
        &self,
        device_id: &str,
        role: &str,
        presented: &str,
        now_ms: u64,
    ) -> Result<Option<DeviceToken>, DeviceError> {
        self.mutate(now_ms, |_, paired| {
            let Some(token) = paired
                .get_mut(device_id)
                .and_then(|d| d.tokens.as_mut())
                .and_then(|t| t.get_mut(role))
                .filter(|t| t.revoked_at_ms.is_none())
            else {
                return Ok((None, Dirty::NONE));
            };
            if !bool::from(token.token.as_bytes().ct_eq(presented.as_bytes())) {
                return Ok((None, Dirty::NONE));
            }
            token.last_used_at_ms = Some(now_ms);
            Ok((Some(token.clone()), Dirty::PAIRED))
        })
    }

    /// The scopes of the live, unrevoked `role` token equal to `presented`, whichever paired
    /// device holds it (an HTTP bearer names no device); every token is compared, in constant
    /// time, so the answer's timing does not tell how many were tried. Records the use.
    pub fn scopes_of_token(
        &self,
        role: &str,
        presented: &str,
        now_ms: u64,
    ) -> Result<Option<Vec<String>>, DeviceError> {
        self.mutate(now_ms, |_, paired| {
            let mut found = None;
            for token in paired
                .values_mut()
                .filter_map(|d| d.tokens.as_mut()?.get_mut(role))
            {
                let same = bool::from(token.token.as_bytes().ct_eq(presented.as_bytes()));
                if same && token.revoked_at_ms.is_none() && found.is_none() {
                    token.last_used_at_ms = Some(now_ms);
                    found = Some(token.scopes.clone());
                }
            }
            let dirty = if found.is_some() {
                Dirty::PAIRED
            } else {
                Dirty::NONE
            };
            Ok((found, dirty))
        })
    }

    /// The live token of an approved role, issued now if missing or revoked; records the use.
    pub fn ensure_token(
        &self,
        device_id: &str,
        role: &str,
        now_ms: u64,
    ) -> Result<DeviceToken, DeviceError> {
        self.mutate(now_ms, |_, paired| {
            let device = paired
                .get_mut(device_id)
                .ok_or_else(|| DeviceError::UnknownDevice(device_id.to_owned()))?;
            let scopes = device.approved_scope_list();
            let tokens = device.tokens.get_or_insert_with(BTreeMap::new);
            let live = tokens.get(role).is_some_and(|t| t.revoked_at_ms.is_none());
            if !live {
                tokens.insert(role.to_owned(), new_token(role, scopes, now_ms)?);
            }
            let token = tokens
                .get_mut(role)
                .ok_or_else(|| DeviceError::UnknownDevice(device_id.to_owned()))?;
            token.last_used_at_ms = Some(now_ms);
            Ok((token.clone(), Dirty::PAIRED))
        })
    }

    /// Replaces the token of `role` with a new secret (scopes: the given ones, else the old
    /// token's); the role must be approved.
    pub fn rotate(
        &self,
        device_id: &str,
        role: &str,
        scopes: Option<Vec<String>>,
        now_ms: u64,
    ) -> Result<DeviceToken, DeviceError> {
        self.mutate(now_ms, |_, paired| {
            let device = paired
                .get_mut(device_id)
                .ok_or_else(|| DeviceError::UnknownDevice(device_id.to_owned()))?;
            if !device.approved_roles().iter().any(|r| r == role) {
                return Err(DeviceError::UnknownRole(role.to_owned()));
            }
            let approved = device.approved_scope_list();
            let tokens = device.tokens.get_or_insert_with(BTreeMap::new);
            let old = tokens.get(role).cloned();
            let scopes = scopes
                .or_else(|| old.as_ref().map(|t| t.scopes.clone()))
                .unwrap_or(approved.clone());
            if let Some(scope) = scopes
                .iter()
                .find(|s| !crate::scope::has_scope(&approved, s))
            {
                return Err(DeviceError::ScopeNotApproved(scope.clone()));
            }
            let mut token = new_token(role, scopes, now_ms)?;
            if let Some(old) = old {
                token.created_at_ms = old.created_at_ms;
                token.other = old.other;
            }
            token.rotated_at_ms = Some(now_ms);
            tokens.insert(role.to_owned(), token.clone());
            Ok((token, Dirty::PAIRED))
        })
    }

    /// Revokes the token of `role`.
    pub fn revoke(
        &self,
        device_id: &str,
        role: &str,
        now_ms: u64,
    ) -> Result<DeviceToken, DeviceError> {
        self.mutate(now_ms, |_, paired| {
            let token = paired
                .get_mut(device_id)
                .ok_or_else(|| DeviceError::UnknownDevice(device_id.to_owned()))?
                .tokens
                .as_mut()
                .and_then(|t| t.get_mut(role))
                .ok_or_else(|| DeviceError::UnknownRole(role.to_owned()))?;
            token.revoked_at_ms = Some(now_ms);
            Ok((token.clone(), Dirty::PAIRED))
        })
    }
}

/// Which files an operation changed.
#[derive(Debug, Clone, Copy)]
struct Dirty {
    pending: bool,
    paired: bool,
}

impl Dirty {
    const NONE: Self = Self {
        pending: false,
        paired: false,
    };
    const PENDING: Self = Self {
        pending: true,
        paired: false,
    };
    const PAIRED: Self = Self {
        pending: false,
        paired: true,
    };
    const BOTH: Self = Self {
        pending: true,
        paired: true,
    };
}

fn ask_as_request(ask: &DeviceRequest, now_ms: u64) -> PendingRequest {
    PendingRequest {
        request_id: String::new(),
        device_id: ask.device_id.clone(),
        public_key: ask.public_key.clone(),
        display_name: ask.display_name.clone(),
        platform: ask.platform.clone(),
        device_family: ask.device_family.clone(),
        client_id: ask.client_id.clone(),
        client_mode: ask.client_mode.clone(),
        role: Some(ask.role.clone()),
        roles: Some(vec![ask.role.clone()]),
        scopes: Some(ask.scopes.clone()),
        remote_ip: ask.remote_ip.clone(),
        silent: Some(true),
        is_repair: None,
        ts: now_ms,
        other: Map::new(),
    }
}

/// Pairs (or widens) the device of `request` and makes sure each requested role has a live
/// token whose scopes are the approved ones.
fn approve_into(
    paired: &mut PairedFile,
    request: PendingRequest,
    now_ms: u64,
) -> Result<PairedDevice, DeviceError> {
    let requested_roles = request
        .roles
        .clone()
        .filter(|r| !r.is_empty())
        .or_else(|| request.role.clone().map(|r| vec![r]))
        .unwrap_or_else(|| vec!["operator".to_owned()]);
    let requested_scopes = request.scopes.clone().unwrap_or_default();
    let device = paired
        .entry(request.device_id.clone())
        .or_insert_with(|| PairedDevice {
            device_id: request.device_id.clone(),
            public_key: request.public_key.clone(),
            display_name: None,
            platform: None,
            device_family: None,
            client_id: None,
            client_mode: None,
            role: None,
            roles: None,
            scopes: None,
            approved_scopes: None,
            remote_ip: None,
            tokens: None,
            created_at_ms: now_ms,
            approved_at_ms: now_ms,
            other: Map::new(),
        });
    let mut roles = device.approved_roles();
    for role in &requested_roles {
        if !roles.contains(role) {
            roles.push(role.clone());
        }
    }
    let mut scopes = device.approved_scope_list();
    for scope in &requested_scopes {
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    device.public_key = request.public_key;
    device.display_name = request.display_name.or(device.display_name.take());
    device.platform = request.platform.or(device.platform.take());
    device.device_family = request.device_family.or(device.device_family.take());
    device.client_id = request.client_id.or(device.client_id.take());
    device.client_mode = request.client_mode.or(device.client_mode.take());
    device.remote_ip = request.remote_ip.or(device.remote_ip.take());
    device.role = request.role.or(device.role.take());
    device.roles = Some(roles);
    device.scopes = Some(requested_scopes);
    device.approved_scopes = Some(scopes.clone());
    device.approved_at_ms = now_ms;
    let tokens = device.tokens.get_or_insert_with(BTreeMap::new);
    for role in &requested_roles {
        // Nodes carry no operator scopes; an operator token covers every approved scope.
        let token_scopes = if role == "operator" {
            scopes.clone()
        } else {
            Vec::new()
        };
        match tokens.get_mut(role) {
            Some(token) if token.revoked_at_ms.is_none() => token.scopes = token_scopes,
            _ => {
                tokens.insert(role.clone(), new_token(role, token_scopes, now_ms)?);
            }
        }
    }
    Ok(device.clone())
}

fn new_token(role: &str, scopes: Vec<String>, now_ms: u64) -> Result<DeviceToken, DeviceError> {
    Ok(DeviceToken {
        token: URL_SAFE_NO_PAD.encode(files::random_bytes::<32>()?),
        role: role.to_owned(),
        scopes,
        created_at_ms: now_ms,
        rotated_at_ms: None,
        revoked_at_ms: None,
        last_used_at_ms: None,
        other: Map::new(),
    })
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
