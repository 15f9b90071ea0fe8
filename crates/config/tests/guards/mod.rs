//! `tools.guards` (rustyclaw only): defaults, overrides and threshold validation.
#![cfg(test)]

use rustyclaw_config::file::GuardMode;
use rustyclaw_config::{ConfigError, Env, GuardThresholds, load};

use crate::{locations, write};

#[test]
fn guards_enforce_with_the_tuned_thresholds_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let guards = load(&locations(dir.path()), &Env::default())
        .unwrap()
        .config
        .tools
        .guards;
    assert_eq!(guards.mode, GuardMode::Enforce);
    assert_eq!(
        guards.command,
        GuardThresholds {
            review: 40,
            block: 80
        }
    );
    assert_eq!(
        guards.content,
        GuardThresholds {
            review: 35,
            block: 70
        }
    );
}

#[test]
fn mode_and_thresholds_are_read_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "openclaw.json",
        r#"{ tools: { guards: { mode: "audit", command: { block: 90 }, content: { review: 20, block: 50 } } } }"#,
    );
    let loaded = load(&locations(dir.path()), &Env::default()).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let guards = loaded.config.tools.guards;
    assert_eq!(guards.mode, GuardMode::Audit);
    assert_eq!(
        guards.command,
        GuardThresholds {
            review: 40,
            block: 90
        }
    );
    assert_eq!(
        guards.content,
        GuardThresholds {
            review: 20,
            block: 50
        }
    );
}

#[test]
fn out_of_range_and_inverted_thresholds_name_their_key() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "openclaw.json",
        r#"{ tools: { guards: { command: { review: 150 }, content: { review: 60, block: 50 } } } }"#,
    );
    let err = load(&locations(dir.path()), &Env::default()).unwrap_err();
    let ConfigError::Invalid { issues, .. } = &err else {
        panic!("{err}")
    };
    let paths: Vec<String> = issues.iter().map(|i| i.path.to_string()).collect();
    assert_eq!(
        paths,
        ["tools.guards.command.review", "tools.guards.content.block"]
    );
    assert!(
        issues[0].message.contains("0 to 100"),
        "{}",
        issues[0].message
    );
    assert!(
        issues[1].message.contains("above block"),
        "{}",
        issues[1].message
    );

    write(
        dir.path(),
        "openclaw.json",
        r#"{ tools: { guards: { mode: "loud" } } }"#,
    );
    let err = load(&locations(dir.path()), &Env::default()).unwrap_err();
    assert!(
        err.to_string().contains("guards") || format!("{err:?}").contains("guards.mode"),
        "{err:?}"
    );
}
