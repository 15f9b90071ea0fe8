//! Finding skills: the roots in OpenClaw's precedence, the `SKILL.md` files under each, and
//! one skill per name.
//!
//! Under a root, a folder holding `SKILL.md` is a skill and is not searched further; other
//! folders are searched up to six levels deep (grouped layouts such as
//! `skills/personal/research/SKILL.md`), skipping hidden folders and `node_modules`. A skill's
//! folder must resolve inside its root (a symlink pointing elsewhere is refused) unless the
//! root is one where linked folders are normal (managed, personal, bundled) or the target is
//! under `skills.load.allowSymlinkTargets`; its `SKILL.md` must always resolve inside its own
//! folder. A file that cannot be read or parsed, or has no description, is reported and
//! skipped; its siblings still load.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use rustyclaw_config::regular_file::{ReadLimits, read_text};

use crate::frontmatter;
use crate::metadata;
use crate::skill::{Skill, SkillSource, ToolDispatch, parse_bool};

/// How deep under a root `SKILL.md` is looked for.
const MAX_DEPTH: usize = 6;

/// How much discovery reads (`skills.limits`, upstream's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiscoverLimits {
    /// Folders looked at under one root.
    pub max_candidates_per_root: usize,
    /// Skills loaded from one root.
    pub max_skills_per_root: usize,
    /// The largest `SKILL.md` read, in bytes.
    pub max_file_bytes: u64,
}

impl Default for DiscoverLimits {
    fn default() -> Self {
        Self {
            max_candidates_per_root: 300,
            max_skills_per_root: 200,
            max_file_bytes: 256_000,
        }
    }
}

/// One directory skills are loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillRoot {
    /// The directory.
    pub dir: PathBuf,
    /// What kind of root it is.
    pub source: SkillSource,
}

/// Where the roots are.
#[derive(Debug, Clone, Default)]
pub struct RootPaths {
    /// The agent's workspace.
    pub workspace: PathBuf,
    /// The home directory, for `~/.agents/skills`; `None` leaves that root out (OpenClaw
    /// reads it only with the default state directory).
    pub personal_home: Option<PathBuf>,
    /// The state directory (`<state>/skills` holds managed skills).
    pub state_dir: PathBuf,
    /// The bundled skills directory, if there is one.
    pub bundled: Option<PathBuf>,
    /// `skills.load.extraDirs`, with `~` already expanded.
    pub extra_dirs: Vec<PathBuf>,
}

/// The roots in precedence order, highest first.
pub fn roots(paths: &RootPaths) -> Vec<SkillRoot> {
    let mut out = vec![
        SkillRoot {
            dir: paths.workspace.join("skills"),
            source: SkillSource::Workspace,
        },
        SkillRoot {
            dir: paths.workspace.join(".agents").join("skills"),
            source: SkillSource::ProjectAgents,
        },
    ];
    if let Some(home) = &paths.personal_home {
        out.push(SkillRoot {
            dir: home.join(".agents").join("skills"),
            source: SkillSource::PersonalAgents,
        });
    }
    out.push(SkillRoot {
        dir: paths.state_dir.join("skills"),
        source: SkillSource::Managed,
    });
    if let Some(bundled) = &paths.bundled {
        out.push(SkillRoot {
            dir: bundled.clone(),
            source: SkillSource::Bundled,
        });
    }
    out.extend(paths.extra_dirs.iter().map(|dir| SkillRoot {
        dir: dir.clone(),
        source: SkillSource::Extra,
    }));
    out
}

/// Something wrong with one skill file, reported and skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file or folder concerned.
    pub path: PathBuf,
    /// What is wrong, in words.
    pub message: String,
}

/// Every skill found, one per name, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// The winning skill of each name.
    pub skills: Vec<Skill>,
    /// Files skipped and skills shadowed by a different one of the same name.
    pub diagnostics: Vec<Diagnostic>,
}

impl Catalog {
    /// The skill called `name` (exact name, then skill key, then case-insensitively).
    pub fn find(&self, name: &str) -> Option<&Skill> {
        let name = name.trim();
        self.skills
            .iter()
            .find(|s| s.name == name)
            .or_else(|| self.skills.iter().find(|s| s.key() == name))
            .or_else(|| {
                self.skills.iter().find(|s| {
                    s.name.eq_ignore_ascii_case(name) || s.key().eq_ignore_ascii_case(name)
                })
            })
    }
}

