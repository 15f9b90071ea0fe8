//! Keeping credentials out of everything this crate returns.
//!
//! Some OpenAI-compatible proxies quote the API key they received in their error bodies
//! ("Incorrect API key provided: sk-…"). Whatever a provider wrote reaches the CLI's error, the
//! `chat` error event sent to every client, the transcript in the database, exports and the
//! logs, so the key must be gone before the text leaves this crate. Every error and every
//! piece of text that comes out of a call is passed through a [`Scrubber`] holding each secret
//! that could have been sent with it: the call's own credential for [`crate::Client::stream`],
//! every credential of the chain for [`crate::stream_with_failover`] (keys from the config,
//! SecretRefs and the credential store, and from the environment, all end up there). The key is
//! exactly the secret part of the auth header that was sent, so the header value is covered.
//! Credentials written into a provider's or model's `headers` (any header whose name says auth,
//! token, secret, password, key or cookie) are searched for too, with and without their
//! `Bearer`/`Basic`/`Token` scheme.
//!
//! Streamed text is scrubbed chunk by chunk: a key a model or proxy writes inside one chunk is
//! caught, one that is split across chunks is not (streamed output is not held back to look for
//! keys; error texts, which are complete, are always caught).

use futures_util::StreamExt;
use rustyclaw_config::{Scrubber, Secret};

use crate::client::EventStream;
use crate::error::ProviderError;
use crate::event::StreamEvent;
use crate::model::{Credential, ModelSpec, Target};
use crate::resolve::Candidate;

/// A scrubber for the secrets one call to `target` sends.
pub(crate) fn target_scrubber(target: &Target) -> Scrubber {
    scrubber([&target.credential], [&target.model])
}

/// A scrubber for the secrets any call of a failover chain may send.
pub(crate) fn chain_scrubber(chain: &[Candidate]) -> Scrubber {
    scrubber(
        chain.iter().flat_map(|c| c.profiles.iter()),
        chain.iter().map(|c| &c.model),
    )
}

fn scrubber<'a>(
    credentials: impl IntoIterator<Item = &'a Credential>,
    models: impl IntoIterator<Item = &'a ModelSpec>,
) -> Scrubber {
    let from_headers: Vec<Secret> = models.into_iter().flat_map(header_secrets).collect();
    Scrubber::new(
        credentials
            .into_iter()
            .filter_map(|c| c.key.as_ref())
            .chain(&from_headers),
    )
}

/// Whether a header's name says it carries a credential (`Authorization`, `x-api-key`,
/// `Cookie`, `X-Auth-Token`, …).
fn is_credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["auth", "token", "secret", "password", "key", "cookie"]
        .iter()
        .any(|word| name.contains(word))
}

/// The credentials among a model's configured headers: the whole value and, for an
/// `Authorization`-style value, the part after its scheme.
fn header_secrets(model: &ModelSpec) -> Vec<Secret> {
    let mut out = Vec::new();
    for (name, value) in &model.headers {
        if !is_credential_header(name) {
            continue;
        }
        out.push(Secret::from(value.as_str()));
        let credential = ["Bearer ", "Basic ", "Token "]
            .iter()
            .find_map(|scheme| value.strip_prefix(scheme));
        if let Some(credential) = credential {
            out.push(Secret::from(credential.trim()));
        }
    }
    out
}

/// `error` without any of the scrubber's secrets.
pub(crate) fn error(error: ProviderError, scrubber: &Scrubber) -> ProviderError {
    if scrubber.is_empty() {
        return error;
    }
    let clean = |mut text: String| {
        scrubber.scrub_in_place(&mut text);
        text
    };
    let clean_code = |code: Option<String>| code.map(clean);
    match error {
        ProviderError::Status {
            provider,
            status,
            message,
            code,
            retry_after,
        } => ProviderError::Status {
            provider,
            status,
            message: clean(message),
            code: clean_code(code),
            retry_after,
        },
        ProviderError::Connect {
            provider,
            url,
            detail,
        } => ProviderError::Connect {
            provider,
            url: clean(url),
            detail: clean(detail),
        },
        ProviderError::Read { provider, detail } => ProviderError::Read {
            provider,
            detail: clean(detail),
        },
        ProviderError::Malformed { provider, detail } => ProviderError::Malformed {
            provider,
            detail: clean(detail),
        },
        ProviderError::Stream {
            provider,
            message,
            code,
        } => ProviderError::Stream {
            provider,
            message: clean(message),
            code: clean_code(code),
        },
        ProviderError::InvalidRequest { provider, detail } => ProviderError::InvalidRequest {
            provider,
            detail: clean(detail),
        },
        // These carry no text from outside: ids, durations and hints built from the config.
        unchanged @ (ProviderError::Idle { .. }
        | ProviderError::StreamEnded
        | ProviderError::MissingKey { .. }
        | ProviderError::Aborted) => unchanged,
    }
}

