//! Landlock: filesystem rules (read-only system roots, read-write workspace and scratch space),
//! TCP rules (strict: no bind, no connect) and scopes (no signals to, no abstract Unix socket
//! connections with, processes outside the sandbox), applied by the helper to itself.

use std::path::Path;

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, LandlockStatus, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreated, RulesetCreatedAttr, RulesetStatus, Scope,
};

use super::LandlockPlan;

/// The newest ABI whose rights are used here: 6 added the scopes; 7 (audit logging) adds no
/// restriction.
const NEWEST_USED: ABI = ABI::V6;

/// Restricts this process to `plan`. Fails unless the kernel enforces every requested right.
pub(super) fn restrict(plan: &LandlockPlan) -> Result<(), String> {
    let abi = ABI::from(i32::try_from(plan.abi).unwrap_or(0)).min(NEWEST_USED);
    if abi == ABI::Unsupported {
        return Err("Landlock is not available on this kernel".to_owned());
    }
    let all = AccessFs::from_all(abi);
    let read = AccessFs::from_read(abi);
    let fail = |e: landlock::RulesetError| format!("cannot set up Landlock: {e}");
    let mut ruleset = Ruleset::default().handle_access(all).map_err(fail)?;
    if plan.deny_tcp {
        if abi < ABI::V4 {
            return Err(format!(
                "Landlock TCP rules need ABI 4; this kernel has ABI {abi}"
            ));
        }
        // Handling the TCP rights without granting any port denies every bind and connect.
        ruleset = ruleset
            .handle_access(AccessNet::from_all(abi))
            .map_err(fail)?;
    }
    if plan.scope && abi >= ABI::V6 {
        ruleset = ruleset.scope(Scope::from_all(abi)).map_err(fail)?;
    }
    let mut created = ruleset.create().map_err(fail)?;
    for path in &plan.read_only {
        created = allow(created, path, read, abi)?;
    }
    for path in &plan.read_write {
        created = allow(created, path, all, abi)?;
    }
    let status = created.restrict_self().map_err(fail)?;
    match status.ruleset {
        RulesetStatus::FullyEnforced => Ok(()),
        RulesetStatus::PartiallyEnforced => {
            Err(format!("Landlock (ABI {abi}) is only partially enforced"))
        }
        RulesetStatus::NotEnforced => Err("Landlock is not enforced by this kernel".to_owned()),
    }
}

/// Grants `access` beneath `path`. A path that does not exist is skipped: the lists name
/// optional system files (`/lib32`, `/etc/ssl`), and what does not exist cannot be reached.
fn allow(
    created: RulesetCreated,
    path: &Path,
    access: BitFlags<AccessFs>,
    abi: ABI,
) -> Result<RulesetCreated, String> {
    let fd = match PathFd::new(path) {
        Ok(fd) => fd,
        Err(_) if !path.exists() => return Ok(created),
        Err(e) => return Err(format!("cannot open {} for Landlock: {e}", path.display())),
    };
    // Directory-only rights on a file would make the kernel refuse the rule, and the crate
    // report the ruleset as partial.
    let access = if path.is_dir() {
        access
    } else {
        access & AccessFs::from_file(abi)
    };
    created
        .add_rule(PathBeneath::new(fd, access))
        .map_err(|e| format!("cannot add a Landlock rule for {}: {e}", path.display()))
}

/// Restricts this process with every right this module uses and reports the kernel's ABI.
pub(super) fn probe() -> (Option<u32>, String) {
    let abi = NEWEST_USED;
    let restricted = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.handle_access(AccessNet::from_all(abi)))
        .and_then(|r| r.scope(Scope::from_all(abi)))
        .and_then(Ruleset::create)
        .map_err(|e| e.to_string())
        .and_then(|created| {
            let root = PathFd::new("/").map_err(|e| e.to_string())?;
            created
                .add_rule(PathBeneath::new(root, AccessFs::from_read(abi)))
                .and_then(RulesetCreated::restrict_self)
                .map_err(|e| e.to_string())
        });
    match restricted {
        Ok(status) => match status.landlock {
            LandlockStatus::Available { effective_abi, .. } => (
                effective_abi.to_string().parse().ok(),
                format!("ABI {effective_abi}"),
            ),
            LandlockStatus::NotEnabled => (
                None,
                "Landlock is built into the kernel but not enabled (add landlock to the lsm= boot parameter)"
                    .to_owned(),
            ),
            LandlockStatus::NotImplemented => {
                (None, "the kernel is built without Landlock".to_owned())
            }
        },
        Err(e) => (None, format!("cannot apply Landlock: {e}")),
    }
}
