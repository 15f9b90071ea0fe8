//! The temporary state dir.

use std::ffi::OsStr;

use pretty_assertions::assert_eq;
use rustyclaw_testkit::TempStateDir;

#[test]
fn the_layout_mirrors_a_real_home_and_is_removed_on_drop() {
    let dir = TempStateDir::new().unwrap();
    let root = dir.root().to_owned();
    assert_eq!(dir.home(), root.join("home"));
    assert_eq!(dir.state_dir(), root.join("home/.openclaw"));
    assert_eq!(dir.config_path(), root.join("home/.openclaw/openclaw.json"));
    assert_eq!(dir.workspace(), root.join("home/.openclaw/workspace"));
    assert!(dir.workspace().is_dir());
    assert!(
        !dir.config_path().exists(),
        "no config until a test writes one"
    );

    drop(dir);
    assert!(!root.exists());
}

#[test]
fn a_written_config_reads_back() {
    let dir = TempStateDir::new().unwrap();
    let config = "{\n  // JSON5 comments survive\n  agents: {},\n}\n";
    dir.write_config(config).unwrap();
    assert_eq!(std::fs::read_to_string(dir.config_path()).unwrap(), config);
    assert_eq!(dir.read_config().unwrap(), config);
}

#[test]
fn reading_a_missing_config_names_the_path() {
    let dir = TempStateDir::new().unwrap();
    let error = dir.read_config().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("could not read {}", dir.config_path().display())
    );
}

#[test]
fn the_env_points_everything_inside_the_temp_dir() {
    let dir = TempStateDir::new().unwrap();
    assert_eq!(
        dir.env(),
        [
            ("OPENCLAW_STATE_DIR", dir.state_dir().as_os_str()),
            ("OPENCLAW_CONFIG_PATH", dir.config_path().as_os_str()),
            ("HOME", dir.home().as_os_str()),
        ]
    );
    let real_home = std::env::var_os("HOME");
    assert_ne!(
        Some(dir.home().as_os_str()),
        real_home.as_deref().map(OsStr::new)
    );
}
