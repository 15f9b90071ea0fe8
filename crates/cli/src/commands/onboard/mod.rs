//! `rustyclaw onboard`: writes a working config and seeds the workspace.
//!
//! With a terminal attached it asks (inquire prompts, defaults pre-filled from flags); with
//! `--non-interactive` it takes flags only, mirroring `openclaw onboard --non-interactive`.
//! An existing config is edited in place (comments kept, `.bak` written), never replaced.

mod changes;
mod current;
mod detect;
mod plan;
mod probe;
mod prompts;
mod workspace;

use std::io::IsTerminal;
use std::process::ExitCode;

use rustyclaw_config::edit::{Edit, edit_text, replace_file};
use rustyclaw_config::{JsonPath, Secret, env_vars};

use crate::UserError;
use crate::args::{AuthChoice, BindChoice, GatewayAuthChoice, OnboardArgs, SecretInputMode};
use crate::context::Context;
use crate::output;
use current::Current;
pub use plan::{KeyPlan, ModelSource, Plan, ProviderPlan, VaultResolver};

/// Runs onboarding.
pub fn run(ctx: &Context, args: &OnboardArgs) -> anyhow::Result<ExitCode> {
    let interactive = !args.non_interactive;
    if interactive && !std::io::stdin().is_terminal() {
        return Err(UserError::new("no terminal to ask questions on")
            .hint("pass --non-interactive with flags, e.g. --non-interactive --auth-choice custom-api-key --custom-base-url URL --custom-model-id ID")
            .into());
    }
    let current = Current::read(&ctx.locations.config_path)?;
    let plan = if interactive {
        prompts::ask(ctx, args, &current)?
    } else {
        plan_from_flags(ctx, args, &current)?
    };
    let Some(plan) = plan else {
        output::out("Nothing written.");
        return Ok(ExitCode::SUCCESS);
    };
    apply(ctx, &plan, &current, args, interactive)
}

/// The gateway's auth mode and the secret to write: flags first, then what the config has (a
/// token already there is kept, never rotated unasked), then a new token.
pub fn gateway_auth(
    args: &OnboardArgs,
    current: &Current,
) -> anyhow::Result<(GatewayAuthChoice, Option<rustyclaw_config::Secret>)> {
    let auth = args
        .gateway_auth
        .or(args
            .gateway_password
            .as_ref()
            .map(|_| GatewayAuthChoice::Password))
        .or(current.auth_mode())
        .unwrap_or(GatewayAuthChoice::Token);
    let secret = match auth {
        GatewayAuthChoice::Token => match &args.gateway_token {
            Some(token) => Some(token.clone()),
            None if current.has_auth_secret("token") => None,
            None => Some(plan::generate_token()),
        },
        GatewayAuthChoice::Password => match &args.gateway_password {
            Some(password) => Some(password.clone()),
            None if current.has_auth_secret("password") => None,
            None => {
                return Err(
                    UserError::new("--gateway-auth password needs --gateway-password").into(),
                );
            }
        },
        GatewayAuthChoice::None => None,
    };
    Ok((auth, secret))
}

/// Builds the plan from flags, the existing config and (for the model, when neither names
/// one) what this machine offers.
pub fn plan_from_flags(
    ctx: &Context,
    args: &OnboardArgs,
    current: &Current,
) -> anyhow::Result<Option<Plan>> {
    let (provider, model_source) = match (args.auth_choice, &args.custom_base_url) {
        (Some(choice), _) => (provider_from_flags(ctx, args, choice)?, ModelSource::Chosen),
        (None, Some(_)) => (
            provider_from_flags(ctx, args, AuthChoice::CustomApiKey)?,
            ModelSource::Chosen,
        ),
        (None, None) => match current.model() {
            Some(model) => (None, ModelSource::Kept(model.to_owned())),
            None => found_provider(ctx, args)?,
        },
    };
    let (auth, auth_secret) = gateway_auth(args, current)?;
    let bind = args
        .gateway_bind
        .or(current.bind())
        .unwrap_or(BindChoice::Loopback);
    if bind == BindChoice::Lan && auth == GatewayAuthChoice::None {
        return Err(UserError::new("refusing --gateway-bind lan with --gateway-auth none: anyone on the network could drive the agent").into());
    }
    Ok(Some(Plan {
        provider,
        port: args
            .gateway_port
            .or(current.port())
            .unwrap_or(rustyclaw_config::DEFAULT_GATEWAY_PORT),
        bind,
        auth,
        auth_secret,
        workspace: args
            .workspace
            .clone()
            .or_else(|| current.workspace().map(std::path::PathBuf::from))
            .map(|w| ctx.env.expand_tilde(&w))
            .unwrap_or_else(|| ctx.locations.default_workspace()),
        model_source,
    }))
}

