//! `sessions.list`, `sessions.describe` and the session row (upstream `GatewaySessionRow`)
//! they share with `sessions.changed`.

use rustyclaw_protocol::{AgentId, SessionEntry, SessionKey, SessionKeyKind};
use rustyclaw_store::StoredSession;
use serde_json::{Map, Value, json};

use super::super::{Fail, Reply, unavailable};
use super::{agent_of, bool_param, opt_count, opt_string, text};
use crate::clock::{now_ms, now_ms_i64};
use crate::state::GatewayState;

/// Default and largest `sessions.list` page.
const LIST_LIMIT: usize = 100;
const LIST_MAX: usize = 1000;
/// Length of a derived title and of a last-message preview (upstream's).
const TITLE_CHARS: usize = 60;
const PREVIEW_CHARS: usize = 120;

/// What a row includes beyond the entry.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RowExtras {
    /// `derivedTitle`: the first user message, clipped.
    pub derived_title: bool,
    /// `lastMessagePreview`: the last user or assistant message, clipped.
    pub last_message: bool,
}

/// Upstream's row kind from the key grammar: `global`, `group` for group, channel and room
/// conversations, `direct` for everything else.
pub(super) fn kind(key: &SessionKey, entry: &SessionEntry) -> &'static str {
    match key.kind() {
        SessionKeyKind::Global => "global",
        SessionKeyKind::Group { .. }
        | SessionKeyKind::Channel { .. }
        | SessionKeyKind::Room { .. } => "group",
        _ if matches!(
            entry.chat_type.as_ref().map(|t| t.as_str()),
            Some("group" | "channel" | "room")
        ) =>
        {
            "group"
        }
        _ => "direct",
    }
}

/// The row of one session.
pub(super) async fn row(
    state: &GatewayState,
    key: &SessionKey,
    entry: &SessionEntry,
    extras: RowExtras,
) -> Result<Value, Fail> {
    let mut row = match serde_json::to_value(entry) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    // The row's `chatType` admits only these three (a room is listed as a channel).
    if let Some(chat_type) = row.get("chatType").and_then(Value::as_str) {
        let listed = match chat_type {
            "direct" | "group" | "channel" => Some(chat_type.to_owned()),
            "room" => Some("channel".to_owned()),
            _ => None,
        };
        match listed {
            Some(listed) => row.insert("chatType".into(), json!(listed)),
            None => row.remove("chatType"),
        };
    }
    row.insert("key".into(), json!(key.as_str()));
    row.insert("kind".into(), json!(kind(key, entry)));
    row.insert("agentId".into(), json!(agent_of(state, key).as_str()));
    if matches!(key.kind(), SessionKeyKind::Main) {
        row.insert("isMain".into(), json!(true));
    }
    if let Some(name) = entry.display_name.as_ref().or(entry.label.as_ref()) {
        row.insert("displayName".into(), json!(name));
    }
    if entry.model.is_none()
        && let Some(model) = &entry.model_override
    {
        row.insert("model".into(), json!(model));
        if let Some(provider) = &entry.provider_override {
            row.insert("modelProvider".into(), json!(provider));
        }
    }
    if extras.derived_title || extras.last_message {
        let messages = text::messages(state, &entry.session_id).await?;
        if extras.derived_title
            && let Some(first) = messages
                .iter()
                .filter(|m| m.role() == "user")
                .find_map(text::visible_text)
        {
            row.insert(
                "derivedTitle".into(),
                json!(text::clip(&first, TITLE_CHARS)),
            );
        }
        if extras.last_message
            && let Some(last) = messages.iter().rev().find_map(text::visible_text)
        {
            row.insert(
                "lastMessagePreview".into(),
                json!(text::clip(&last, PREVIEW_CHARS)),
            );
        }
    }
    Ok(Value::Object(row))
}

/// The filters of a `sessions.list` request.
struct Filters<'a> {
    active_since: Option<i64>,
    label: Option<&'a str>,
    search: Option<String>,
    spawned_by: Option<&'a str>,
    include_global: bool,
    include_unknown: bool,
}

impl Filters<'_> {
    fn keeps(&self, session: &StoredSession) -> bool {
        let (key, entry) = (&session.key, &session.entry);
        match key.kind() {
            SessionKeyKind::Global if !self.include_global => return false,
            SessionKeyKind::Other if !self.include_unknown && key.agent_id().is_none() => {
                return false;
            }
            _ => {}
        }
        if self
            .active_since
            .is_some_and(|since| entry.updated_at < since)
        {
            return false;
        }
        if self
            .label
            .is_some_and(|label| entry.label.as_deref() != Some(label))
        {
            return false;
        }
        if let Some(spawned_by) = self.spawned_by
            && entry.spawned_by.as_ref().map(SessionKey::as_str) != Some(spawned_by)
        {
            return false;
        }
        if let Some(needle) = &self.search {
            let haystacks = [
                Some(key.as_str()),
                Some(entry.session_id.as_str()),
                entry.label.as_deref(),
                entry.display_name.as_deref(),
                entry.subject.as_deref(),
            ];
            if !haystacks
                .into_iter()
                .flatten()
                .any(|h| h.to_lowercase().contains(needle))
            {
                return false;
            }
        }
        true
    }
}

