//! Installing, updating and removing ClawHub skills, as `openclaw skills install|update`
//! does: into `<workspace>/skills/<slug>` (or `<state dir>/skills/<slug>` for every agent),
//! with `.clawhub/origin.json` in the skill folder and `.clawhub/lock.json` beside the skills
//! folder recording what came from where, so `update` can tell a newer version and a skill
//! edited by hand apart.
//!
//! Nothing is written into the skills folder before the archive has been unpacked into a
//! staging folder next to it and scanned ([`super::scan`]); a skill the registry blocked is
//! never installed, one the scan flags only with `force`, which also replaces an existing
//! folder. The move into place is a rename, so a crash leaves the old skill or the new one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::archive::{self, ArchiveError};
use super::client::{ClawHub, ClawHubError, Resolved, SkillRef, Verdict};
use super::scan::{ScanReport, scan};

/// Why an install, update or removal did not happen.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The registry failed or refused.
    #[error(transparent)]
    ClawHub(#[from] ClawHubError),
    /// ClawHub blocked this release.
    #[error("ClawHub blocked {slug} {version} ({reasons}); it was not installed")]
    Blocked {
        /// The skill.
        slug: String,
        /// The version.
        version: String,
        /// The registry's reasons.
        reasons: String,
    },
    /// The static scan found what the risk guards block.
    #[error(
        "{slug} {version} was refused by the static scan:\n{summary}\nRead its files; install it anyway with --force"
    )]
    Flagged {
        /// The skill.
        slug: String,
        /// The version.
        version: String,
        /// The findings, one per line.
        summary: String,
        /// The whole report.
        report: Box<ScanReport>,
    },
    /// A folder of that name is there already.
    #[error("{} already exists; use --force to replace it, or `rustyclaw skills update {slug}`", dir.display())]
    Exists {
        /// The skill.
        slug: String,
        /// The folder.
        dir: PathBuf,
    },
    /// The skill was edited since it was installed.
    #[error("{slug} was changed since it was installed; use --force to replace the local changes")]
    LocallyModified {
        /// The skill.
        slug: String,
    },
    /// Not a skill installed from ClawHub.
    #[error("{slug} was not installed from ClawHub here (no entry in {})", lock.display())]
    NotTracked {
        /// The skill.
        slug: String,
        /// The lock file.
        lock: PathBuf,
    },
    /// The archive was refused.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A file could not be written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InstallError + '_ {
    move |source| InstallError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where skills are installed: `<base>/skills/<slug>`, with `<base>/.clawhub/lock.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallRoot {
    /// The workspace (or the state directory, for skills of every agent).
    pub base: PathBuf,
}

impl InstallRoot {
    /// `<base>/skills`.
    pub fn skills_dir(&self) -> PathBuf {
        self.base.join("skills")
    }

    /// `<base>/.clawhub/lock.json`.
    pub fn lock_path(&self) -> PathBuf {
        self.base.join(".clawhub").join("lock.json")
    }
}

/// A skill installed (or updated).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installed {
    /// The slug.
    pub slug: String,
    /// The version now installed.
    pub version: String,
    /// The version before, for an update.
    pub previous_version: Option<String>,
    /// Its folder.
    pub dir: PathBuf,
    /// What the scan found (findings under the blocking threshold, or all of them with force).
    pub scan: ScanReport,
    /// The registry's verdict.
    pub verdict: Verdict,
}

/// `.clawhub/lock.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    /// The file format.
    pub version: u32,
    /// By slug.
    pub skills: BTreeMap<String, LockEntry>,
}

/// One skill of the lock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LockEntry {
    /// The installed version.
    pub version: String,
    /// The registry it came from.
    pub registry: String,
    /// When, Unix ms.
    pub installed_at: i64,
    /// The publisher.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_handle: Option<String>,
    /// `sha256:<hex>` of the folder's files as installed.
    pub file_tree_sha256: String,
    /// Fields written by others, kept.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

