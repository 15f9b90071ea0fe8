//! Running a prepared step: one at a time (a mutex in the process, a lock file across
//! processes), within one deadline, then the programs it made linked into `.bin`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustyclaw_config::SandboxPolicy;
use rustyclaw_sandbox::SandboxLevel;

use super::download;
use super::plan::{CommandStep, DownloadStep, Step, shell_quote};
use super::sandboxed::SandboxJob;
use super::{InstallOutcome, Installer, PASSED_THROUGH, Prepared};

impl Installer {
    /// Runs a prepared step under `policy`'s sandbox limits (at `workspace-write`, whatever the
    /// agents' level: installers need the network), all of it within `timeout`.
    pub async fn run(
        &self,
        prepared: &Prepared,
        policy: &SandboxPolicy,
        timeout: Duration,
    ) -> InstallOutcome {
        let deadline = Instant::now() + timeout;
        let _in_process = self.lock.lock().await;
        let layout = self.layout();
        if let Err(e) = std::fs::create_dir_all(&layout.root) {
            return InstallOutcome::failed(format!("cannot create {}: {e}", layout.root.display()));
        }
        let lock_path = layout.root.join(".lock");
        let across_processes = tokio::task::spawn_blocking(move || {
            rustyclaw_support::FileLock::exclusive(
                &lock_path,
                rustyclaw_support::ParentDir::MustExist,
            )
        });
        let _across_processes =
            match tokio::time::timeout_at(deadline.into(), across_processes).await {
                Ok(Ok(Ok(lock))) => lock,
                Ok(Ok(Err(e))) => {
                    return InstallOutcome::failed(format!("cannot lock the tools directory: {e}"));
                }
                _ => {
                    return InstallOutcome::failed(
                        "another install step was still running when this one's time ran out"
                            .to_owned(),
                    );
                }
            };
        match &prepared.step {
            Step::Command(command) => self.run_command(prepared, command, policy, deadline).await,
            Step::Download(step) => self.run_download(step, policy, deadline).await,
        }
    }

    async fn run_command(
        &self,
        prepared: &Prepared,
        command: &CommandStep,
        policy: &SandboxPolicy,
        deadline: Instant,
    ) -> InstallOutcome {
        let layout = self.layout();
        if let Err(e) = download::plain_dirs(&layout.root, &command.workspace) {
            return InstallOutcome::failed(e.to_string());
        }
        let home = command.workspace.join(".home");
        let _ = std::fs::create_dir_all(&home);
        let mut env = command.env.clone();
        for name in PASSED_THROUGH {
            if let Some(value) = self.env.non_empty(name) {
                env.push(((*name).to_owned(), value.to_owned()));
            }
        }
        let before = programs(&command.bin_dir);
        let job = SandboxJob {
            script: command.script(),
            workspace: &command.workspace,
            home: &home,
            env,
            level: SandboxLevel::WorkspaceWrite,
        };
        let mut outcome = self.sandboxed(job, policy, deadline).await;
        // Caches and logs are not kept where the agent's commands can read them.
        let _ = std::fs::remove_dir_all(&home);
        if !outcome.ok {
            return outcome;
        }
        let after = programs(&command.bin_dir);
        let mut names: Vec<&String> = after
            .iter()
            .filter(|(name, target)| before.get(*name) != Some(*target))
            .map(|(name, _)| name)
            .collect();
        names.extend(prepared.bins.iter().filter(|b| after.contains_key(*b)));
        names.sort();
        names.dedup();
        for name in names {
            self.link(&command.bin_dir.join(name), name, &mut outcome);
        }
        for bin in &prepared.bins {
            if !outcome.bins.contains(bin) {
                outcome.warnings.push(format!(
                    "the installer finished but made no program named {bin}"
                ));
            }
        }
        outcome.message = "Installed".to_owned();
        outcome
    }

    async fn run_download(
        &self,
        step: &DownloadStep,
        policy: &SandboxPolicy,
        deadline: Instant,
    ) -> InstallOutcome {
        let layout = self.layout();
        let client = match download_client() {
            Ok(client) => client,
            Err(message) => return InstallOutcome::failed(message),
        };
        let fetched = tokio::time::timeout_at(
            deadline.into(),
            download::fetch(&client, &layout.root, step),
        )
        .await;
        let (file, size) = match fetched {
            Ok(Ok(saved)) => saved,
            Ok(Err(e)) => return InstallOutcome::failed(e.to_string()),
            Err(_) => {
                return InstallOutcome::failed(format!(
                    "download of {} did not finish in time",
                    step.url
                ));
            }
        };
        let mut outcome = InstallOutcome {
            ok: true,
            message: format!("Downloaded to {}", file.display()),
            stdout: format!("downloaded={size}"),
            stderr: String::new(),
            code: Some(0),
            bins: Vec::new(),
            warnings: Vec::new(),
        };
        if let Some(kind) = step.archive.as_deref() {
            let unpacked = if kind == "zip" {
                self.unzip(&file, step, deadline).await
            } else {
                self.untar(&file, step, policy, deadline).await
            };
            let _ = std::fs::remove_file(&file);
            // Whatever happened, no link out of the skill's folder stays behind.
            for link in download::remove_escaping_links(&step.skill_dir) {
                outcome.warnings.push(format!(
                    "removed the link {link}: it pointed outside the skill's tools folder"
                ));
            }
            if let Err(failed) = unpacked {
                return InstallOutcome {
                    warnings: outcome.warnings,
                    ..failed
                };
            }
            outcome.message = format!("Downloaded and extracted to {}", step.target_dir.display());
        }
        for bin in &step.bins {
            let found = if step.archive.is_none() && step.file_name == *bin {
                Some(file.clone()).filter(|f| make_executable(f))
            } else {
                download::find_program(&step.target_dir, bin)
            };
            match found {
                Some(program) => self.link(&program, bin, &mut outcome),
                None => outcome.warnings.push(format!(
                    "no program named {bin} was found in {}",
                    step.target_dir.display()
                )),
            }
        }
        outcome
    }

