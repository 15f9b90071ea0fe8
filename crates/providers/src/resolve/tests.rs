use std::collections::BTreeMap;

use pretty_assertions::assert_eq;
use rustyclaw_config::file::{ModelApi, ModelDefinitionSection, ModelsMode};
use rustyclaw_config::{
    Env, ExposeSecret, ModelChoice, ModelRef, ModelsConfig, ProviderConfig, Secret,
};
use serde_json::json;

use super::*;

#[derive(Default)]
struct Settings {
    aliases: BTreeMap<String, ModelRef>,
    params: BTreeMap<String, Map<String, Value>>,
    context_tokens: Option<u64>,
}

impl Settings {
    fn get(&self) -> ModelSettings<'_> {
        ModelSettings {
            aliases: &self.aliases,
            params: &self.params,
            context_tokens: self.context_tokens,
        }
    }
}

fn merge(providers: Vec<(&str, ProviderConfig)>) -> ModelsConfig {
    ModelsConfig {
        mode: ModelsMode::Merge,
        providers: providers
            .into_iter()
            .map(|(id, p)| (id.to_owned(), p))
            .collect(),
    }
}

fn provider(api: ModelApi, base_url: Option<&str>) -> ProviderConfig {
    ProviderConfig {
        base_url: base_url.map(Into::into),
        api_key: None,
        api: Some(api),
        headers: BTreeMap::new(),
        auth_header: false,
        models: Vec::new(),
    }
}

fn catalog(models: &ModelsConfig, env: &[(&str, &str)]) -> ModelCatalog {
    ModelCatalog::new(
        models,
        Settings::default().get(),
        &Env::from_pairs(env.iter().copied()),
    )
}

fn builtin() -> ModelCatalog {
    catalog(&merge(Vec::new()), &[])
}

fn profile_ids(c: &Candidate) -> Vec<&str> {
    c.profiles.iter().map(|p| p.profile_id.as_str()).collect()
}

#[test]
fn catalog_models_resolve_with_vendor_defaults() {
    let spec = builtin().resolve("anthropic/claude-sonnet-4-6").unwrap();
    assert_eq!(spec.api, WireFormat::AnthropicMessages);
    assert_eq!(spec.base_url, "https://api.anthropic.com");
    assert_eq!(spec.context_window, 1_000_000);
    assert!(spec.reasoning);
    assert_eq!(spec.reference(), "anthropic/claude-sonnet-4-6");
}

#[test]
fn model_ids_keep_their_slashes() {
    let cat = builtin();
    let known = cat
        .resolve("openrouter/anthropic/claude-sonnet-4.6")
        .unwrap();
    assert_eq!(
        (known.provider.as_str(), known.id.as_str()),
        ("openrouter", "anthropic/claude-sonnet-4.6")
    );
    assert_eq!(known.max_tokens, 128_000);
    let unknown = cat.resolve("openrouter/some-lab/new-model:free").unwrap();
    assert_eq!(unknown.id, "some-lab/new-model:free");
    assert_eq!(
        (
            unknown.context_window,
            unknown.max_tokens,
            unknown.reasoning
        ),
        (UNDECLARED_CONTEXT_WINDOW, UNDECLARED_MAX_TOKENS, false)
    );
    assert_eq!(unknown.input, [Modality::Text]);
}

#[test]
fn local_vendors_accept_any_model_id() {
    let spec = builtin().resolve("ollama/llama3.1:8b").unwrap();
    assert_eq!(spec.api, WireFormat::Ollama);
    assert_eq!(spec.base_url, "http://127.0.0.1:11434");
}

#[test]
fn aliases_resolve_case_insensitively() {
    let mut settings = Settings::default();
    settings.aliases.insert(
        "Sonnet".into(),
        ModelRef("anthropic/claude-sonnet-4-6".into()),
    );
    let cat = ModelCatalog::new(&merge(Vec::new()), settings.get(), &Env::default());
    assert_eq!(cat.resolve("Sonnet").unwrap().id, "claude-sonnet-4-6");
    assert_eq!(cat.resolve("sonnet").unwrap().id, "claude-sonnet-4-6");
}

#[test]
fn bare_ids_resolve_when_unambiguous() {
    let cat = builtin();
    assert_eq!(
        cat.resolve("claude-haiku-4-5").unwrap().provider,
        "anthropic"
    );

    let mut proxy = provider(ModelApi::OpenaiCompletions, Some("http://proxy.local/v1"));
    proxy.models.push(ModelDefinitionSection {
        id: "claude-haiku-4-5".into(),
        ..Default::default()
    });
    let cat = catalog(&merge(vec![("proxy", proxy)]), &[]);
    assert_eq!(
        cat.resolve("claude-haiku-4-5").unwrap_err(),
        ResolveError::Ambiguous {
            reference: "claude-haiku-4-5".into(),
            matches: vec![
                "anthropic/claude-haiku-4-5".into(),
                "proxy/claude-haiku-4-5".into()
            ],
        }
    );
}