/// The model found on this machine, in the documented order (see [`detect`]).
fn found_provider(
    ctx: &Context,
    args: &OnboardArgs,
) -> anyhow::Result<(Option<ProviderPlan>, ModelSource)> {
    Ok(match detect::find(&ctx.env) {
        detect::Found::Key { variable, choice } => (
            provider_from_flags(ctx, args, choice)?,
            ModelSource::Environment(variable),
        ),
        detect::Found::Ollama { base_url, model } => {
            let mut provider = provider_from_flags(ctx, args, AuthChoice::Ollama)?;
            if let Some(p) = &mut provider {
                p.base_url = base_url;
                if args.model.is_none() {
                    p.model = model;
                }
            }
            (provider, ModelSource::Ollama)
        }
        detect::Found::Nothing(notes) => (None, ModelSource::NotFound(notes)),
    })
}

fn explicit_key(args: &OnboardArgs, choice: AuthChoice) -> Option<Secret> {
    match choice {
        AuthChoice::CustomApiKey => args.custom_api_key.clone(),
        AuthChoice::OpenaiApiKey => args.openai_api_key.clone(),
        AuthChoice::AnthropicApiKey => args.anthropic_api_key.clone(),
        AuthChoice::GeminiApiKey => args.gemini_api_key.clone(),
        AuthChoice::OpenrouterApiKey => args.openrouter_api_key.clone(),
        AuthChoice::Ollama | AuthChoice::Skip => None,
    }
}

fn provider_from_flags(
    ctx: &Context,
    args: &OnboardArgs,
    choice: AuthChoice,
) -> anyhow::Result<Option<ProviderPlan>> {
    let Some(defaults) = plan::vendor(choice, args.custom_compatibility) else {
        return Ok(None);
    };
    let base_url = match (choice, &args.custom_base_url) {
        (_, Some(url)) => url.trim_end_matches('/').to_owned(),
        (AuthChoice::CustomApiKey, None) => {
            return Err(
                UserError::new("--auth-choice custom-api-key needs --custom-base-url").into(),
            );
        }
        (_, None) => defaults.base_url.to_owned(),
    };
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(UserError::new(format!(
            "--custom-base-url must be an http(s) URL, got {base_url:?}"
        ))
        .into());
    }
    let id = match (choice, &args.custom_provider_id) {
        (_, Some(id)) => id.clone(),
        (AuthChoice::CustomApiKey, None) => plan::custom_provider_id(&base_url),
        (_, None) => defaults.id.to_owned(),
    };
    let Some(model) = model_from_flags(args, &defaults) else {
        return Err(UserError::new("a custom provider needs --custom-model-id").into());
    };
    let key = key_plan(ctx, args, choice, defaults.key_env)?;
    Ok(Some(ProviderPlan {
        id,
        base_url,
        api: defaults.api,
        model,
        key,
    }))
}

/// The model the flags name (`--custom-model-id`, else `--model`), else the vendor's default.
fn model_from_flags(args: &OnboardArgs, defaults: &plan::VendorDefaults) -> Option<String> {
    args.custom_model_id
        .clone()
        .or_else(|| args.model.clone())
        .or_else(|| defaults.model.map(str::to_owned))
}

