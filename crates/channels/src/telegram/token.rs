//! The bot token: a secret that Telegram puts in every URL path.
//!
//! Because the token is part of the path (`/bot<token>/<method>`), anything that prints a URL
//! (an HTTP client's error, a log line, a `Debug` dump) would print the token. So the token
//! lives only here: it is never formatted, the client's errors are built without URLs, and any
//! text that comes back from outside is passed through [`BotToken::scrub`] first.

use secrecy::{ExposeSecret as _, SecretString};

use super::error::TelegramError;

/// What replaces the token wherever it would have appeared.
pub(crate) const REDACTED: &str = "<redacted>";

/// A Telegram bot token (`<bot id>:<secret>`, as issued by @BotFather).
///
/// `Debug` shows only the bot id, which is public (it is the bot's user id).
#[derive(Clone)]
pub struct BotToken {
    secret: SecretString,
    bot_id: i64,
}

impl BotToken {
    /// Checks the token's form (`<digits>:<letters, digits, '_' or '-'>`) without quoting it
    /// in the error, so a token pasted with a stray space or slash fails here and not as a
    /// mangled URL.
    pub fn new(token: &str) -> Result<Self, TelegramError> {
        let (id, secret) = token.split_once(':').ok_or(TelegramError::InvalidToken)?;
        let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
        let secret_ok = !secret.is_empty()
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        let bot_id = id.parse::<i64>().ok().filter(|_| id_ok && secret_ok);
        match bot_id {
            Some(bot_id) => Ok(Self {
                secret: SecretString::from(token.to_owned()),
                bot_id,
            }),
            None => Err(TelegramError::InvalidToken),
        }
    }

    /// The bot's user id, the part of the token before the colon.
    pub fn bot_id(&self) -> i64 {
        self.bot_id
    }

    /// The token itself, for building a request path and nothing else.
    pub(crate) fn expose(&self) -> &str {
        self.secret.expose_secret()
    }

    /// `text` with every occurrence of the token, or of its secret half, replaced by
    /// `<redacted>`: for descriptions and bodies that come back from the network.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let token = self.expose();
        let secret = token.split_once(':').map_or(token, |(_, secret)| secret);
        text.replace(token, REDACTED).replace(secret, REDACTED)
    }
}

impl std::fmt::Debug for BotToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BotToken({}:{REDACTED})", self.bot_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_botfather_tokens_and_rejects_others_without_quoting_them() {
        let token = BotToken::new("123456:AAH-secret_part").expect("valid");
        assert_eq!(token.bot_id(), 123_456);
        assert_eq!(format!("{token:?}"), "BotToken(123456:<redacted>)");
        for bad in [
            "", "123456", ":abc", "12a:abc", "123:", "123:a/b", "123:a b", "123:a?b",
        ] {
            let error = BotToken::new(bad).expect_err(bad);
            assert!(
                matches!(error, TelegramError::InvalidToken),
                "{bad}: {error:?}"
            );
        }
    }

    #[test]
    fn scrub_removes_the_token_and_its_secret_half() {
        let token = BotToken::new("42:SeCrEt").expect("valid");
        assert_eq!(
            token.scrub("GET /bot42:SeCrEt/getMe and SeCrEt"),
            "GET /bot<redacted>/getMe and <redacted>"
        );
    }
}
