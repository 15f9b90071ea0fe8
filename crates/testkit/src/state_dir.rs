//! Throwaway rustyclaw state directories.
//!
//! The layout mirrors a real installation under a fake home:
//!
//! ```text
//! <tmp>/home/                      HOME
//! <tmp>/home/.openclaw/            OPENCLAW_STATE_DIR
//! <tmp>/home/.openclaw/openclaw.json   OPENCLAW_CONFIG_PATH (not created until written)
//! <tmp>/home/.openclaw/workspace/  the agent workspace
//! ```
//!
//! Putting the state dir at its default place inside the fake home means that code resolving
//! paths from the environment variables and code falling back to `$HOME/.openclaw` land in the
//! same directory, so neither can reach the developer's real files.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// Environment variable naming the state directory.
pub const ENV_STATE_DIR: &str = "OPENCLAW_STATE_DIR";
/// Environment variable naming the config file.
pub const ENV_CONFIG_PATH: &str = "OPENCLAW_CONFIG_PATH";
/// Environment variable naming the home directory.
pub const ENV_HOME: &str = "HOME";

/// Errors preparing or using a temporary state directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateDirError {
    /// Creating a directory failed.
    #[error("could not create directory {}", path.display())]
    Create {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing a file failed.
    #[error("could not write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Reading a file failed.
    #[error("could not read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A temporary directory laid out as a rustyclaw state dir, deleted on drop.
#[derive(Debug)]
pub struct TempStateDir {
    root: TempDir,
    home: PathBuf,
    state_dir: PathBuf,
    config_path: PathBuf,
    workspace: PathBuf,
}

impl TempStateDir {
    /// Creates the directory tree (home, state dir, workspace); the config file is not written.
    pub fn new() -> Result<Self, StateDirError> {
        let root = tempfile::Builder::new()
            .prefix("rustyclaw-test-")
            .tempdir()
            .map_err(|source| StateDirError::Create {
                path: std::env::temp_dir(),
                source,
            })?;
        let home = root.path().join("home");
        let state_dir = home.join(".openclaw");
        let config_path = state_dir.join("openclaw.json");
        let workspace = state_dir.join("workspace");
        std::fs::create_dir_all(&workspace).map_err(|source| StateDirError::Create {
            path: workspace.clone(),
            source,
        })?;
        Ok(Self {
            root,
            home,
            state_dir,
            config_path,
            workspace,
        })
    }

    /// The temporary directory holding everything.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The fake home directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The state directory (`OPENCLAW_STATE_DIR`).
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The config file path (`OPENCLAW_CONFIG_PATH`); the file exists once written.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// The agent workspace directory.
    pub fn workspace(&self) -> &Path {
        &self.workspace
    }

    /// Writes `content` as the config file, replacing any previous one.
    pub fn write_config(&self, content: &str) -> Result<(), StateDirError> {
        std::fs::write(&self.config_path, content).map_err(|source| StateDirError::Write {
            path: self.config_path.clone(),
            source,
        })
    }

    /// Reads the config file back, e.g. after the binary edited it.
    pub fn read_config(&self) -> Result<String, StateDirError> {
        std::fs::read_to_string(&self.config_path).map_err(|source| StateDirError::Read {
            path: self.config_path.clone(),
            source,
        })
    }

    /// The environment a child process needs to use this state dir and nothing else:
    /// `OPENCLAW_STATE_DIR`, `OPENCLAW_CONFIG_PATH` and `HOME`.
    pub fn env(&self) -> [(&'static str, &OsStr); 3] {
        [
            (ENV_STATE_DIR, self.state_dir.as_os_str()),
            (ENV_CONFIG_PATH, self.config_path.as_os_str()),
            (ENV_HOME, self.home.as_os_str()),
        ]
    }
}
