//! A snapshot of the process environment, taken once at start-up and passed down explicitly.
//!
//! Nothing else in rustyclaw calls `std::env::var`: tests build an [`Env`] from pairs instead of
//! mutating the real environment, and `.env` files layer in without overriding real variables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::env_vars;

/// Environment variables visible to config loading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// Captures the current process environment (variables that are not valid UTF-8 are skipped).
    pub fn from_process() -> Self {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// Builds an environment from explicit pairs (tests, child processes).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The value of `name` when set and not empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Adds variables that are not already set; existing values always win.
    pub fn add_fallbacks<K: Into<String>, V: Into<String>>(
        &mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) {
        for (k, v) in pairs {
            self.vars.entry(k.into()).or_insert_with(|| v.into());
        }
    }

    /// All variables, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The home directory: `OPENCLAW_HOME`, else `HOME`.
    pub fn home_dir(&self) -> Option<PathBuf> {
        self.non_empty(env_vars::OPENCLAW_HOME)
            .or_else(|| self.non_empty(env_vars::HOME))
            .map(PathBuf::from)
    }

    /// Expands a leading `~` or `~/` using [`Env::home_dir`]; other paths are returned unchanged.
    pub fn expand_tilde(&self, path: &Path) -> PathBuf {
        let Ok(rest) = path.strip_prefix("~") else {
            return path.to_path_buf();
        };
        match self.home_dir() {
            Some(home) => home.join(rest),
            None => path.to_path_buf(),
        }
    }

    /// Reads a `.env` file and adds its variables as fallbacks. A missing file is not an error.
    pub fn load_dotenv(&mut self, path: &Path) -> Result<bool, crate::ConfigError> {
        let iter = match dotenvy::from_path_iter(path) {
            Ok(iter) => iter,
            Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(false);
            }
            Err(e) => {
                return Err(crate::ConfigError::DotEnv {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                });
            }
        };
        let mut pairs = Vec::new();
        for item in iter {
            let (k, v) = item.map_err(|e| crate::ConfigError::DotEnv {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
            pairs.push((k, v));
        }
        self.add_fallbacks(pairs);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallbacks_never_override() {
        let mut env = Env::from_pairs([("A", "real")]);
        env.add_fallbacks([("A", "dotenv"), ("B", "dotenv")]);
        assert_eq!(env.get("A"), Some("real"));
        assert_eq!(env.get("B"), Some("dotenv"));
    }

    #[test]
    fn expands_tilde_with_openclaw_home_first() {
        let env = Env::from_pairs([("HOME", "/home/u"), ("OPENCLAW_HOME", "/srv/claw")]);
        assert_eq!(
            env.expand_tilde(Path::new("~/x")),
            PathBuf::from("/srv/claw/x")
        );
        assert_eq!(env.expand_tilde(Path::new("/abs")), PathBuf::from("/abs"));
    }

    #[test]
    fn loads_dotenv_files_as_fallbacks() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".env");
        std::fs::write(&file, "# comment\nKEY=from-file\nSET=file\n").unwrap();
        let mut env = Env::from_pairs([("SET", "process")]);
        assert!(env.load_dotenv(&file).unwrap());
        assert_eq!(env.get("KEY"), Some("from-file"));
        assert_eq!(env.get("SET"), Some("process"));
        assert!(!env.load_dotenv(&dir.path().join("missing")).unwrap());
    }
}
