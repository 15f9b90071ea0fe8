//! The two policy knobs, `security` and `ask`, and how layers of them combine.
//!
//! Two layers decide how a host command is treated: the operator's requested policy
//! (`tools.exec.*` in `openclaw.json`, possibly tightened by the call) and the host's approvals
//! file. Neither may loosen the other, so the effective value is always the stricter one: the
//! lower `security` and the higher `ask`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What may run on the host without a human (`security`), also the shape of `askFallback`.
///
/// Ordered from strictest to loosest, so `min` is "the stricter of".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Nothing runs.
    Deny,
    /// Only commands whose every segment is on the allowlist or a safe bin.
    Allowlist,
    /// Everything runs.
    Full,
}

impl Security {
    /// `deny`, `allowlist` or `full`.
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Deny => "deny",
            Security::Allowlist => "allowlist",
            Security::Full => "full",
        }
    }

    /// The stricter of two values.
    pub fn stricter(self, other: Security) -> Security {
        self.min(other)
    }
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a human is asked (`ask`).
///
/// Ordered from loosest to strictest, so `max` is "the stricter of".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ask {
    /// Never.
    Off,
    /// When the allowlist does not cover the command.
    OnMiss,
    /// For every command.
    Always,
}

impl Ask {
    /// `off`, `on-miss` or `always`.
    pub fn as_str(self) -> &'static str {
        match self {
            Ask::Off => "off",
            Ask::OnMiss => "on-miss",
            Ask::Always => "always",
        }
    }

    /// The stricter of two values.
    pub fn stricter(self, other: Ask) -> Ask {
        self.max(other)
    }
}

impl fmt::Display for Ask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Upstream's built-in host defaults, used when the approvals file says nothing: the host layer
/// then does not restrict what `tools.exec` requests.
pub const DEFAULT_HOST_SECURITY: Security = Security::Full;
/// See [`DEFAULT_HOST_SECURITY`].
pub const DEFAULT_HOST_ASK: Ask = Ask::Off;
/// With nobody to ask, the command is refused unless the file says otherwise.
pub const DEFAULT_ASK_FALLBACK: Security = Security::Deny;

/// The policy one command is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// What may run without a human.
    pub security: Security,
    /// When a human is asked.
    pub ask: Ask,
    /// What happens when a human should be asked but none answers (nobody is listening, or
    /// the request expired).
    pub ask_fallback: Security,
}

impl Policy {
    /// Combines the requested policy (`tools.exec.*`, tightened by the call) with the host's
    /// approvals file: the stricter of each, and a fallback never looser than the security.
    pub fn effective(requested_security: Security, requested_ask: Ask, host: &Policy) -> Policy {
        let security = requested_security.stricter(host.security);
        Policy {
            security,
            ask: requested_ask.stricter(host.ask),
            ask_fallback: security.stricter(host.ask_fallback),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stricter_layer_wins_in_both_directions() {
        let host = Policy {
            security: Security::Allowlist,
            ask: Ask::Off,
            ask_fallback: Security::Full,
        };
        let p = Policy::effective(Security::Full, Ask::Always, &host);
        assert_eq!(p.security, Security::Allowlist, "the file narrows config");
        assert_eq!(p.ask, Ask::Always, "config asks more than the file");
        assert_eq!(
            p.ask_fallback,
            Security::Allowlist,
            "the fallback is never looser than the security"
        );
        let loose = Policy {
            security: DEFAULT_HOST_SECURITY,
            ask: DEFAULT_HOST_ASK,
            ask_fallback: DEFAULT_ASK_FALLBACK,
        };
        let p = Policy::effective(Security::Deny, Ask::OnMiss, &loose);
        assert_eq!(
            (p.security, p.ask, p.ask_fallback),
            (Security::Deny, Ask::OnMiss, Security::Deny)
        );
    }

    #[test]
    fn values_use_upstream_spellings() {
        assert_eq!(serde_json::to_string(&Ask::OnMiss).unwrap(), "\"on-miss\"");
        assert_eq!(
            serde_json::from_str::<Security>("\"allowlist\"").unwrap(),
            Security::Allowlist
        );
    }
}
