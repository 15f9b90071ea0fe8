use crate::file::StreamingMode;
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

#[test]
fn telegram_streaming_defaults_to_progress_and_an_account_replaces_it_whole() {
    let loaded = load_text(
        r#"{"channels": {"telegram": {"botToken": "1:a",
            "streaming": {"mode": "partial", "chunkMode": "newline"},
            "accounts": {
                "quiet": {"botToken": "2:b", "streaming": {"mode": "off"}},
                "inherits": {"botToken": "3:c"},
                "blocks": {"botToken": "4:d", "streaming": {"mode": "block"}},
                "tuned": {"botToken": "5:e", "streaming": {"preview": {"toolProgress": false}}}
            }}}}"#,
    )
    .unwrap();
    let modes: Vec<(&str, StreamingMode)> = loaded
        .config
        .channel_accounts
        .telegram
        .iter()
        .map(|a| (a.common.account_id.as_str(), a.streaming))
        .collect();
    assert_eq!(
        modes,
        [
            ("default", StreamingMode::Partial),
            ("blocks", StreamingMode::Block),
            ("inherits", StreamingMode::Partial),
            ("quiet", StreamingMode::Off),
            ("tuned", StreamingMode::Progress),
        ]
    );
    let warned: Vec<String> = loaded.warnings.iter().map(|w| w.path.to_string()).collect();
    assert_eq!(
        warned,
        [
            "channels.telegram.streaming.chunkMode",
            "channels.telegram.accounts.tuned.streaming.preview",
            "channels.telegram.accounts.blocks.streaming.mode",
        ]
    );

    let loaded = load_text(r#"{"channels": {"telegram": {"botToken": "1:a"}}}"#).unwrap();
    assert_eq!(
        loaded.config.channel_accounts.telegram[0].streaming,
        StreamingMode::Progress
    );
}

#[test]
fn legacy_scalar_streaming_is_refused_with_its_rewrite() {
    for (legacy, mode) in [
        ("true", "partial"),
        ("false", "off"),
        ("\"block\"", "block"),
    ] {
        let text = format!(r#"{{"channels": {{"telegram": {{"streaming": {legacy}}}}}}}"#);
        let error = load_text(&text).unwrap_err();
        let shown = format!("{error:#}");
        assert!(
            shown.contains(&format!("write streaming: {{ mode: \"{mode}\" }}")),
            "{shown}"
        );
    }
}