/// Loads every root; a name found in several roots is taken from the highest.
pub fn discover(
    roots: &[SkillRoot],
    allow_symlink_targets: &[PathBuf],
    limits: DiscoverLimits,
) -> Catalog {
    let allowed_targets: Vec<PathBuf> = allow_symlink_targets
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let mut by_name: BTreeMap<String, Skill> = BTreeMap::new();
    let mut diagnostics = Vec::new();
    for root in roots {
        let mut found = Vec::new();
        load_root(root, &allowed_targets, limits, &mut found, &mut diagnostics);
        for skill in found {
            match by_name.get(&skill.name) {
                Some(winner) => {
                    if winner.content_hash != skill.content_hash {
                        diagnostics.push(Diagnostic {
                            path: skill.file_path.clone(),
                            message: format!(
                                "skill \"{}\" is shadowed by {} (higher precedence)",
                                skill.name,
                                winner.file_path.display()
                            ),
                        });
                    }
                }
                None => {
                    by_name.insert(skill.name.clone(), skill);
                }
            }
        }
    }
    Catalog {
        skills: by_name.into_values().collect(),
        diagnostics,
    }
}

fn load_root(
    root: &SkillRoot,
    allowed_targets: &[PathBuf],
    limits: DiscoverLimits,
    out: &mut Vec<Skill>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Ok(real_root) = root.dir.canonicalize() else {
        return;
    };
    let mut skill_dirs = Vec::new();
    let mut budget = limits.max_candidates_per_root;
    walk(&root.dir, 0, &mut budget, &mut skill_dirs);
    if budget == 0 {
        diagnostics.push(Diagnostic {
            path: root.dir.clone(),
            message: format!(
                "more than {} folders under this root: the rest are not searched (skills.limits.maxCandidatesPerRoot)",
                limits.max_candidates_per_root
            ),
        });
    }
    let loaded_before = out.len();
    for dir in skill_dirs {
        if out.len() - loaded_before >= limits.max_skills_per_root {
            diagnostics.push(Diagnostic {
                path: root.dir.clone(),
                message: format!(
                    "more than {} skills in this root: the rest are not loaded (skills.limits.maxSkillsLoadedPerSource)",
                    limits.max_skills_per_root
                ),
            });
            break;
        }
        let Ok(real_dir) = dir.canonicalize() else {
            continue;
        };
        let confined = real_dir.starts_with(&real_root)
            || root.source.allows_linked_folders()
            || allowed_targets.iter().any(|t| real_dir.starts_with(t));
        if !confined {
            diagnostics.push(Diagnostic {
                path: dir.clone(),
                message: format!(
                    "skill folder resolves to {}, outside {} (add it to skills.load.allowSymlinkTargets to trust it)",
                    real_dir.display(),
                    real_root.display()
                ),
            });
            continue;
        }
        let file = dir.join("SKILL.md");
        match file.canonicalize() {
            Ok(real_file) if real_file.starts_with(&real_dir) => {}
            _ => {
                diagnostics.push(Diagnostic {
                    path: file,
                    message: "SKILL.md resolves outside its skill folder".to_owned(),
                });
                continue;
            }
        }
        match load_skill(&file, &dir, root.source, limits.max_file_bytes) {
            Ok(skill) => out.push(skill),
            Err(message) => diagnostics.push(Diagnostic {
                path: file,
                message,
            }),
        }
    }
}

/// Collects the folders under `dir` that hold a `SKILL.md`, in name order.
fn walk(dir: &Path, depth: usize, budget: &mut usize, out: &mut Vec<PathBuf>) {
    if depth >= MAX_DEPTH || *budget == 0 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut children: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            (!name.starts_with('.') && name != "node_modules").then(|| (name, e.path()))
        })
        .filter(|(_, path)| path.is_dir())
        .collect();
    children.sort();
    for (_, child) in children {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        if child.join("SKILL.md").is_file() {
            out.push(child);
        } else {
            walk(&child, depth + 1, budget, out);
        }
    }
}

