//! The session status card (`/status`, `session_status`).

use rustyclaw_config::Config;
use rustyclaw_providers::ModelSpec;
use rustyclaw_tools::SessionStatus;

use crate::session::SessionState;

/// Today's date in UTC, `YYYY-MM-DD`.
pub(crate) fn today_utc() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

/// The last `n` days in UTC, today first (`YYYY-MM-DD`).
pub(crate) fn recent_days_utc(n: u8) -> Vec<String> {
    let now = time::OffsetDateTime::now_utc();
    (0..i64::from(n))
        .map(|back| {
            let day = now - time::Duration::days(back);
            format!(
                "{:04}-{:02}-{:02}",
                day.year(),
                u8::from(day.month()),
                day.day()
            )
        })
        .collect()
}

/// The status a tool sees.
pub(crate) fn tool_status(
    config: &Config,
    state: &SessionState,
    model: &ModelSpec,
) -> SessionStatus {
    snapshot(config, state, Some(model))
}

/// A snapshot of the session.
pub(crate) fn snapshot(
    config: &Config,
    state: &SessionState,
    model: Option<&ModelSpec>,
) -> SessionStatus {
    let entry = &state.entry;
    SessionStatus {
        session_key: state.key.as_str().to_owned(),
        session_id: entry.session_id.as_str().to_owned(),
        agent_id: state.agent_id.as_str().to_owned(),
        model: model
            .map(ModelSpec::reference)
            .unwrap_or_else(|| "(none configured)".into()),
        model_override: entry
            .model_override
            .as_ref()
            .map(|m| match &entry.provider_override {
                Some(p) => format!("{p}/{m}"),
                None => m.clone(),
            }),
        thinking: entry
            .thinking_level
            .as_ref()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_else(|| crate::thinking::configured(config).as_str().to_owned()),
        verbose: entry
            .verbose_level
            .as_ref()
            .map_or_else(|| "off".to_owned(), |v| v.as_str().to_owned()),
        queue_mode: entry
            .queue_mode
            .as_ref()
            .map_or_else(|| "collect".to_owned(), |q| q.as_str().to_owned()),
        input_tokens: entry.input_tokens.unwrap_or(0),
        output_tokens: entry.output_tokens.unwrap_or(0),
        context_tokens: entry.total_tokens.unwrap_or(0),
        context_window: model.map_or(0, |m| m.context_window),
        cost_usd: entry.estimated_cost_usd.unwrap_or(0.0),
        compactions: entry.compaction_count.unwrap_or(0),
        updated_at_ms: entry.updated_at,
        timezone: config
            .agents
            .defaults
            .user_timezone
            .clone()
            .unwrap_or_else(|| "UTC".into()),
    }
}
