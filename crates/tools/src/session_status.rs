//! `session_status`: the `/status` card of the current session; optionally sets or clears the
//! session's model override.
//!
//! The card is rendered from the [`SessionStatus`](crate::SessionStatus) snapshot the agent puts
//! in the context. A model change is not applied here: the tool returns
//! [`ToolEffect::SetModelOverride`] and the agent, which owns sessions and the model catalogue,
//! validates and applies it.

use rustyclaw_support::now_ms_i64;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::context::{SessionStatus, ToolContext};
use crate::tool::{Tool, ToolEffect, ToolError, ToolOutput};

/// The `session_status` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionStatusTool;

/// Arguments of `session_status`.
#[derive(Debug, Deserialize)]
pub struct SessionStatusArgs {
    /// The session to show (`current`, or the current session's key).
    #[serde(default, rename = "sessionKey")]
    pub session_key: Option<String>,
    /// A model to use from now on (`provider/model` or an alias); `default` clears the override.
    #[serde(default)]
    pub model: Option<String>,
}

impl Tool for SessionStatusTool {
    type Args = SessionStatusArgs;

    fn name(&self) -> &'static str {
        "session_status"
    }

    fn description(&self) -> String {
        "Show a /status-equivalent session status card (usage + time + cost when available). Use for model-use questions (📊 session_status). Optional: set per-session model override (model=default resets overrides).".to_owned()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "sessionKey": { "type": "string" },
                "model": { "type": "string" }
            }
        })
    }

    async fn call(
        &self,
        args: SessionStatusArgs,
        cx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let current = cx.session_key.as_str();
        if let Some(requested) = args
            .session_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            let requested = requested.to_ascii_lowercase();
            let main = rustyclaw_protocol::SessionKey::main(&cx.agent_id);
            let visible = requested == "current"
                || requested == current
                || (requested == "main" && current == main.as_str());
            if !visible {
                return Err(ToolError::failed(format!(
                    "session_status can only show the current session ({current}); the status of {requested} is not available here"
                )));
            }
        }
        let change = args.model.as_deref().map(|m| {
            let m = m.trim();
            if m.is_empty() || m.eq_ignore_ascii_case("default") {
                None
            } else {
                Some(m.to_owned())
            }
        });
        let text = render_card(&cx.status, current, change.as_ref(), now_ms_i64());
        let mut output = ToolOutput::text(text.clone()).with_details(json!({
            "ok": true,
            "sessionKey": current,
            "changedModel": change.is_some(),
            "statusText": text,
        }));
        if let Some(change) = change {
            output.effects.push(ToolEffect::SetModelOverride(change));
        }
        Ok(output)
    }
}

/// `950`, `1.2k`, `34k`, `1.5m` — upstream's token counts.
fn tokens(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.1}m", n as f64 / 1_000_000.0)
    } else if n >= 10_000 {
        format!("{:.0}k", n as f64 / 1000.0)
    } else if n >= 1000 {
        format!("{:.1}k", n as f64 / 1000.0)
    } else {
        n.to_string()
    }
}

fn usd(cost: f64) -> String {
    if cost < 0.01 {
        format!("${cost:.4}")
    } else {
        format!("${cost:.2}")
    }
}

fn age(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=59 => "just now".to_owned(),
        60..=3599 => format!("{}m ago", s / 60),
        3600..=86_399 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86_400),
    }
}

fn clock(now_ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    at.format(&format).unwrap_or_default()
}

