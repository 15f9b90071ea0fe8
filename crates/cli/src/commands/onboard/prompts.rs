//! Interactive onboarding questions (inquire). Every question starts from what the config
//! already says (or the flags, or a sensible default), so Enter all the way keeps a working
//! setup as it is; empty or invalid answers are refused at the prompt.

use std::time::Duration;

use inquire::validator::{StringValidator, Validation};
use inquire::{Confirm, CustomType, Password, PasswordDisplayMode, Select, Text};
use rustyclaw_config::Secret;

use super::current::Current;
use super::plan::{self, KeyPlan, ModelSource, Plan, ProviderPlan};
use crate::args::{AuthChoice, BindChoice, Compatibility, OnboardArgs};
use crate::context::Context;
use crate::output;

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

/// The model list entry that lets a person type an id the endpoint did not list.
const OTHER_MODEL: &str = "Other (type a model id)";

/// How long the endpoint's model list is waited for.
const LISTING_TIME: Duration = Duration::from_secs(10);

/// Asks the onboarding questions; `None` when the person chose not to save.
pub fn ask(ctx: &Context, args: &OnboardArgs, current: &Current) -> anyhow::Result<Option<Plan>> {
    let keep = current.model().map(|m| format!("Keep {m}"));
    let mut labels: Vec<&str> = keep.iter().map(String::as_str).collect();
    labels.extend(CHOICES.iter().map(|(l, _)| *l));
    let start = args
        .auth_choice
        .and_then(|c| CHOICES.iter().position(|(_, x)| *x == c))
        .map_or(0, |i| i + usize::from(keep.is_some()));
    let picked = Select::new("Model provider:", labels)
        .with_starting_cursor(start)
        .prompt()?;
    let (provider, model_source) = match CHOICES.iter().find(|(l, _)| *l == picked) {
        None => (
            None,
            ModelSource::Kept(current.model().unwrap_or_default().to_owned()),
        ),
        Some((_, choice)) => match ask_provider(ctx, args, *choice)? {
            Some(provider) => {
                if !try_provider(ctx, &provider)? {
                    return Ok(None);
                }
                (Some(provider), ModelSource::Chosen)
            }
            None => (None, ModelSource::Chosen),
        },
    };

    let port = CustomType::<u16>::new("Gateway port:")
        .with_default(
            args.gateway_port
                .or(current.port())
                .unwrap_or(rustyclaw_config::DEFAULT_GATEWAY_PORT),
        )
        .with_error_message("a port is a number from 1 to 65535")
        .with_validator(|port: &u16| {
            Ok(if *port == 0 {
                Validation::Invalid("a port is a number from 1 to 65535".into())
            } else {
                Validation::Valid
            })
        })
        .prompt()?;
    let bind_now = args.gateway_bind.or(current.bind());
    let bind = match Select::new(
        "Listen on:",
        vec!["loopback (this machine only)", "lan (all interfaces)"],
    )
    .with_starting_cursor(usize::from(bind_now == Some(BindChoice::Lan)))
    .prompt()?
    {
        s if s.starts_with("lan") => BindChoice::Lan,
        _ => BindChoice::Loopback,
    };
    let (auth, auth_secret) = super::gateway_auth(args, current)?;
    let workspace_default = args
        .workspace
        .clone()
        .or_else(|| current.workspace().map(std::path::PathBuf::from))
        .unwrap_or_else(|| ctx.locations.default_workspace());
    let workspace = Text::new("Agent workspace:")
        .with_default(&workspace_default.display().to_string())
        .with_validator(required("a workspace directory"))
        .prompt()?;
    Ok(Some(Plan {
        provider,
        port,
        bind,
        auth,
        auth_secret,
        workspace: ctx.env.expand_tilde(std::path::Path::new(workspace.trim())),
        model_source,
    }))
}

/// Asks "Write these changes?".
pub fn confirm_write() -> anyhow::Result<bool> {
    Ok(Confirm::new("Write these changes?")
        .with_default(true)
        .prompt()?)
}

/// A validator refusing blank answers, naming what is missing.
fn required(what: &'static str) -> impl StringValidator {
    move |input: &str| {
        Ok(if input.trim().is_empty() {
            Validation::Invalid(format!("{what} is required").into())
        } else {
            Validation::Valid
        })
    }
}

/// A validator accepting only http(s) URLs with a host.
fn url_validator(input: &str) -> Result<Validation, inquire::CustomUserError> {
    let input = input.trim();
    let rest = input
        .strip_prefix("http://")
        .or_else(|| input.strip_prefix("https://"));
    Ok(match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Validation::Valid,
        _ => Validation::Invalid(
            "enter an http:// or https:// URL, e.g. http://127.0.0.1:1234/v1".into(),
        ),
    })
}

