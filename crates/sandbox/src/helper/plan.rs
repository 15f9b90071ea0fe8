//! The helper's command line: what the parent asks the helper to apply before it executes the
//! command. Both sides live here so the format has one definition.
//!
//! ```text
//! <helper> __rustyclaw-sandbox-helper [--cgroup PROCS]… [--rlimit NAME=N]… [--pass-self]
//!          [--user-net SLIRP]
//!          [--prohibit-route IPV4]… [--drop-caps]
//!          [--landlock-abi N [--ro PATH]… [--rw PATH]… [--deny-tcp] [--scope]]
//!          [--seccomp [--deny-inet]] [--require] [--probe] -- PROGRAM [ARG]…
//! ```
//!
//! Arguments rather than an environment variable carry the plan, because they hold no secret
//! and the command must not inherit them: `exec` replaces the argument vector but keeps the
//! environment.

use std::ffi::{OsStr, OsString};
use std::net::Ipv4Addr;
use std::path::PathBuf;

/// The first argument that switches an executable into helper mode.
pub const HELPER_ARG: &str = "__rustyclaw-sandbox-helper";

/// The descriptor number the outer helper passes itself on as (`--pass-self`); high enough to
/// be free in a freshly started helper, below the usual 1024 descriptor limit.
pub const HELPER_FD: i32 = 1000;

/// A resource limit the helper sets (soft and hard) before executing the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RlimitKind {
    /// `RLIMIT_CPU`, seconds.
    Cpu,
    /// `RLIMIT_AS`, bytes.
    AddressSpace,
    /// `RLIMIT_FSIZE`, bytes.
    FileSize,
    /// `RLIMIT_NPROC`, processes of the real user.
    Processes,
}

impl RlimitKind {
    fn name(self) -> &'static str {
        match self {
            RlimitKind::Cpu => "cpu",
            RlimitKind::AddressSpace => "as",
            RlimitKind::FileSize => "fsize",
            RlimitKind::Processes => "nproc",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [
            RlimitKind::Cpu,
            RlimitKind::AddressSpace,
            RlimitKind::FileSize,
            RlimitKind::Processes,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// Landlock rules: which paths stay reachable, at which ABI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandlockPlan {
    /// The Landlock ABI to build the ruleset for (the one the host probe found), so the kernel
    /// enforces every requested right and a partial enforcement means something went wrong.
    pub abi: u32,
    /// Paths readable and executable (with everything beneath them).
    pub read_only: Vec<PathBuf>,
    /// Paths with full access (with everything beneath them).
    pub read_write: Vec<PathBuf>,
    /// Deny every TCP `bind` and `connect` (ABI 4 and later).
    pub deny_tcp: bool,
    /// Forbid signals to processes outside the sandbox and connections to abstract Unix
    /// sockets created outside it (ABI 6 and later).
    pub scope: bool,
}

/// What the helper applies, in this order: cgroups, rlimits, capabilities, Landlock, seccomp.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelperPlan {
    /// `cgroup.procs` files to join (the parent created and limited the cgroups).
    pub cgroups: Vec<PathBuf>,
    /// Resource limits.
    pub rlimits: Vec<(RlimitKind, u64)>,
    /// Open this executable as descriptor [`HELPER_FD`] and let the program inherit it: the
    /// program is bubblewrap, which executes the inner helper as `/proc/self/fd/1000`.
    pub pass_self: bool,
    /// The program is bubblewrap with `--unshare-net`: start it, attach this `slirp4netns` to
    /// its network namespace (outbound only, host loopback unreachable), let it continue and
    /// wait for it, instead of executing it directly.
    pub user_net: Option<PathBuf>,
    /// Addresses the command's network must not reach (the host's own): a `prohibit` route for
    /// each, added before the capabilities are dropped. Failing to add one is always fatal.
    pub prohibit_routes: Vec<Ipv4Addr>,
    /// Drop every capability (bounding, ambient, effective, permitted, inheritable).
    pub drop_caps: bool,
    /// Landlock rules.
    pub landlock: Option<LandlockPlan>,
    /// Install the system-call filter.
    pub seccomp: bool,
    /// With the filter, also refuse `socket(AF_INET | AF_INET6)`.
    pub deny_inet: bool,
    /// Any layer that cannot be applied is fatal (exit 125) instead of a warning.
    pub require: bool,
    /// Apply everything, print what was enforced and exit instead of executing a program.
    pub probe: bool,
}

impl HelperPlan {
    /// The helper's arguments for this plan followed by `program` (and its arguments).
    pub fn to_args(&self, program: &[OsString]) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![HELPER_ARG.into()];
        for cgroup in &self.cgroups {
            args.push("--cgroup".into());
            args.push(cgroup.into());
        }
        for (kind, value) in &self.rlimits {
            args.push("--rlimit".into());
            args.push(format!("{}={value}", kind.name()).into());
        }
        if self.pass_self {
            args.push("--pass-self".into());
        }
        if let Some(slirp) = &self.user_net {
            args.push("--user-net".into());
            args.push(slirp.into());
        }
        for address in &self.prohibit_routes {
            args.push("--prohibit-route".into());
            args.push(address.to_string().into());
        }
        if self.drop_caps {
            args.push("--drop-caps".into());
        }
        if let Some(landlock) = &self.landlock {
            args.push("--landlock-abi".into());
            args.push(landlock.abi.to_string().into());
            for path in &landlock.read_only {
                args.push("--ro".into());
                args.push(path.into());
            }
            for path in &landlock.read_write {
                args.push("--rw".into());
                args.push(path.into());
            }
            if landlock.deny_tcp {
                args.push("--deny-tcp".into());
            }
            if landlock.scope {
                args.push("--scope".into());
            }
        }
        if self.seccomp {
            args.push("--seccomp".into());
        }
        if self.deny_inet {
            args.push("--deny-inet".into());
        }
        if self.require {
            args.push("--require".into());
        }
        if self.probe {
            args.push("--probe".into());
        }
        args.push("--".into());
        args.extend(program.iter().cloned());
        args
    }