/// `sessions.list {limit?, activeMinutes?, includeGlobal?, includeUnknown?,
/// includeDerivedTitles?, includeLastMessage?, label?, spawnedBy?, agentId?, search?}`.
pub(in crate::methods) async fn list(state: &GatewayState, params: &Value) -> Reply {
    const METHOD: &str = "sessions.list";
    let limit = opt_count(params, METHOD, "limit", 1)?.map_or(LIST_LIMIT, |n| n.min(LIST_MAX));
    let active_minutes = opt_count(params, METHOD, "activeMinutes", 1)?;
    let agent = opt_string(params, METHOD, "agentId")?.map(AgentId::normalize);
    let filters = Filters {
        active_since: active_minutes.map(|m| {
            let window = i64::try_from(m).unwrap_or(i64::MAX).saturating_mul(60_000);
            now_ms_i64().saturating_sub(window)
        }),
        label: opt_string(params, METHOD, "label")?,
        search: params
            .get("search")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase),
        spawned_by: opt_string(params, METHOD, "spawnedBy")?,
        include_global: bool_param(params, METHOD, "includeGlobal")?.unwrap_or(false),
        include_unknown: bool_param(params, METHOD, "includeUnknown")?.unwrap_or(false),
    };
    let extras = RowExtras {
        derived_title: bool_param(params, METHOD, "includeDerivedTitles")?.unwrap_or(false),
        last_message: bool_param(params, METHOD, "includeLastMessage")?.unwrap_or(false),
    };
    let stored = state
        .0
        .store
        .list_sessions(agent.as_ref(), usize::MAX)
        .await
        .map_err(|e| unavailable(METHOD, &e))?;
    let matching: Vec<_> = stored.iter().filter(|s| filters.keeps(s)).collect();
    let mut rows = Vec::new();
    for session in matching.iter().take(limit) {
        rows.push(row(state, &session.key, &session.entry, extras).await?);
    }
    let has_more = matching.len() > rows.len();
    let path = state.sessions_path();
    Ok(json!({
        "ts": now_ms(),
        "path": path,
        "count": rows.len(),
        "totalCount": matching.len(),
        "limitApplied": limit,
        "nextOffset": has_more.then_some(rows.len()),
        "hasMore": has_more,
        "owners": [],
        "defaults": defaults(state),
        "sessions": rows,
    }))
}

/// `sessions.describe {key, agentId?, includeDerivedTitles?, includeLastMessage?}`: the row of
/// one session, `{session: null}` when there is none (what the TUI reads after each turn for its
/// footer: model, tokens).
pub(in crate::methods) async fn describe(state: &GatewayState, params: &Value) -> Reply {
    const METHOD: &str = "sessions.describe";
    let key = super::key_param(params, "key")?;
    if let Some(agent) = opt_string(params, METHOD, "agentId")?.map(AgentId::normalize)
        && key.agent_id().is_some_and(|owner| owner != agent)
    {
        return Err(super::super::invalid(format!(
            "session {} does not belong to agent {agent}",
            key.as_str()
        )));
    }
    let extras = RowExtras {
        derived_title: bool_param(params, METHOD, "includeDerivedTitles")?.unwrap_or(false),
        last_message: bool_param(params, METHOD, "includeLastMessage")?.unwrap_or(false),
    };
    let session = match super::entry(state, &key).await? {
        Some(entry) => row(state, &key, &entry, extras).await?,
        None => Value::Null,
    };
    Ok(json!({ "session": session }))
}

/// `defaults`: the model a session without overrides uses.
pub(crate) fn defaults(state: &GatewayState) -> Value {
    let config = state.config();
    // A session with no overrides: only its (absent) overrides matter to the plan.
    let plan = config
        .agents
        .get(&config.agents.default_agent_id)
        .zip(rustyclaw_protocol::SessionId::new("defaults").ok())
        .and_then(|(agent, id)| {
            state
                .0
                .runtime
                .models()
                .plan(agent, &SessionEntry::new(id, 0))
                .ok()
        });
    match plan {
        Some(plan) => json!({
            "modelProvider": plan.primary.provider,
            "model": plan.primary.id,
            "contextTokens": plan.primary.context_window,
        }),
        None => json!({"modelProvider": null, "model": null, "contextTokens": null}),
    }
}

#[cfg(test)]
mod tests {
    use rustyclaw_protocol::SessionId;

    use super::*;

    #[test]
    fn the_row_kind_follows_the_key_grammar_and_the_chat_type() {
        let entry = SessionEntry::new(SessionId::new("s-1").unwrap(), 0);
        let kind_of = |key: &str| kind(&SessionKey::parse(key).unwrap(), &entry);
        assert_eq!(kind_of("agent:main:main"), "direct");
        assert_eq!(kind_of("agent:main:telegram:direct:42"), "direct");
        assert_eq!(kind_of("agent:main:telegram:group:-100"), "group");
        assert_eq!(kind_of("agent:main:discord:channel:9"), "group");
        assert_eq!(kind_of("global"), "global");
        assert_eq!(kind_of("cron:nightly"), "direct");
        let mut grouped = entry.clone();
        grouped.chat_type = Some("group".into());
        assert_eq!(
            kind(
                &SessionKey::parse("agent:main:explicit:x").unwrap(),
                &grouped
            ),
            "group"
        );
    }
}