/// Reads the lock of `root` (empty when missing).
pub fn read_lock(root: &InstallRoot) -> Result<Lock, InstallError> {
    let path = root.lock_path();
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| InstallError::Io {
            path: path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Lock {
            version: 1,
            ..Lock::default()
        }),
        Err(source) => Err(InstallError::Io { path, source }),
    }
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), InstallError> {
    let text = serde_json::to_vec_pretty(value).map_err(|e| InstallError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    rustyclaw_support::write_atomic(
        path,
        &text,
        rustyclaw_support::WritePolicy {
            mode: rustyclaw_support::FileMode::KeepExisting { new: 0o644 },
            parent: rustyclaw_support::ParentDir::Create { mode: 0o755 },
        },
    )
    .map_err(io(path))
}

/// Installs `skill` (`version`, else the latest) into `root`.
pub async fn install(
    hub: &ClawHub,
    root: &InstallRoot,
    skill: &SkillRef,
    version: Option<&str>,
    force: bool,
) -> Result<Installed, InstallError> {
    let resolved = hub.resolve(skill, version).await?;
    let target = root.skills_dir().join(&resolved.slug);
    if target.exists() && !force {
        return Err(InstallError::Exists {
            slug: resolved.slug,
            dir: target,
        });
    }
    place(hub, root, &resolved, force, None).await
}

/// Downloads, checks and puts `resolved` into place.
async fn place(
    hub: &ClawHub,
    root: &InstallRoot,
    resolved: &Resolved,
    force: bool,
    previous_version: Option<String>,
) -> Result<Installed, InstallError> {
    let verdict = hub.verdict(resolved).await?;
    if verdict.blocked {
        return Err(InstallError::Blocked {
            slug: resolved.slug.clone(),
            version: resolved.version.clone(),
            reasons: verdict.reasons.join(", "),
        });
    }
    let bytes = hub.download(&resolved.download_url).await?;
    let skills_dir = root.skills_dir();
    std::fs::create_dir_all(&skills_dir).map_err(io(&skills_dir))?;
    // Staged beside the skills so the final move is a rename on one file system; a hidden
    // name keeps it out of skill discovery.
    let staging = tempfile::Builder::new()
        .prefix(".clawhub-staging-")
        .tempdir_in(&skills_dir)
        .map_err(io(&skills_dir))?;
    let unpacked = {
        let bytes = bytes.clone();
        let into = staging.path().to_path_buf();
        tokio::task::spawn_blocking(move || archive::unpack(&bytes, &into))
            .await
            .map_err(|e| InstallError::Io {
                path: staging.path().to_path_buf(),
                source: std::io::Error::other(e),
            })??
    };
    let report = {
        let dir = unpacked.clone();
        tokio::task::spawn_blocking(move || scan(&dir))
            .await
            .map_err(|e| InstallError::Io {
                path: unpacked.clone(),
                source: std::io::Error::other(e),
            })?
    };
    if !report.is_clean() && !force {
        return Err(InstallError::Flagged {
            slug: resolved.slug.clone(),
            version: resolved.version.clone(),
            summary: report.summary(),
            report: Box::new(report),
        });
    }
    let now = rustyclaw_support::now_ms_i64();
    let digest = Sha256::digest(&bytes);
    let skill_md = std::fs::read(unpacked.join("SKILL.md")).unwrap_or_default();
    let tree = file_tree_sha256(&unpacked);
    let origin = serde_json::json!({
        "version": 1,
        "registry": hub.registry(),
        "slug": resolved.slug,
        "ownerHandle": resolved.owner,
        "installedAt": now,
        "artifact": {
            "kind": "archive",
            "sha256": hex::encode(digest),
            "integrity": format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest)),
        },
        "skillFile": {"path": "SKILL.md", "sha256": hex::encode(Sha256::digest(&skill_md))},
        "fileTreeSha256": tree,
        "installedVersion": resolved.version,
        "scan": {"files": report.files, "findings": report.blocking.len() + report.review.len()},
    });
    write_json(&unpacked.join(".clawhub").join("origin.json"), &origin)?;
    let target = skills_dir.join(&resolved.slug);
    let replaced = skills_dir.join(format!(".clawhub-replaced-{}-{now}", resolved.slug));
    if target.exists() {
        std::fs::rename(&target, &replaced).map_err(io(&target))?;
    }
    std::fs::rename(&unpacked, &target).map_err(io(&target))?;
    if replaced.exists() {
        std::fs::remove_dir_all(&replaced).map_err(io(&replaced))?;
    }
    let mut lock = read_lock(root)?;
    lock.version = 1;
    lock.skills.insert(
        resolved.slug.clone(),
        LockEntry {
            version: resolved.version.clone(),
            registry: hub.registry().to_owned(),
            installed_at: now,
            owner_handle: resolved.owner.clone(),
            file_tree_sha256: tree,
            other: serde_json::Map::new(),
        },
    );
    write_json(&root.lock_path(), &lock)?;
    Ok(Installed {
        slug: resolved.slug.clone(),
        version: resolved.version.clone(),
        previous_version,
        dir: target,
        scan: report,
        verdict,
    })
}