    /// Parses the arguments after [`HELPER_ARG`]: the plan and the program to execute.
    pub fn parse(
        args: impl IntoIterator<Item = OsString>,
    ) -> Result<(HelperPlan, Vec<OsString>), String> {
        let mut plan = HelperPlan::default();
        let mut landlock: Option<LandlockPlan> = None;
        let mut args = args.into_iter();
        let mut program = Vec::new();
        while let Some(arg) = args.next() {
            let flag = arg.to_str().unwrap_or("");
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match flag {
                "--" => {
                    program.extend(args.by_ref());
                    break;
                }
                "--cgroup" => plan.cgroups.push(value(flag)?.into()),
                "--rlimit" => {
                    let text = value(flag)?;
                    let text = text.to_str().unwrap_or("");
                    let (name, n) = text
                        .split_once('=')
                        .ok_or_else(|| format!("--rlimit {text:?}: expected NAME=VALUE"))?;
                    let kind = RlimitKind::from_name(name)
                        .ok_or_else(|| format!("--rlimit: unknown limit {name:?}"))?;
                    let n = n
                        .parse::<u64>()
                        .map_err(|_| format!("--rlimit {text:?}: not a number"))?;
                    plan.rlimits.push((kind, n));
                }
                "--pass-self" => plan.pass_self = true,
                "--user-net" => plan.user_net = Some(value(flag)?.into()),
                "--prohibit-route" => {
                    let text = value(flag)?;
                    let address = text
                        .to_str()
                        .and_then(|t| t.parse::<Ipv4Addr>().ok())
                        .ok_or_else(|| format!("--prohibit-route {text:?}: not an IPv4 address"))?;
                    plan.prohibit_routes.push(address);
                }
                "--drop-caps" => plan.drop_caps = true,
                "--landlock-abi" => {
                    let text = value(flag)?;
                    let abi = text
                        .to_str()
                        .and_then(|t| t.parse::<u32>().ok())
                        .ok_or_else(|| format!("--landlock-abi {text:?}: not a number"))?;
                    landlock = Some(LandlockPlan {
                        abi,
                        read_only: Vec::new(),
                        read_write: Vec::new(),
                        deny_tcp: false,
                        scope: false,
                    });
                }
                "--ro" | "--rw" | "--deny-tcp" | "--scope" => {
                    let Some(rules) = landlock.as_mut() else {
                        return Err(format!("{flag} must follow --landlock-abi"));
                    };
                    match flag {
                        "--ro" => rules.read_only.push(value(flag)?.into()),
                        "--rw" => rules.read_write.push(value(flag)?.into()),
                        "--deny-tcp" => rules.deny_tcp = true,
                        _ => rules.scope = true,
                    }
                }
                "--seccomp" => plan.seccomp = true,
                "--deny-inet" => plan.deny_inet = true,
                "--require" => plan.require = true,
                "--probe" => plan.probe = true,
                _ => return Err(format!("unknown helper argument {:?}", OsStr::new(&arg))),
            }
        }
        plan.landlock = landlock;
        if program.is_empty() && !plan.probe {
            return Err("no program to execute after --".to_owned());
        }
        Ok((plan, program))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_survives_its_command_line() {
        let plan = HelperPlan {
            cgroups: vec!["/sys/fs/cgroup/pids/x/cgroup.procs".into()],
            rlimits: vec![(RlimitKind::Cpu, 60), (RlimitKind::Processes, 256)],
            pass_self: true,
            user_net: Some("/usr/bin/slirp4netns".into()),
            prohibit_routes: vec![Ipv4Addr::new(192, 0, 2, 2), Ipv4Addr::new(10, 1, 2, 3)],
            drop_caps: true,
            landlock: Some(LandlockPlan {
                abi: 6,
                read_only: vec!["/usr".into(), "/etc/passwd".into()],
                read_write: vec!["/work space".into()],
                deny_tcp: true,
                scope: true,
            }),
            seccomp: true,
            deny_inet: true,
            require: true,
            probe: false,
        };
        let program: Vec<OsString> = vec!["/bin/sh".into(), "-c".into(), "echo -- --ro".into()];
        let args = plan.to_args(&program);
        assert_eq!(args[0], HELPER_ARG);
        let (parsed, rest) = HelperPlan::parse(args.into_iter().skip(1)).unwrap();
        assert_eq!(parsed, plan);
        assert_eq!(rest, program);
    }

    #[test]
    fn rejects_malformed_command_lines() {
        let parse = |args: &[&str]| HelperPlan::parse(args.iter().map(OsString::from));
        assert!(
            parse(&["--ro", "/usr", "--", "x"])
                .unwrap_err()
                .contains("--landlock-abi")
        );
        assert!(
            parse(&["--rlimit", "cpu"])
                .unwrap_err()
                .contains("NAME=VALUE")
        );
        assert!(parse(&["--rlimit", "stack=1", "--", "x"]).is_err());
        assert!(parse(&["--seccomp"]).unwrap_err().contains("no program"));
        assert!(parse(&["--bogus", "--", "x"]).is_err());
        assert!(
            parse(&["--prohibit-route", "::1", "--", "x"])
                .unwrap_err()
                .contains("IPv4")
        );
        assert!(parse(&["--probe"]).is_ok());
    }
}