/// Reads one skill; the error says why it was skipped.
fn load_skill(
    file: &Path,
    dir: &Path,
    source: SkillSource,
    max_bytes: u64,
) -> Result<Skill, String> {
    let limits = ReadLimits {
        max_bytes,
        follow_symlinks: true,
    };
    let text = read_text(file, limits).map_err(|e| format!("cannot read: {e}"))?;
    let doc = frontmatter::parse(&text).map_err(|e| format!("invalid frontmatter: {e}"))?;
    let fm = doc.frontmatter;
    let description = fm
        .get("description")
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
        .ok_or_else(|| "the frontmatter has no description".to_owned())?;
    let folder_name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let name = fm
        .get("name")
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or(folder_name);
    let tool_dispatch = match fm.get("command-dispatch").map(|d| d.trim()) {
        Some(d) if d.eq_ignore_ascii_case("tool") => fm
            .get("command-tool")
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
            .map(|tool| ToolDispatch {
                tool: tool.to_owned(),
            }),
        _ => None,
    };
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    Ok(Skill {
        description,
        file_path: file.to_path_buf(),
        base_dir: dir.to_path_buf(),
        source,
        metadata: metadata::from_frontmatter(&fm),
        user_invocable: parse_bool(fm.get("user-invocable"), true),
        disable_model_invocation: parse_bool(fm.get("disable-model-invocation"), false),
        tool_dispatch,
        content_hash: hasher.finish(),
        frontmatter: fm,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn skill_md(name: &str, description: &str) -> String {
        format!("---\nname: {name}\ndescription: {description}\n---\nBody of {name}.\n")
    }

    #[test]
    fn higher_roots_win_and_grouped_layouts_are_found() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path().join("ws");
        let state = tmp.path().join("state");
        write(
            &ws,
            "skills/group/research/SKILL.md",
            &skill_md("research", "Workspace copy"),
        );
        write(
            &state,
            "skills/research/SKILL.md",
            &skill_md("research", "Managed copy"),
        );
        write(&state, "skills/notes/SKILL.md", &skill_md("notes", "Notes"));
        write(&state, "skills/broken/SKILL.md", "---\nname: broken\n---\n");
        write(
            &state,
            "skills/.hidden/SKILL.md",
            &skill_md("hidden", "Hidden"),
        );
        let roots = roots(&RootPaths {
            workspace: ws,
            state_dir: state,
            ..RootPaths::default()
        });
        let catalog = discover(&roots, &[], DiscoverLimits::default());
        let names: Vec<_> = catalog
            .skills
            .iter()
            .map(|s| (s.name.as_str(), s.description.as_str(), s.source))
            .collect();
        assert_eq!(
            names,
            vec![
                ("notes", "Notes", SkillSource::Managed),
                ("research", "Workspace copy", SkillSource::Workspace),
            ]
        );
        let messages: Vec<_> = catalog
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert!(
            messages.iter().any(|m| m.contains("no description")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("shadowed")),
            "{messages:?}"
        );
    }

    #[test]
    fn a_workspace_skill_linked_from_outside_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        write(&outside, "evil/SKILL.md", &skill_md("evil", "Outside"));
        let ws = tmp.path().join("ws");
        std::fs::create_dir_all(ws.join("skills")).unwrap();
        std::os::unix::fs::symlink(outside.join("evil"), ws.join("skills/evil")).unwrap();
        let roots = roots(&RootPaths {
            workspace: ws.clone(),
            state_dir: tmp.path().join("state"),
            ..RootPaths::default()
        });
        let catalog = discover(&roots, &[], DiscoverLimits::default());
        assert!(catalog.skills.is_empty());
        assert!(catalog.diagnostics[0].message.contains("outside"));
        let trusted = discover(&roots, &[outside], DiscoverLimits::default());
        assert_eq!(trusted.skills[0].name, "evil");
    }

    #[test]
    fn the_folder_name_stands_in_for_a_missing_name() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "skills/my-tool/SKILL.md",
            "---\ndescription: d\nuser-invocable: no\ncommand-dispatch: tool\ncommand-tool: exec\n---\n",
        );
        let catalog = discover(
            &[SkillRoot {
                dir: tmp.path().join("skills"),
                source: SkillSource::Extra,
            }],
            &[],
            DiscoverLimits::default(),
        );
        let skill = &catalog.skills[0];
        assert_eq!(skill.name, "my-tool");
        assert!(!skill.user_invocable);
        assert_eq!(skill.tool_dispatch.as_ref().unwrap().tool, "exec");
    }
}
