//! Config errors and validation issues. Every variant names the file and, where there is one,
//! the JSON path of the offending value, so a user can go straight to it.

use std::fmt;
use std::path::PathBuf;

use crate::JsonPath;

/// How serious a validation finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The config cannot be used.
    Error,
    /// The config works, but something in it has no effect.
    Warning,
}

/// One finding of validation, tied to a JSON path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    /// Error or warning.
    pub severity: Severity,
    /// Where in the config (after `$include` merging).
    #[serde(serialize_with = "serialize_display")]
    pub path: JsonPath,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something specific to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

fn serialize_display<S: serde::Serializer>(v: &JsonPath, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

impl Issue {
    /// An error at `path`.
    pub fn error(path: JsonPath, message: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Error,
            path,
            message: message.into(),
            hint: None,
        }
    }

    /// A warning at `path`.
    pub fn warning(path: JsonPath, message: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Warning,
            path,
            message: message.into(),
            hint: None,
        }
    }

    /// The same issue with a fix hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// Everything that can stop config loading or editing.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Neither `OPENCLAW_HOME` nor `HOME` is set and no state dir was given.
    #[error("cannot find a home directory: set HOME, OPENCLAW_STATE_DIR or pass --state-dir")]
    NoHomeDir,
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A file could not be written; the previous file is untouched.
    #[error("cannot write {path}: {source} (the existing file was not changed)")]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A file is not valid JSON5.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The root of a config file is not an object.
    #[error("{path}: the top level must be an object {{ … }}")]
    NotAnObject {
        /// The file.
        path: PathBuf,
    },
    /// `$include` is malformed (not a string or an array of strings, or merged with a non-object).
    #[error("{path}: {json_path}: invalid $include: {reason}")]
    IncludeInvalid {
        /// The including file.
        path: PathBuf,
        /// Where the `$include` is.
        json_path: JsonPath,
        /// What is wrong.
        reason: String,
    },
    /// An `$include` names a file that cannot be used (missing, unreadable, not a regular
    /// file, too large, not text).
    #[error("{path}: {json_path}: cannot include {}: {source}", include.display())]
    IncludeUnreadable {
        /// The including file.
        path: PathBuf,
        /// Where the `$include` is.
        json_path: JsonPath,
        /// The file it names.
        include: PathBuf,
        /// Why it cannot be used.
        source: crate::regular_file::ReadFileError,
    },
    /// The files pulled in by `$include` are together larger than allowed.
    #[error("{path}: {json_path}: the $include files together exceed {max_bytes} bytes")]
    IncludesTooLarge {
        /// The including file.
        path: PathBuf,
        /// The `$include` at which the limit was reached.
        json_path: JsonPath,
        /// The limit.
        max_bytes: u64,
    },
    /// `$include` files include each other.
    #[error("$include cycle: {}", chain.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" -> "))]
    IncludeCycle {
        /// The files in the cycle, in inclusion order, ending with the repeated one.
        chain: Vec<PathBuf>,
    },
    /// `$include` nests deeper than allowed.
    #[error("{path}: $include nested deeper than {max} levels")]
    IncludeTooDeep {
        /// The file at which the limit was hit.
        path: PathBuf,
        /// The limit.
        max: usize,
    },
    /// A `${VAR}` reference names a variable that is unset or empty.
    #[error(
        "{path}: {json_path}: environment variable {var} is not set (referenced as ${{{var}}})"
    )]
    MissingEnvVar {
        /// The config file.
        path: PathBuf,
        /// Where the reference is.
        json_path: JsonPath,
        /// The variable name.
        var: String,
    },
    /// A `.env` file is malformed.
    #[error("{path}: invalid .env file: {message}")]
    DotEnv {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// Validation found errors (unknown keys, wrong types, bad values).
    #[error("{path}: invalid config:\n{}", issues.iter().map(|i| format!("  - {i}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// The errors (warnings are reported separately).
        issues: Vec<Issue>,
    },
    /// A secret reference could not be resolved.
    #[error("{json_path}: {source}")]
    Secret {
        /// Where the secret is referenced.
        json_path: JsonPath,
        /// Why it failed.
        source: crate::secret::SecretError,
    },
    /// An edit addressed a path that does not fit the document.
    #[error("cannot edit {json_path}: {reason}")]
    Edit {
        /// The path given.
        json_path: JsonPath,
        /// Why the edit is impossible.
        reason: String,
    },
}

impl ConfigError {
    /// A hint for the user on how to fix this error, when there is one.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ConfigError::NoHomeDir => Some("export HOME=/path or pass --state-dir <dir>"),
            ConfigError::Parse { .. } => Some(
                "openclaw.json is JSON5: comments and trailing commas are fine, but brackets and quotes must balance",
            ),
            ConfigError::MissingEnvVar { .. } => Some(
                "export the variable, add it to <state dir>/.env, or write $${VAR} for a literal",
            ),
            ConfigError::Invalid { .. } => Some(
                "run `rustyclaw doctor` for details, or `rustyclaw config schema` for the accepted keys",
            ),
            ConfigError::IncludeCycle { .. } | ConfigError::IncludeTooDeep { .. } => {
                Some("$include files must form a tree at most 10 levels deep")
            }
            ConfigError::IncludeUnreadable { .. } | ConfigError::IncludesTooLarge { .. } => Some(
                "$include must name a regular JSON5 file (not a device, pipe or directory) of at most 2 MiB, and all included files together may hold at most 8 MiB",
            ),
            ConfigError::Read { .. }
            | ConfigError::Write { .. }
            | ConfigError::NotAnObject { .. }
            | ConfigError::IncludeInvalid { .. }
            | ConfigError::DotEnv { .. }
            | ConfigError::Secret { .. }
            | ConfigError::Edit { .. } => None,
        }
    }
}
