//! The built-in vendors, as data.
//!
//! A vendor is a row: which wire format it speaks, where, how the key travels, which
//! environment variables hold keys, and a handful of well-known models. Adding a vendor that
//! speaks one of the five formats is adding a row, not writing a client.
//!
//! The facts come from OpenClaw's provider docs (`docs/providers/*.md`,
//! `docs/concepts/model-providers.md`) and pi-ai's generated model catalog that OpenClaw ships
//! with. Where a fact is not published there (a price, an output limit) the field is `None`
//! and resolution applies its documented defaults instead of a guess. Prices are USD per
//! million tokens and drift; configure `models.providers.<id>.models[].cost` to track spend
//! exactly.

use crate::model::{AuthStyle, Modality, Pricing, WireFormat};

/// Whether a vendor needs an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPolicy {
    /// Requests without a key are rejected; a missing key is reported before anything is sent.
    Required,
    /// Local servers that usually run without auth; a key from the environment is still sent
    /// when one is set (for servers started with `--api-key`).
    Optional,
}

/// A model the catalog knows about.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CatalogModel {
    /// Model id as the vendor knows it (may contain `/`).
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Whether the model supports extended thinking.
    pub reasoning: bool,
    /// Input kinds.
    pub input: &'static [Modality],
    /// Context window in tokens, when published.
    pub context_window: Option<u64>,
    /// Largest completion in tokens, when published.
    pub max_tokens: Option<u64>,
    /// Prices per million tokens, when published.
    pub cost: Option<Pricing>,
}

/// A built-in vendor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vendor {
    /// Provider id: the part before `/` in a model ref.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// The wire format rustyclaw uses for it.
    pub api: WireFormat,
    /// Default API base URL (no trailing slash).
    pub base_url: &'static str,
    /// How the key is sent.
    pub auth: AuthStyle,
    /// Whether a key is required.
    pub key: KeyPolicy,
    /// Prefix of the key variables: `<P>_API_KEY`, `<P>_API_KEYS`, `<P>_API_KEY_<n>` and
    /// `OPENCLAW_LIVE_<P>_KEY` (OpenClaw's rotation scheme).
    pub env_prefix: &'static str,
    /// Further variables read after the rotation set (e.g. `GOOGLE_API_KEY` for Gemini).
    pub extra_key_vars: &'static [&'static str],
    /// Non-secret headers sent with every request.
    pub headers: &'static [(&'static str, &'static str)],
    /// Well-known models.
    pub models: &'static [CatalogModel],
}

impl Vendor {
    /// The catalog's row for model `id`.
    pub fn model(&self, id: &str) -> Option<&'static CatalogModel> {
        self.models.iter().find(|m| m.id == id)
    }
}

/// Every built-in vendor, in display order.
pub fn vendors() -> &'static [Vendor] {
    VENDORS
}

/// The built-in vendor with this id.
pub fn vendor(id: &str) -> Option<&'static Vendor> {
    VENDORS.iter().find(|v| v.id == id)
}

const TEXT: &[Modality] = &[Modality::Text];
const TEXT_IMAGE: &[Modality] = &[Modality::Text, Modality::Image];

const fn price(input: f64, output: f64, cache_read: f64, cache_write: f64) -> Option<Pricing> {
    Some(Pricing {
        input,
        output,
        cache_read,
        cache_write,
    })
}

/// A row with every number known.
const fn known(
    id: &'static str,
    name: &'static str,
    reasoning: bool,
    input: &'static [Modality],
    context_window: u64,
    max_tokens: u64,
    cost: Option<Pricing>,
) -> CatalogModel {
    CatalogModel {
        id,
        name,
        reasoning,
        input,
        context_window: Some(context_window),
        max_tokens: Some(max_tokens),
        cost,
    }
}

/// A row whose output limit and price are not published.
const fn partial(
    id: &'static str,
    name: &'static str,
    reasoning: bool,
    input: &'static [Modality],
    context_window: Option<u64>,
) -> CatalogModel {
    CatalogModel {
        id,
        name,
        reasoning,
        input,
        context_window,
        max_tokens: None,
        cost: None,
    }
}

