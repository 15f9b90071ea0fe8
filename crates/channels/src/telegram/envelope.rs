//! Reading the Bot API's answer envelope (`{"ok": …, "result": …}` or the error form) into a
//! result or a typed [`TelegramError`]. Pure, so every error mapping is tested without a
//! network, and total: no body, however malformed, makes it panic.

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{BadRequestKind, ConflictReason, TelegramError};
use super::token::BotToken;

/// How much of a non-Telegram error body (a proxy's HTML page) goes into an error.
const BODY_EXCERPT_CHARS: usize = 200;

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error_code: Option<u16>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<ResponseParameters>,
}

#[derive(Deserialize, Default)]
struct ResponseParameters {
    #[serde(default)]
    retry_after: Option<u64>,
    #[serde(default)]
    migrate_to_chat_id: Option<i64>,
}

/// The `result` of a successful answer, still as JSON.
pub(crate) fn result(
    method: &'static str,
    status: u16,
    body: &[u8],
    token: &BotToken,
) -> Result<Value, TelegramError> {
    let envelope = match serde_json::from_slice::<Envelope>(body) {
        Ok(envelope) => envelope,
        Err(error) if (200..300).contains(&status) => {
            return Err(TelegramError::Malformed {
                method,
                status,
                detail: format!("not a Bot API answer: {error}"),
            });
        }
        // An error status with a body that is not Telegram's (a proxy's page, an empty 502).
        Err(_) => {
            return Err(TelegramError::Api {
                method,
                error_code: status,
                description: token.scrub(&excerpt(body)),
            });
        }
    };
    if envelope.ok {
        return envelope.result.ok_or(TelegramError::Malformed {
            method,
            status,
            detail: "\"ok\": true without a result".to_owned(),
        });
    }
    let description = token.scrub(envelope.description.as_deref().unwrap_or_default());
    let parameters = envelope.parameters.unwrap_or_default();
    let error_code = envelope.error_code.unwrap_or(status);
    Err(match error_code {
        429 => TelegramError::RateLimited {
            method,
            retry_after: parameters.retry_after.map(Duration::from_secs),
        },
        409 => TelegramError::Conflict {
            method,
            reason: ConflictReason::from_description(&description),
            description,
        },
        401 => TelegramError::Unauthorized { method },
        403 => TelegramError::Forbidden {
            method,
            description,
        },
        400 => match parameters.migrate_to_chat_id {
            Some(migrate_to_chat_id) => TelegramError::ChatMigrated {
                method,
                migrate_to_chat_id,
            },
            None => TelegramError::BadRequest {
                method,
                kind: BadRequestKind::from_description(&description),
                description,
            },
        },
        error_code => TelegramError::Api {
            method,
            error_code,
            description,
        },
    })
}

/// A successful answer's `result` as `T`.
pub(crate) fn decode<T: DeserializeOwned>(
    method: &'static str,
    status: u16,
    body: &[u8],
    token: &BotToken,
) -> Result<T, TelegramError> {
    let value = result(method, status, body, token)?;
    serde_json::from_value(value).map_err(|error| TelegramError::Malformed {
        method,
        status,
        detail: format!("unexpected result: {error}"),
    })
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut excerpt: String = text.chars().take(BODY_EXCERPT_CHARS).collect();
    if excerpt.len() < text.len() {
        excerpt.push('…');
    }
    excerpt
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> BotToken {
        BotToken::new("42:SeCrEt").expect("valid")
    }

    fn error(status: u16, body: &str) -> TelegramError {
        result("sendMessage", status, body.as_bytes(), &token()).expect_err("an error")
    }

    #[test]
    fn maps_each_error_code() {
        let rate = error(
            429,
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#,
        );
        assert_eq!(rate.retry_after(), Some(Duration::from_secs(7)));
        assert!(rate.is_transient());

        let conflict = error(
            409,
            r#"{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}"#,
        );
        assert!(matches!(
            conflict,
            TelegramError::Conflict {
                reason: ConflictReason::OtherPoller,
                ..
            }
        ));
        assert!(conflict.to_string().contains("another program"));

        let webhook = error(
            409,
            r#"{"ok":false,"error_code":409,"description":"Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}"#,
        );
        assert!(webhook.to_string().contains("a webhook is set"));

        let unauthorized = error(
            401,
            r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
        );
        assert!(matches!(unauthorized, TelegramError::Unauthorized { .. }));
        assert!(!unauthorized.is_transient());

        let forbidden = error(
            403,
            r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#,
        );
        assert!(forbidden.to_string().contains("blocked by the user"));

        let entities = error(
            400,
            r#"{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities: Unsupported start tag \"foo\" at byte offset 0"}"#,
        );
        assert!(entities.is_cant_parse_entities());
        let gone = error(
            400,
            r#"{"ok":false,"error_code":400,"description":"Bad Request: message to edit not found"}"#,
        );
        assert!(gone.is_message_to_edit_not_found());

        let migrated = error(
            400,
            r#"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234}}"#,
        );
        assert!(matches!(
            migrated,
            TelegramError::ChatMigrated {
                migrate_to_chat_id: -1_001_234,
                ..
            }
        ));
    }

    #[test]
    fn bodies_that_are_not_telegrams_become_errors_not_panics() {
        let proxy = error(502, "<html><body>Bad Gateway</body></html>");
        assert!(matches!(
            proxy,
            TelegramError::Api {
                error_code: 502,
                ..
            }
        ));
        assert!(proxy.is_transient());
        for body in [
            "",
            "null",
            "[]",
            "{\"ok\":true}",
            "{\"ok\":\"yes\"}",
            "\u{0}\u{ff}",
        ] {
            let error = result("getMe", 200, body.as_bytes(), &token()).expect_err(body);
            assert!(
                matches!(error, TelegramError::Malformed { .. }),
                "{body}: {error:?}"
            );
        }
        let wrong_shape = decode::<super::super::types::User>(
            "getMe",
            200,
            br#"{"ok":true,"result":{"id":"not a number"}}"#,
            &token(),
        );
        assert!(matches!(wrong_shape, Err(TelegramError::Malformed { .. })));
    }

    #[test]
    fn an_echoed_token_is_scrubbed_from_descriptions() {
        let echoed = error(
            400,
            r#"{"ok":false,"error_code":400,"description":"Bad Request: bot42:SeCrEt is odd"}"#,
        );
        assert!(!format!("{echoed} {echoed:?}").contains("SeCrEt"));
        let page = error(500, "upstream /bot42:SeCrEt/getMe failed");
        assert!(!format!("{page} {page:?}").contains("SeCrEt"));
    }
}