#[test]
fn unknown_providers_suggest_close_names() {
    let err = builtin().resolve("opnai/gpt-5.4").unwrap_err();
    let ResolveError::UnknownProvider {
        provider,
        suggestions,
        known,
        ..
    } = &err
    else {
        panic!("unexpected {err:?}");
    };
    assert_eq!(provider, "opnai");
    assert_eq!(suggestions.first().map(String::as_str), Some("openai"));
    assert!(known.iter().any(|k| k == "ollama"));
    let text = err.to_string();
    assert!(text.contains("did you mean \"openai\""), "{text}");
    assert!(text.contains("opnai/gpt-5.4"), "{text}");
}

#[test]
fn misspelt_bare_ids_suggest_refs() {
    let err = builtin().resolve("claude-sonet-4-6").unwrap_err();
    let ResolveError::NotAReference { suggestions, .. } = &err else {
        panic!("unexpected {err:?}");
    };
    assert!(
        suggestions
            .iter()
            .any(|s| s == "anthropic/claude-sonnet-4-6"),
        "{suggestions:?}"
    );
}

#[test]
fn provider_ids_are_case_insensitive() {
    assert_eq!(
        builtin().resolve("OpenAI/gpt-5.4").unwrap().provider,
        "openai"
    );
}

#[test]
fn declared_models_override_catalog_rows_field_by_field() {
    let mut openai = provider(ModelApi::OpenaiResponses, None);
    openai.models.push(ModelDefinitionSection {
        id: "gpt-5.4".into(),
        context_tokens: Some(160_000),
        max_tokens: Some(4_000),
        ..Default::default()
    });
    let settings = Settings {
        context_tokens: Some(100_000),
        ..Default::default()
    };
    let cat = ModelCatalog::new(
        &merge(vec![("openai", openai)]),
        settings.get(),
        &Env::default(),
    );
    let c = cat.candidate("openai/gpt-5.4").unwrap();
    // Name, window and price come from the catalog; the declared fields win.
    assert_eq!(c.model.name, "GPT-5.4");
    assert_eq!(c.model.context_window, 272_000);
    assert_eq!(c.model.max_tokens, 4_000);
    assert_eq!(c.model.cost.output, 15.0);
    assert_eq!(c.context_tokens, 160_000);
    // Other models get the agent default, capped at the window.
    assert_eq!(
        cat.candidate("openai/gpt-4o-mini").unwrap().context_tokens,
        100_000
    );
    assert_eq!(
        cat.candidate("openai/gpt-5-mini").unwrap().context_tokens,
        100_000
    );
}

#[test]
fn declared_custom_models_get_openclaw_defaults() {
    let mut local = provider(
        ModelApi::OpenaiCompletions,
        Some("http://10.0.0.2:8080/v1/"),
    );
    local.headers.insert("X-Team".into(), "a".into());
    local.models.push(ModelDefinitionSection {
        id: "qwen".into(),
        headers: Some(BTreeMap::from([("X-Model".into(), "q".into())])),
        ..Default::default()
    });
    let cat = catalog(&merge(vec![("lab", local)]), &[]);
    let c = cat.candidate("lab/qwen").unwrap();
    assert_eq!(c.model.base_url, "http://10.0.0.2:8080/v1");
    assert_eq!(c.model.context_window, DECLARED_CONTEXT_WINDOW);
    assert_eq!(c.model.max_tokens, DECLARED_MAX_TOKENS);
    assert_eq!(c.model.headers.len(), 2);
    // A custom provider without any key gets one keyless profile.
    assert_eq!(profile_ids(&c), ["lab:default"]);
    assert!(c.profiles[0].key.is_none());
}

#[test]
fn a_provider_without_api_keeps_its_vendor_format() {
    let mut anthropic = provider(ModelApi::OpenaiCompletions, None);
    anthropic.api = None;
    anthropic.api_key = Some(Secret::from("sk-ant"));
    let cat = catalog(&merge(vec![("anthropic", anthropic)]), &[]);
    let c = cat.candidate("anthropic/claude-opus-4-6").unwrap();
    assert_eq!(c.model.api, WireFormat::AnthropicMessages);
    assert_eq!(c.profiles[0].auth, AuthStyle::XApiKey);
}

#[test]
fn an_explicit_api_overrides_the_vendor_format() {
    // An OpenAI-compatible proxy in front of Anthropic, say.
    let mut anthropic = provider(ModelApi::OpenaiCompletions, Some("http://proxy.local/v1"));
    anthropic.api_key = Some(Secret::from("sk-ant"));
    let cat = catalog(&merge(vec![("anthropic", anthropic)]), &[]);
    let c = cat.candidate("anthropic/claude-opus-4-6").unwrap();
    assert_eq!(c.model.api, WireFormat::OpenaiCompletions);
    assert_eq!(c.profiles[0].auth, AuthStyle::Bearer);
}

