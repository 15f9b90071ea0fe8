//! Auth profiles of a provider: the configured key first, then keys from the environment.
//!
//! The environment follows OpenClaw's rotation scheme (`src/agents/live-auth-keys.ts`): for a
//! provider whose key prefix is `P`,
//!
//! 1. `OPENCLAW_LIVE_P_KEY`, when set, is the only environment key (a pin for live tests);
//! 2. otherwise `P_API_KEYS` (split on commas, semicolons and whitespace), then `P_API_KEY`,
//!    then `P_API_KEY_<n>` (numeric suffixes in numeric order, other suffixes after them), then
//!    the vendor's extra variables (e.g. `GOOGLE_API_KEY` for Gemini).
//!
//! Values are trimmed and deduplicated, keeping the first occurrence, and the configured
//! `apiKey` counts as seen first. Profile ids never contain key material: `<provider>:default`
//! for the configured key, `<provider>:env` for the first environment key and
//! `<provider>:<n>` for the n-th (n ≥ 2).

use rustyclaw_config::{Env, ExposeSecret, Secret};

use crate::model::{AuthStyle, Credential};

/// Where a provider's keys come from.
#[derive(Debug, Clone)]
pub(crate) struct KeyVars {
    /// Prefix of the rotation variables (`OPENAI`, `GEMINI`, …).
    pub prefix: String,
    /// Further variables read after the rotation set.
    pub extra: Vec<String>,
}

impl KeyVars {
    /// The prefix OpenClaw derives for a provider id without its own: upper case, with every
    /// character that cannot appear in a variable name replaced by `_`.
    pub fn derived(provider: &str) -> Self {
        let prefix = provider
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        Self {
            prefix,
            extra: Vec::new(),
        }
    }

    fn live(&self) -> String {
        format!("OPENCLAW_LIVE_{}_KEY", self.prefix)
    }

    fn list(&self) -> String {
        format!("{}_API_KEYS", self.prefix)
    }

    fn primary(&self) -> String {
        format!("{}_API_KEY", self.prefix)
    }

    fn numbered_prefix(&self) -> String {
        format!("{}_API_KEY_", self.prefix)
    }

    /// Keys found in `env`, in rotation order, trimmed and deduplicated.
    pub fn keys(&self, env: &Env) -> Vec<String> {
        if let Some(pinned) = value(env, &self.live()) {
            return vec![pinned];
        }
        let mut keys: Vec<String> = Vec::new();
        let mut add = |key: String| {
            if !keys.contains(&key) {
                keys.push(key);
            }
        };
        if let Some(list) = env.get(&self.list()) {
            list.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                .filter(|k| !k.is_empty())
                .for_each(|k| add(k.to_owned()));
        }
        if let Some(key) = value(env, &self.primary()) {
            add(key);
        }
        let numbered_prefix = self.numbered_prefix();
        let mut numbered: Vec<(Option<u64>, &str, String)> = env
            .iter()
            .filter_map(|(name, _)| {
                let suffix = name.strip_prefix(&numbered_prefix)?;
                let key = value(env, name)?;
                (!suffix.is_empty()).then(|| (suffix.parse().ok(), suffix, key))
            })
            .collect();
        // Numbered keys in numeric order (`_2` before `_10`), then any other suffix by name.
        numbered.sort_by(|a, b| match (a.0, b.0) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.1.cmp(b.1),
        });
        numbered.into_iter().for_each(|(_, _, key)| add(key));
        for name in &self.extra {
            if let Some(key) = value(env, name) {
                add(key);
            }
        }
        keys
    }

    /// Where a key can be set, for "missing key" messages.
    pub fn hint(&self, provider: &str) -> String {
        let mut first = vec![self.primary()];
        first.extend(self.extra.iter().cloned());
        format!(
            "{} (or {}, {}1…, {}) or models.providers.{provider}.apiKey",
            first.join(" or "),
            self.list(),
            self.numbered_prefix(),
            self.live(),
        )
    }
}

