//! `rustyclaw credentials set|list|remove|resolve`: the encrypted credential store.
//!
//! Values never come from the command line (it is visible in `ps` and shell history): `set`
//! reads stdin or, with `--from-env`, a variable. `resolve` is the other end of an `exec`
//! SecretRef: the config loader runs `rustyclaw credentials resolve` with OpenClaw's protocol v1
//! request on stdin and reads the values from stdout.
//!
//! These commands never load the config: resolving it may run this very command (an exec
//! SecretRef pointing at the vault), and `set` must work precisely when the config's secrets do
//! not resolve yet.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use rustyclaw_config::{ExposeSecret, Secret};
use rustyclaw_vault::{KeySource, Protection, Vault};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::UserError;
use crate::args::CredentialsCommand;
use crate::context::Context;
use crate::output;

/// The largest request `resolve` reads, and the largest value `set` accepts from stdin.
const MAX_INPUT: u64 = 1024 * 1024;

/// Runs a `credentials` subcommand.
pub fn run(ctx: &Context, cmd: CredentialsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CredentialsCommand::Set { name, from_env } => set(ctx, &name, from_env.as_deref()),
        CredentialsCommand::List { json } => list(ctx, json),
        CredentialsCommand::Remove { name } => remove(ctx, &name),
        CredentialsCommand::Resolve => resolve(ctx),
    }
}

/// Opens the vault of the state dir with the key source the environment selects.
pub fn open_vault(ctx: &Context) -> anyhow::Result<Vault> {
    Ok(Vault::open(
        &ctx.locations.credentials_dir(),
        KeySource::from_env(&ctx.env),
    )?)
}

fn set(ctx: &Context, name: &str, from_env: Option<&str>) -> anyhow::Result<ExitCode> {
    let value = match from_env {
        Some(var) => Secret::from(ctx.env.non_empty(var).ok_or_else(|| {
            UserError::new(format!("environment variable {var} is not set or empty"))
        })?),
        None => read_value()?,
    };
    if value.is_blank() {
        return Err(UserError::new("refusing to store an empty credential").into());
    }
    let mut vault = open_vault(ctx)?;
    vault.set(name, &value)?;
    tracing::info!(name, vault = %vault.path().display(), "credential stored");
    output::out(&format!(
        "Stored {name} in {} ({}).\nUse it in the config as {{ source: \"exec\", provider: \"<alias>\", id: \"{name}\" }}.",
        vault.path().display(),
        protection_label(vault.protection()),
    ));
    Ok(ExitCode::SUCCESS)
}

/// The value from stdin: a masked prompt on a terminal, else everything piped in (one trailing
/// newline removed, so `echo "$KEY" | rustyclaw credentials set x` stores the key itself).
fn read_value() -> anyhow::Result<Secret> {
    if std::io::stdin().is_terminal() {
        let text = inquire::Password::new("Value:")
            .with_display_mode(inquire::PasswordDisplayMode::Masked)
            .without_confirmation()
            .prompt()?;
        return Ok(Secret::from(text));
    }
    let mut bytes = Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(UserError::new("the value on stdin is larger than 1 MiB").into());
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| UserError::new("the value on stdin is not UTF-8"))?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    Ok(Secret::from(text))
}