#[test]
fn a_custom_provider_without_api_speaks_openai_completions() {
    let mut lab = provider(ModelApi::OpenaiCompletions, Some("http://lab.local/v1"));
    lab.api = None;
    let cat = catalog(&merge(vec![("lab", lab)]), &[]);
    assert_eq!(
        cat.candidate("lab/x").unwrap().model.api,
        WireFormat::OpenaiCompletions
    );
}

#[test]
fn auth_header_forces_bearer() {
    let mut deepseek = provider(
        ModelApi::AnthropicMessages,
        Some("https://api.deepseek.com/anthropic"),
    );
    deepseek.auth_header = true;
    let cat = catalog(
        &merge(vec![("deepseek", deepseek)]),
        &[("DEEPSEEK_API_KEY", "sk-ds")],
    );
    let c = cat.candidate("deepseek/deepseek-v4-pro").unwrap();
    assert_eq!(c.model.api, WireFormat::AnthropicMessages);
    assert_eq!(c.profiles[0].auth, AuthStyle::Bearer);
}

#[test]
fn unsupported_apis_and_missing_base_urls_are_errors() {
    let bedrock = provider(ModelApi::BedrockConverseStream, Some("https://bedrock"));
    let nameless = provider(ModelApi::OpenaiCompletions, None);
    let cat = catalog(&merge(vec![("bedrock", bedrock), ("lab", nameless)]), &[]);
    assert_eq!(
        cat.resolve("bedrock/claude").unwrap_err(),
        ResolveError::UnsupportedApi {
            reference: "bedrock/claude".into(),
            provider: "bedrock".into(),
            api: "bedrock-converse-stream",
        }
    );
    assert_eq!(
        cat.resolve("lab/m").unwrap_err(),
        ResolveError::MissingBaseUrl {
            reference: "lab/m".into(),
            provider: "lab".into()
        }
    );
    assert!(cat.list().iter().all(|m| m.provider != "bedrock"));
}

#[test]
fn replace_mode_keeps_only_configured_providers() {
    let mut openai = provider(ModelApi::OpenaiResponses, None);
    openai.models.push(ModelDefinitionSection {
        id: "gpt-5.4".into(),
        ..Default::default()
    });
    let models = ModelsConfig {
        mode: ModelsMode::Replace,
        providers: BTreeMap::from([("openai".to_owned(), openai)]),
    };
    let cat = catalog(&models, &[("OPENAI_API_KEY", "sk")]);
    assert!(matches!(
        cat.resolve("anthropic/claude-opus-4-6"),
        Err(ResolveError::UnknownProvider { .. })
    ));
    let spec = cat.resolve("openai/gpt-5.4").unwrap();
    assert_eq!(spec.base_url, "https://api.openai.com/v1");
    let listed: Vec<String> = cat.list().iter().map(|m| m.id.clone()).collect();
    assert_eq!(listed, ["gpt-5.4"]);
}

#[test]
fn credentials_put_config_first_then_env_rotation() {
    let mut openai = provider(ModelApi::OpenaiResponses, None);
    openai.api_key = Some(Secret::from("sk-config"));
    let cat = catalog(
        &merge(vec![("openai", openai)]),
        &[
            ("OPENAI_API_KEY", "sk-config"),
            ("OPENAI_API_KEYS", "sk-a,sk-b"),
            ("OPENAI_API_KEY_1", "sk-c"),
        ],
    );
    let c = cat.candidate("openai/gpt-5.4").unwrap();
    assert_eq!(
        profile_ids(&c),
        ["openai:default", "openai:env", "openai:2", "openai:3"]
    );
    let keys: Vec<&str> = c
        .profiles
        .iter()
        .filter_map(|p| p.key.as_ref().map(|k| k.expose_secret()))
        .collect();
    assert_eq!(keys, ["sk-config", "sk-a", "sk-b", "sk-c"]);
}

#[test]
fn gemini_reads_google_api_key_too() {
    let cat = catalog(&merge(Vec::new()), &[("GOOGLE_API_KEY", "g")]);
    let c = cat.candidate("google/gemini-2.5-pro").unwrap();
    assert_eq!(profile_ids(&c), ["google:env"]);
    assert_eq!(c.profiles[0].auth, AuthStyle::XGoogApiKey);
}

