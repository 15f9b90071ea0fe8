//! Skills: folders holding a `SKILL.md` that teach the agent a task, loaded as OpenClaw loads
//! them so a skill written for OpenClaw (or one of its 50 bundled skills) works unchanged.
//!
//! The design follows upstream's: skills are found in a fixed order of roots (the workspace,
//! `.agents/skills`, `~/.agents/skills`, the state directory's managed skills, the bundled
//! skills, `skills.load.extraDirs`), one skill per name with the highest root winning
//! ([`discover`]); their frontmatter is YAML with a JSON5 `metadata.openclaw` block
//! ([`frontmatter`], [`metadata`]); each is judged against the host (platform, programs on
//! `PATH`, environment, config) into upstream's status record ([`status`]); the agent sees the
//! usable ones as a catalog in its system prompt ([`prompt`]) and reads a `SKILL.md` when a task
//! matches, and users invoke them as slash commands ([`commands`]).
//!
//! Nothing here is cached: a catalog is cheap to build (a few hundred `stat`s and small
//! files), so callers load it when they need it — each turn — and an edited, added or removed
//! skill is seen by the next turn without a watcher or a restart.

pub mod clawhub;
pub mod commands;
pub mod discover;
pub mod frontmatter;
pub mod installer;
pub mod metadata;
pub mod prompt;
pub mod report;
pub mod skill;
pub mod status;
pub mod unzip;

use std::path::{Path, PathBuf};

use rustyclaw_config::file::{NodeManager, SkillsSection};
use rustyclaw_config::{Config, Env, env_vars};

pub use discover::{Catalog, Diagnostic, RootPaths, SkillRoot};
pub use report::Report;
pub use skill::{Skill, SkillSource};
pub use status::{HostFacts, Policy, SkillStatus};

/// Where one agent's skills come from.
#[derive(Debug, Clone)]
pub struct SkillsSetup {
    /// The roots, highest precedence first.
    pub roots: Vec<SkillRoot>,
    /// `skills.load.allowSymlinkTargets`, expanded.
    pub allow_symlink_targets: Vec<PathBuf>,
    /// The workspace.
    pub workspace: PathBuf,
    /// `<state dir>/skills`.
    pub managed_dir: PathBuf,
    /// `skills.limits` of discovery.
    pub limits: discover::DiscoverLimits,
}

impl SkillsSetup {
    /// The roots of an agent whose workspace is `workspace`, from the config and the
    /// environment. `exe_dir` is the directory of the running binary (a `skills/` folder
    /// beside it is the bundled one when `OPENCLAW_BUNDLED_SKILLS_DIR` is unset);
    /// `default_state` says whether the state directory is the default one (only then is
    /// `~/.agents/skills` read, as upstream does).
    pub fn new(
        section: &SkillsSection,
        env: &Env,
        state_dir: &Path,
        workspace: &Path,
        exe_dir: Option<&Path>,
        default_state: bool,
    ) -> Self {
        let expand = |p: &String| env.expand_tilde(Path::new(p));
        let load = section.load.as_ref();
        let bundled = match env.non_empty(env_vars::OPENCLAW_BUNDLED_SKILLS_DIR) {
            Some(dir) => Some(env.expand_tilde(Path::new(dir.trim()))),
            None => exe_dir.map(|d| d.join("skills")).filter(|d| d.is_dir()),
        };
        let paths = RootPaths {
            workspace: workspace.to_path_buf(),
            personal_home: env.home_dir().filter(|_| default_state),
            state_dir: state_dir.to_path_buf(),
            bundled,
            extra_dirs: load
                .and_then(|l| l.extra_dirs.as_ref())
                .map(|dirs| dirs.iter().map(expand).collect())
                .unwrap_or_default(),
        };
        Self {
            roots: discover::roots(&paths),
            allow_symlink_targets: load
                .and_then(|l| l.allow_symlink_targets.as_ref())
                .map(|dirs| dirs.iter().map(expand).collect())
                .unwrap_or_default(),
            workspace: workspace.to_path_buf(),
            managed_dir: state_dir.join("skills"),
            limits: discover_limits(section),
        }
    }

    /// Loads every skill of the roots now.
    pub fn load(&self) -> Catalog {
        discover::discover(&self.roots, &self.allow_symlink_targets, self.limits)
    }
}

/// The facts of this host from the environment the config was resolved against; the programs
/// skills installed under `state_dir` count as present (they are on the agent's `PATH`).
pub fn host_facts(env: &Env, state_dir: &Path) -> HostFacts {
    let mut facts = HostFacts::new(
        HostFacts::current_platform(),
        env.get(env_vars::PATH),
        env.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    );
    facts
        .path_dirs
        .push(rustyclaw_config::tools_bin_dir(state_dir));
    facts
}