#[rustfmt::skip]
const OPENAI_MODELS: &[CatalogModel] = &[
    known("gpt-5.4", "GPT-5.4", true, TEXT_IMAGE, 272_000, 128_000, price(2.5, 15.0, 0.25, 0.0)),
    known("gpt-5.2", "GPT-5.2", true, TEXT_IMAGE, 400_000, 128_000, price(1.75, 14.0, 0.175, 0.0)),
    known("gpt-5-mini", "GPT-5 Mini", true, TEXT_IMAGE, 400_000, 128_000, price(0.25, 2.0, 0.025, 0.0)),
    known("gpt-4.1", "GPT-4.1", false, TEXT_IMAGE, 1_047_576, 32_768, price(2.0, 8.0, 0.5, 0.0)),
    known("gpt-4o-mini", "GPT-4o mini", false, TEXT_IMAGE, 128_000, 16_384, price(0.15, 0.6, 0.08, 0.0)),
];

#[rustfmt::skip]
const ANTHROPIC_MODELS: &[CatalogModel] = &[
    known("claude-opus-4-6", "Claude Opus 4.6", true, TEXT_IMAGE, 1_000_000, 128_000, price(5.0, 25.0, 0.5, 6.25)),
    known("claude-sonnet-4-6", "Claude Sonnet 4.6", true, TEXT_IMAGE, 1_000_000, 64_000, price(3.0, 15.0, 0.3, 3.75)),
    known("claude-opus-4-5", "Claude Opus 4.5", true, TEXT_IMAGE, 200_000, 64_000, price(5.0, 25.0, 0.5, 6.25)),
    known("claude-sonnet-4-5", "Claude Sonnet 4.5", true, TEXT_IMAGE, 200_000, 64_000, price(3.0, 15.0, 0.3, 3.75)),
    known("claude-haiku-4-5", "Claude Haiku 4.5", true, TEXT_IMAGE, 200_000, 64_000, price(1.0, 5.0, 0.1, 1.25)),
];

#[rustfmt::skip]
const GOOGLE_MODELS: &[CatalogModel] = &[
    known("gemini-3.1-pro-preview", "Gemini 3.1 Pro Preview", true, TEXT_IMAGE, 1_048_576, 65_536, price(2.0, 12.0, 0.2, 0.0)),
    known("gemini-3-flash-preview", "Gemini 3 Flash Preview", true, TEXT_IMAGE, 1_048_576, 65_536, price(0.5, 3.0, 0.05, 0.0)),
    known("gemini-2.5-pro", "Gemini 2.5 Pro", true, TEXT_IMAGE, 1_048_576, 65_536, price(1.25, 10.0, 0.31, 0.0)),
    known("gemini-2.5-flash", "Gemini 2.5 Flash", true, TEXT_IMAGE, 1_048_576, 65_536, price(0.3, 2.5, 0.075, 0.0)),
    known("gemini-2.5-flash-lite", "Gemini 2.5 Flash Lite", true, TEXT_IMAGE, 1_048_576, 65_536, price(0.1, 0.4, 0.025, 0.0)),
];

#[rustfmt::skip]
const OPENROUTER_MODELS: &[CatalogModel] = &[
    // The router's price depends on the model it picks, so none is listed.
    known("openrouter/auto", "Auto Router", true, TEXT_IMAGE, 2_000_000, 4_096, None),
    known("anthropic/claude-sonnet-4.6", "Anthropic: Claude Sonnet 4.6", true, TEXT_IMAGE, 1_000_000, 128_000, price(3.0, 15.0, 0.3, 3.75)),
    known("openai/gpt-5.4", "OpenAI: GPT-5.4", true, TEXT_IMAGE, 1_050_000, 128_000, price(2.5, 15.0, 0.25, 0.0)),
    known("google/gemini-2.5-pro", "Google: Gemini 2.5 Pro", true, TEXT_IMAGE, 1_048_576, 65_536, price(1.25, 10.0, 0.125, 0.375)),
    known("deepseek/deepseek-v3.2", "DeepSeek: DeepSeek V3.2", true, TEXT, 163_840, 4_096, price(0.26, 0.38, 0.13, 0.0)),
    known("moonshotai/kimi-k2.5", "MoonshotAI: Kimi K2.5", true, TEXT_IMAGE, 262_144, 4_096, price(0.41, 2.06, 0.07, 0.0)),
];