#[test]
fn missing_keys_leave_no_profiles_and_a_useful_error() {
    let c = builtin().candidate("groq/llama-3.3-70b-versatile").unwrap();
    assert!(c.profiles.is_empty());
    let message = c.missing_key().to_string();
    assert!(message.contains("GROQ_API_KEY"), "{message}");
    assert!(
        message.contains("models.providers.groq.apiKey"),
        "{message}"
    );
    let local = builtin().candidate("vllm/my-model").unwrap();
    assert_eq!(profile_ids(&local), ["vllm:default"]);
}

#[test]
fn lists_models_with_availability() {
    let cat = catalog(&merge(Vec::new()), &[("ANTHROPIC_API_KEY", "sk")]);
    let listed = cat.list();
    let find = |provider: &str, id: &str| {
        listed
            .iter()
            .find(|m| m.provider == provider && m.id == id)
            .cloned()
            .unwrap()
    };
    let opus = find("anthropic", "claude-opus-4-6");
    assert_eq!(
        opus,
        ModelListing {
            id: "claude-opus-4-6".into(),
            name: "Claude Opus 4.6".into(),
            provider: "anthropic".into(),
            context_window: 1_000_000,
            reasoning: true,
            input: vec![Modality::Text, Modality::Image],
            available: true,
        }
    );
    assert!(!find("openai", "gpt-5.4").available);
}

#[test]
fn chains_put_the_override_first_and_skip_bad_fallbacks() {
    let cat = builtin();
    let choice = ModelChoice {
        primary: Some(ModelRef("anthropic/claude-opus-4-6".into())),
        fallbacks: vec![
            ModelRef("openai/gpt-5.4".into()),
            ModelRef("nope/x".into()),
            ModelRef("anthropic/claude-opus-4-6".into()),
        ],
    };
    let chain = cat.chain(&choice, None).unwrap();
    let refs: Vec<String> = chain.candidates.iter().map(Candidate::reference).collect();
    assert_eq!(refs, ["anthropic/claude-opus-4-6", "openai/gpt-5.4"]);
    assert_eq!(chain.unresolved.len(), 1);

    let chain = cat.chain(&choice, Some("openai/gpt-5.4")).unwrap();
    let refs: Vec<String> = chain.candidates.iter().map(Candidate::reference).collect();
    assert_eq!(refs, ["openai/gpt-5.4", "anthropic/claude-opus-4-6"]);

    assert_eq!(
        cat.chain(&ModelChoice::default(), None).unwrap_err(),
        ResolveError::NoModel
    );
    assert!(cat.chain(&ModelChoice::default(), Some("nope/x")).is_err());
}

#[test]
fn params_follow_the_resolved_ref() {
    let mut settings = Settings::default();
    let mut params = Map::new();
    params.insert("temperature".into(), json!(0.2));
    settings.params.insert("openai/gpt-5.4".into(), params);
    settings
        .aliases
        .insert("fast".into(), ModelRef("openai/gpt-5.4".into()));
    let cat = ModelCatalog::new(&merge(Vec::new()), settings.get(), &Env::default());
    assert_eq!(
        cat.candidate("fast").unwrap().params.get("temperature"),
        Some(&json!(0.2))
    );
    assert!(
        cat.candidate("openai/gpt-5-mini")
            .unwrap()
            .params
            .is_empty()
    );
}

#[test]
fn builds_from_a_real_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("openclaw.json");
    std::fs::write(
        &config_path,
        r#"{
          // JSON5, as users write it.
          agents: { defaults: {
            model: { primary: "Local", fallbacks: ["anthropic/claude-sonnet-4-6"] },
            models: { "lab/qwen3": { alias: "Local", params: { top_p: 0.9 } } },
          } },
          models: { providers: {
            lab: { baseUrl: "http://127.0.0.1:9000/v1", apiKey: "${LAB_KEY}",
                   models: [{ id: "qwen3", contextWindow: 32768 }] },
            anthropic: { apiKey: "sk-ant-config" },
          } },
        }"#,
    )
    .unwrap();
    let locations = rustyclaw_config::Locations {
        state_dir: dir.path().to_path_buf(),
        config_path,
    };
    let env = Env::from_pairs([("LAB_KEY", "lab-secret"), ("HOME", "/nonexistent")]);
    let loaded = rustyclaw_config::load(&locations, &env).unwrap();
    let cat = ModelCatalog::from_config(&loaded.config, &env);
    let chain = cat
        .chain(&loaded.config.agents.defaults.model, None)
        .unwrap();
    let first = &chain.candidates[0];
    assert_eq!(first.reference(), "lab/qwen3");
    assert_eq!(first.model.context_window, 32_768);
    assert_eq!(first.params.get("top_p"), Some(&json!(0.9)));
    assert_eq!(profile_ids(first), ["lab:default"]);
    let second = &chain.candidates[1];
    assert_eq!(second.model.api, WireFormat::AnthropicMessages);
    assert_eq!(profile_ids(second), ["anthropic:default"]);
}
