//! The system-call filter: refuses (with `EPERM`, so shells print an error instead of dying)
//! the calls that reach past the sandbox — debugging other processes, mounting, loading kernel
//! code, namespaces, keyrings, io_uring (which would bypass this filter) — and, in strict mode,
//! creating IPv4/IPv6 sockets.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// System calls refused outright.
const DENIED: &[(&str, libc::c_long)] = &[
    ("ptrace", libc::SYS_ptrace),
    ("process_vm_readv", libc::SYS_process_vm_readv),
    ("process_vm_writev", libc::SYS_process_vm_writev),
    ("mount", libc::SYS_mount),
    ("umount2", libc::SYS_umount2),
    ("pivot_root", libc::SYS_pivot_root),
    ("chroot", libc::SYS_chroot),
    ("fsopen", libc::SYS_fsopen),
    ("fsconfig", libc::SYS_fsconfig),
    ("fsmount", libc::SYS_fsmount),
    ("fspick", libc::SYS_fspick),
    ("move_mount", libc::SYS_move_mount),
    ("open_tree", libc::SYS_open_tree),
    ("open_by_handle_at", libc::SYS_open_by_handle_at),
    ("kexec_load", libc::SYS_kexec_load),
    ("kexec_file_load", libc::SYS_kexec_file_load),
    ("init_module", libc::SYS_init_module),
    ("finit_module", libc::SYS_finit_module),
    ("delete_module", libc::SYS_delete_module),
    ("bpf", libc::SYS_bpf),
    ("perf_event_open", libc::SYS_perf_event_open),
    ("userfaultfd", libc::SYS_userfaultfd),
    ("keyctl", libc::SYS_keyctl),
    ("add_key", libc::SYS_add_key),
    ("request_key", libc::SYS_request_key),
    ("unshare", libc::SYS_unshare),
    ("setns", libc::SYS_setns),
    ("reboot", libc::SYS_reboot),
    ("swapon", libc::SYS_swapon),
    ("swapoff", libc::SYS_swapoff),
    ("acct", libc::SYS_acct),
    ("io_uring_setup", libc::SYS_io_uring_setup),
    ("io_uring_enter", libc::SYS_io_uring_enter),
    ("io_uring_register", libc::SYS_io_uring_register),
];

/// `clone` flags that create namespaces; `clone` with any of them is refused.
const NAMESPACE_FLAGS: &[libc::c_int] = &[
    libc::CLONE_NEWNS,
    libc::CLONE_NEWCGROUP,
    libc::CLONE_NEWUTS,
    libc::CLONE_NEWIPC,
    libc::CLONE_NEWUSER,
    libc::CLONE_NEWPID,
    libc::CLONE_NEWNET,
];

/// Terminal ioctls that inject input into, or control, the terminal: `TIOCSTI` and
/// `TIOCLINUX` (the same numbers on every architecture the filter is built for).
const DENIED_IOCTLS: &[u64] = &[0x5412, 0x541c];

/// Installs the filter on this thread (the helper is single-threaded); `deny_inet` also refuses
/// `socket(AF_INET | AF_INET6, …)`.
pub(super) fn install(deny_inet: bool) -> Result<(), String> {
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|_| {
        format!(
            "seccomp filters are not built for {}",
            std::env::consts::ARCH
        )
    })?;
    let deny = build(
        arch,
        SeccompAction::Errno(errno(libc::EPERM)),
        &deny_rules(deny_inet)?,
    )?;
    // `clone3` passes its flags in memory a filter cannot read; refusing it with ENOSYS makes
    // the C library fall back to `clone`, whose flags the first filter checks. One filter has
    // one action, hence a second filter.
    let clone3 = BTreeMap::from([(libc::SYS_clone3, Vec::new())]);
    let clone3 = build(arch, SeccompAction::Errno(errno(libc::ENOSYS)), &clone3)?;
    seccompiler::apply_filter(&deny)
        .map_err(|e| format!("cannot install the seccomp filter: {e}"))?;
    seccompiler::apply_filter(&clone3)
        .map_err(|e| format!("cannot install the seccomp filter: {e}"))
}

fn errno(code: libc::c_int) -> u32 {
    u32::try_from(code).unwrap_or(1)
}

fn condition(arg: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, String> {
    SeccompCondition::new(arg, SeccompCmpArgLen::Qword, op, value)
        .map_err(|e| format!("invalid seccomp condition: {e}"))
}

fn rule(conditions: Vec<SeccompCondition>) -> Result<SeccompRule, String> {
    SeccompRule::new(conditions).map_err(|e| format!("invalid seccomp rule: {e}"))
}

fn deny_rules(deny_inet: bool) -> Result<BTreeMap<i64, Vec<SeccompRule>>, String> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
        DENIED.iter().map(|(_, nr)| (*nr, Vec::new())).collect();
    let clone_rules = NAMESPACE_FLAGS
        .iter()
        .map(|flag| {
            let flag = u64::try_from(*flag).unwrap_or(0);
            rule(vec![condition(0, SeccompCmpOp::MaskedEq(flag), flag)?])
        })
        .collect::<Result<Vec<_>, _>>()?;
    rules.insert(libc::SYS_clone, clone_rules);
    let ioctl_rules = DENIED_IOCTLS
        .iter()
        .map(|request| {
            // The request is an `unsigned int` in the kernel; upper bits are ignored there.
            rule(vec![condition(
                1,
                SeccompCmpOp::MaskedEq(0xffff_ffff),
                *request,
            )?])
        })
        .collect::<Result<Vec<_>, _>>()?;
    rules.insert(libc::SYS_ioctl, ioctl_rules);
    if deny_inet {
        let socket_rules = [libc::AF_INET, libc::AF_INET6]
            .iter()
            .map(|family| {
                let family = u64::try_from(*family).unwrap_or(0);
                rule(vec![condition(0, SeccompCmpOp::Eq, family)?])
            })
            .collect::<Result<Vec<_>, _>>()?;
        rules.insert(libc::SYS_socket, socket_rules);
    }
    Ok(rules)
}

fn build(
    arch: TargetArch,
    action: SeccompAction,
    rules: &BTreeMap<i64, Vec<SeccompRule>>,
) -> Result<BpfProgram, String> {
    let filter = SeccompFilter::new(rules.clone(), SeccompAction::Allow, action, arch)
        .map_err(|e| format!("invalid seccomp filter: {e}"))?;
    BpfProgram::try_from(filter).map_err(|e| format!("cannot compile the seccomp filter: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ioctl_numbers_are_the_terminal_ones() {
        assert_eq!(
            DENIED_IOCTLS,
            &[
                u64::from(libc::TIOCSTI as u32),
                u64::from(libc::TIOCLINUX as u32)
            ]
        );
    }

    #[test]
    fn the_filters_compile_for_this_architecture() {
        let arch = TargetArch::try_from(std::env::consts::ARCH).unwrap();
        for deny_inet in [false, true] {
            let rules = deny_rules(deny_inet).unwrap();
            assert_eq!(rules.contains_key(&libc::SYS_socket), deny_inet);
            assert!(rules.contains_key(&libc::SYS_ptrace));
            let program = build(arch, SeccompAction::Errno(1), &rules).unwrap();
            assert!(program.len() > DENIED.len());
        }
    }
}
