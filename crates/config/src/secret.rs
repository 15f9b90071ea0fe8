//! Resolving `SecretInput` values (literal strings and SecretRef objects) into [`Secret`]s.
//!
//! Semantics follow OpenClaw's SecretRef contract: `env` refs read a variable (optionally
//! through an allowlisting provider), `file` refs read a private file (JSON pointer or whole
//! file), `exec` refs run a resolver program with `{protocolVersion: 1, provider, ids}` on stdin
//! and read `{protocolVersion: 1, values: {id: value}}` from stdout. Resolution is eager, at load
//! time, so a missing secret stops start-up instead of failing a request later.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::Env;
use crate::file::{
    SecretFileMode, SecretInput, SecretProviderSection, SecretRef, SecretSource, SecretsSection,
};

mod file_source;
mod scrub;
mod value;

pub use scrub::{MIN_SCRUBBED_CHARS, Scrubber};
pub use secrecy::ExposeSecret;
pub use value::{REDACTED, Secret};

const DEFAULT_TIMEOUT_MS: u64 = 5_000;
const DEFAULT_MAX_BYTES: u64 = 1024 * 1024;

/// Why a secret could not be resolved. Messages never contain secret values.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The referenced environment variable is unset or empty.
    #[error("environment variable {var} is not set")]
    EnvMissing {
        /// The variable name.
        var: String,
    },
    /// An env provider's allowlist does not include the variable.
    #[error("secret provider {provider:?} does not allow environment variable {var}")]
    EnvNotAllowed {
        /// The provider alias.
        provider: String,
        /// The variable name.
        var: String,
    },
    /// The ref names a provider that is not configured (or is of another source).
    #[error("no {source_kind} secret provider named {provider:?} in secrets.providers")]
    UnknownProvider {
        /// The alias.
        provider: String,
        /// The ref's source.
        source_kind: &'static str,
    },
    /// The ref's id does not follow the grammar of its source.
    #[error("invalid {source_kind} secret id {id:?}: {reason}")]
    InvalidId {
        /// The id.
        id: String,
        /// The ref's source.
        source_kind: &'static str,
        /// The rule broken.
        reason: &'static str,
    },
    /// A file provider's file or an exec provider's program failed a safety check.
    #[error("{path}: {reason}")]
    Unsafe {
        /// The file or program.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading a file provider's file failed.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        message: String,
    },
    /// The secret is not in the provider's data.
    #[error("secret {id:?} not found in provider {provider:?}")]
    NotFound {
        /// The provider alias.
        provider: String,
        /// The id.
        id: String,
    },
    /// The provider's data is malformed (never includes the data itself).
    #[error("secret provider {provider:?} returned unusable data: {reason}")]
    BadData {
        /// The provider alias.
        provider: String,
        /// What is wrong.
        reason: String,
    },
    /// The resolver answered with an error message for the id.
    #[error("secret provider {provider:?} could not resolve {id:?}: {message}")]
    Resolver {
        /// The provider alias.
        provider: String,
        /// The id.
        id: String,
        /// The resolver's message (first line, at most 300 characters).
        message: String,
    },
    /// The resolver program failed.
    #[error("secret resolver of provider {provider:?} failed: {source}")]
    Exec {
        /// The provider alias.
        provider: String,
        /// The failure.
        source: rustyclaw_sandbox::TrustedError,
    },
    /// The `store` source is OpenClaw's own database, which rustyclaw does not read.
    #[error("SecretRef source \"store\" is not supported by rustyclaw; use env, file or exec")]
    StoreUnsupported,
}

/// Resolves secrets against the environment and `secrets.providers`.
pub struct SecretResolver<'a> {
    env: &'a Env,
    section: Option<&'a SecretsSection>,
}

impl<'a> SecretResolver<'a> {
    /// A resolver over `env` and the config's `secrets` section.
    pub fn new(env: &'a Env, section: Option<&'a SecretsSection>) -> Self {
        SecretResolver { env, section }
    }

    /// Resolves one input.
    pub fn resolve(&self, input: &SecretInput) -> Result<Secret, SecretError> {
        match input {
            SecretInput::Literal(text) => match env_shorthand(text) {
                Some(var) => self.resolve_ref(&SecretRef {
                    source: SecretSource::Env,
                    provider: None,
                    id: var.to_owned(),
                }),
                None => Ok(Secret::from(text.clone())),
            },
            SecretInput::Ref(r) => self.resolve_ref(r),
        }
    }

