//! Applying a [`HelperPlan`] to the helper process itself, then becoming the command.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use rustix::process::{Resource, Rlimit};

use super::{EXIT_EXEC_FAILED, HelperPlan, ProbeReport, RlimitKind, landlock, seccomp, warn};

/// Applies every layer of `plan`, in order. A failure is returned when `plan.require` is set
/// (the caller refuses to run), and only warned about otherwise.
pub(super) fn apply(plan: &HelperPlan) -> Result<(), String> {
    let outcome = |result: Result<(), String>| match result {
        Ok(()) => Ok(()),
        Err(message) if plan.require => Err(message),
        Err(message) => {
            warn(&message);
            Ok(())
        }
    };
    for procs in &plan.cgroups {
        // "0" names the writing process, whatever its pid is in this namespace.
        outcome(
            std::fs::write(procs, "0")
                .map_err(|e| format!("cannot join cgroup {}: {e}", procs.display())),
        )?;
    }
    for (kind, value) in &plan.rlimits {
        outcome(set_rlimit(*kind, *value))?;
    }
    if plan.pass_self {
        pass_self()?;
    }
    // The host's addresses are walled off before the capability to change routes goes; a
    // route that cannot be added would leave the host reachable, so it is never a warning.
    for address in &plan.prohibit_routes {
        crate::netlink::prohibit(*address)?;
    }
    if plan.drop_caps {
        outcome(drop_capabilities())?;
    }
    outcome(
        rustix::thread::set_no_new_privs(true).map_err(|e| format!("cannot set no_new_privs: {e}")),
    )?;
    if let Some(rules) = &plan.landlock {
        outcome(landlock::restrict(rules))?;
    }
    if plan.seccomp {
        outcome(seccomp::install(plan.deny_inet))?;
    }
    Ok(())
}

fn set_rlimit(kind: RlimitKind, value: u64) -> Result<(), String> {
    let resource = match kind {
        RlimitKind::Cpu => Resource::Cpu,
        RlimitKind::AddressSpace => Resource::As,
        RlimitKind::FileSize => Resource::Fsize,
        RlimitKind::Processes => Resource::Nproc,
    };
    let current = rustix::process::getrlimit(resource);
    // A limit can only be lowered without privileges, and an existing lower one is kept.
    let lower = |old: Option<u64>| Some(old.map_or(value, |o| o.min(value)));
    let limit = Rlimit {
        current: lower(current.current),
        maximum: lower(current.maximum),
    };
    rustix::process::setrlimit(resource, limit)
        .map_err(|e| format!("cannot set the {kind:?} limit to {value}: {e}"))
}

/// Empties the bounding, ambient, effective, permitted and inheritable capability sets, so
/// neither this process nor anything it executes (setuid binaries included, given
/// `no_new_privs`) holds a capability.
fn drop_capabilities() -> Result<(), String> {
    use rustix::thread::{CapabilitySet, CapabilitySets};
    // Dropping from the bounding set needs CAP_SETPCAP; a process without it (not root, or
    // inside bubblewrap's capability drop) has nothing to drop there.
    let can_drop_bounding = rustix::thread::capabilities(None)
        .is_ok_and(|c| c.effective.contains(CapabilitySet::SETPCAP));
    if can_drop_bounding {
        for cap in CapabilitySet::all().iter() {
            if rustix::thread::capability_is_in_bounding_set(cap).unwrap_or(false) {
                rustix::thread::remove_capability_from_bounding_set(cap)
                    .map_err(|e| format!("cannot drop {cap:?} from the bounding set: {e}"))?;
            }
        }
    }
    // EINVAL means the kernel has no ambient capabilities, so there is nothing to clear.
    match rustix::thread::clear_ambient_capability_set() {
        Ok(()) | Err(rustix::io::Errno::INVAL) => {}
        Err(e) => return Err(format!("cannot clear the ambient capabilities: {e}")),
    }
    rustix::thread::set_capabilities(
        None,
        CapabilitySets {
            effective: CapabilitySet::empty(),
            permitted: CapabilitySet::empty(),
            inheritable: CapabilitySet::empty(),
        },
    )
    .map_err(|e| format!("cannot drop capabilities: {e}"))
}

/// Opens this executable (`/proc/self/exe` reaches it even after the file was replaced or
/// deleted) as descriptor [`HELPER_FD`], inherited by the program executed next.
fn pass_self() -> Result<(), String> {
    use rustix::fs::{Mode, OFlags};
    let exe = rustix::fs::open(
        "/proc/self/exe",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("cannot open the helper executable: {e}"))?;
    let passed = rustix::io::fcntl_dupfd_cloexec(&exe, super::HELPER_FD)
        .map_err(|e| format!("cannot pass the helper executable on: {e}"))?;
    if std::os::fd::AsRawFd::as_raw_fd(&passed) != super::HELPER_FD {
        return Err(format!("descriptor {} is taken", super::HELPER_FD));
    }
    rustix::io::fcntl_setfd(&passed, rustix::io::FdFlags::empty())
        .map_err(|e| format!("cannot pass the helper executable on: {e}"))?;
    // Stays open until `exec`: bubblewrap inherits it and executes the inner helper through it.
    // The command inherits it in turn, read-only: the program's own bytes, which it could run
    // only with the restrictions it already has (`unsafe` being forbidden, the inner helper
    // cannot close a descriptor it does not own).
    std::mem::forget(passed);
    Ok(())
}

/// Replaces this process with `program`. Returns only when that fails.
pub(super) fn exec(program: &[OsString]) -> ExitCode {
    let Some((path, args)) = program.split_first() else {
        return super::refuse("no program to execute");
    };
    #[expect(
        clippy::disallowed_methods,
        reason = "rustyclaw-sandbox is the crate that owns process spawning"
    )]
    let error = std::process::Command::new(path).args(args).exec();
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!(
            "rustyclaw-sandbox: cannot execute {}: {error}\n",
            std::path::Path::new(path).display()
        )
        .as_bytes(),
    );
    ExitCode::from(EXIT_EXEC_FAILED)
}

/// The self-test behind `--probe`: applies the strongest rules this build knows to this
/// (short-lived) process and reports what the kernel enforced.
pub(super) fn probe() -> ProbeReport {
    let _ = rustix::thread::set_no_new_privs(true);
    let (landlock_abi, landlock_detail) = landlock::probe();
    ProbeReport {
        landlock_abi,
        landlock_detail,
        seccomp: seccomp::install(true),
    }
}
