//! What one `metadata.openclaw.install` step would do here: the command a package manager runs
//! (with the variables that send everything it writes into the install prefix), a download,
//! or the reason it cannot run on this host.
//!
//! Package managers install "globally" by default (`/usr/local`, `~/go/bin`, `~/.local/bin`):
//! every command here is pointed at a folder of its own under `<state>/tools` instead
//! (`.node`, `.pnpm`, `.bun`, `.uv`, `.go`), the only directory its sandbox may write, with
//! its `HOME` inside it (removed after each run: caches and logs are not kept where the
//! agent's commands can read them). The gateway then links the programs it made into
//! `<state>/tools/.bin`, which is on the `PATH` of the agent's commands, after the system's
//! directories.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::metadata::{InstallKind, InstallSpec};

/// The install prefix: `<state>/tools` and its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolsLayout {
    /// `<state>/tools`.
    pub root: PathBuf,
}

impl ToolsLayout {
    /// The layout under `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        Self {
            root: rustyclaw_config::tools_dir(state_dir),
        }
    }

    /// Programs on the agent's `PATH` (`.bin`).
    pub fn bin(&self) -> PathBuf {
        self.root.join(".bin")
    }

    /// npm's and yarn's global prefix (programs in `.node/bin`).
    pub fn node_prefix(&self) -> PathBuf {
        self.root.join(".node")
    }

    /// pnpm's folder (programs in `.pnpm/bin`).
    pub fn pnpm_dir(&self) -> PathBuf {
        self.root.join(".pnpm")
    }

    /// bun's install directory (programs in `.bun/bin`).
    pub fn bun_dir(&self) -> PathBuf {
        self.root.join(".bun")
    }

    /// uv's tool environments, programs and Pythons.
    pub fn uv_dir(&self) -> PathBuf {
        self.root.join(".uv")
    }

    /// Go's folder (programs in `.go/bin`).
    pub fn go_dir(&self) -> PathBuf {
        self.root.join(".go")
    }

    /// The folder of one skill's downloads: `<tools>/<key>`, the key made a safe folder name.
    pub fn skill_dir(&self, skill_key: &str) -> PathBuf {
        self.root.join(safe_segment(skill_key))
    }
}

/// A skill key as one folder name: letters, digits, `-`, `_` and `.` kept (never leading, so
/// no key can take `.bin` or `..`), anything else `_`; empty becomes `skill`. A key that had to
/// be changed gets eight hex digits of its SHA-256, so two keys never share a folder.
pub fn safe_segment(key: &str) -> String {
    let plain = plain_segment(key);
    if plain == key {
        return plain;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.as_bytes());
    format!("{plain}-{}", hex::encode(&digest[..4]))
}

fn plain_segment(key: &str) -> String {
    let mut out: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    while out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    if out.is_empty() {
        out.push_str("skill");
    }
    out
}

/// The settings of `skills.install` an installer follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences<'a> {
    /// `npm`, `pnpm`, `yarn` or `bun`.
    pub node_manager: &'a str,
}

/// What running one install step means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A package manager's command, run in the sandbox with `<tools>` writable.
    Command(CommandStep),
    /// A file fetched by the gateway, then unpacked in `<tools>/<key>`.
    Download(DownloadStep),
}

/// A package manager's command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandStep {
    /// The program and its arguments.
    pub argv: Vec<String>,
    /// Variables that point the manager at its folder.
    pub env: Vec<(String, String)>,
    /// The manager's folder: the only directory its sandbox may write (`HOME` is
    /// `<workspace>/.home`).
    pub workspace: PathBuf,
    /// Where the manager leaves the programs it installs, linked into `.bin` afterwards.
    pub bin_dir: PathBuf,
}