#[rustfmt::skip]
const GROQ_MODELS: &[CatalogModel] = &[
    known("llama-3.3-70b-versatile", "Llama 3.3 70B Versatile", false, TEXT, 131_072, 32_768, price(0.59, 0.79, 0.0, 0.0)),
    known("llama-3.1-8b-instant", "Llama 3.1 8B Instant", false, TEXT, 131_072, 131_072, price(0.05, 0.08, 0.0, 0.0)),
    known("openai/gpt-oss-120b", "GPT OSS 120B", true, TEXT, 131_072, 65_536, price(0.15, 0.6, 0.0, 0.0)),
    known("openai/gpt-oss-20b", "GPT OSS 20B", true, TEXT, 131_072, 65_536, price(0.075, 0.3, 0.0, 0.0)),
    known("qwen/qwen3-32b", "Qwen3 32B", true, TEXT, 131_072, 16_384, price(0.29, 0.59, 0.0, 0.0)),
    known("moonshotai/kimi-k2-instruct-0905", "Kimi K2 Instruct 0905", false, TEXT, 262_144, 16_384, price(1.0, 3.0, 0.0, 0.0)),
];

#[rustfmt::skip]
const MISTRAL_MODELS: &[CatalogModel] = &[
    known("mistral-large-latest", "Mistral Large (latest)", false, TEXT_IMAGE, 262_144, 16_384, price(0.5, 1.5, 0.0, 0.0)),
    known("mistral-medium-2508", "Mistral Medium 3.1", false, TEXT_IMAGE, 262_144, 8_192, price(0.4, 2.0, 0.0, 0.0)),
    known("mistral-small-latest", "Mistral Small (latest)", false, TEXT_IMAGE, 128_000, 16_384, price(0.1, 0.3, 0.0, 0.0)),
    known("codestral-latest", "Codestral (latest)", false, TEXT, 256_000, 4_096, price(0.3, 0.9, 0.0, 0.0)),
    known("devstral-medium-latest", "Devstral 2 (latest)", false, TEXT, 262_144, 32_768, price(0.4, 2.0, 0.0, 0.0)),
    known("magistral-small", "Magistral Small", true, TEXT, 128_000, 40_000, price(0.5, 1.5, 0.0, 0.0)),
];

#[rustfmt::skip]
const DEEPSEEK_MODELS: &[CatalogModel] = &[
    CatalogModel {
        max_tokens: Some(8_192),
        ..partial("deepseek-v4-flash", "DeepSeek V4 Flash", true, TEXT, Some(1_000_000))
    },
    CatalogModel {
        max_tokens: Some(8_192),
        ..partial("deepseek-v4-pro", "DeepSeek V4 Pro", true, TEXT, Some(1_000_000))
    },
];

#[rustfmt::skip]
const XAI_MODELS: &[CatalogModel] = &[
    known("grok-4", "Grok 4", true, TEXT, 256_000, 64_000, price(3.0, 15.0, 0.75, 0.0)),
    known("grok-4-1-fast", "Grok 4.1 Fast", true, TEXT_IMAGE, 2_000_000, 30_000, price(0.2, 0.5, 0.05, 0.0)),
    known("grok-4-1-fast-non-reasoning", "Grok 4.1 Fast (Non-Reasoning)", false, TEXT_IMAGE, 2_000_000, 30_000, price(0.2, 0.5, 0.05, 0.0)),
    known("grok-code-fast-1", "Grok Code Fast 1", true, TEXT, 256_000, 10_000, price(0.2, 1.5, 0.02, 0.0)),
    known("grok-3-mini", "Grok 3 Mini", true, TEXT, 131_072, 8_192, price(0.3, 0.5, 0.075, 0.0)),
];