fn value(env: &Env, name: &str) -> Option<String> {
    let trimmed = env.get(name)?.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The auth profiles of a provider, in the order they are tried first.
///
/// `keyless` adds one key-less profile (`<provider>:default`) when no key was found at all:
/// local servers run without auth. Keyed providers without any key get no profile, which the
/// failover reports as [`crate::ProviderError::MissingKey`].
pub(crate) fn profiles(
    provider: &str,
    configured: Option<&Secret>,
    env_keys: Vec<String>,
    auth: AuthStyle,
    keyless: bool,
) -> Vec<Credential> {
    let mut out = Vec::new();
    let configured = configured.filter(|k| !k.expose_secret().trim().is_empty());
    if let Some(key) = configured {
        out.push(Credential {
            profile_id: format!("{provider}:default"),
            key: Some(key.clone()),
            auth,
        });
    }
    let mut n = 0;
    for key in env_keys {
        if configured.is_some_and(|c| c.expose_secret().trim() == key) {
            continue;
        }
        n += 1;
        let profile_id = if n == 1 {
            format!("{provider}:env")
        } else {
            format!("{provider}:{n}")
        };
        out.push(Credential {
            profile_id,
            key: Some(Secret::from(key)),
            auth,
        });
    }
    if out.is_empty() && keyless {
        out.push(Credential {
            profile_id: format!("{provider}:default"),
            key: None,
            auth,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn vars(prefix: &str, extra: &[&str]) -> KeyVars {
        KeyVars {
            prefix: prefix.into(),
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn rotation_order_follows_openclaw() {
        let env = Env::from_pairs([
            ("OPENAI_API_KEY_10", "k10"),
            ("OPENAI_API_KEY_2", "k2"),
            ("OPENAI_API_KEY_backup", "kb"),
            ("OPENAI_API_KEY", " primary "),
            ("OPENAI_API_KEYS", "l1, l2;primary  l3"),
            ("OPENAI_API_KEY_3", ""),
            ("OTHER_API_KEY", "no"),
        ]);
        assert_eq!(
            vars("OPENAI", &[]).keys(&env),
            ["l1", "l2", "primary", "l3", "k2", "k10", "kb"]
        );
    }

    #[test]
    fn the_live_key_pins_a_single_key() {
        let env = Env::from_pairs([
            ("OPENCLAW_LIVE_GEMINI_KEY", "live"),
            ("GEMINI_API_KEY", "g"),
            ("GOOGLE_API_KEY", "fallback"),
        ]);
        assert_eq!(vars("GEMINI", &["GOOGLE_API_KEY"]).keys(&env), ["live"]);
        let env = Env::from_pairs([("GEMINI_API_KEY", "g"), ("GOOGLE_API_KEY", "fallback")]);
        assert_eq!(
            vars("GEMINI", &["GOOGLE_API_KEY"]).keys(&env),
            ["g", "fallback"]
        );
    }

    #[test]
    fn derived_prefixes_are_variable_names() {
        assert_eq!(KeyVars::derived("my-proxy.v2").prefix, "MY_PROXY_V2");
    }

    #[test]
    fn config_key_comes_first_and_duplicates_collapse() {
        let configured = Secret::from("same");
        let ids: Vec<String> = profiles(
            "openai",
            Some(&configured),
            vec!["same".into(), "a".into(), "b".into()],
            AuthStyle::Bearer,
            false,
        )
        .into_iter()
        .map(|c| c.profile_id)
        .collect();
        assert_eq!(ids, ["openai:default", "openai:env", "openai:2"]);
    }

    #[test]
    fn keyless_providers_get_one_profile_without_a_key() {
        let local = profiles("ollama", None, Vec::new(), AuthStyle::Bearer, true);
        assert_eq!(local.len(), 1);
        assert_eq!(local[0].profile_id, "ollama:default");
        assert!(local[0].key.is_none());
        assert!(profiles("openai", None, Vec::new(), AuthStyle::Bearer, false).is_empty());
    }

    #[test]
    fn debug_output_never_shows_keys() {
        let creds = profiles(
            "openai",
            None,
            vec!["sk-very-secret".into()],
            AuthStyle::Bearer,
            false,
        );
        assert!(!format!("{creds:?}").contains("sk-very-secret"));
    }

    #[test]
    fn hints_name_every_variable() {
        let hint = vars("GEMINI", &["GOOGLE_API_KEY"]).hint("google");
        for name in [
            "GEMINI_API_KEY",
            "GOOGLE_API_KEY",
            "GEMINI_API_KEYS",
            "GEMINI_API_KEY_1",
            "OPENCLAW_LIVE_GEMINI_KEY",
            "models.providers.google.apiKey",
        ] {
            assert!(hint.contains(name), "{hint} lacks {name}");
        }
    }
}
