//! Interactive onboarding questions (inquire). Flags given on the command line pre-fill the
//! answers; every question has a sensible default so Enter all the way works.

use inquire::{Confirm, CustomType, Password, PasswordDisplayMode, Select, Text};
use rustyclaw_config::Secret;

use super::plan::{self, KeyPlan, Plan, ProviderPlan};
use crate::args::{AuthChoice, BindChoice, Compatibility, GatewayAuthChoice, OnboardArgs};
use crate::context::Context;

const CHOICES: &[(&str, AuthChoice)] = &[
    ("OpenAI", AuthChoice::OpenaiApiKey),
    ("Anthropic", AuthChoice::AnthropicApiKey),
    ("Google Gemini", AuthChoice::GeminiApiKey),
    ("OpenRouter", AuthChoice::OpenrouterApiKey),
    ("Ollama (local)", AuthChoice::Ollama),
    (
        "Custom OpenAI-compatible endpoint (LM Studio, vLLM, llama.cpp, …)",
        AuthChoice::CustomApiKey,
    ),
    ("Skip for now", AuthChoice::Skip),
];

/// Asks the onboarding questions.
pub fn ask(ctx: &Context, args: &OnboardArgs) -> anyhow::Result<Plan> {
    let labels: Vec<&str> = CHOICES.iter().map(|(l, _)| *l).collect();
    let start = args
        .auth_choice
        .and_then(|c| CHOICES.iter().position(|(_, x)| *x == c))
        .unwrap_or(0);
    let picked = Select::new("Model provider:", labels)
        .with_starting_cursor(start)
        .prompt()?;
    let choice = CHOICES
        .iter()
        .find(|(l, _)| *l == picked)
        .map_or(AuthChoice::Skip, |(_, c)| *c);

    let provider = match plan::vendor(choice, Compatibility::Openai) {
        None => None,
        Some(defaults) => {
            let base_default = args
                .custom_base_url
                .clone()
                .unwrap_or_else(|| match choice {
                    AuthChoice::CustomApiKey => "http://127.0.0.1:1234/v1".to_owned(),
                    _ => defaults.base_url.to_owned(),
                });
            let base_url = Text::new("API base URL:")
                .with_default(&base_default)
                .prompt()?
                .trim_end_matches('/')
                .to_owned();
            let model_default = args
                .custom_model_id
                .clone()
                .or_else(|| args.model.clone())
                .or_else(|| defaults.model.map(str::to_owned))
                .unwrap_or_default();
            let model = Text::new("Model id:")
                .with_default(&model_default)
                .prompt()?;
            let id = match choice {
                AuthChoice::CustomApiKey => plan::custom_provider_id(&base_url),
                _ => defaults.id.to_owned(),
            };
            let key = match defaults.key_env {
                None => KeyPlan::None,
                Some(var)
                    if ctx.env.non_empty(var).is_some()
                        && Confirm::new(&format!(
                            "Use the key in ${var} (stored as a reference, not copied)?"
                        ))
                        .with_default(true)
                        .prompt()? =>
                {
                    KeyPlan::EnvRef(var.to_owned())
                }
                Some(_) => {
                    let key = Secret::from(
                        Password::new("API key (empty for none; stored encrypted):")
                            .with_display_mode(PasswordDisplayMode::Masked)
                            .without_confirmation()
                            .prompt()?,
                    );
                    if key.is_blank() {
                        KeyPlan::None
                    } else {
                        super::stored_key(ctx, args.secret_input_mode, key)?
                    }
                }
            };
            Some(ProviderPlan {
                id,
                base_url,
                api: defaults.api,
                model,
                key,
            })
        }
    };

    let port = CustomType::<u16>::new("Gateway port:")
        .with_default(
            args.gateway_port
                .unwrap_or(rustyclaw_config::DEFAULT_GATEWAY_PORT),
        )
        .prompt()?;
    let bind = match Select::new(
        "Listen on:",
        vec!["loopback (this machine only)", "lan (all interfaces)"],
    )
    .prompt()?
    {
        s if s.starts_with("lan") => BindChoice::Lan,
        _ => BindChoice::Loopback,
    };
    let (auth, auth_secret) = match args.gateway_password.clone() {
        Some(pw) => (GatewayAuthChoice::Password, Some(pw)),
        None => (
            GatewayAuthChoice::Token,
            Some(
                args.gateway_token
                    .clone()
                    .unwrap_or_else(plan::generate_token),
            ),
        ),
    };
    let workspace_default = args
        .workspace
        .clone()
        .unwrap_or_else(|| ctx.locations.default_workspace());
    let workspace = Text::new("Agent workspace:")
        .with_default(&workspace_default.display().to_string())
        .prompt()?;
    Ok(Plan {
        provider,
        port,
        bind,
        auth,
        auth_secret,
        workspace: ctx.env.expand_tilde(std::path::Path::new(&workspace)),
    })
}
