//! Running a skill's `metadata.openclaw.install` steps (`skills.install {name, installId}`,
//! `rustyclaw skills deps`): the programs a skill needs, installed into `<state>/tools` —
//! never into the system — only through the sandbox, and only when a person asked for that
//! one step (an operator's `skills.install` call, or a confirmed CLI command).
//!
//! Package managers (`node`, `uv`, `go`) run inside the sandbox at `workspace-write`, every
//! layer required (a host that cannot isolate them refuses the step), with the manager's own
//! folder under `<state>/tools` as the only writable directory and the network they need; a
//! `download` is fetched by the gateway (size-capped, digest-checked) and a tar unpacked inside
//! the sandbox too. Homebrew is never run: it installs into its own prefix, outside both. What
//! a step installs is linked into `<state>/tools/.bin`, which is on the `PATH` of the agent's
//! commands after the system's directories (an installed program never shadows a system one),
//! readable in their sandbox, and where the skills' `requires.bins` checks look. One step runs
//! at a time, across the gateway and the CLI.

pub mod download;
pub mod plan;
mod run;
mod sandboxed;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustyclaw_config::Env;
use rustyclaw_sandbox::Sandbox;
use serde::Serialize;

use crate::Skill;
use crate::metadata::InstallSpec;
pub use plan::{Preferences, Step, ToolsLayout, Unavailable};

/// Default time an install step may take, as upstream (5 minutes); requests may ask for 1 s to
/// 15 minutes.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
const MAX_TIMEOUT: Duration = Duration::from_secs(900);

/// Variables of the gateway's environment an installer is given: registry mirrors, proxies and
/// the certificate bundles a TLS-intercepting proxy needs (paths; the sandbox sees the
/// system's `/etc/ssl`). Nothing else of the environment (keys, tokens) reaches them, and
/// neither does `/etc/npmrc` (it may hold registry tokens).
pub(crate) const PASSED_THROUGH: &[&str] = &[
    "NODE_EXTRA_CA_CERTS",
    "npm_config_cafile",
    "NPM_CONFIG_CAFILE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "npm_config_registry",
    "NPM_CONFIG_REGISTRY",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "PIP_INDEX_URL",
    "GOPROXY",
    "GOSUMDB",
    "GONOSUMDB",
    "GOPRIVATE",
    "GOFLAGS",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// What runs install steps.
#[derive(Debug, Clone)]
pub struct Installer {
    /// The state directory (the prefix is its `tools/`).
    pub state_dir: PathBuf,
    /// The sandbox every step runs in.
    pub sandbox: Arc<Sandbox>,
    /// The gateway's environment (only [`PASSED_THROUGH`] variables are read).
    pub env: Env,
    /// One step at a time in this process (a lock file orders processes).
    lock: Arc<tokio::sync::Mutex<()>>,
}

/// Why a step was not started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallerError {
    /// No skill of that name.
    #[error("Skill not found: {0}")]
    SkillNotFound(String),
    /// The skill has no step with that id.
    #[error("Installer not found: {install_id} (the skill {skill} offers {offered})")]
    InstallerNotFound {
        /// The skill.
        skill: String,
        /// The id asked for.
        install_id: String,
        /// The ids it has.
        offered: String,
    },
    /// The step is for other operating systems.
    #[error("installer {install_id} is for {os}; this host is {platform}")]
    WrongOs {
        /// The step.
        install_id: String,
        /// Its systems.
        os: String,
        /// This one.
        platform: String,
    },
    /// The step cannot run here.
    #[error("installer {install_id} cannot run here: {reason}")]
    Unavailable {
        /// The step.
        install_id: String,
        /// Why.
        reason: String,
    },
}

/// One step, checked and ready to show for approval and to run.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The skill's name.
    pub skill: String,
    /// The step's id.
    pub install_id: String,
    /// What the user is shown for it.
    pub label: String,
    /// What it does.
    pub step: Step,
    /// The programs it provides.
    pub bins: Vec<String>,
}

impl Prepared {
    /// What running it will do, one line per action, for the person approving it.
    pub fn describe(&self, layout: &ToolsLayout) -> Vec<String> {
        match &self.step {
            Step::Command(command) => vec![format!(
                "run in the sandbox (network on, writes only to {}): {}",
                command.workspace.display(),
                command.script()
            )],
            Step::Download(d) => {
                let mut lines = vec![format!(
                    "download {} ({}) into {}",
                    d.url,
                    d.sha256.as_deref().map_or_else(
                        || "no checksum given by the skill".to_owned(),
                        |s| format!("SHA-256 {s} checked")
                    ),
                    d.target_dir.display()
                )];
                match d.archive.as_deref() {
                    Some("zip") => lines.push(
                        "unpack it (zip) in the gateway, every entry kept inside that folder"
                            .to_owned(),
                    ),
                    Some(kind) => lines.push(format!("unpack it ({kind}) with tar in the sandbox")),
                    None => {}
                }
                if !d.bins.is_empty() {
                    lines.push(format!(
                        "link {} into {}",
                        d.bins.join(", "),
                        layout.bin().display()
                    ));
                }
                lines
            }
        }
    }
}

