//! Operator scopes: the names a method, an event or a device token can require, and which
//! granted scopes satisfy which (upstream `method-scopes.ts`). A leaf: method families, the
//! event fan-out, the runtime event mapper and the pairing store all ask it.

/// Scope of reading methods and of conversation and presence events.
pub(crate) const READ: &str = "operator.read";
/// Scope of methods that change state or start runs.
pub(crate) const WRITE: &str = "operator.write";
/// Scope of configuration, session surgery and other owner-only methods.
pub(crate) const ADMIN: &str = "operator.admin";
/// Scope of approval decisions.
pub(crate) const APPROVALS: &str = "operator.approvals";
/// Scope of device pairing.
pub(crate) const PAIRING: &str = "operator.pairing";

/// Whether `granted` satisfies `needed`: admin satisfies everything, write satisfies read.
pub(crate) fn has_scope(granted: &[String], needed: &str) -> bool {
    granted
        .iter()
        .any(|s| s == needed || s == ADMIN || (needed == READ && s == WRITE))
}
