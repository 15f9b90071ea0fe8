use crate::file::BroadcastStrategy;
use crate::{ConfigError, Env, LoadedConfig, LocationOverrides, Locations, load};

fn load_text(text: &str) -> Result<LoadedConfig, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("openclaw.json"), text).unwrap();
    let env = Env::from_pairs([("HOME", dir.path().to_str().unwrap())]);
    let overrides = LocationOverrides {
        state_dir: Some(dir.path().to_path_buf()),
        config: None,
    };
    load(&Locations::resolve(&overrides, &env).unwrap(), &env)
}

const AGENTS: &str =
    r#""agents": {"list": [{"id": "reviewer", "default": true}, {"id": "writer"}]}"#;

fn issues(error: ConfigError) -> String {
    match error {
        ConfigError::Invalid { issues, .. } => issues
            .iter()
            .map(|i| format!("{}: {}", i.path, i.message))
            .collect::<Vec<_>>()
            .join("\n"),
        other => panic!("not a validation error: {other}"),
    }
}

#[test]
fn group_threads_take_a_list_or_options_with_upstream_defaults() {
    let loaded = load_text(&format!(
        r#"{{{AGENTS}, "broadcast": {{
            "strategy": "sequential",
            "telegram:-100123": {{"agents": ["reviewer", "writer"], "maxRounds": 2, "maxTurns": 4}},
            "IRC:#Ops": ["writer", "Writer", "reviewer"]
        }}}}"#
    ))
    .unwrap();
    let broadcast = &loaded.config.broadcast;
    assert_eq!(broadcast.strategy, BroadcastStrategy::Sequential);
    let telegram = broadcast.thread("telegram", "-100123").unwrap();
    assert_eq!(telegram.agents, ["reviewer", "writer"]);
    assert!(telegram.mention_gating);
    assert_eq!((telegram.max_rounds, telegram.max_turns), (2, 4));
    // An unqualified-looking key with capitals is not a channel key: a legacy entry, warned.
    assert!(broadcast.thread("irc", "#ops").is_none());
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.path.to_string().contains("IRC:#Ops") && w.message.contains("WhatsApp")),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn a_list_repeating_an_agent_runs_it_once_and_defaults_its_turns_to_the_list() {
    let loaded = load_text(&format!(
        r#"{{{AGENTS}, "broadcast": {{"irc:#Ops": ["writer", "Writer", "reviewer"]}}}}"#
    ))
    .unwrap();
    let thread = loaded.config.broadcast.thread("irc", "#OPS").unwrap();
    assert_eq!(thread.agents, ["writer", "reviewer"]);
    assert_eq!(thread.configured_count, 3);
    assert_eq!((thread.max_rounds, thread.max_turns), (1, 3));
}

#[test]
fn unknown_agents_bounds_and_unqualified_options_are_errors_with_their_paths() {
    let error = load_text(&format!(
        r#"{{{AGENTS}, "broadcast": {{
            "telegram:-1": {{"agents": ["reviewer", "ghost"], "maxRounds": 5, "maxTurns": 0}},
            "120363@g.us": {{"agents": ["writer"]}}
        }}}}"#
    ))
    .unwrap_err();
    let text = issues(error);
    assert!(
        text.contains("broadcast.telegram:-1.agents[1]: no agent \"ghost\""),
        "{text}"
    );
    assert!(text.contains("maxRounds: 5 is out of range"), "{text}");
    assert!(text.contains("maxTurns: 0 is out of range"), "{text}");
    assert!(text.contains("needs a channel-qualified key"), "{text}");
}

#[test]
fn an_unknown_option_or_a_wrong_shape_is_named() {
    let text = issues(
        load_text(&format!(
            r#"{{{AGENTS}, "broadcast": {{"telegram:-1": {{"agents": ["writer"], "rounds": 2}}}}}}"#
        ))
        .unwrap_err(),
    );
    assert!(text.contains("rounds"), "{text}");
    let text = issues(
        load_text(&format!(
            r#"{{{AGENTS}, "broadcast": {{"telegram:-1": "writer"}}}}"#
        ))
        .unwrap_err(),
    );
    assert!(text.contains("a list of agent ids or an object"), "{text}");
}

#[test]
fn a_channel_rustyclaw_does_not_connect_is_a_warning() {
    let loaded = load_text(&format!(
        r#"{{{AGENTS}, "broadcast": {{"discord:123": ["writer"]}}}}"#
    ))
    .unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.message.contains("does not connect the discord channel")),
        "{:?}",
        loaded.warnings
    );
}
