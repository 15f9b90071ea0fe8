//! `rustyclaw onboard`: writes a working config and seeds the workspace.
//!
//! With a terminal attached it asks (inquire prompts, defaults pre-filled from flags); with
//! `--non-interactive` it takes flags only, mirroring `openclaw onboard --non-interactive`.
//! An existing config is edited in place (comments kept, `.bak` written), never replaced.

mod plan;
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
pub use plan::{KeyPlan, Plan, ProviderPlan, VaultResolver};

/// Runs onboarding.
pub fn run(ctx: &Context, args: &OnboardArgs) -> anyhow::Result<ExitCode> {
    let interactive = !args.non_interactive;
    if interactive && !std::io::stdin().is_terminal() {
        return Err(UserError::new("no terminal to ask questions on")
            .hint("pass --non-interactive with flags, e.g. --non-interactive --auth-choice custom-api-key --custom-base-url URL --custom-model-id ID")
            .into());
    }
    let plan = if interactive {
        prompts::ask(ctx, args)?
    } else {
        plan_from_flags(ctx, args)?
    };
    apply(ctx, &plan, args.json)
}

/// Builds the plan from flags alone.
pub fn plan_from_flags(ctx: &Context, args: &OnboardArgs) -> anyhow::Result<Plan> {
    let choice = args
        .auth_choice
        .unwrap_or(if args.custom_base_url.is_some() {
            AuthChoice::CustomApiKey
        } else {
            AuthChoice::Skip
        });
    let provider = provider_from_flags(ctx, args, choice)?;
    let auth = args
        .gateway_auth
        .unwrap_or(if args.gateway_password.is_some() {
            GatewayAuthChoice::Password
        } else {
            GatewayAuthChoice::Token
        });
    let auth_secret = match auth {
        GatewayAuthChoice::Token => Some(
            args.gateway_token
                .clone()
                .unwrap_or_else(plan::generate_token),
        ),
        GatewayAuthChoice::Password => {
            Some(args.gateway_password.clone().ok_or_else(|| {
                UserError::new("--gateway-auth password needs --gateway-password")
            })?)
        }
        GatewayAuthChoice::None => None,
    };
    let bind = args.gateway_bind.unwrap_or(BindChoice::Loopback);
    if bind == BindChoice::Lan && auth == GatewayAuthChoice::None {
        return Err(UserError::new("refusing --gateway-bind lan with --gateway-auth none: anyone on the network could drive the agent").into());
    }
    Ok(Plan {
        provider,
        port: args
            .gateway_port
            .unwrap_or(rustyclaw_config::DEFAULT_GATEWAY_PORT),
        bind,
        auth,
        auth_secret,
        workspace: args
            .workspace
            .clone()
            .map(|w| ctx.env.expand_tilde(&w))
            .unwrap_or_else(|| ctx.locations.default_workspace()),
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
    let model = args
        .custom_model_id
        .clone()
        .or_else(|| args.model.clone())
        .or_else(|| defaults.model.map(str::to_owned));
    let Some(model) = model else {
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

/// Writes the config, seeds the workspace and creates the database.
pub fn apply(ctx: &Context, plan: &Plan, json: bool) -> anyhow::Result<ExitCode> {
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
    for (segments, value) in plan.edits(&now_iso()) {
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
    if json {
        output::json(&serde_json::json!({
            "config": outcome.path,
            "backup": outcome.backup,
            "workspace": plan.workspace,
            "workspaceFiles": seeded,
            "database": db,
            "model": plan.provider.as_ref().map(|p| format!("{}/{}", p.id, p.model)),
            "credentialStore": stored_in,
            "gateway": {"port": plan.port, "bind": format!("{:?}", plan.bind).to_lowercase()},
            "warnings": outcome.warnings,
        }));
    } else {
        output::warnings(&outcome.warnings);
        let mut lines = vec![format!("Config written: {}", outcome.path.display())];
        if let Some(bak) = &outcome.backup {
            lines.push(format!("  Backup: {}", bak.display()));
        }
        lines.push(format!(
            "Workspace OK: {} ({} file(s) created, {} kept)",
            plan.workspace.display(),
            seeded.created.len(),
            seeded.kept.len()
        ));
        lines.push(format!("Database OK: {}", db.display()));
        match &plan.provider {
            Some(p) => lines.push(format!("Model: {}/{} via {}", p.id, p.model, p.base_url)),
            None => lines.push(
                "Model: none configured (run `rustyclaw onboard` again to add one)".to_owned(),
            ),
        }
        if let (Some(path), Some(p)) = (&stored_in, &plan.provider) {
            lines.push(format!(
                "API key: encrypted in {} as {:?} (see `rustyclaw credentials list`).",
                path.display(),
                p.id
            ));
        }
        if plan.auth == GatewayAuthChoice::Token {
            lines.push(format!(
                "Gateway token: stored in the config (clients can use {}).",
                env_vars::OPENCLAW_GATEWAY_TOKEN
            ));
        }
        lines.push("Next: `rustyclaw doctor` to check everything.".to_owned());
        output::out(&lines.join("\n"));
    }
    Ok(ExitCode::SUCCESS)
}

/// The state dir holds credentials: owner-only access, as OpenClaw recommends.
fn restrict_permissions(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(e) = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)) {
        tracing::warn!(dir = %dir.display(), error = %e, "could not restrict state directory permissions");
    }
}