impl CommandStep {
    /// The command as a shell line, each word quoted.
    pub fn script(&self) -> String {
        self.argv
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadStep {
    /// The URL.
    pub url: String,
    /// Expected SHA-256 (lower-case hex), checked before anything is kept.
    pub sha256: Option<String>,
    /// The file name it is saved under.
    pub file_name: String,
    /// `tar.gz`, `tar.bz2`, `tar.xz`, `tar` or `zip`, when it is to be unpacked.
    pub archive: Option<String>,
    /// Leading path components dropped when unpacking.
    pub strip_components: u32,
    /// The skill's tools folder (`<tools>/<key>`).
    pub skill_dir: PathBuf,
    /// Where it goes: the skill's folder or a folder inside it.
    pub target_dir: PathBuf,
    /// Programs it provides, linked into `.bin` when found.
    pub bins: Vec<String>,
}

/// Why a step cannot run here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

/// The step `spec` of the skill `skill_key` would run on this host. `path` is the `PATH` the
/// sandbox sees (system directories and `.bin`): a package manager elsewhere (in a home
/// directory, say) cannot run there.
pub fn plan(
    spec: &InstallSpec,
    skill_key: &str,
    prefs: Preferences<'_>,
    layout: &ToolsLayout,
    path: &OsStr,
) -> Result<Step, Unavailable> {
    let need = |program: &str, hint: &str| -> Result<(), Unavailable> {
        if rustyclaw_sandbox::probe::find_in_path(program, Some(path)).is_some() {
            return Ok(());
        }
        Err(Unavailable(format!(
            "{program} is not installed where the installer's sandbox can run it ({}); {hint}",
            path.to_string_lossy()
        )))
    };
    let missing = |what: &str| Unavailable(format!("this installer names no {what}"));
    match spec.kind {
        InstallKind::Brew => {
            let formula = spec.formula.as_deref().unwrap_or_default();
            Err(Unavailable(format!(
                "Homebrew installs into its own prefix, outside rustyclaw's install directory \
                 and its sandbox, so rustyclaw does not run it; install the dependency yourself \
                 (brew install {formula}, or your system's package) or pick another installer"
            )))
        }
        InstallKind::Node => {
            let package = spec.package.clone().ok_or_else(|| missing("package"))?;
            node_step(&package, prefs.node_manager, layout, &need)
        }
        InstallKind::Uv => {
            let package = spec.package.clone().ok_or_else(|| missing("package"))?;
            need(
                "uv",
                "install uv (https://docs.astral.sh/uv/) into /usr/local/bin",
            )?;
            let dir = layout.uv_dir();
            Ok(Step::Command(CommandStep {
                argv: vec!["uv".into(), "tool".into(), "install".into(), package],
                env: vec![
                    ("UV_TOOL_DIR".into(), display(&dir.join("tools"))),
                    ("UV_TOOL_BIN_DIR".into(), display(&dir.join("bin"))),
                    ("UV_PYTHON_INSTALL_DIR".into(), display(&dir.join("python"))),
                ],
                bin_dir: dir.join("bin"),
                workspace: dir,
            }))
        }
        InstallKind::Go => {
            let module = spec.module.clone().ok_or_else(|| missing("module"))?;
            need("go", "install Go 1.21 or newer (apt install golang-go)")?;
            let dir = layout.go_dir();
            Ok(Step::Command(CommandStep {
                argv: vec!["go".into(), "install".into(), module],
                env: vec![
                    ("GOBIN".into(), display(&dir.join("bin"))),
                    ("GOPATH".into(), display(&dir.join(".home/go"))),
                    ("GOCACHE".into(), display(&dir.join(".home/go-build"))),
                ],
                bin_dir: dir.join("bin"),
                workspace: dir,
            }))
        }
        InstallKind::Download => {
            let url = spec.url.clone().ok_or_else(|| missing("url"))?;
            download_step(spec, url, skill_key, layout)
        }
    }
}

fn node_step(
    package: &str,
    manager: &str,
    layout: &ToolsLayout,
    need: &dyn Fn(&str, &str) -> Result<(), Unavailable>,
) -> Result<Step, Unavailable> {
    let hint = "install Node.js with its package manager (apt install nodejs npm)";
    let prefix = layout.node_prefix();
    let step = match manager {
        "pnpm" => {
            need("pnpm", hint)?;
            let dir = layout.pnpm_dir();
            CommandStep {
                argv: vec!["pnpm".into(), "add".into(), "-g".into(), package.into()],
                env: vec![
                    ("PNPM_HOME".into(), display(&dir.join("bin"))),
                    ("npm_config_global_dir".into(), display(&dir.join("global"))),
                ],
                bin_dir: dir.join("bin"),
                workspace: dir,
            }
        }
        "yarn" => {
            need("yarn", hint)?;
            CommandStep {
                argv: vec![
                    "yarn".into(),
                    "global".into(),
                    "add".into(),
                    package.into(),
                    "--prefix".into(),
                    display(&prefix),
                ],
                env: Vec::new(),
                bin_dir: prefix.join("bin"),
                workspace: prefix,
            }
        }
        "bun" => {
            need("bun", hint)?;
            let dir = layout.bun_dir();
            CommandStep {
                argv: vec!["bun".into(), "add".into(), "-g".into(), package.into()],
                env: vec![("BUN_INSTALL".into(), display(&dir))],
                bin_dir: dir.join("bin"),
                workspace: dir,
            }
        }
        _ => {
            need("npm", hint)?;
            CommandStep {
                argv: vec![
                    "npm".into(),
                    "install".into(),
                    "--global".into(),
                    "--prefix".into(),
                    display(&prefix),
                    "--no-fund".into(),
                    "--no-audit".into(),
                    "--no-update-notifier".into(),
                    package.into(),
                ],
                env: Vec::new(),
                bin_dir: prefix.join("bin"),
                workspace: prefix,
            }
        }
    };
    Ok(Step::Command(step))
}

fn download_step(
    spec: &InstallSpec,
    url: String,
    skill_key: &str,
    layout: &ToolsLayout,
) -> Result<Step, Unavailable> {
    let skill_dir = layout.skill_dir(skill_key);
    let target_dir = match spec.target_dir.as_deref().map(str::trim) {
        None | Some("") => skill_dir.clone(),
        Some(raw) => {
            let relative = Path::new(raw);
            let inside = !raw.starts_with('~')
                && relative.is_relative()
                && relative
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !inside {
                return Err(Unavailable(format!(
                    "refusing to install outside the skill's tools directory: targetDir \"{raw}\" \
                     must be a folder inside {}",
                    skill_dir.display()
                )));
            }
            skill_dir.join(relative)
        }
    };
    let file_name = url
        .split(['?', '#'])
        .next()
        .and_then(|u| u.rsplit('/').next())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .map(|n| n.chars().map(|c| if c == '\\' { '_' } else { c }).collect())
        .unwrap_or_else(|| "download".to_owned());
    let detected = archive_type(spec.archive.as_deref(), &file_name);
    let archive = match (spec.extract, detected) {
        (Some(false), _) => None,
        (Some(true), None) => {
            return Err(Unavailable(format!(
                "extract is requested but the archive type of {file_name} could not be detected \
                 (give archive: tar.gz, tar.bz2, tar.xz, tar or zip)"
            )));
        }
        (_, found) => found,
    };
    if let Some(kind) = &archive
        && !["tar.gz", "tar.bz2", "tar.xz", "tar", "zip"].contains(&kind.as_str())
    {
        return Err(Unavailable(format!(
            "archive type {kind} is not supported (tar.gz, tar.bz2, tar.xz, tar or zip)"
        )));
    }
    Ok(Step::Download(DownloadStep {
        url,
        sha256: spec.sha256.clone(),
        file_name,
        archive,
        strip_components: spec.strip_components.unwrap_or(0),
        skill_dir,
        target_dir,
        bins: spec.bins.clone(),
    }))
}

/// The archive type: the one given, else from the file name.
fn archive_type(given: Option<&str>, file_name: &str) -> Option<String> {
    if let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) {
        return Some(given.to_ascii_lowercase());
    }
    let lower = file_name.to_ascii_lowercase();
    let kind = if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
        "tar.gz"
    } else if lower.ends_with(".tar.bz2") || lower.ends_with(".tbz2") {
        "tar.bz2"
    } else if lower.ends_with(".tar.xz") || lower.ends_with(".txz") {
        "tar.xz"
    } else if lower.ends_with(".tar") {
        "tar"
    } else if lower.ends_with(".zip") {
        "zip"
    } else {
        return None;
    };
    Some(kind.to_owned())
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// `word` for a POSIX shell: as is when it holds only safe characters, else single-quoted.
pub fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn spec(kind: InstallKind) -> InstallSpec {
        InstallSpec {
            kind,
            id: None,
            label: None,
            bins: vec!["tool".into()],
            os: Vec::new(),
            formula: Some("gh".into()),
            package: Some("@scope/tool@1.2.0".into()),
            module: Some("example.com/tool/cmd/tool@latest".into()),
            url: Some("https://example.com/dl/tool-1.0-linux.tar.gz?x=1".into()),
            sha256: None,
            archive: None,
            strip_components: Some(1),
            extract: None,
            target_dir: None,
        }
    }

