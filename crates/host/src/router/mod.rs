//! The router: what happens to a message a channel receives before it reaches a session's lane
//! — who may reach the agent ([`access`], with the allowlists of [`allow`]) and which agent and
//! session answer it ([`route`]). Pairing requests and
//! their codes are the store's (`Store::pairing_request`, `rustyclaw_store::random_pairing_code`).

pub mod access;
pub mod allow;
pub mod route;
