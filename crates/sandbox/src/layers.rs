//! Which isolation layers implement a level on this host, and why the others do not.
//!
//! A level names an intent; the layers are the kernel mechanisms that deliver it. When one is
//! missing the sandbox degrades *explicitly*: the report lists it with the reason, `rustyclaw
//! doctor` prints the table, the gateway warns once at start-up, and a command whose isolation
//! says `require` is refused instead of run.

use std::path::PathBuf;

use crate::level::SandboxLevel;

/// One isolation mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    /// bubblewrap: mount namespace with only the allowed paths, private `/tmp`, no capabilities.
    Bubblewrap,
    /// A PID namespace (through bubblewrap): host processes are invisible and unreachable.
    PidNamespace,
    /// A network namespace of the command's own (through bubblewrap): only loopback at
    /// `strict`; at `workspace-write` a user-mode network (slirp4netns) that reaches the outside
    /// but neither the host's loopback nor its addresses.
    NetNamespace,
    /// Landlock filesystem rules applied by the helper.
    LandlockFs,
    /// Landlock TCP rules: no bind, no connect (strict only).
    LandlockNet,
    /// The seccomp system-call filter applied by the helper.
    Seccomp,
    /// `setrlimit` limits applied by the helper (CPU, file size, processes, address space).
    Rlimits,
    /// cgroup `pids` limits, per command and per agent (the fork-bomb guard), and the kill
    /// list.
    CgroupPids,
    /// cgroup `memory` limits, per command and per agent.
    CgroupMemory,
}

impl Layer {
    /// Every layer, in report order.
    pub const ALL: [Layer; 9] = [
        Layer::Bubblewrap,
        Layer::PidNamespace,
        Layer::NetNamespace,
        Layer::LandlockFs,
        Layer::LandlockNet,
        Layer::Seccomp,
        Layer::Rlimits,
        Layer::CgroupPids,
        Layer::CgroupMemory,
    ];

    /// The name used in reports (`landlock-fs`).
    pub fn label(self) -> &'static str {
        match self {
            Layer::Bubblewrap => "bubblewrap",
            Layer::PidNamespace => "pid-namespace",
            Layer::NetNamespace => "net-namespace",
            Layer::LandlockFs => "landlock-fs",
            Layer::LandlockNet => "landlock-net",
            Layer::Seccomp => "seccomp",
            Layer::Rlimits => "rlimits",
            Layer::CgroupPids => "cgroup-pids",
            Layer::CgroupMemory => "cgroup-memory",
        }
    }

    /// Whether `level` uses this layer.
    pub fn used_by(self, level: SandboxLevel) -> bool {
        match level {
            SandboxLevel::Off => false,
            SandboxLevel::WorkspaceWrite => self != Layer::LandlockNet,
            SandboxLevel::Strict => true,
        }
    }
}

/// The state of one layer for one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerState {
    /// Applied; the text says by what (a path, an ABI).
    Active(String),
    /// Needed by the level but unavailable here; the text says why.
    Missing(String),
    /// Not part of this level.
    NotUsed,
}

/// The layers of one level on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerReport {
    /// The level.
    pub level: SandboxLevel,
    /// Every layer with its state, in [`Layer::ALL`] order.
    pub layers: Vec<(Layer, LayerState)>,
}

impl LayerReport {
    /// The layers the level needs that are missing, with the reasons.
    pub fn missing(&self) -> Vec<(Layer, &str)> {
        self.layers
            .iter()
            .filter_map(|(layer, state)| match state {
                LayerState::Missing(why) => Some((*layer, why.as_str())),
                _ => None,
            })
            .collect()
    }

    /// The active layers.
    pub fn active(&self) -> Vec<Layer> {
        self.layers
            .iter()
            .filter(|(_, state)| matches!(state, LayerState::Active(_)))
            .map(|(layer, _)| *layer)
            .collect()
    }

    /// Whether a layer is active.
    pub fn is_active(&self, layer: Layer) -> bool {
        self.active().contains(&layer)
    }

    /// The report with `layer` not used (a configuration that opts out of it).
    pub fn without(mut self, layer: Layer) -> Self {
        for (l, state) in &mut self.layers {
            if *l == layer {
                *state = LayerState::NotUsed;
            }
        }
        self
    }

