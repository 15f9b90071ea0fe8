//! One loaded skill: where it came from and what its frontmatter says.

use std::path::PathBuf;

use crate::frontmatter::Frontmatter;
use crate::metadata::SkillMetadata;

/// Where a skill was found, highest precedence first (the order of [`crate::roots`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkillSource {
    /// `<workspace>/skills`.
    Workspace,
    /// `<workspace>/.agents/skills`.
    ProjectAgents,
    /// `~/.agents/skills`.
    PersonalAgents,
    /// `<state dir>/skills`, where installs go with `--global`.
    Managed,
    /// The bundled skills directory (`OPENCLAW_BUNDLED_SKILLS_DIR`, or `skills/` beside the
    /// binary).
    Bundled,
    /// `skills.load.extraDirs`.
    Extra,
}

impl SkillSource {
    /// The label OpenClaw reports (`source` in `skills list --json` and `skills.status`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Workspace => "openclaw-workspace",
            Self::ProjectAgents => "agents-skills-project",
            Self::PersonalAgents => "agents-skills-personal",
            Self::Managed => "openclaw-managed",
            Self::Bundled => "openclaw-bundled",
            Self::Extra => "openclaw-extra",
        }
    }

    /// Whether the skill came with the install (`skills.allowBundled` applies to it).
    pub fn is_bundled(self) -> bool {
        self == Self::Bundled
    }

    /// Whether a skill folder of this root may be a symlink to a folder outside it.
    pub(crate) fn allows_linked_folders(self) -> bool {
        matches!(self, Self::PersonalAgents | Self::Managed | Self::Bundled)
    }
}

/// A slash command that calls a tool directly instead of asking the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolDispatch {
    /// The tool called with `{command, commandName, skillName}`.
    pub tool: String,
}

/// A skill found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skill {
    /// Its name: `name` from the frontmatter, or its folder's name.
    pub name: String,
    /// Its description (required: a skill without one is not loaded).
    pub description: String,
    /// Its `SKILL.md`.
    pub file_path: PathBuf,
    /// The folder holding `SKILL.md` (`{baseDir}` in the body).
    pub base_dir: PathBuf,
    /// Which root it was found in.
    pub source: SkillSource,
    /// Every frontmatter key, as text.
    pub frontmatter: Frontmatter,
    /// `metadata.openclaw`, when present.
    pub metadata: Option<SkillMetadata>,
    /// Offered as a slash command (`user-invocable`, default true).
    pub user_invocable: bool,
    /// Kept out of the model's catalog (`disable-model-invocation`, default false).
    pub disable_model_invocation: bool,
    /// `command-dispatch: tool` with its `command-tool`.
    pub tool_dispatch: Option<ToolDispatch>,
    /// A hash of the file's text: two roots holding the same file are not a conflict.
    pub content_hash: u64,
}

impl Skill {
    /// The key of its settings under `skills.entries` (`metadata.openclaw.skillKey`, else its
    /// name).
    pub fn key(&self) -> &str {
        self.metadata
            .as_ref()
            .and_then(|m| m.skill_key.as_deref())
            .unwrap_or(&self.name)
    }

    /// `emoji` from the manifest, else from the frontmatter.
    pub fn emoji(&self) -> Option<&str> {
        self.metadata
            .as_ref()
            .and_then(|m| m.emoji.as_deref())
            .or_else(|| self.frontmatter.get("emoji").map(String::as_str))
    }

    /// The homepage from the manifest, else the frontmatter's `homepage`, `website` or `url`.
    pub fn homepage(&self) -> Option<&str> {
        self.metadata
            .as_ref()
            .and_then(|m| m.homepage.as_deref())
            .or_else(|| {
                ["homepage", "website", "url"]
                    .iter()
                    .find_map(|k| self.frontmatter.get(*k).map(String::as_str))
            })
            .map(str::trim)
            .filter(|h| !h.is_empty())
    }
}

/// A frontmatter boolean as upstream reads one (`true/false`, `yes/no`, `on/off`, `1/0`).
pub(crate) fn parse_bool(text: Option<&String>, default: bool) -> bool {
    match text.map(|t| t.trim().to_ascii_lowercase()).as_deref() {
        Some("true" | "yes" | "on" | "1") => true,
        Some("false" | "no" | "off" | "0") => false,
        _ => default,
    }
}