/// Decides how the key is stored: an explicit key (plaintext mode), else an env ref.
fn key_plan(
    ctx: &Context,
    args: &OnboardArgs,
    choice: AuthChoice,
    key_env: Option<&str>,
) -> anyhow::Result<KeyPlan> {
    if let Some(var) = &args.api_key_env {
        return Ok(KeyPlan::EnvRef(var.clone()));
    }
    let explicit = explicit_key(args, choice);
    let Some(var) = key_env else {
        return Ok(KeyPlan::None);
    };
    match (args.secret_input_mode, explicit) {
        (SecretInputMode::Vault, Some(key)) => stored_key(ctx, args.secret_input_mode, key),
        (SecretInputMode::Plaintext, Some(key)) => Ok(KeyPlan::Plain(key)),
        (SecretInputMode::Ref, Some(_)) => Err(UserError::new(format!("--secret-input-mode ref stores a reference to {var}; pass the key in that variable, not as a flag")).into()),
        (_, None) if ctx.env.non_empty(var).is_some() => Ok(KeyPlan::EnvRef(var.to_owned())),
        (_, None) if choice == AuthChoice::CustomApiKey => Ok(KeyPlan::None),
        (_, None) => Err(UserError::new(format!("no API key: pass it as a flag or export {var}"))
            .hint("keys from the environment are stored as a SecretRef, so the key itself never lands in the file")
            .into()),
    }
}

/// How a key typed or passed on the command line is kept: in the vault (default) or, when the
/// user asked for it, in the config file as it is.
pub fn stored_key(ctx: &Context, mode: SecretInputMode, key: Secret) -> anyhow::Result<KeyPlan> {
    if mode == SecretInputMode::Plaintext {
        return Ok(KeyPlan::Plain(key));
    }
    // Exec providers refuse symlinks and relative paths, so the resolver is the real binary.
    let command = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| {
            UserError::new(format!(
                "cannot find the rustyclaw binary to read the credential store from: {e}"
            ))
            .hint("pass --secret-input-mode plaintext or ref instead")
        })?;
    Ok(KeyPlan::Vault {
        value: key,
        resolver: VaultResolver {
            command,
            state_dir: ctx.locations.state_dir.clone(),
        },
    })
}

fn now_iso() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// What the summary says about the model.
fn model_line(plan: &Plan) -> String {
    let Some(p) = &plan.provider else {
        return match &plan.model_source {
            ModelSource::Kept(model) => format!("Model: {model} (kept)"),
            ModelSource::NotFound(notes) => format!(
                "Model: none found: {}.\n  Set a provider key (e.g. export OPENAI_API_KEY=…) or start Ollama and run `rustyclaw onboard` again, or pass --auth-choice.",
                notes.join("; ")
            ),
            _ => "Model: none configured (run `rustyclaw onboard` again to add one)".to_owned(),
        };
    };
    let base = format!("Model: {}/{} via {}", p.id, p.model, p.base_url);
    match &plan.model_source {
        ModelSource::Environment(var) => {
            format!("{base} (found {var} in the environment)")
        }
        ModelSource::Ollama => format!("{base} (found a running Ollama)"),
        _ => base,
    }
}

fn source_name(source: &ModelSource) -> String {
    match source {
        ModelSource::Chosen => "chosen".to_owned(),
        ModelSource::Kept(_) => "kept".to_owned(),
        ModelSource::Environment(var) => format!("env:{var}"),
        ModelSource::Ollama => "ollama".to_owned(),
        ModelSource::NotFound(_) => "none".to_owned(),
    }
}