/// What an update did to one skill.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOutcome {
    /// The skill.
    pub slug: String,
    /// The update (`None`: it failed, see `error`).
    pub installed: Option<Installed>,
    /// Already the latest version.
    pub unchanged: bool,
    /// Why it failed.
    pub error: Option<String>,
}

/// Updates `slug` (or every skill of the lock) to the latest version.
pub async fn update(
    hub: &ClawHub,
    root: &InstallRoot,
    slug: Option<&str>,
    force: bool,
) -> Result<Vec<UpdateOutcome>, InstallError> {
    let lock = read_lock(root)?;
    let slugs: Vec<String> = match slug {
        Some(slug) => {
            if !lock.skills.contains_key(slug) {
                return Err(InstallError::NotTracked {
                    slug: slug.to_owned(),
                    lock: root.lock_path(),
                });
            }
            vec![slug.to_owned()]
        }
        None => lock.skills.keys().cloned().collect(),
    };
    let mut outcomes = Vec::new();
    for slug in slugs {
        let entry = &lock.skills[&slug];
        let result = update_one(hub, root, &slug, entry, force).await;
        outcomes.push(match result {
            Ok(None) => UpdateOutcome {
                slug,
                installed: None,
                unchanged: true,
                error: None,
            },
            Ok(Some(installed)) => UpdateOutcome {
                slug,
                installed: Some(installed),
                unchanged: false,
                error: None,
            },
            Err(e) => UpdateOutcome {
                slug,
                installed: None,
                unchanged: false,
                error: Some(e.to_string()),
            },
        });
    }
    Ok(outcomes)
}

async fn update_one(
    hub: &ClawHub,
    root: &InstallRoot,
    slug: &str,
    entry: &LockEntry,
    force: bool,
) -> Result<Option<Installed>, InstallError> {
    let dir = root.skills_dir().join(slug);
    if !force && dir.exists() && file_tree_sha256(&dir) != entry.file_tree_sha256 {
        return Err(InstallError::LocallyModified {
            slug: slug.to_owned(),
        });
    }
    let skill = SkillRef {
        owner: entry.owner_handle.clone(),
        slug: slug.to_owned(),
    };
    let resolved = hub.resolve(&skill, None).await?;
    if resolved.version == entry.version && dir.exists() {
        return Ok(None);
    }
    place(hub, root, &resolved, force, Some(entry.version.clone()))
        .await
        .map(Some)
}

/// Removes `slug` from `root` and from its lock.
pub fn remove(root: &InstallRoot, slug: &str) -> Result<PathBuf, InstallError> {
    let mut lock = read_lock(root)?;
    let dir = root.skills_dir().join(slug);
    let tracked = lock.skills.remove(slug).is_some();
    if !tracked && !dir.join(".clawhub").join("origin.json").exists() {
        return Err(InstallError::NotTracked {
            slug: slug.to_owned(),
            lock: root.lock_path(),
        });
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
    }
    write_json(&root.lock_path(), &lock)?;
    Ok(dir)
}

/// `sha256:<hex>` of a folder's files (paths, types and contents, sorted), `.clawhub` left out,
/// as upstream computes it to notice local edits.
pub fn file_tree_sha256(dir: &Path) -> String {
    let mut entries: Vec<Value> = Vec::new();
    walk_tree(dir, dir, &mut entries);
    let text = serde_json::to_string(&entries).unwrap_or_default();
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

fn walk_tree(root: &Path, dir: &Path, out: &mut Vec<Value>) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut children: Vec<PathBuf> = read.filter_map(Result::ok).map(|e| e.path()).collect();
    children.sort();
    for path in children {
        let rel = path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        if rel == ".clawhub" || rel == ".clawdhub" {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            out.push(serde_json::json!({"path": rel, "type": "directory"}));
            walk_tree(root, &path, out);
        } else if meta.is_file() {
            let sha = std::fs::read(&path)
                .map(|b| hex::encode(Sha256::digest(&b)))
                .unwrap_or_default();
            out.push(serde_json::json!({"path": rel, "type": "file", "sha256": sha}));
        }
    }
}