/// How a step ended, in upstream's shape (`ok`, `message`, `stdout`, `stderr`, `code`), with
/// the programs linked and anything worth a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallOutcome {
    /// Whether it succeeded.
    pub ok: bool,
    /// One line for the user.
    pub message: String,
    /// The command's output (standard output and error, merged).
    pub stdout: String,
    /// Unused: the sandbox merges the two streams (kept for upstream's shape).
    pub stderr: String,
    /// The command's exit code.
    pub code: Option<i32>,
    /// Programs now in `<state>/tools/.bin`.
    pub bins: Vec<String>,
    /// Things the user should know.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl InstallOutcome {
    pub(crate) fn failed(message: String) -> Self {
        Self {
            ok: false,
            message,
            stdout: String::new(),
            stderr: String::new(),
            code: None,
            bins: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// The id of the `index`-th step: its own, else `<kind>-<index>`.
pub fn step_id(spec: &InstallSpec, index: usize) -> String {
    spec.id
        .clone()
        .unwrap_or_else(|| format!("{}-{index}", spec.kind.as_str()))
        .trim()
        .to_owned()
}

/// The clamp of a requested timeout.
pub fn timeout(requested_ms: Option<u64>) -> Duration {
    requested_ms.map_or(DEFAULT_TIMEOUT, |ms| {
        Duration::from_millis(ms).clamp(Duration::from_secs(1), MAX_TIMEOUT)
    })
}
impl Installer {
    /// An installer writing under `state_dir`, running steps in `sandbox`; `env` is the
    /// gateway's environment. Nothing is set up until a step runs (an idle gateway pays
    /// nothing for it).
    pub fn new(state_dir: &Path, sandbox: Arc<Sandbox>, env: Env) -> Self {
        Self {
            state_dir: state_dir.to_path_buf(),
            sandbox,
            env,
            lock: Arc::default(),
        }
    }

    /// The prefix's layout.
    pub fn layout(&self) -> ToolsLayout {
        ToolsLayout::new(&self.state_dir)
    }

    /// The `PATH` of installers: the system directories only (never `.bin`, so nothing an
    /// earlier step installed can stand in for `npm` or `tar`).
    fn path(&self) -> std::ffi::OsString {
        std::ffi::OsString::from(rustyclaw_sandbox::exec::DEFAULT_PATH)
    }

    /// Checks the step `install_id` of `skill` and works out what it would do on `platform`.
    pub fn prepare(
        &self,
        skill: &Skill,
        install_id: &str,
        prefs: Preferences<'_>,
        platform: &str,
    ) -> Result<Prepared, InstallerError> {
        let specs = skill
            .metadata
            .as_ref()
            .map(|m| m.install.as_slice())
            .unwrap_or_default();
        let found = specs
            .iter()
            .enumerate()
            .find(|(i, s)| step_id(s, *i) == install_id.trim());
        let Some((index, spec)) = found else {
            let offered: Vec<String> = specs
                .iter()
                .enumerate()
                .map(|(i, s)| step_id(s, i))
                .collect();
            return Err(InstallerError::InstallerNotFound {
                skill: skill.name.clone(),
                install_id: install_id.to_owned(),
                offered: if offered.is_empty() {
                    "none".to_owned()
                } else {
                    offered.join(", ")
                },
            });
        };
        let id = step_id(spec, index);
        let here = crate::status::normalize_os(platform);
        if !spec.os.is_empty()
            && !spec
                .os
                .iter()
                .any(|os| crate::status::normalize_os(os) == here)
        {
            return Err(InstallerError::WrongOs {
                install_id: id,
                os: spec.os.join(", "),
                platform: platform.to_owned(),
            });
        }
        let step =
            plan::plan(spec, skill.key(), prefs, &self.layout(), &self.path()).map_err(|e| {
                InstallerError::Unavailable {
                    install_id: id.clone(),
                    reason: e.0,
                }
            })?;
        Ok(Prepared {
            skill: skill.name.clone(),
            install_id: id,
            label: spec.label.clone().unwrap_or_default(),
            step,
            bins: spec.bins.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::sandboxed::failure_message;

    #[test]
    fn a_failure_names_the_line_that_says_what_went_wrong() {
        let npm = "npm http fetch GET 404\nnpm ERR! code E404\nnpm ERR! 404 Not Found - nope\n";
        assert_eq!(
            failure_message(Some(1), npm),
            "Install failed (exit 1): npm ERR! code E404"
        );
        assert_eq!(
            failure_message(Some(2), "first\nlast line\n"),
            "Install failed (exit 2): last line"
        );
        assert_eq!(failure_message(None, ""), "Install failed (killed)");
        assert_eq!(
            failure_message(Some(1), "warning\nError: no such module\n"),
            "Install failed (exit 1): Error: no such module"
        );
    }

    #[test]
    fn timeouts_are_clamped() {
        assert_eq!(timeout(None), DEFAULT_TIMEOUT);
        assert_eq!(timeout(Some(10)), Duration::from_secs(1));
        assert_eq!(timeout(Some(10_000_000)), MAX_TIMEOUT);
    }
}