#[rustfmt::skip]
const TOGETHER_MODELS: &[CatalogModel] = &[
    known("meta-llama/Llama-3.3-70B-Instruct-Turbo", "Llama 3.3 70B Instruct Turbo", false, TEXT, 131_072, 8_192, price(0.88, 0.88, 0.0, 0.0)),
    known("moonshotai/Kimi-K2.6", "Kimi K2.6 FP4", true, TEXT_IMAGE, 262_144, 32_768, price(1.2, 4.5, 0.0, 0.0)),
    known("deepseek-ai/DeepSeek-V4-Pro", "DeepSeek V4 Pro", true, TEXT, 512_000, 8_192, price(2.1, 4.4, 0.0, 0.0)),
    known("zai-org/GLM-5.1", "GLM 5.1 FP4", true, TEXT, 202_752, 8_192, price(1.4, 4.4, 0.0, 0.0)),
    known("Qwen/Qwen2.5-7B-Instruct-Turbo", "Qwen2.5 7B Instruct Turbo", false, TEXT, 32_768, 8_192, price(0.3, 0.3, 0.0, 0.0)),
];

#[rustfmt::skip]
const FIREWORKS_MODELS: &[CatalogModel] = &[
    CatalogModel {
        max_tokens: Some(8_192),
        ..partial("accounts/fireworks/models/deepseek-v3p2", "DeepSeek V3.2", false, TEXT, Some(163_840))
    },
    partial("accounts/fireworks/models/deepseek-r1-0528", "DeepSeek R1 05/28", true, TEXT, Some(163_840)),
    partial("accounts/fireworks/models/gpt-oss-120b", "OpenAI gpt-oss-120b", true, TEXT, Some(131_072)),
    partial("accounts/fireworks/models/kimi-k2-instruct-0905", "Kimi K2 Instruct 0905", false, TEXT, Some(262_144)),
    partial("accounts/fireworks/models/qwen3-coder-480b-a35b-instruct", "Qwen3 Coder 480B A35B Instruct", false, TEXT, Some(262_144)),
    partial("accounts/fireworks/models/llama-v3p3-70b-instruct", "Llama 3.3 70B Instruct", false, TEXT, Some(131_072)),
];

#[rustfmt::skip]
const CEREBRAS_MODELS: &[CatalogModel] = &[
    known("gpt-oss-120b", "GPT OSS 120B", true, TEXT, 131_072, 32_768, price(0.25, 0.69, 0.0, 0.0)),
    known("zai-glm-4.7", "Z.AI GLM-4.7", false, TEXT, 131_072, 40_000, price(2.25, 2.75, 0.0, 0.0)),
    known("qwen-3-235b-a22b-instruct-2507", "Qwen 3 235B Instruct", false, TEXT, 131_000, 32_000, price(0.6, 1.2, 0.0, 0.0)),
    known("llama3.1-8b", "Llama 3.1 8B", false, TEXT, 32_000, 8_000, price(0.1, 0.1, 0.0, 0.0)),
];

#[rustfmt::skip]
const PERPLEXITY_MODELS: &[CatalogModel] = &[
    partial("sonar", "Sonar", false, TEXT, None),
    partial("sonar-pro", "Sonar Pro", false, TEXT, None),
];

#[rustfmt::skip]
const MOONSHOT_MODELS: &[CatalogModel] = &[
    CatalogModel {
        max_tokens: Some(8_192),
        ..partial("kimi-k2.5", "Kimi K2.5", false, TEXT, Some(256_000))
    },
    CatalogModel {
        max_tokens: Some(8_192),
        ..partial("kimi-k2-0905-preview", "Kimi K2 0905 Preview", false, TEXT, Some(256_000))
    },
    CatalogModel {
        max_tokens: Some(8_192),
        ..partial("kimi-k2-turbo-preview", "Kimi K2 Turbo", false, TEXT, Some(256_000))
    },
    CatalogModel {
        max_tokens: Some(8_192),
        ..partial("kimi-k2-thinking", "Kimi K2 Thinking", true, TEXT, Some(256_000))
    },
];

