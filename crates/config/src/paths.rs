//! Where the state directory and the config file are.
//!
//! Precedence, highest first: command-line flag, environment variable, default. The default
//! state directory is `~/.rustyclaw` (not `~/.openclaw`, so both can live side by side); the
//! config file inside it keeps OpenClaw's name, `openclaw.json`.

use std::path::{Path, PathBuf};

use crate::{ConfigError, Env, env_vars};

/// Name of the config file inside the state directory.
pub const CONFIG_FILE_NAME: &str = "openclaw.json";
/// Name of the default state directory inside the home directory.
pub const DEFAULT_STATE_DIR_NAME: &str = ".rustyclaw";
/// Name of the SQLite database inside the state directory.
pub const DATABASE_FILE_NAME: &str = "state.sqlite";

/// Name of the directory inside the state directory that skills' installers write to: the
/// programs a skill needs (`metadata.openclaw.install`), as upstream's `~/.openclaw/tools`.
pub const TOOLS_DIR_NAME: &str = "tools";

/// Where skills' installers put programs: `<state>/tools`. Sandboxed commands may read it
/// (nothing else of the state directory).
pub fn tools_dir(state_dir: &Path) -> PathBuf {
    state_dir.join(TOOLS_DIR_NAME)
}

/// The directory of installed programs on the `PATH` of the agent's commands:
/// `<state>/tools/.bin` (hidden, so no skill's own folder under `tools/` can take its name).
pub fn tools_bin_dir(state_dir: &Path) -> PathBuf {
    tools_dir(state_dir).join(".bin")
}

/// Locations given on the command line (`--state-dir`, `--config`).
#[derive(Debug, Clone, Default)]
pub struct LocationOverrides {
    /// `--state-dir`.
    pub state_dir: Option<PathBuf>,
    /// `--config`.
    pub config: Option<PathBuf>,
}

/// The resolved state directory and config file path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locations {
    /// The state directory: database, workspace, logs, identity.
    pub state_dir: PathBuf,
    /// The config file.
    pub config_path: PathBuf,
}

impl Locations {
    /// Applies the precedence rules to flags and environment.
    pub fn resolve(overrides: &LocationOverrides, env: &Env) -> Result<Self, ConfigError> {
        let state_dir = match (
            &overrides.state_dir,
            env.non_empty(env_vars::OPENCLAW_STATE_DIR),
        ) {
            (Some(dir), _) => env.expand_tilde(dir),
            (None, Some(dir)) => env.expand_tilde(dir.as_ref()),
            (None, None) => env
                .home_dir()
                .ok_or(ConfigError::NoHomeDir)?
                .join(DEFAULT_STATE_DIR_NAME),
        };
        let config_path = match (
            &overrides.config,
            env.non_empty(env_vars::OPENCLAW_CONFIG_PATH),
        ) {
            (Some(path), _) => env.expand_tilde(path),
            (None, Some(path)) => env.expand_tilde(path.as_ref()),
            (None, None) => state_dir.join(CONFIG_FILE_NAME),
        };
        Ok(Locations {
            state_dir: absolute(state_dir),
            config_path: absolute(config_path),
        })
    }

    /// The SQLite database file.
    pub fn database_path(&self) -> PathBuf {
        self.state_dir.join(DATABASE_FILE_NAME)
    }

    /// The directory for log files.
    pub fn logs_dir(&self) -> PathBuf {
        self.state_dir.join("logs")
    }

    /// The default agent workspace (`agents.defaults.workspace` overrides it).
    pub fn default_workspace(&self) -> PathBuf {
        self.state_dir.join("workspace")
    }

    /// The encrypted credential store's directory (`vault.json`, `vault.key`).
    pub fn credentials_dir(&self) -> PathBuf {
        self.state_dir.join("credentials")
    }

    /// The `.env` file in the state directory.
    pub fn state_dotenv(&self) -> PathBuf {
        self.state_dir.join(".env")
    }
}

/// Makes a relative path absolute against the current directory, so later `chdir`s or messages
/// never depend on where the command was started.
fn absolute(path: PathBuf) -> PathBuf {
    if path.is_absolute() {
        return path;
    }
    std::path::absolute(&path).unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn defaults_to_home_rustyclaw() {
        let env = Env::from_pairs([("HOME", "/home/u")]);
        let loc = Locations::resolve(&LocationOverrides::default(), &env).unwrap();
        assert_eq!(loc.state_dir, Path::new("/home/u/.rustyclaw"));
        assert_eq!(
            loc.config_path,
            Path::new("/home/u/.rustyclaw/openclaw.json")
        );
        assert_eq!(
            loc.database_path(),
            Path::new("/home/u/.rustyclaw/state.sqlite")
        );
    }

    #[test]
    fn env_overrides_default_and_flags_override_env() {
        let env = Env::from_pairs([
            ("HOME", "/home/u"),
            ("OPENCLAW_STATE_DIR", "/var/claw"),
            ("OPENCLAW_CONFIG_PATH", "~/cfg.json5"),
        ]);
        let loc = Locations::resolve(&LocationOverrides::default(), &env).unwrap();
        assert_eq!(loc.state_dir, Path::new("/var/claw"));
        assert_eq!(loc.config_path, Path::new("/home/u/cfg.json5"));

        let flags = LocationOverrides {
            state_dir: Some("/flag/state".into()),
            config: Some("/flag/c.json".into()),
        };
        let loc = Locations::resolve(&flags, &env).unwrap();
        assert_eq!(loc.state_dir, Path::new("/flag/state"));
        assert_eq!(loc.config_path, Path::new("/flag/c.json"));
    }

    #[test]
    fn config_defaults_into_state_dir_from_env() {
        let env = Env::from_pairs([("OPENCLAW_STATE_DIR", "/var/claw")]);
        let loc = Locations::resolve(&LocationOverrides::default(), &env).unwrap();
        assert_eq!(loc.config_path, Path::new("/var/claw/openclaw.json"));
    }

    #[test]
    fn no_home_is_an_error() {
        let err = Locations::resolve(&LocationOverrides::default(), &Env::default()).unwrap_err();
        assert!(matches!(err, ConfigError::NoHomeDir));
    }
}
