//! The web tools: `web_fetch`, with its private-network guard, HTML extraction and the
//! untrusted-content wrapper.

pub(crate) mod client;
mod fetch;
pub mod html;
pub mod ssrf;
pub(crate) mod wrap;

pub use client::{BlockedHostname, BlockedTarget};
pub use fetch::{ExtractMode, WebFetchArgs, WebFetchTool};