/// The skill allowlist of `agent_id`: its own `skills` list, else `agents.defaults.skills`
/// (`None` = every skill).
pub fn agent_filter<'a>(config: &'a Config, agent_id: &str) -> Option<&'a [String]> {
    config
        .agents
        .get(agent_id)
        .and_then(|a| a.skills.as_deref())
}

/// Everything [`status::status_of`] reads from the config, for `agent_id`.
pub fn policy<'a>(config: &'a Config, agent_id: Option<&str>) -> Policy<'a> {
    let install = config.skills.install.as_ref();
    Policy {
        config: &config.document,
        entries: config.skills.entries.as_ref().unwrap_or(&EMPTY_ENTRIES),
        allow_bundled: config.skills.allow_bundled.as_deref(),
        agent_filter: agent_id.and_then(|id| agent_filter(config, id)),
        node_manager: install
            .and_then(|i| i.node_manager)
            .unwrap_or(NodeManager::Npm)
            .as_str(),
        prefer_brew: install.and_then(|i| i.prefer_brew).unwrap_or(true),
    }
}

static EMPTY_ENTRIES: std::collections::BTreeMap<
    String,
    rustyclaw_config::file::SkillEntrySection,
> = std::collections::BTreeMap::new();

/// The discovery limits of `skills.limits`.
fn discover_limits(section: &SkillsSection) -> discover::DiscoverLimits {
    let defaults = discover::DiscoverLimits::default();
    let limits = section.limits.as_ref();
    let count =
        |v: Option<u64>, default: usize| v.and_then(|v| usize::try_from(v).ok()).unwrap_or(default);
    discover::DiscoverLimits {
        max_candidates_per_root: count(
            limits.and_then(|l| l.max_candidates_per_root),
            defaults.max_candidates_per_root,
        ),
        max_skills_per_root: count(
            limits.and_then(|l| l.max_skills_loaded_per_source),
            defaults.max_skills_per_root,
        ),
        max_file_bytes: limits
            .and_then(|l| l.max_skill_file_bytes)
            .unwrap_or(defaults.max_file_bytes),
    }
}

/// The prompt limits of `skills.limits`.
pub fn prompt_limits(section: &SkillsSection) -> prompt::PromptLimits {
    let limits = section.limits.as_ref();
    let to_usize =
        |v: Option<u64>, default: usize| v.and_then(|v| usize::try_from(v).ok()).unwrap_or(default);
    prompt::PromptLimits {
        max_skills: to_usize(
            limits.and_then(|l| l.max_skills_in_prompt),
            prompt::DEFAULT_MAX_SKILLS_IN_PROMPT,
        ),
        max_chars: to_usize(
            limits.and_then(|l| l.max_skills_prompt_chars),
            prompt::DEFAULT_MAX_SKILLS_PROMPT_CHARS,
        ),
    }
}

/// Where the process runs: what every skill lookup of one agent needs besides the config.
#[derive(Debug, Clone)]
pub struct SkillsHost {
    /// The environment the config was resolved against.
    pub env: Env,
    /// The state directory.
    pub state_dir: PathBuf,
    /// Whether it is the default one (`~/.agents/skills` is read only then).
    pub default_state: bool,
    /// The directory of the running binary.
    pub exe_dir: Option<PathBuf>,
}

impl SkillsHost {
    /// The roots of `agent_id`'s skills (its workspace from the config; the default agent's
    /// when the id is unknown).
    pub fn setup(&self, config: &Config, agent_id: &str) -> SkillsSetup {
        let workspace = config
            .agents
            .get(agent_id)
            .map(|a| a.workspace.clone())
            .unwrap_or_else(|| config.agents.defaults.workspace.clone());
        SkillsSetup::new(
            &config.skills,
            &self.env,
            &self.state_dir,
            &workspace,
            self.exe_dir.as_deref(),
            self.default_state,
        )
    }

    /// The skill `name` of `agent_id`, as loaded now.
    pub fn find(&self, config: &Config, agent_id: &str, name: &str) -> Option<Skill> {
        self.setup(config, agent_id)
            .load()
            .skills
            .into_iter()
            .find(|s| s.name == name)
    }

    /// The status of every skill of `agent_id`, loaded now.
    pub fn report(&self, config: &Config, agent_id: &str) -> Report {
        let setup = self.setup(config, agent_id);
        let catalog = setup.load();
        let host = host_facts(&self.env, &self.state_dir);
        Report::build(
            &catalog,
            &policy(config, Some(agent_id)),
            &host,
            &setup.workspace.display().to_string(),
            &setup.managed_dir.display().to_string(),
            Some(agent_id),
        )
    }
}