    fn provider_alias(&self, r: &SecretRef) -> String {
        r.provider.clone().unwrap_or_else(|| {
            self.section
                .and_then(|s| s.defaults.as_ref())
                .and_then(|d| d.get(r.source.as_str()).cloned())
                .unwrap_or_else(|| "default".to_owned())
        })
    }

    fn provider(&self, alias: &str) -> Option<&'a SecretProviderSection> {
        self.section?.providers.as_ref()?.get(alias)
    }

    fn resolve_ref(&self, r: &SecretRef) -> Result<Secret, SecretError> {
        let alias = self.provider_alias(r);
        let provider = self.provider(&alias);
        match r.source {
            SecretSource::Env => {
                check_env_id(&r.id)?;
                if let Some(SecretProviderSection::Env {
                    allowlist: Some(list),
                }) = provider
                    && !list.iter().any(|v| v == &r.id)
                {
                    return Err(SecretError::EnvNotAllowed {
                        provider: alias,
                        var: r.id.clone(),
                    });
                }
                if provider.is_some_and(|p| !matches!(p, SecretProviderSection::Env { .. })) {
                    return Err(unknown(alias, r.source));
                }
                self.env
                    .non_empty(&r.id)
                    .map(|v| Secret::from(v.to_owned()))
                    .ok_or_else(|| SecretError::EnvMissing { var: r.id.clone() })
            }
            SecretSource::File => match provider {
                Some(SecretProviderSection::File {
                    path,
                    mode,
                    max_bytes,
                    ..
                }) => {
                    let path = self.env.expand_tilde(Path::new(path));
                    let mode = mode.unwrap_or(SecretFileMode::Json);
                    file_source::read(
                        &alias,
                        &path,
                        mode,
                        max_bytes.unwrap_or(DEFAULT_MAX_BYTES),
                        &r.id,
                    )
                }
                _ => Err(unknown(alias, r.source)),
            },
            SecretSource::Exec => match provider {
                Some(p @ SecretProviderSection::Exec { .. }) => self.exec_secret(&alias, p, &r.id),
                _ => Err(unknown(alias, r.source)),
            },
            SecretSource::Store => Err(SecretError::StoreUnsupported),
        }
    }

    fn exec_secret(
        &self,
        alias: &str,
        provider: &SecretProviderSection,
        id: &str,
    ) -> Result<Secret, SecretError> {
        let SecretProviderSection::Exec {
            command,
            args,
            timeout_ms,
            max_output_bytes,
            pass_env,
            env,
            json_only,
            trusted_dirs,
            allow_insecure_path,
            ..
        } = provider
        else {
            return Err(unknown(alias.to_owned(), SecretSource::Exec));
        };
        check_exec_id(id)?;
        let program = PathBuf::from(command);
        check_program(
            &program,
            trusted_dirs.as_deref(),
            allow_insecure_path.unwrap_or(false),
            self.env,
        )?;
        let mut child_env: Vec<(OsString, OsString)> = Vec::new();
        for name in pass_env.iter().flatten() {
            if let Some(v) = self.env.get(name) {
                child_env.push((name.into(), v.into()));
            }
        }
        for (k, v) in env.iter().flatten() {
            child_env.push((k.into(), v.into()));
        }
        let request = serde_json::json!({"protocolVersion": 1, "provider": alias, "ids": [id]});
        let command = rustyclaw_sandbox::TrustedCommand {
            program,
            args: args.iter().flatten().map(OsString::from).collect(),
            env: child_env,
            stdin: request.to_string().into_bytes(),
            timeout: Duration::from_millis(timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS)),
            max_output_bytes: usize::try_from(max_output_bytes.unwrap_or(DEFAULT_MAX_BYTES))
                .unwrap_or(usize::MAX),
        };
        let output = command.run().map_err(|source| SecretError::Exec {
            provider: alias.to_owned(),
            source,
        })?;
        let bad = |reason: String| SecretError::BadData {
            provider: alias.to_owned(),
            reason,
        };
        if output.exit_code != Some(0) {
            return Err(bad(format!(
                "resolver exited with status {:?}",
                output.exit_code
            )));
        }
        let text =
            String::from_utf8(output.stdout).map_err(|_| bad("output is not UTF-8".to_owned()))?;
        match serde_json::from_str::<ExecResponse>(&text) {
            Ok(resp) => {
                if resp.protocol_version != 1 {
                    return Err(bad(format!(
                        "unsupported protocolVersion {}",
                        resp.protocol_version
                    )));
                }
                if let Some(value) = resp.values.get(id) {
                    return match value {
                        serde_json::Value::String(s) => Ok(Secret::from(s.clone())),
                        _ => Err(bad(format!("value for {id:?} is not a string"))),
                    };
                }
                let error = resp.errors.get(id);
                let field = |name: &str| {
                    error
                        .and_then(|e| e.get(name))
                        .and_then(serde_json::Value::as_str)
                };
                match (field("code"), field("message")) {
                    (Some("AMBIGUOUS_DUPLICATE_KEY"), _) => Err(bad(format!(
                        "{id:?} is ambiguous (AMBIGUOUS_DUPLICATE_KEY)"
                    ))),
                    (Some("NOT_FOUND"), _) | (_, None) => Err(SecretError::NotFound {
                        provider: alias.to_owned(),
                        id: id.to_owned(),
                    }),
                    // The protocol's per-id message is written by the resolver for the user
                    // (e.g. "wrong passphrase"); it is shown, bounded to one short line.
                    (_, Some(message)) => Err(SecretError::Resolver {
                        provider: alias.to_owned(),
                        id: id.to_owned(),
                        message: one_line(message),
                    }),
                }
            }
            Err(_) if json_only == &Some(false) => {
                let value = text.strip_suffix('\n').unwrap_or(&text);
                Ok(Secret::from(value.to_owned()))
            }
            Err(_) => Err(bad(
                "output is not a protocolVersion 1 JSON response".to_owned()
            )),
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecResponse {
    protocol_version: u32,
    #[serde(default)]
    values: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    errors: BTreeMap<String, serde_json::Value>,
}

/// The first line of `text`, cut at 300 characters.
fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

fn unknown(provider: String, source: SecretSource) -> SecretError {
    SecretError::UnknownProvider {
        provider,
        source_kind: source.as_str(),
    }
}

/// `$VAR` (the whole string) is shorthand for an env ref.
fn env_shorthand(text: &str) -> Option<&str> {
    let var = text.strip_prefix('$')?;
    check_env_id(var).ok().map(|()| var)
}

fn check_env_id(id: &str) -> Result<(), SecretError> {
    let mut chars = id.chars();
    let ok = id.len() <= 128
        && chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(SecretError::InvalidId {
            id: id.to_owned(),
            source_kind: "env",
            reason: "must match ^[A-Z][A-Z0-9_]{0,127}$",
        })
    }
}

