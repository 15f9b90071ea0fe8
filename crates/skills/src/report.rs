//! The status of every skill of an agent, and the JSON documents OpenClaw's clients read:
//! `skills.status` (the whole report), `skills list --json` and `skills check --json`.

use serde::Serialize;
use serde_json::{Value, json};

use crate::discover::Catalog;
use crate::status::{HostFacts, Policy, SkillStatus, status_of};

/// The status of an agent's skills (the result of `skills.status`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The agent's workspace.
    pub workspace_dir: String,
    /// Where managed skills are installed.
    pub managed_skills_dir: String,
    /// The agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The agent's skill allowlist, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_skill_filter: Option<Vec<String>>,
    /// Every skill found, by name.
    pub skills: Vec<SkillStatus>,
}

impl Report {
    /// Judges every skill of `catalog`.
    pub fn build(
        catalog: &Catalog,
        policy: &Policy<'_>,
        host: &HostFacts,
        workspace_dir: &str,
        managed_skills_dir: &str,
        agent_id: Option<&str>,
    ) -> Self {
        Self {
            workspace_dir: workspace_dir.to_owned(),
            managed_skills_dir: managed_skills_dir.to_owned(),
            agent_id: agent_id.map(str::to_owned),
            agent_skill_filter: policy.agent_filter.map(<[String]>::to_vec),
            skills: catalog
                .skills
                .iter()
                .map(|skill| status_of(skill, policy, host))
                .collect(),
        }
    }

    /// `skills list --json` (`eligible_only`: ready for the agent).
    pub fn list_json(&self, eligible_only: bool) -> Value {
        let skills: Vec<Value> = self
            .skills
            .iter()
            .filter(|s| !eligible_only || (s.eligible && !s.blocked_by_agent_filter))
            .map(|s| {
                let mut entry = json!({
                    "name": s.name,
                    "description": s.description,
                    "emoji": s.emoji,
                    "eligible": s.eligible,
                    "disabled": s.disabled,
                    "blockedByAllowlist": s.blocked_by_allowlist,
                    "blockedByAgentFilter": s.blocked_by_agent_filter,
                    "modelVisible": s.model_visible,
                    "userInvocable": s.user_invocable,
                    "commandVisible": s.command_visible,
                    "source": s.source,
                    "bundled": s.bundled,
                    "primaryEnv": s.primary_env,
                    "homepage": s.homepage,
                    "missing": s.missing,
                });
                // `JSON.stringify` leaves undefined fields out.
                if let Value::Object(map) = &mut entry {
                    map.retain(|_, v| !v.is_null());
                }
                entry
            })
            .collect();
        json!({
            "workspaceDir": self.workspace_dir,
            "managedSkillsDir": self.managed_skills_dir,
            "skills": skills,
        })
    }

    /// Skills that are neither eligible nor turned off on purpose.
    pub fn missing_requirements(&self) -> impl Iterator<Item = &SkillStatus> {
        self.skills
            .iter()
            .filter(|s| !s.eligible && !s.disabled && !s.blocked_by_allowlist)
    }

    /// `skills check --json`.
    pub fn check_json(&self) -> Value {
        let names = |pred: &dyn Fn(&SkillStatus) -> bool| -> Vec<&str> {
            self.skills
                .iter()
                .filter(|s| pred(s))
                .map(|s| s.name.as_str())
                .collect()
        };
        let eligible = names(&|s| s.eligible);
        let model_visible = names(&|s| s.model_visible);
        let command_visible = names(&|s| s.command_visible);
        let disabled = names(&|s| s.disabled);
        let blocked = names(&|s| s.blocked_by_allowlist && !s.disabled);
        let agent_filtered = names(&|s| s.blocked_by_agent_filter);
        let hidden = names(&|s| s.eligible && !s.blocked_by_agent_filter && !s.model_visible);
        let missing: Vec<Value> = self
            .missing_requirements()
            .map(|s| json!({"name": s.name, "missing": s.missing, "install": s.install}))
            .collect();
        let mut out = json!({
            "agentId": self.agent_id,
            "agentSkillFilter": self.agent_skill_filter,
            "workspaceDir": self.workspace_dir,
            "managedSkillsDir": self.managed_skills_dir,
            "summary": {
                "total": self.skills.len(),
                "eligible": eligible.len(),
                "modelVisible": model_visible.len(),
                "commandVisible": command_visible.len(),
                "disabled": disabled.len(),
                "blocked": blocked.len(),
                "agentFiltered": agent_filtered.len(),
                "notInjected": hidden.len(),
                "missingRequirements": missing.len(),
            },
            "eligible": eligible,
            "modelVisible": model_visible,
            "commandVisible": command_visible,
            "disabled": disabled,
            "blocked": blocked,
            "agentFiltered": agent_filtered,
            "notInjected": hidden.iter().map(|n| json!({"name": n, "reason": "disable-model-invocation"})).collect::<Vec<_>>(),
            "missingRequirements": missing,
        });
        if let Value::Object(map) = &mut out {
            map.retain(|_, v| !v.is_null());
        }
        out
    }

    /// The status of the skill called `name` (name, key, then case-insensitively).
    pub fn find(&self, name: &str) -> Option<&SkillStatus> {
        let name = name.trim();
        self.skills
            .iter()
            .find(|s| s.name == name)
            .or_else(|| self.skills.iter().find(|s| s.skill_key == name))
            .or_else(|| {
                self.skills.iter().find(|s| {
                    s.name.eq_ignore_ascii_case(name) || s.skill_key.eq_ignore_ascii_case(name)
                })
            })
    }
}