/// `event` without any of the scrubber's secrets in its text.
fn event(event: StreamEvent, scrubber: &Scrubber) -> StreamEvent {
    let clean = |mut text: String| {
        scrubber.scrub_in_place(&mut text);
        text
    };
    match event {
        StreamEvent::TextDelta(text) => StreamEvent::TextDelta(clean(text)),
        StreamEvent::ThinkingDelta(text) => StreamEvent::ThinkingDelta(clean(text)),
        StreamEvent::ToolCallArgsDelta { index, delta } => StreamEvent::ToolCallArgsDelta {
            index,
            delta: clean(delta),
        },
        // Ids, names and signatures are opaque tokens the provider needs back unchanged;
        // a reasoning block it encrypted cannot contain readable text.
        unchanged @ (StreamEvent::ResponseId(_)
        | StreamEvent::TextSignature(_)
        | StreamEvent::ThinkingSignature(_)
        | StreamEvent::RedactedThinking(_)
        | StreamEvent::ToolCallStart { .. }
        | StreamEvent::ToolCallEnd { .. }
        | StreamEvent::Usage(_)
        | StreamEvent::Stop(_)) => unchanged,
    }
}

/// `stream` with every event and error scrubbed.
pub(crate) fn stream(stream: EventStream, scrubber: Scrubber) -> EventStream {
    if scrubber.is_empty() {
        return stream;
    }
    Box::pin(stream.map(move |item| match item {
        Ok(e) => Ok(event(e, &scrubber)),
        Err(e) => Err(error(e, &scrubber)),
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::{AuthStyle, Pricing, WireFormat};

    const KEY: &str = "sk-proxy-echo-4f1c9a77";

    fn credential(key: Option<&str>) -> Credential {
        Credential {
            profile_id: "p:default".into(),
            key: key.map(Secret::from),
            auth: AuthStyle::Bearer,
        }
    }

    #[test]
    fn every_text_field_of_an_error_is_scrubbed() {
        let scrubber = scrubber([&credential(Some(KEY)), &credential(None)], []);
        let errors = [
            ProviderError::Status {
                provider: "p".into(),
                status: 401,
                message: format!("Incorrect API key provided: {KEY}"),
                code: Some(format!("bad_key_{KEY}")),
                retry_after: None,
            },
            ProviderError::Connect {
                provider: "p".into(),
                url: format!("http://h/{KEY}/v1"),
                detail: format!("refused ({KEY})"),
            },
            ProviderError::Read {
                provider: "p".into(),
                detail: KEY.into(),
            },
            ProviderError::Malformed {
                provider: "p".into(),
                detail: format!("unexpected {{\"key\":\"{KEY}\"}}"),
            },
            ProviderError::Stream {
                provider: "p".into(),
                message: format!("Bearer {KEY} is revoked"),
                code: Some(KEY.into()),
            },
            ProviderError::InvalidRequest {
                provider: "p".into(),
                detail: KEY.into(),
            },
        ];
        for e in errors {
            let clean = error(e, &scrubber);
            let shown = format!("{clean} {clean:?}");
            assert!(!shown.contains(KEY), "{shown}");
            assert!(shown.contains("[REDACTED]"), "{shown}");
        }
    }

    #[tokio::test]
    async fn streamed_text_and_errors_are_scrubbed() {
        let scrubber = scrubber([&credential(Some(KEY))], []);
        let items: Vec<Result<StreamEvent, ProviderError>> = vec![
            Ok(StreamEvent::TextDelta(format!("your key is {KEY}"))),
            Ok(StreamEvent::ToolCallArgsDelta {
                index: 0,
                delta: format!("{{\"k\":\"{KEY}\"}}"),
            }),
            Ok(StreamEvent::ResponseId("resp_1".into())),
            Err(ProviderError::Stream {
                provider: "p".into(),
                message: KEY.into(),
                code: None,
            }),
        ];
        let source: EventStream = Box::pin(futures_util::stream::iter(items));
        let out: Vec<_> = stream(source, scrubber).collect().await;
        let shown = format!("{out:?}");
        assert!(!shown.contains(KEY), "{shown}");
        assert_eq!(shown.matches("[REDACTED]").count(), 3, "{shown}");
        assert!(shown.contains("resp_1"));
    }

    #[test]
    fn credentials_in_configured_headers_are_scrubbed() {
        let model = ModelSpec {
            provider: "proxy".into(),
            id: "m".into(),
            name: "m".into(),
            api: WireFormat::OpenaiCompletions,
            base_url: "http://h".into(),
            reasoning: false,
            input: Vec::new(),
            context_window: 1,
            max_tokens: 1,
            cost: Pricing::default(),
            headers: BTreeMap::from([
                (
                    "Authorization".to_owned(),
                    "Bearer hdr-token-51c0e2".to_owned(),
                ),
                ("X-Proxy-Key".to_owned(), "proxy-key-88aa31".to_owned()),
                ("X-Title".to_owned(), "my-assistant-app".to_owned()),
            ]),
        };
        let target = Target {
            model,
            credential: credential(None),
        };
        let scrubber = target_scrubber(&target);
        assert_eq!(
            scrubber.scrub("saw hdr-token-51c0e2 and proxy-key-88aa31 from my-assistant-app"),
            "saw [REDACTED] and [REDACTED] from my-assistant-app"
        );
    }
}