    /// Unpacks a zip off the async threads, within the deadline.
    async fn unzip(
        &self,
        file: &Path,
        step: &DownloadStep,
        deadline: Instant,
    ) -> Result<(), InstallOutcome> {
        let (file, root, into, strip) = (
            file.to_path_buf(),
            self.layout().root,
            step.target_dir.clone(),
            step.strip_components,
        );
        let task = tokio::task::spawn_blocking(move || download::unzip(&file, &root, &into, strip));
        match tokio::time::timeout_at(deadline.into(), task).await {
            Ok(Ok(Ok(_))) => Ok(()),
            Ok(Ok(Err(e))) => Err(InstallOutcome::failed(e.to_string())),
            Ok(Err(e)) => Err(InstallOutcome::failed(format!("unpacking failed: {e}"))),
            Err(_) => Err(InstallOutcome::failed(
                "unpacking did not finish in time".to_owned(),
            )),
        }
    }

    /// Unpacks a tar with the system's `tar` in the sandbox, without network, only the
    /// skill's folder writable.
    async fn untar(
        &self,
        file: &Path,
        step: &DownloadStep,
        policy: &SandboxPolicy,
        deadline: Instant,
    ) -> Result<(), InstallOutcome> {
        let mut argv = vec![
            "tar".to_owned(),
            "-x".to_owned(),
            "--no-same-owner".to_owned(),
            "-f".to_owned(),
            file.display().to_string(),
            "-C".to_owned(),
            step.target_dir.display().to_string(),
        ];
        if step.strip_components > 0 {
            argv.push(format!("--strip-components={}", step.strip_components));
        }
        let job = SandboxJob {
            script: argv
                .iter()
                .map(|w| shell_quote(w))
                .collect::<Vec<_>>()
                .join(" "),
            workspace: &step.skill_dir,
            home: &step.skill_dir,
            env: Vec::new(),
            level: SandboxLevel::Strict,
        };
        let result = self.sandboxed(job, policy, deadline).await;
        if result.ok { Ok(()) } else { Err(result) }
    }

    /// Links `program` into `.bin` as `name`, saying so in `outcome`.
    fn link(&self, program: &Path, name: &str, outcome: &mut InstallOutcome) {
        let layout = self.layout();
        match download::link_program(&layout.root, &layout.bin(), name, program) {
            Ok(previous) => {
                if let Some(previous) = previous {
                    outcome.warnings.push(format!(
                        "{name} now runs {} instead of {}",
                        program.display(),
                        previous.display()
                    ));
                }
                let system = rustyclaw_sandbox::probe::find_in_path(
                    name,
                    Some(std::ffi::OsStr::new(rustyclaw_sandbox::exec::DEFAULT_PATH)),
                );
                if let Some(system) = system {
                    outcome.warnings.push(format!(
                        "{name} is also {}, which comes first on the agent's PATH",
                        system.display()
                    ));
                }
                outcome.bins.push(name.to_owned());
            }
            Err(e) => outcome.warnings.push(e.to_string()),
        }
    }
}

/// The programs in `dir` and what each link points to.
fn programs(dir: &Path) -> BTreeMap<String, PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .map(|e| {
            let path = e.path();
            let target = std::fs::read_link(&path).unwrap_or_else(|_| path.clone());
            (e.file_name().to_string_lossy().into_owned(), target)
        })
        .collect()
}

fn make_executable(file: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o755)).is_ok()
}

/// The HTTP client of one download, built when a download runs (they are rare, and its root
/// certificates would otherwise stay in memory for nothing).
fn download_client() -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .user_agent(concat!("rustyclaw/", env!("CARGO_PKG_VERSION")))
        // Release downloads redirect to their storage (GitHub's do).
        .redirect(reqwest::redirect::Policy::limited(10))
        .build()
        .map_err(|e| format!("cannot build the installers' HTTP client: {e}"))
}
