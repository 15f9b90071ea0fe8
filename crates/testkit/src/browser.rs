//! Runs a browser scenario: a script in `ui/tests/scenarios/` driving headless Chromium with
//! `playwright-core`, against a gateway the Rust test started.
//!
//! The Rust side owns the servers (the gateway, the fake LLM) and the assertions on them; the
//! scenario owns the page: it opens the URL it is given, clicks and types as a user would,
//! asserts on what the page shows, saves a screenshot of every view it visits, and fails on any
//! console error. It reports facts back as JSON lines on stdout (`{"fact": name, …}`), which
//! [`ScenarioOutput::facts`] collects for the test.
//!
//! Chromium (Debian's `chromium`) and the npm packages in `ui/tests` are installed by
//! `scripts/test.sh`; when one is missing, [`Browser::from_env`] fails naming the fix, so a
//! browser test never passes by not running. Screenshots go to `target/ui-artifacts/<scenario>/`
//! (override with `UI_ARTIFACTS`), kept after the run.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::bin::Output;
use crate::conformance::wait_bounded;

/// Environment variable naming the Chromium binary (default `/usr/bin/chromium`).
pub const ENV_CHROMIUM: &str = "CHROMIUM";
/// Environment variable naming the Node binary (default: the conformance install's, else `node`).
pub const ENV_NODE: &str = "NODE";

/// Why a scenario could not run or did not pass.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrowserError {
    /// Something the harness needs is not installed.
    #[error("{what} is missing at {path} (./scripts/test.sh installs it)")]
    Missing {
        /// What is missing.
        what: &'static str,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// Node could not be started.
    #[error("could not start {program}: {source}")]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The scenario failed (non-zero exit), with what it printed.
    #[error(
        "browser scenario {name} failed ({status})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    )]
    Failed {
        /// Scenario name.
        name: String,
        /// Exit status.
        status: String,
        /// Its standard output.
        stdout: String,
        /// Its standard error.
        stderr: String,
    },
    /// The scenario outlived its timeout and was killed.
    #[error(
        "browser scenario {name} did not finish within {after:?}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    )]
    Timeout {
        /// Scenario name.
        name: String,
        /// The timeout.
        after: Duration,
        /// Its standard output so far.
        stdout: String,
        /// Its standard error so far.
        stderr: String,
    },
}

/// What a passing scenario printed.
#[derive(Debug)]
pub struct ScenarioOutput {
    /// Its whole output.
    pub output: Output,
}

impl ScenarioOutput {
    /// The `{"fact": …}` lines the scenario printed, in order.
    pub fn facts(&self) -> Vec<Value> {
        self.output
            .stdout_str()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|value| value.get("fact").is_some())
            .collect()
    }

    /// The first fact named `name`.
    pub fn fact(&self, name: &str) -> Option<Value> {
        self.facts()
            .into_iter()
            .find(|fact| fact.get("fact").and_then(Value::as_str) == Some(name))
    }
}

/// The harness: Node, the scenarios and Chromium.
#[derive(Debug, Clone)]
pub struct Browser {
    node: PathBuf,
    tests: PathBuf,
    chromium: PathBuf,
    artifacts: PathBuf,
}

impl Browser {
    /// Finds Node, `ui/tests` with its installed packages, and Chromium.
    pub fn from_env() -> Result<Self, BrowserError> {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let tests = repo.join("ui/tests");
        let playwright = tests.join("node_modules/playwright-core");
        if !playwright.is_dir() {
            return Err(BrowserError::Missing {
                what: "playwright-core (npm ci in ui/tests)",
                path: playwright,
            });
        }
        let chromium = std::env::var_os(ENV_CHROMIUM)
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
        if !chromium.exists() {
            return Err(BrowserError::Missing {
                what: "Chromium (Debian package chromium)",
                path: chromium,
            });
        }
        let node = std::env::var_os(ENV_NODE)
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from("node"), PathBuf::from);
        let artifacts = std::env::var_os("UI_ARTIFACTS")
            .filter(|v| !v.is_empty())
            .map_or_else(|| repo.join("target/ui-artifacts"), PathBuf::from);
        Ok(Self {
            node,
            tests,
            chromium,
            artifacts,
        })
    }

    /// Where `scenario`'s screenshots go.
    pub fn artifacts(&self, scenario: &str) -> PathBuf {
        self.artifacts.join(scenario)
    }

    /// Runs `ui/tests/scenarios/<name>.mjs` with `env` (the URL, token, … it needs); `Ok` only
    /// when it exits 0 within `timeout`.
    pub async fn run(
        &self,
        name: &str,
        env: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<ScenarioOutput, BrowserError> {
        self.run_in(None, name, env, timeout).await
    }

    /// [`Browser::run`] inside the network namespace `netns` (see [`crate::netns`]): a browser
    /// on another host, as far as the server can tell.
    pub async fn run_in(
        &self,
        netns: Option<&str>,
        name: &str,
        env: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<ScenarioOutput, BrowserError> {
        let artifacts = self.artifacts(name);
        let _ = std::fs::create_dir_all(&artifacts);
        #[expect(
            clippy::disallowed_methods,
            reason = "the test kit drives a real browser through Node, as a user's would"
        )]
        let mut command = match netns {
            Some(netns) => {
                let mut command = tokio::process::Command::new("ip");
                command.args(["netns", "exec", netns]).arg(&self.node);
                command
            }
            None => tokio::process::Command::new(&self.node),
        };
        command
            .arg(self.tests.join("drive.mjs"))
            .arg(name)
            .env("CHROMIUM", &self.chromium)
            .env("UI_ARTIFACTS", &artifacts)
            .envs(env.iter().copied())
            .current_dir(&self.tests)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command.spawn().map_err(|source| BrowserError::Spawn {
            program: self.node.clone(),
            source,
        })?;
        let (output, timed_out) =
            wait_bounded(child, timeout)
                .await
                .map_err(|source| BrowserError::Spawn {
                    program: self.node.clone(),
                    source,
                })?;
        if timed_out {
            return Err(BrowserError::Timeout {
                name: name.to_owned(),
                after: timeout,
                stdout: output.stdout_str().into_owned(),
                stderr: output.stderr_str().into_owned(),
            });
        }
        if !output.status.success() {
            return Err(BrowserError::Failed {
                name: name.to_owned(),
                status: output.status.to_string(),
                stdout: output.stdout_str().into_owned(),
                stderr: output.stderr_str().into_owned(),
            });
        }
        Ok(ScenarioOutput { output })
    }
}