fn check_exec_id(id: &str) -> Result<(), SecretError> {
    let invalid = |reason| SecretError::InvalidId {
        id: id.to_owned(),
        source_kind: "exec",
        reason,
    };
    let mut chars = id.chars();
    let grammar = id.len() <= 256
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "._:/#-".contains(c));
    if !grammar {
        return Err(invalid("must match ^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,255}$"));
    }
    if id.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(invalid("must not contain . or .. path segments"));
    }
    Ok(())
}

/// Checks an exec provider's program: absolute, not a symlink, owned by us, not writable by others.
fn check_program(
    program: &Path,
    trusted_dirs: Option<&[String]>,
    allow_insecure: bool,
    env: &Env,
) -> Result<(), SecretError> {
    let unsafe_program = |reason: String| SecretError::Unsafe {
        path: program.to_path_buf(),
        reason,
    };
    if !program.is_absolute() {
        return Err(unsafe_program(
            "command must be an absolute path".to_owned(),
        ));
    }
    if let Some(dirs) = trusted_dirs {
        let inside = dirs
            .iter()
            .map(|d| env.expand_tilde(Path::new(d)))
            .any(|d| program.parent() == Some(d.as_path()) || program.starts_with(&d));
        if !inside {
            return Err(unsafe_program(
                "is not inside any of trustedDirs".to_owned(),
            ));
        }
    }
    if allow_insecure {
        return Ok(());
    }
    let meta = std::fs::symlink_metadata(program)
        .map_err(|e| unsafe_program(format!("cannot inspect: {e}")))?;
    if meta.file_type().is_symlink() {
        return Err(unsafe_program(
            "is a symlink; configure the real binary path (realpath)".to_owned(),
        ));
    }
    if meta.permissions().mode() & 0o022 != 0 {
        return Err(unsafe_program("is group- or world-writable".to_owned()));
    }
    // The owner of /proc/self is the user this process runs as.
    let me = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    if me.is_some_and(|uid| uid != meta.uid() && meta.uid() != 0) {
        return Err(unsafe_program("is owned by another user".to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn section(v: serde_json::Value) -> SecretsSection {
        serde_json::from_value(v).unwrap()
    }

    fn private_file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p
    }

    fn r(source: &str, provider: Option<&str>, id: &str) -> SecretInput {
        SecretInput::Ref(
            serde_json::from_value(json!({"source": source, "provider": provider, "id": id}))
                .unwrap(),
        )
    }

    #[test]
    fn literals_env_refs_and_shorthand() {
        let env = Env::from_pairs([("OPENAI_API_KEY", "sk-env")]);
        let res = SecretResolver::new(&env, None);
        assert_eq!(
            res.resolve(&SecretInput::Literal("plain".into()))
                .unwrap()
                .expose_secret(),
            "plain"
        );
        assert_eq!(
            res.resolve(&SecretInput::Literal("$OPENAI_API_KEY".into()))
                .unwrap()
                .expose_secret(),
            "sk-env"
        );
        assert_eq!(
            res.resolve(&r("env", Some("default"), "OPENAI_API_KEY"))
                .unwrap()
                .expose_secret(),
            "sk-env"
        );
        let err = res.resolve(&r("env", None, "MISSING_KEY")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable MISSING_KEY is not set"
        );
        assert!(matches!(
            res.resolve(&r("env", None, "lower")).unwrap_err(),
            SecretError::InvalidId { .. }
        ));
    }

    #[test]
    fn env_allowlist_is_enforced() {
        let env = Env::from_pairs([("A_KEY", "a"), ("B_KEY", "b")]);
        let s =
            section(json!({"providers": {"default": {"source": "env", "allowlist": ["A_KEY"]}}}));
        let res = SecretResolver::new(&env, Some(&s));
        assert_eq!(
            res.resolve(&r("env", None, "A_KEY"))
                .unwrap()
                .expose_secret(),
            "a"
        );
        assert!(matches!(
            res.resolve(&r("env", None, "B_KEY")).unwrap_err(),
            SecretError::EnvNotAllowed { .. }
        ));
    }

    #[test]
    fn file_provider_json_pointer_and_single_value() {
        let dir = tempfile::tempdir().unwrap();
        let json_file = private_file(
            dir.path(),
            "s.json",
            r#"{"providers":{"openai":{"apiKey":"sk-file"}}}"#,
        );
        let single = private_file(dir.path(), "token", "tok-123\n");
        let s = section(json!({"providers": {
            "filemain": {"source": "file", "path": json_file},
            "one": {"source": "file", "path": single, "mode": "singleValue"}
        }, "defaults": {"file": "filemain"}}));
        let env = Env::default();
        let res = SecretResolver::new(&env, Some(&s));
        assert_eq!(
            res.resolve(&r("file", None, "/providers/openai/apiKey"))
                .unwrap()
                .expose_secret(),
            "sk-file"
        );
        assert_eq!(
            res.resolve(&r("file", Some("one"), "value"))
                .unwrap()
                .expose_secret(),
            "tok-123"
        );
        assert!(matches!(
            res.resolve(&r("file", None, "/nope")).unwrap_err(),
            SecretError::NotFound { .. }
        ));
        assert!(matches!(
            res.resolve(&r("file", Some("ghost"), "/x")).unwrap_err(),
            SecretError::UnknownProvider { .. }
        ));
    }

    #[test]
    fn file_provider_refuses_shared_and_linked_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = private_file(dir.path(), "s.json", "{}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let s = section(json!({"providers": {"f": {"source": "file", "path": p}}}));
        let env = Env::default();
        let err = SecretResolver::new(&env, Some(&s))
            .resolve(&r("file", Some("f"), "/a"))
            .unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");

        let target = private_file(dir.path(), "real.json", "{}");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let s = section(json!({"providers": {"f": {"source": "file", "path": link}}}));
        let err = SecretResolver::new(&env, Some(&s))
            .resolve(&r("file", Some("f"), "/a"))
            .unwrap_err();
        assert!(err.to_string().contains("symlink"), "{err}");
    }

    #[test]
    fn file_provider_reads_at_most_max_bytes_of_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = private_file(dir.path(), "token", "12345");
        let env = Env::default();
        let s = section(
            json!({"providers": {"f": {"source": "file", "path": p, "mode": "singleValue", "maxBytes": 4}}}),
        );
        let err = SecretResolver::new(&env, Some(&s))
            .resolve(&r("file", Some("f"), "value"))
            .unwrap_err();
        assert!(
            err.to_string().ends_with("is larger than maxBytes (4)"),
            "{err}"
        );
        let s = section(
            json!({"providers": {"f": {"source": "file", "path": "/dev/zero", "mode": "singleValue"}}}),
        );
        let err = SecretResolver::new(&env, Some(&s))
            .resolve(&r("file", Some("f"), "value"))
            .unwrap_err();
        assert_eq!(err.to_string(), "/dev/zero: is not a regular file");
    }

    fn script(dir: &Path, body: &str) -> PathBuf {
        let p = dir.join("resolver.sh");
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700)).unwrap();
        p
    }

    #[test]
    fn exec_provider_speaks_protocol_v1() {
        let dir = tempfile::tempdir().unwrap();
        // Echo the requested id back inside the value, proving the request reached the program.
        let prog = script(
            dir.path(),
            r#"req=$(cat); id=$(printf '%s' "$req" | sed 's/.*"ids":\["\([^"]*\)"\].*/\1/'); printf '{"protocolVersion":1,"values":{"%s":"v-%s-%s"}}' "$id" "$id" "$VAULT_ADDR""#,
        );
        let s = section(
            json!({"providers": {"vault": {"source": "exec", "command": prog, "passEnv": ["VAULT_ADDR"]}}}),
        );
        let env = Env::from_pairs([("VAULT_ADDR", "local")]);
        let res = SecretResolver::new(&env, Some(&s));
        let v = res
            .resolve(&r("exec", Some("vault"), "openai/apiKey"))
            .unwrap();
        assert_eq!(v.expose_secret(), "v-openai/apiKey-local");
        assert!(matches!(
            res.resolve(&r("exec", Some("vault"), "a/../b"))
                .unwrap_err(),
            SecretError::InvalidId { .. }
        ));
    }

    #[test]
    fn exec_provider_errors_and_plain_output() {
        let dir = tempfile::tempdir().unwrap();
        let prog = script(
            dir.path(),
            r#"cat >/dev/null; echo '{"protocolVersion":1,"values":{},"errors":{"k":{"code":"NOT_FOUND"}}}'"#,
        );
        let s = section(json!({"providers": {"v": {"source": "exec", "command": prog}}}));
        let env = Env::default();
        let err = SecretResolver::new(&env, Some(&s))
            .resolve(&r("exec", Some("v"), "k"))
            .unwrap_err();
        assert!(matches!(err, SecretError::NotFound { .. }), "{err}");

        let dir3 = tempfile::tempdir().unwrap();
        let prog = script(
            dir3.path(),
            r#"cat >/dev/null; printf '%s' '{"protocolVersion":1,"values":{},"errors":{"k":{"message":"wrong passphrase for the vault\nsecond line"}}}'"#,
        );
        let s = section(json!({"providers": {"v": {"source": "exec", "command": prog}}}));
        let err = SecretResolver::new(&env, Some(&s))
            .resolve(&r("exec", Some("v"), "k"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "secret provider \"v\" could not resolve \"k\": wrong passphrase for the vault"
        );

        let dir2 = tempfile::tempdir().unwrap();
        let prog = script(dir2.path(), "cat >/dev/null; echo plain-secret");
        let s = section(
            json!({"providers": {"v": {"source": "exec", "command": prog, "jsonOnly": false}}}),
        );
        assert_eq!(
            SecretResolver::new(&env, Some(&s))
                .resolve(&r("exec", Some("v"), "k"))
                .unwrap()
                .expose_secret(),
            "plain-secret"
        );
        let s = section(
            json!({"providers": {"v": {"source": "exec", "command": dir2.path().join("resolver.sh")}}}),
        );
        assert!(matches!(
            SecretResolver::new(&env, Some(&s))
                .resolve(&r("exec", Some("v"), "k"))
                .unwrap_err(),
            SecretError::BadData { .. }
        ));
    }

    #[test]
    fn exec_provider_refuses_writable_or_relative_programs() {
        let dir = tempfile::tempdir().unwrap();
        let prog = script(dir.path(), "echo {}");
        std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o777)).unwrap();
        let env = Env::default();
        let s = section(json!({"providers": {"v": {"source": "exec", "command": prog}}}));
        let err = SecretResolver::new(&env, Some(&s))
            .resolve(&r("exec", Some("v"), "k"))
            .unwrap_err();
        assert!(err.to_string().contains("world-writable"), "{err}");
        let s = section(json!({"providers": {"v": {"source": "exec", "command": "resolver"}}}));
        let err = SecretResolver::new(&env, Some(&s))
            .resolve(&r("exec", Some("v"), "k"))
            .unwrap_err();
        assert!(err.to_string().contains("absolute"), "{err}");
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let input = SecretInput::Literal("sk-very-secret".into());
        assert!(!format!("{input:?}").contains("sk-very-secret"));
        let secret = Secret::from("sk-very-secret".to_owned());
        assert!(!format!("{secret:?}").contains("sk-very-secret"));
    }
}
