//! Thinking levels as users type them (`/think high`, `commands.list`'s choices, with their
//! aliases) and the level a session gets when it sets none. The level words themselves are the
//! protocol's [`ThinkingLevel`] variants.

use rustyclaw_config::Config;
use rustyclaw_protocol::ThinkingLevel;

/// The thinking levels by their canonical names, lowest first: what `/think` accepts besides
/// its aliases, and what clients offer. The protocol's [`ThinkingLevel`] is their one source.
pub const THINKING_LEVELS: &[&str] = ThinkingLevel::KNOWN;

/// Parses a thinking level with OpenClaw's aliases.
pub fn parse_thinking(word: &str) -> Option<ThinkingLevel> {
    Some(match word.to_ascii_lowercase().as_str() {
        "off" | "none" => ThinkingLevel::Off,
        "minimal" | "min" => ThinkingLevel::Minimal,
        "low" => ThinkingLevel::Low,
        "medium" | "med" | "on" => ThinkingLevel::Medium,
        "high" | "highest" => ThinkingLevel::High,
        "xhigh" | "x-high" | "max" => ThinkingLevel::Xhigh,
        _ => return None,
    })
}

/// The level of a session that has not chosen one: `agents.defaults.thinkingDefault`.
pub(crate) fn configured(config: &Config) -> ThinkingLevel {
    // Both enums serialise to OpenClaw's level names.
    serde_json::to_value(config.agents.defaults.thinking_default)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or(ThinkingLevel::Off)
}

/// `a, b or c`: the level names as a sentence lists them.
pub(crate) fn level_list() -> String {
    match THINKING_LEVELS.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_level_parses_to_itself() {
        for word in THINKING_LEVELS {
            let level = parse_thinking(word).unwrap();
            assert_eq!(level.as_str(), *word);
        }
        assert_eq!(level_list(), "off, minimal, low, medium, high or xhigh");
    }

    /// The config's `thinkingDefault` is a closed enum of its own (it validates the file and
    /// feeds the JSON Schema, and adds `adaptive`); every level the protocol knows must be
    /// accepted there and come back as itself.
    #[test]
    fn every_level_can_be_the_configured_default() {
        for word in THINKING_LEVELS {
            let configured: rustyclaw_config::file::ThinkingLevel =
                serde_json::from_value(serde_json::json!(word)).unwrap();
            let back: ThinkingLevel =
                serde_json::from_value(serde_json::to_value(configured).unwrap()).unwrap();
            assert_eq!(back.as_str(), *word);
        }
    }
}
