use crate::file::{ChunkMode, StreamingMode};
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
            "channels.telegram.accounts.tuned.streaming.preview",
            "channels.telegram.accounts.blocks.streaming.mode",
        ]
    );

    // `streaming.chunkMode` is honoured, and an account's `streaming` replaces it whole.
    let chunk_modes: Vec<(&str, Option<ChunkMode>)> = loaded
        .config
        .channel_accounts
        .telegram
        .iter()
        .map(|a| (a.common.account_id.as_str(), a.common.chunk_mode))
        .collect();
    assert_eq!(chunk_modes[0], ("default", Some(ChunkMode::Newline)));
    assert_eq!(chunk_modes[2], ("inherits", Some(ChunkMode::Newline)));
    assert_eq!(chunk_modes[3], ("quiet", None));

    let loaded = load_text(r#"{"channels": {"telegram": {"botToken": "1:a"}}}"#).unwrap();
    assert_eq!(
        loaded.config.channel_accounts.telegram[0].streaming,
        StreamingMode::Progress
    );
}

#[test]
fn block_streaming_is_written_under_streaming_block_and_the_flat_spelling_warns() {
    let loaded = load_text(
        r#"{"agents": {"defaults": {"blockStreamingDefault": "on",
              "blockStreamingChunk": {"minChars": 100, "maxChars": 50, "breakPreference": "newline"},
              "humanDelay": {"mode": "custom", "minMs": 10, "maxMs": 5}}},
            "channels": {
              "telegram": {"botToken": "1:a", "blockStreaming": false},
              "irc": {"host": "irc.example", "nick": "claw",
                      "streaming": {"block": {"enabled": true, "coalesce": {"idleMs": 250}}}}}}"#,
    )
    .unwrap();
    let defaults = &loaded.config.agents.defaults.block_streaming;
    assert!(defaults.on);
    // minChars is capped by maxChars, the longest pause is at least the shortest.
    assert_eq!((defaults.min_chars, defaults.max_chars), (50, 50));
    assert_eq!(
        defaults.preference,
        crate::file::BlockBreakPreference::Newline
    );
    assert_eq!(defaults.human_delay, Some((10, 10)));
    let accounts = &loaded.config.channel_accounts;
    assert_eq!(accounts.telegram[0].common.block_streaming, Some(false));
    let irc = &accounts.irc[0].common;
    assert_eq!(irc.block_streaming, Some(true));
    assert_eq!(
        irc.block_coalesce.as_ref().and_then(|c| c.idle_ms),
        Some(250)
    );
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.path.to_string() == "channels.telegram.blockStreaming"
                && w.message.contains("legacy spelling")),
        "{:?}",
        loaded.warnings
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