/// Endpoint, key and model of `choice`; `None` for "Skip".
fn ask_provider(
    ctx: &Context,
    args: &OnboardArgs,
    choice: AuthChoice,
) -> anyhow::Result<Option<ProviderPlan>> {
    let Some(defaults) = plan::vendor(choice, Compatibility::Openai) else {
        return Ok(None);
    };
    let base_default = args
        .custom_base_url
        .clone()
        .unwrap_or_else(|| match choice {
            AuthChoice::CustomApiKey => "http://127.0.0.1:1234/v1".to_owned(),
            AuthChoice::Ollama => super::detect::ollama_base_url(
                ctx.env.non_empty(rustyclaw_config::env_vars::OLLAMA_HOST),
            ),
            _ => defaults.base_url.to_owned(),
        });
    let base_url = Text::new("API base URL:")
        .with_default(&base_default)
        .with_validator(url_validator)
        .prompt()?
        .trim()
        .trim_end_matches('/')
        .to_owned();
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
                Password::new(if choice == AuthChoice::CustomApiKey {
                    "API key (empty if the endpoint needs none; stored encrypted):"
                } else {
                    "API key (stored encrypted):"
                })
                .with_display_mode(PasswordDisplayMode::Masked)
                .without_confirmation()
                .with_validator(move |key: &str| {
                    Ok(
                        if key.trim().is_empty() && choice != AuthChoice::CustomApiKey {
                            Validation::Invalid("this provider needs an API key".into())
                        } else {
                            Validation::Valid
                        },
                    )
                })
                .prompt()?,
            );
            if key.is_blank() {
                KeyPlan::None
            } else {
                super::stored_key(ctx, args.secret_input_mode, key)?
            }
        }
    };
    let id = match choice {
        AuthChoice::CustomApiKey => args
            .custom_provider_id
            .clone()
            .unwrap_or_else(|| plan::custom_provider_id(&base_url)),
        _ => defaults.id.to_owned(),
    };
    let model_default = super::model_from_flags(args, &defaults).unwrap_or_default();
    let listed = super::detect::model_ids(
        &id,
        defaults.api,
        &base_url,
        key_value(ctx, &key).as_ref(),
        LISTING_TIME,
    )
    .map_err(|e| e.to_string());
    let model = ask_model(listed, &base_url, &model_default)?;
    Ok(Some(ProviderPlan {
        id,
        base_url,
        api: defaults.api,
        model,
        key,
    }))
}

/// The key itself, for the model list and the test completion.
fn key_value(ctx: &Context, key: &KeyPlan) -> Option<Secret> {
    match key {
        KeyPlan::None => None,
        KeyPlan::Plain(k) | KeyPlan::Vault { value: k, .. } => Some(k.clone()),
        KeyPlan::EnvRef(var) => ctx.env.non_empty(var).map(Secret::from),
    }
}

/// Offers the endpoint's models (typing filters them), else asks for an id.
fn ask_model(
    listed: Result<Vec<String>, String>,
    base_url: &str,
    default: &str,
) -> anyhow::Result<String> {
    match listed {
        Ok(ids) if !ids.is_empty() => {
            let start = ids.iter().position(|id| id == default).unwrap_or(0);
            let mut options: Vec<&str> = ids.iter().map(String::as_str).collect();
            options.push(OTHER_MODEL);
            let picked = Select::new(&format!("Model ({} offered):", ids.len()), options)
                .with_starting_cursor(start)
                .prompt()?;
            if picked != OTHER_MODEL {
                return Ok(picked.to_owned());
            }
        }
        Ok(_) => output::out(&format!("{base_url} lists no models.")),
        Err(why) => output::out(&format!("Could not list the models at {base_url}: {why}")),
    }
    let mut prompt = Text::new("Model id:").with_validator(required("a model id"));
    if !default.is_empty() {
        prompt = prompt.with_default(default);
    }
    Ok(prompt.prompt()?.trim().to_owned())
}

/// Sends the test completion and reports it; on failure asks whether to save anyway.
fn try_provider(ctx: &Context, provider: &ProviderPlan) -> anyhow::Result<bool> {
    output::out(&format!(
        "Sending a test message to {}/{}…",
        provider.id, provider.model
    ));
    match super::probe::test_completion(provider, key_value(ctx, &provider.key).as_ref()) {
        Ok(report) => {
            let reply: String = report.reply.trim().chars().take(60).collect();
            output::out(&format!(
                "Test completion OK in {} ms: {reply:?}",
                report.elapsed.as_millis()
            ));
            Ok(true)
        }
        Err(why) => {
            output::out(&format!("Test completion failed: {why}"));
            Ok(Confirm::new("Save this model anyway?")
                .with_default(false)
                .prompt()?)
        }
    }
}