/// The status card (`/status`, `session_status`): upstream's sections in upstream's order —
/// who and when; the model; usage, cost and context; the session; how runs execute.
pub fn render_card(
    status: &SessionStatus,
    session_key: &str,
    change: Option<&Option<String>>,
    now_ms: i64,
) -> String {
    let zone = if status.timezone.is_empty() {
        String::new()
    } else {
        format!(" (time zone {})", status.timezone)
    };
    let header = vec![
        format!("🦞 rustyclaw {}", env!("CARGO_PKG_VERSION")),
        format!("🕒 Time: {} UTC{zone}", clock(now_ms)),
    ];
    let model = if status.model.is_empty() {
        "unknown"
    } else {
        status.model.as_str()
    };
    let model = vec![match change {
        Some(Some(new)) => format!("🧠 Model: {new} (override set; was {model})"),
        Some(None) => format!("🧠 Model: default (override cleared; was {model})"),
        None if status.model_override.is_some() => format!("🧠 Model: {model} (session override)"),
        None => format!("🧠 Model: {model}"),
    }];
    let context = if status.context_window > 0 {
        let pct = (status.context_tokens as f64 / status.context_window as f64 * 100.0).round();
        format!(
            "{}/{} ({pct}%)",
            tokens(status.context_tokens),
            tokens(status.context_window)
        )
    } else {
        tokens(status.context_tokens)
    };
    let mut usage = vec![
        format!(
            "🧮 Tokens: {} in / {} out",
            tokens(status.input_tokens),
            tokens(status.output_tokens)
        ),
        format!("💵 Cost: {}", usd(status.cost_usd)),
        format!("📚 Context: {context}"),
    ];
    if status.compactions > 0 {
        usage.push(format!("🧹 Compactions: {}", status.compactions));
    }
    let updated = if status.updated_at_ms > 0 {
        format!("updated {}", age(now_ms - status.updated_at_ms))
    } else {
        "no activity".to_owned()
    };
    let session = vec![format!("🧵 Session: {session_key} • {updated}")];
    let level = |s: &str| {
        if s.is_empty() {
            "off".to_owned()
        } else {
            s.to_owned()
        }
    };
    let queue = if status.queue_mode.is_empty() {
        "unknown"
    } else {
        status.queue_mode.as_str()
    };
    let execution = vec![
        "⚙️ Execution: direct".to_owned(),
        format!(
            "🎛️ Modes: think {} · verbose {}",
            level(&status.thinking),
            level(&status.verbose)
        ),
        format!("🪢 Queue: {queue}"),
    ];
    [header, model, usage, session, execution]
        .iter()
        .map(|section| section.join("\n"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn status() -> SessionStatus {
        SessionStatus {
            session_key: "agent:main:main".into(),
            session_id: "s1".into(),
            agent_id: "main".into(),
            model: "anthropic/claude-sonnet-4-5".into(),
            model_override: None,
            thinking: "low".into(),
            verbose: "off".into(),
            queue_mode: "collect".into(),
            input_tokens: 12_345,
            output_tokens: 1_234,
            context_tokens: 34_000,
            context_window: 200_000,
            cost_usd: 0.1234,
            compactions: 2,
            updated_at_ms: 1_700_000_000_000 - 120_000,
            timezone: "Europe/Berlin".into(),
        }
    }

    #[test]
    fn renders_the_card() {
        let card = render_card(&status(), "agent:main:main", None, 1_700_000_000_000);
        let expected = format!(
            "🦞 rustyclaw {}\n🕒 Time: 2023-11-14 22:13 UTC (time zone Europe/Berlin)\n\n\
             🧠 Model: anthropic/claude-sonnet-4-5\n\n\
             🧮 Tokens: 12k in / 1.2k out\n💵 Cost: $0.12\n📚 Context: 34k/200k (17%)\n🧹 Compactions: 2\n\n\
             🧵 Session: agent:main:main • updated 2m ago\n\n\
             ⚙️ Execution: direct\n🎛️ Modes: think low · verbose off\n🪢 Queue: collect",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(card, expected);
    }

    #[test]
    fn shows_model_changes() {
        let set = Some("openai/gpt-5".to_owned());
        let card = render_card(&status(), "k", Some(&set), 0);
        assert!(
            card.contains("🧠 Model: openai/gpt-5 (override set; was anthropic/claude-sonnet-4-5)")
        );
        let card = render_card(&status(), "k", Some(&None), 0);
        assert!(card.contains("🧠 Model: default (override cleared"));
    }

    #[test]
    fn formats_counts_like_upstream() {
        assert_eq!(tokens(950), "950");
        assert_eq!(tokens(1_234), "1.2k");
        assert_eq!(tokens(34_000), "34k");
        assert_eq!(tokens(1_500_000), "1.5m");
        assert_eq!(usd(0.004), "$0.0040");
        assert_eq!(age(5_000), "just now");
        assert_eq!(age(7_200_000), "2h ago");
    }
}
