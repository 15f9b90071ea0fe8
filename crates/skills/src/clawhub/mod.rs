//! ClawHub, the public registry of skills: search it, install a skill from it after a static
//! scan, keep installed skills up to date, remove them.

pub mod archive;
pub mod client;
pub mod install;
pub mod scan;

pub use client::{ClawHub, ClawHubError, SearchResult, SkillRef, Verdict};
pub use install::{InstallError, InstallRoot, Installed, UpdateOutcome};