fn list(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    let vault = open_vault(ctx)?;
    let entries = vault.entries();
    let date = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    if json {
        let rows: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "name": e.name,
                    "createdAt": date(e.created_at),
                    "updatedAt": date(e.updated_at),
                })
            })
            .collect();
        output::json(&serde_json::json!({
            "vault": vault.path(),
            "protection": match vault.protection() {
                Some(Protection::Passphrase) => "passphrase",
                Some(Protection::KeyFile) => "keyFile",
                None => "none",
            },
            "credentials": rows,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        output::out(&format!(
            "no credentials stored in {}",
            vault.path().display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let mut lines = vec![format!(
        "{} ({})",
        vault.path().display(),
        protection_label(vault.protection())
    )];
    for e in &entries {
        lines.push(format!(
            "  {}  created {}  updated {}",
            e.name,
            date(e.created_at),
            date(e.updated_at)
        ));
    }
    output::out(&lines.join("\n"));
    Ok(ExitCode::SUCCESS)
}

fn protection_label(protection: Option<Protection>) -> &'static str {
    match protection {
        Some(Protection::Passphrase) => "protected by RUSTYCLAW_CREDENTIALS_PASSPHRASE",
        Some(Protection::KeyFile) => "protected by the key file vault.key",
        None => "empty",
    }
}

fn remove(ctx: &Context, name: &str) -> anyhow::Result<ExitCode> {
    let mut vault = open_vault(ctx)?;
    if !vault.remove(name)? {
        return Err(UserError::new(format!(
            "no credential named {name:?} in {}",
            vault.path().display()
        ))
        .hint("`rustyclaw credentials list` shows the stored names")
        .into());
    }
    tracing::info!(name, vault = %vault.path().display(), "credential removed");
    output::out(&format!("Removed {name}."));
    Ok(ExitCode::SUCCESS)
}

/// An exec SecretRef request (OpenClaw's protocol v1).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResolveRequest {
    protocol_version: u32,
    #[serde(default)]
    ids: Vec<String>,
}

/// The answer: values for the ids found, an error object for each other id.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResolveResponse<'a> {
    protocol_version: u32,
    values: BTreeMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    errors: BTreeMap<&'a str, ResolveError>,
}

#[derive(Serialize)]
struct ResolveError {
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    message: String,
}

/// Answers one request. A malformed request is a usage error (exit 2, message on stderr); a
/// vault that cannot be opened is reported per id in the response, the protocol's channel for
/// messages the user should see.
fn resolve(ctx: &Context) -> anyhow::Result<ExitCode> {
    let mut input = Vec::new();
    std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut input)?;
    if input.len() as u64 > MAX_INPUT {
        return Err(UserError::new("the request on stdin is larger than 1 MiB").into());
    }
    let request: ResolveRequest = serde_json::from_slice(&input).map_err(|e| {
        UserError::new(format!(
            "stdin is not an exec SecretRef request ({{\"protocolVersion\":1,\"provider\":…,\"ids\":[…]}}): {e}"
        ))
    })?;
    if request.protocol_version != 1 {
        return Err(UserError::new(format!(
            "unsupported protocolVersion {} (rustyclaw speaks 1)",
            request.protocol_version
        ))
        .into());
    }
    let mut found: Vec<(&str, Secret)> = Vec::new();
    let mut errors = BTreeMap::new();
    match open_vault(ctx) {
        Ok(vault) => {
            for id in &request.ids {
                match vault.get(id) {
                    Ok(Some(value)) => found.push((id, value)),
                    Ok(None) => {
                        errors.insert(
                            id.as_str(),
                            ResolveError {
                                code: Some("NOT_FOUND"),
                                message: format!(
                                    "no credential named {id:?} in {}",
                                    vault.path().display()
                                ),
                            },
                        );
                    }
                    Err(e) => {
                        errors.insert(
                            id.as_str(),
                            ResolveError {
                                code: None,
                                message: e.to_string(),
                            },
                        );
                    }
                }
            }
        }
        Err(e) => {
            let message = e.to_string();
            for id in &request.ids {
                errors.insert(
                    id.as_str(),
                    ResolveError {
                        code: None,
                        message: message.clone(),
                    },
                );
            }
        }
    }
    let response = ResolveResponse {
        protocol_version: 1,
        values: found
            .iter()
            .map(|(id, value)| (*id, value.expose_secret()))
            .collect(),
        errors,
    };
    // The serialized answer holds the secrets: keep it in memory that is wiped afterwards.
    let mut bytes = Zeroizing::new(serde_json::to_vec(&response)?);
    bytes.push(b'\n');
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&bytes)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