    /// `label, label, …` of the missing layers, for messages.
    pub fn missing_summary(&self) -> String {
        self.missing()
            .iter()
            .map(|(layer, why)| format!("{} ({why})", layer.label()))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What the host offers, as established once by [`Sandbox::new`](crate::Sandbox::new).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostFacts {
    /// bubblewrap's path, or why it cannot be used.
    pub bubblewrap: Result<PathBuf, String>,
    /// Whether a helper executable is configured and answered its self-test.
    pub helper: Result<(), String>,
    /// The kernel's Landlock ABI, or why Landlock is unavailable.
    pub landlock: Result<u32, String>,
    /// Whether a seccomp filter can be installed.
    pub seccomp: Result<(), String>,
    /// slirp4netns's path, or why the private network cannot be set up.
    pub user_net: Result<PathBuf, String>,
    /// Where command cgroups are created (version and directory), per controller.
    pub cgroup_pids: Result<String, String>,
    /// As above.
    pub cgroup_memory: Result<String, String>,
}

impl HostFacts {
    /// The report for `level`.
    pub(crate) fn report(&self, level: SandboxLevel) -> LayerReport {
        let layers = Layer::ALL
            .into_iter()
            .map(|layer| {
                let state = if layer.used_by(level) {
                    match self.state(layer, level) {
                        Ok(detail) => LayerState::Active(detail),
                        Err(why) => LayerState::Missing(why),
                    }
                } else {
                    LayerState::NotUsed
                };
                (layer, state)
            })
            .collect();
        LayerReport { level, layers }
    }

    fn state(&self, layer: Layer, level: SandboxLevel) -> Result<String, String> {
        let via_bwrap = |what: &str| match &self.bubblewrap {
            Ok(_) => Ok(format!("bubblewrap {what}")),
            Err(_) => Err("needs bubblewrap".to_owned()),
        };
        let via_helper = |result: Result<String, String>| match &self.helper {
            Ok(()) => result,
            Err(why) => Err(why.clone()),
        };
        match layer {
            Layer::Bubblewrap => self
                .bubblewrap
                .as_ref()
                .map(|p| p.display().to_string())
                .map_err(Clone::clone),
            Layer::PidNamespace => via_bwrap("--unshare-pid"),
            Layer::NetNamespace if level.denies_network() => via_bwrap("--unshare-net"),
            Layer::NetNamespace => {
                via_bwrap("--unshare-net")?;
                let slirp = self.user_net.as_ref().map_err(|why| {
                    format!(
                        "{why}; without it commands share the host's network, and services on \
                         the host's loopback (the gateway among them) are reachable"
                    )
                })?;
                via_helper(Ok(format!(
                    "bubblewrap --unshare-net with {} (host loopback and addresses unreachable)",
                    slirp.display()
                )))
            }
            Layer::LandlockFs => via_helper(
                self.landlock
                    .as_ref()
                    .map(|abi| format!("ABI {abi}"))
                    .map_err(Clone::clone),
            ),
            Layer::LandlockNet => via_helper(match &self.landlock {
                Ok(abi) if *abi >= 4 => Ok(format!("ABI {abi}")),
                Ok(abi) => Err(format!("needs Landlock ABI 4, the kernel has {abi}")),
                Err(why) => Err(why.clone()),
            }),
            Layer::Seccomp => via_helper(
                self.seccomp
                    .as_ref()
                    .map(|()| "system-call filter".to_owned())
                    .map_err(Clone::clone),
            ),
            Layer::Rlimits => via_helper(Ok(
                "cpu, file size, processes; address space without a memory cgroup".to_owned(),
            )),
            Layer::CgroupPids => via_helper(self.cgroup_pids.clone()),
            Layer::CgroupMemory => via_helper(self.cgroup_memory.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> HostFacts {
        HostFacts {
            bubblewrap: Ok(PathBuf::from("/usr/bin/bwrap")),
            helper: Ok(()),
            landlock: Ok(3),
            seccomp: Ok(()),
            user_net: Ok(PathBuf::from("/usr/bin/slirp4netns")),
            cgroup_pids: Ok("cgroup v1 /sys/fs/cgroup/pids/rustyclaw/gateway-1-0".to_owned()),
            cgroup_memory: Err("not writable".to_owned()),
        }
    }

    #[test]
    fn each_level_uses_its_layers() {
        let facts = facts();
        assert!(facts.report(SandboxLevel::Off).active().is_empty());
        assert!(facts.report(SandboxLevel::Off).missing().is_empty());
        let ww = facts.report(SandboxLevel::WorkspaceWrite);
        assert_eq!(ww.missing(), vec![(Layer::CgroupMemory, "not writable")]);
        assert!(ww.is_active(Layer::NetNamespace));
        assert!(!ww.is_active(Layer::LandlockNet));
        let shared = ww.clone().without(Layer::NetNamespace);
        assert!(!shared.is_active(Layer::NetNamespace));
        assert_eq!(shared.missing(), ww.missing());
        let strict = facts.report(SandboxLevel::Strict);
        assert!(strict.is_active(Layer::NetNamespace));
        let missing: Vec<Layer> = strict.missing().iter().map(|(l, _)| *l).collect();
        assert_eq!(missing, vec![Layer::LandlockNet, Layer::CgroupMemory]);
        assert!(
            strict
                .missing_summary()
                .contains("needs Landlock ABI 4, the kernel has 3")
        );
    }

    #[test]
    fn without_slirp4netns_only_workspace_write_loses_its_network_namespace() {
        let mut facts = facts();
        facts.user_net = Err("slirp4netns not found".to_owned());
        let ww = facts.report(SandboxLevel::WorkspaceWrite);
        let missing = ww.missing_summary();
        assert!(
            missing.contains("net-namespace (slirp4netns not found"),
            "{missing}"
        );
        assert!(missing.contains("the gateway among them"), "{missing}");
        assert!(
            facts
                .report(SandboxLevel::Strict)
                .is_active(Layer::NetNamespace)
        );
    }

    #[test]
    fn without_bubblewrap_or_helper_their_layers_go_missing() {
        let mut facts = facts();
        facts.bubblewrap = Err("bwrap not found".to_owned());
        facts.helper = Err("no helper executable".to_owned());
        let report = facts.report(SandboxLevel::Strict);
        assert!(report.active().is_empty());
        assert!(
            report
                .missing_summary()
                .contains("pid-namespace (needs bubblewrap)")
        );
        assert!(
            report
                .missing_summary()
                .contains("seccomp (no helper executable)")
        );
    }
}