    /// A `PATH` holding fake `npm`, `uv` and `go` programs.
    fn fake_path(dir: &Path) -> std::ffi::OsString {
        use std::os::unix::fs::PermissionsExt;
        for program in ["npm", "uv", "go", "pnpm"] {
            let file = dir.join(program);
            std::fs::write(&file, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        dir.as_os_str().to_owned()
    }

    fn prefs() -> Preferences<'static> {
        Preferences {
            node_manager: "npm",
        }
    }

    #[test]
    fn package_managers_are_pointed_at_the_prefix() {
        let bin_dir = tempfile::tempdir().unwrap();
        let path = fake_path(bin_dir.path());
        let layout = ToolsLayout::new(Path::new("/state"));
        let Ok(Step::Command(npm)) =
            plan(&spec(InstallKind::Node), "tool", prefs(), &layout, &path)
        else {
            panic!("npm plan");
        };
        assert_eq!(
            npm.script(),
            "npm install --global --prefix /state/tools/.node --no-fund --no-audit --no-update-notifier @scope/tool@1.2.0"
        );
        assert_eq!(npm.bin_dir, PathBuf::from("/state/tools/.node/bin"));
        assert_eq!(npm.workspace, PathBuf::from("/state/tools/.node"));
        let Ok(Step::Command(uv)) = plan(&spec(InstallKind::Uv), "t", prefs(), &layout, &path)
        else {
            panic!("uv plan");
        };
        assert_eq!(uv.argv, ["uv", "tool", "install", "@scope/tool@1.2.0"]);
        assert!(
            uv.env
                .contains(&("UV_TOOL_BIN_DIR".into(), "/state/tools/.uv/bin".into()))
        );
        let Ok(Step::Command(go)) = plan(&spec(InstallKind::Go), "t", prefs(), &layout, &path)
        else {
            panic!("go plan");
        };
        assert_eq!(
            go.argv,
            ["go", "install", "example.com/tool/cmd/tool@latest"]
        );
        assert!(
            go.env
                .contains(&("GOBIN".into(), "/state/tools/.go/bin".into()))
        );
        let pnpm = Preferences {
            node_manager: "pnpm",
        };
        let Ok(Step::Command(p)) = plan(&spec(InstallKind::Node), "t", pnpm, &layout, &path) else {
            panic!("pnpm plan");
        };
        assert!(
            p.env
                .contains(&("PNPM_HOME".into(), "/state/tools/.pnpm/bin".into()))
        );
    }

    #[test]
    fn brew_and_missing_managers_are_unavailable_with_the_reason() {
        let empty = tempfile::tempdir().unwrap();
        let layout = ToolsLayout::new(Path::new("/state"));
        let path = empty.path().as_os_str();
        let brew = plan(&spec(InstallKind::Brew), "t", prefs(), &layout, path).unwrap_err();
        assert!(brew.0.contains("brew install gh"), "{brew}");
        let go = plan(&spec(InstallKind::Go), "t", prefs(), &layout, path).unwrap_err();
        assert!(go.0.starts_with("go is not installed"), "{go}");
        let npm = plan(&spec(InstallKind::Node), "t", prefs(), &layout, path).unwrap_err();
        assert!(npm.0.starts_with("npm is not installed"), "{npm}");
    }

    #[test]
    fn downloads_stay_inside_the_skills_tools_folder() {
        let layout = ToolsLayout::new(Path::new("/state"));
        let path = OsStr::new("");
        let Ok(Step::Download(d)) = plan(
            &spec(InstallKind::Download),
            "my skill",
            prefs(),
            &layout,
            path,
        ) else {
            panic!("download plan");
        };
        assert_eq!(d.file_name, "tool-1.0-linux.tar.gz");
        assert_eq!(d.archive.as_deref(), Some("tar.gz"));
        assert!(
            d.target_dir
                .to_string_lossy()
                .starts_with("/state/tools/my_skill-"),
            "{}",
            d.target_dir.display()
        );
        assert_eq!(d.strip_components, 1);
        let mut nested = spec(InstallKind::Download);
        nested.target_dir = Some("runtime".into());
        let Ok(Step::Download(d)) = plan(&nested, "k", prefs(), &layout, path) else {
            panic!("nested plan");
        };
        assert_eq!(d.target_dir, PathBuf::from("/state/tools/k/runtime"));
        for escape in ["../x", "/etc", "~/bin", "a/../../b"] {
            let mut bad = spec(InstallKind::Download);
            bad.target_dir = Some(escape.into());
            let err = plan(&bad, "k", prefs(), &layout, path).unwrap_err();
            assert!(
                err.0.contains("outside the skill's tools directory"),
                "{escape}: {err}"
            );
        }
        let mut unknown = spec(InstallKind::Download);
        unknown.url = Some("https://example.com/tool".into());
        unknown.extract = Some(true);
        assert!(plan(&unknown, "k", prefs(), &layout, path).is_err());
        unknown.extract = None;
        let Ok(Step::Download(plain)) = plan(&unknown, "k", prefs(), &layout, path) else {
            panic!("plain file");
        };
        assert_eq!(plain.archive, None);
    }

    #[test]
    fn keys_become_safe_folder_names() {
        assert_eq!(safe_segment("sherpa-onnx-tts"), "sherpa-onnx-tts");
        assert!(safe_segment(".bin").starts_with("_bin-"));
        assert!(safe_segment("..").starts_with("_.-"));
        assert_ne!(safe_segment("a b"), safe_segment("a_b"));
        assert_eq!(safe_segment("a_b"), "a_b");
        assert!(safe_segment("").starts_with("skill-"));
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("@scope/x@1"), "@scope/x@1");
    }
}