/// The openai-compatible hosted vendors all take a bearer key, so their rows differ only in
/// id, URL, key variables and models.
const fn openai_compatible(
    id: &'static str,
    name: &'static str,
    base_url: &'static str,
    env_prefix: &'static str,
    models: &'static [CatalogModel],
) -> Vendor {
    Vendor {
        id,
        name,
        api: WireFormat::OpenaiCompletions,
        base_url,
        auth: AuthStyle::Bearer,
        key: KeyPolicy::Required,
        env_prefix,
        extra_key_vars: &[],
        headers: &[],
        models,
    }
}

/// A local server: keyless unless the environment provides a key.
const fn local(
    id: &'static str,
    name: &'static str,
    api: WireFormat,
    base_url: &'static str,
    env_prefix: &'static str,
    extra_key_vars: &'static [&'static str],
) -> Vendor {
    Vendor {
        id,
        name,
        api,
        base_url,
        auth: AuthStyle::Bearer,
        key: KeyPolicy::Optional,
        env_prefix,
        extra_key_vars,
        headers: &[],
        models: &[],
    }
}

#[rustfmt::skip]
static VENDORS: &[Vendor] = &[
    Vendor {
        id: "openai",
        name: "OpenAI",
        api: WireFormat::OpenaiResponses,
        base_url: "https://api.openai.com/v1",
        auth: AuthStyle::Bearer,
        key: KeyPolicy::Required,
        env_prefix: "OPENAI",
        extra_key_vars: &[],
        headers: &[],
        models: OPENAI_MODELS,
    },
    Vendor {
        id: "anthropic",
        name: "Anthropic",
        api: WireFormat::AnthropicMessages,
        // The format appends `/v1/messages`.
        base_url: "https://api.anthropic.com",
        auth: AuthStyle::XApiKey,
        key: KeyPolicy::Required,
        env_prefix: "ANTHROPIC",
        extra_key_vars: &[],
        headers: &[],
        models: ANTHROPIC_MODELS,
    },
    Vendor {
        id: "google",
        name: "Google Gemini",
        api: WireFormat::GoogleGenerativeAi,
        // The format appends `/v1beta/models/{model}:streamGenerateContent`.
        base_url: "https://generativelanguage.googleapis.com",
        auth: AuthStyle::XGoogApiKey,
        key: KeyPolicy::Required,
        // OpenClaw names Gemini keys GEMINI_* and falls back to GOOGLE_API_KEY.
        env_prefix: "GEMINI",
        extra_key_vars: &["GOOGLE_API_KEY"],
        headers: &[],
        models: GOOGLE_MODELS,
    },
    Vendor {
        id: "openrouter",
        name: "OpenRouter",
        api: WireFormat::OpenaiCompletions,
        base_url: "https://openrouter.ai/api/v1",
        auth: AuthStyle::Bearer,
        key: KeyPolicy::Required,
        env_prefix: "OPENROUTER",
        extra_key_vars: &[],
        // OpenRouter's optional app attribution headers.
        headers: &[
            ("HTTP-Referer", "https://github.com/rustyclaw/rustyclaw"),
            ("X-Title", "rustyclaw"),
        ],
        models: OPENROUTER_MODELS,
    },
    openai_compatible("groq", "Groq", "https://api.groq.com/openai/v1", "GROQ", GROQ_MODELS),
    openai_compatible("mistral", "Mistral", "https://api.mistral.ai/v1", "MISTRAL", MISTRAL_MODELS),
    openai_compatible("deepseek", "DeepSeek", "https://api.deepseek.com", "DEEPSEEK", DEEPSEEK_MODELS),
    Vendor {
        id: "xai",
        name: "xAI",
        // OpenClaw's bundled xAI transport is the Responses API.
        api: WireFormat::OpenaiResponses,
        base_url: "https://api.x.ai/v1",
        auth: AuthStyle::Bearer,
        key: KeyPolicy::Required,
        env_prefix: "XAI",
        extra_key_vars: &[],
        headers: &[],
        models: XAI_MODELS,
    },
    openai_compatible("together", "Together AI", "https://api.together.xyz/v1", "TOGETHER", TOGETHER_MODELS),
    openai_compatible(
        "fireworks",
        "Fireworks AI",
        "https://api.fireworks.ai/inference/v1",
        "FIREWORKS",
        FIREWORKS_MODELS,
    ),
    openai_compatible("cerebras", "Cerebras", "https://api.cerebras.ai/v1", "CEREBRAS", CEREBRAS_MODELS),
    openai_compatible("perplexity", "Perplexity", "https://api.perplexity.ai", "PERPLEXITY", PERPLEXITY_MODELS),
    openai_compatible("moonshot", "Moonshot AI (Kimi)", "https://api.moonshot.ai/v1", "MOONSHOT", MOONSHOT_MODELS),
    local("ollama", "Ollama", WireFormat::Ollama, "http://127.0.0.1:11434", "OLLAMA", &[]),
    // LM Studio's own token variable is LM_API_TOKEN.
    local(
        "lmstudio",
        "LM Studio",
        WireFormat::OpenaiCompletions,
        "http://127.0.0.1:1234/v1",
        "LMSTUDIO",
        &["LM_API_TOKEN"],
    ),
    local("vllm", "vLLM", WireFormat::OpenaiCompletions, "http://127.0.0.1:8000/v1", "VLLM", &[]),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn finds_vendors_and_their_models() {
        let google = vendor("google").unwrap();
        assert_eq!(google.api, WireFormat::GoogleGenerativeAi);
        assert_eq!(google.auth, AuthStyle::XGoogApiKey);
        assert_eq!(google.extra_key_vars, &["GOOGLE_API_KEY"]);
        let pro = google.model("gemini-2.5-pro").unwrap();
        assert_eq!(pro.context_window, Some(1_048_576));
        assert!(pro.input.contains(&Modality::Image));
        assert!(google.model("gpt-5.4").is_none());
        assert!(vendor("nope").is_none());
    }

    #[test]
    fn model_ids_with_slashes_are_found() {
        let openrouter = vendor("openrouter").unwrap();
        let sonnet = openrouter.model("anthropic/claude-sonnet-4.6").unwrap();
        assert!(sonnet.reasoning);
        assert_eq!(sonnet.cost.map(|c| c.input), Some(3.0));
    }

    #[test]
    fn local_vendors_are_keyless_on_loopback() {
        for (id, url, api) in [
            ("ollama", "http://127.0.0.1:11434", WireFormat::Ollama),
            (
                "lmstudio",
                "http://127.0.0.1:1234/v1",
                WireFormat::OpenaiCompletions,
            ),
            (
                "vllm",
                "http://127.0.0.1:8000/v1",
                WireFormat::OpenaiCompletions,
            ),
        ] {
            let v = vendor(id).unwrap();
            assert_eq!(
                (v.base_url, v.api, v.key),
                (url, api, KeyPolicy::Optional),
                "{id}"
            );
        }
    }

    #[test]
    fn the_table_is_consistent() {
        let mut ids = BTreeSet::new();
        for v in vendors() {
            assert!(ids.insert(v.id), "vendor {} listed twice", v.id);
            assert!(!v.base_url.ends_with('/'), "{} base URL ends with /", v.id);
            assert!(v.base_url.starts_with("http"), "{}", v.id);
            assert_eq!(v.env_prefix, v.env_prefix.to_ascii_uppercase(), "{}", v.id);
            let mut models = BTreeSet::new();
            for m in v.models {
                assert!(models.insert(m.id), "{}/{} listed twice", v.id, m.id);
                assert!(m.input.contains(&Modality::Text), "{}/{}", v.id, m.id);
                if let (Some(window), Some(max)) = (m.context_window, m.max_tokens) {
                    assert!(max <= window, "{}/{} max_tokens above window", v.id, m.id);
                }
            }
        }
        assert_eq!(ids.len(), 16);
    }
}
