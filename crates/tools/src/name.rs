//! Tool names as the registry holds them: owned, so a tool discovered at run time (an MCP
//! server's, a plugin's) is named like a built-in one.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

/// Longest tool name: what every provider accepts for a function name (OpenAI, Anthropic and
/// Gemini all cap at 64), and what OpenClaw enforces.
pub const MAX_TOOL_NAME_LEN: usize = 64;

/// A tool's name: 1–64 ASCII letters, digits, `_` or `-` (`^[a-zA-Z0-9_-]{1,64}$`), the rule of
/// the providers' function-calling APIs. A name outside it would make the whole model request
/// fail, so a run-time name is checked once, when its tool is registered.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ToolName(Arc<str>);

/// Why a string is not a tool name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{name:?} is not a valid tool name: use 1 to {MAX_TOOL_NAME_LEN} ASCII letters, digits, '_' or '-'"
)]
pub struct InvalidToolName {
    /// The refused name.
    pub name: String,
}

impl ToolName {
    /// Checks `name` against the providers' rule.
    pub fn new(name: &str) -> Result<Self, InvalidToolName> {
        let valid = !name.is_empty()
            && name.len() <= MAX_TOOL_NAME_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if valid {
            Ok(ToolName(Arc::from(name)))
        } else {
            Err(InvalidToolName {
                name: name.to_owned(),
            })
        }
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for ToolName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ToolName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ToolName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_provider_rule() {
        for good in [
            "read",
            "web_fetch",
            "notes__search",
            "a-b",
            "X9",
            &"a".repeat(64),
        ] {
            assert_eq!(ToolName::new(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "has space",
            "dot.ted",
            "slash/ed",
            "ümlaut",
            &"a".repeat(65),
        ] {
            assert_eq!(
                ToolName::new(bad),
                Err(InvalidToolName {
                    name: bad.to_owned()
                }),
                "{bad:?}"
            );
        }
    }
}
