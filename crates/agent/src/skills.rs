//! The skills of one turn: loaded from disk when the turn starts (so an added, edited or
//! removed skill is seen by the next turn, with no watcher and no restart), judged against the
//! host and the config, and turned into what the turn needs — the catalog of the system
//! prompt, read access to the skills' folders, the variables of `skills.entries` for its
//! commands, and the slash commands users may type.

use std::sync::Arc;

use rustyclaw_config::{AgentConfig, Config, ExposeSecret};
use rustyclaw_skills::commands::{self, SkillCommand};
use rustyclaw_skills::skill::ToolDispatch;
use rustyclaw_skills::{Skill, SkillsHost, prompt};
use rustyclaw_tools::SkillGrants;

/// Names a skill's command may not take besides the built-in commands: `/skill` itself, and
/// OpenClaw's `/help` and `/stop`, which this command table does not carry, so a skill cannot
/// take a name users already know for something else.
const ALSO_RESERVED: [&str; 3] = ["skill", "help", "stop"];

/// Every name a skill's command may not take: the built-in commands with their aliases, and
/// [`ALSO_RESERVED`].
fn reserved_commands() -> Vec<&'static str> {
    crate::commands::COMMANDS
        .iter()
        .flat_map(|command| std::iter::once(command.name).chain(command.aliases.iter().copied()))
        .chain(ALSO_RESERVED)
        .collect()
}

/// What the turn's skills give it.
#[derive(Debug, Default)]
pub(crate) struct TurnSkills {
    /// The catalog for the system prompt (empty without skills).
    pub catalog: String,
    /// Read access and variables for the turn's tools.
    pub grants: Arc<SkillGrants>,
    /// The skills users may invoke, with their commands.
    invocable: Vec<(SkillCommand, Skill)>,
}

/// A message that invokes a skill.
#[derive(Debug)]
pub(crate) enum Invocation {
    /// The model is asked to follow the skill; this is the message it gets.
    Prompt(String),
    /// The skill's tool is called directly with these arguments.
    Tool {
        /// The tool.
        tool: String,
        /// `{command, commandName, skillName}`.
        args: serde_json::Value,
    },
    /// `/skill` named no skill this agent may use.
    Unknown(String),
}

impl TurnSkills {
    /// Loads the skills `agent` may use now. Blocking file I/O, run off the async threads.
    pub async fn load(
        host: Option<Arc<SkillsHost>>,
        config: Arc<Config>,
        agent: &AgentConfig,
    ) -> Self {
        let Some(host) = host else {
            return Self::default();
        };
        let agent_id = agent.id.clone();
        tokio::task::spawn_blocking(move || Self::load_now(&host, &config, &agent_id))
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "loading skills failed; the turn runs without them");
                Self::default()
            })
    }

    fn load_now(host: &SkillsHost, config: &Config, agent_id: &str) -> Self {
        let setup = host.setup(config, agent_id);
        let catalog = setup.load();
        for diagnostic in &catalog.diagnostics {
            tracing::debug!(path = %diagnostic.path.display(), "skill skipped: {}", diagnostic.message);
        }
        let facts = rustyclaw_skills::host_facts(&host.env, &host.state_dir);
        let policy = rustyclaw_skills::policy(config, Some(agent_id));
        let mut visible: Vec<&Skill> = Vec::new();
        let mut available: Vec<&Skill> = Vec::new();
        let mut grants = SkillGrants::default();
        for skill in &catalog.skills {
            let status = rustyclaw_skills::status::status_of(skill, &policy, &facts);
            if !status.eligible || status.blocked_by_agent_filter {
                continue;
            }
            available.push(skill);
            if status.model_visible {
                visible.push(skill);
            }
            grants.read_roots.push(skill.base_dir.clone());
            let key = skill.key();
            if let Some(entry) = policy.entries.get(key) {
                for (name, value) in entry.env.iter().flatten() {
                    if host.env.get(name).is_none_or(str::is_empty) {
                        grants.env.insert(name.clone(), value.clone());
                    }
                }
            }
            if let (Some(primary), Some(secret)) = (
                skill.metadata.as_ref().and_then(|m| m.primary_env.as_ref()),
                config.skill_api_keys.get(key),
            ) && host.env.get(primary).is_none_or(str::is_empty)
            {
                grants
                    .env
                    .insert(primary.clone(), secret.expose_secret().to_owned());
            }
        }
        let text = prompt::catalog(&visible, rustyclaw_skills::prompt_limits(&config.skills));
        let commands = commands::commands(&available, &reserved_commands());
        let invocable = commands
            .into_iter()
            .filter_map(|command| {
                let skill = available.iter().find(|s| s.name == command.skill_name)?;
                Some((command, (*skill).clone()))
            })
            .collect();
        Self {
            catalog: text,
            grants: Arc::new(grants),
            invocable,
        }
    }

    /// The invocation `text` makes, if it starts with `/skill <name>` or a skill's command.
    pub fn invocation(&self, text: &str) -> Option<Invocation> {
        let rest = text.trim_start().strip_prefix('/')?;
        let (word, input) = split_word(rest);
        let word = word.to_lowercase();
        let (skill, command, input) = if word == "skill" {
            let (name, input) = split_word(input);
            if name.is_empty() {
                return Some(Invocation::Unknown(
                    "Usage: /skill <name> [input]".to_owned(),
                ));
            }
            let found = self.invocable.iter().find(|(c, s)| {
                s.name.eq_ignore_ascii_case(name) || c.name.eq_ignore_ascii_case(name)
            });
            let Some((command, skill)) = found else {
                return Some(Invocation::Unknown(format!(
                    "No skill {name:?} is available here. `rustyclaw skills list` shows the skills there are."
                )));
            };
            (skill, command, input)
        } else {
            let (command, skill) = self.invocable.iter().find(|(c, _)| c.name == word)?;
            (skill, command, input)
        };
        let input = input.trim();
        if let Some(ToolDispatch { tool }) = &skill.tool_dispatch {
            return Some(Invocation::Tool {
                tool: tool.clone(),
                args: serde_json::json!({
                    "command": input,
                    "commandName": command.name,
                    "skillName": skill.name,
                }),
            });
        }
        let mut message = format!(
            "Use the \"{}\" skill for this request: read its instructions at {} first and follow them.",
            skill.name,
            skill.file_path.display()
        );
        if !input.is_empty() {
            message.push_str("\n\n");
            message.push_str(input);
        }
        Some(Invocation::Prompt(message))
    }
}

/// The first word of `text` and the rest.
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::reserved_commands;

    #[test]
    fn skill_commands_cannot_take_a_built_in_name_or_alias() {
        let reserved = reserved_commands();
        for name in [
            "new", "reset", "compact", "think", "t", "thinking", "model", "queue",
        ] {
            assert!(reserved.contains(&name), "{name} is not reserved");
        }
        for name in ["verbose", "status", "approve", "skill", "help", "stop"] {
            assert!(reserved.contains(&name), "{name} is not reserved");
        }
        assert!(!reserved.contains(&"weather"));
    }
}