/// Writes the config, seeds the workspace and creates the database. On an existing config
/// only what changes is written, and the wizard asks before writing it.
pub fn apply(
    ctx: &Context,
    plan: &Plan,
    current: &Current,
    args: &OnboardArgs,
    interactive: bool,
) -> anyhow::Result<ExitCode> {
    let (edits, changes) = changes::diff(current, plan.edits(&now_iso(), current));
    if interactive && !current.is_empty() {
        if changes.is_empty() {
            output::out("No settings change.");
        } else {
            output::out("These settings change:");
            for change in &changes {
                output::out(&format!("  {change}"));
            }
            if !prompts::confirm_write()? {
                output::out("Nothing written.");
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    std::fs::create_dir_all(&ctx.locations.state_dir)?;
    restrict_permissions(&ctx.locations.state_dir);
    // The key goes into the vault before the config refers to it, so a failure leaves the
    // config as it was.
    let mut stored_in = None;
    if let Some(provider) = &plan.provider
        && let KeyPlan::Vault { value, .. } = &provider.key
    {
        let mut vault = super::credentials::open_vault(ctx)?;
        vault.set(&provider.id, value)?;
        stored_in = Some(vault.path());
    }
    let config_path = &ctx.locations.config_path;
    let mut text = rustyclaw_config::read_optional(config_path)?.unwrap_or_default();
    for (segments, value) in edits {
        let mut path = JsonPath::root();
        for s in &segments {
            path = path.key(s);
        }
        text = edit_text(&text, &path, &Edit::Set(value))?;
    }
    let outcome = replace_file(config_path, &text)?;
    let seeded = workspace::seed(&plan.workspace)?;
    let db = ctx.locations.database_path();
    super::runtime()?.block_on(async { ctx.open_store().await.map(|_| ()) })?;
    let token_kept = plan.auth == GatewayAuthChoice::Token && plan.auth_secret.is_none();
    if args.json {
        output::json(&serde_json::json!({
            "config": outcome.path,
            "backup": outcome.backup,
            "changes": changes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "workspace": plan.workspace,
            "workspaceFiles": seeded,
            "database": db,
            "model": plan.provider.as_ref().map(|p| format!("{}/{}", p.id, p.model)).or(match &plan.model_source {
                ModelSource::Kept(m) => Some(m.clone()),
                _ => None,
            }),
            "modelSource": source_name(&plan.model_source),
            "credentialStore": stored_in,
            "gateway": {
                "port": plan.port,
                "bind": format!("{:?}", plan.bind).to_lowercase(),
                "tokenKept": token_kept,
            },
            "warnings": outcome.warnings,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    output::warnings(&outcome.warnings);
    let mut lines = vec![format!("Config written: {}", outcome.path.display())];
    if let Some(bak) = &outcome.backup {
        lines.push(format!("  Backup: {}", bak.display()));
    }
    if !current.is_empty() && !interactive {
        if changes.is_empty() {
            lines.push("  No settings changed.".to_owned());
        } else {
            lines.push("  Changed:".to_owned());
            lines.extend(changes.iter().map(|c| format!("    {c}")));
        }
    }
    lines.push(format!(
        "Workspace OK: {} ({} file(s) created, {} kept)",
        plan.workspace.display(),
        seeded.created.len(),
        seeded.kept.len()
    ));
    lines.push(format!("Database OK: {}", db.display()));
    lines.push(model_line(plan));
    if let (Some(path), Some(p)) = (&stored_in, &plan.provider) {
        lines.push(format!(
            "API key: encrypted in {} as {:?} (see `rustyclaw credentials list`).",
            path.display(),
            p.id
        ));
    }
    if token_kept {
        lines.push("Gateway token: kept (pass --gateway-token to replace it).".to_owned());
    } else if plan.auth == GatewayAuthChoice::Token {
        lines.push(format!(
            "Gateway token: stored in the config (clients can use {}).",
            env_vars::OPENCLAW_GATEWAY_TOKEN
        ));
    }
    lines.push("Next: `rustyclaw doctor` to check everything.".to_owned());
    output::out(&lines.join("\n"));
    Ok(ExitCode::SUCCESS)
}

/// The state dir holds credentials: owner-only access, as OpenClaw recommends.
fn restrict_permissions(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(e) = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)) {
        tracing::warn!(dir = %dir.display(), error = %e, "could not restrict state directory permissions");
    }
}
