//! Where a tool result's content comes from.
//!
//! Every result carries a [`Provenance`], set by the tool that produced it, so the agent's
//! prompt-injection guard and the untrusted-content wrapper decide from the content's origin
//! rather than from a list of tool names: a tool registered at run time that returns a web
//! page or an MCP server's answer is treated exactly like `web_fetch`. The provenance is the
//! runtime's knowledge about a result; it is never sent to the model.

use std::path::PathBuf;

use rustyclaw_guard::Assessment;

/// Whose words a result's content is.
#[derive(Debug, Clone, PartialEq)]
pub enum Provenance {
    /// rustyclaw's own text: a confirmation, the diff of an edit the model asked for, a status
    /// card, an error message. Not scored.
    Trusted,
    /// Content from outside rustyclaw, which may try to instruct the model.
    Untrusted(ExternalSource),
}

/// Where untrusted content comes from. The variant decides how the guard reads it and whether
/// the model receives it between the untrusted-content markers ([`ExternalSource::is_wrapped`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ExternalSource {
    /// A fetched web page.
    WebPage {
        /// The page's final URL (after redirects).
        url: String,
        /// Findings in the raw page that its readable extract no longer shows (instructions in
        /// hidden elements or comments), for the guard to add to its own. Boxed: rare, and
        /// errors carry a provenance too.
        hidden: Option<Box<Assessment>>,
    },
    /// A file's content.
    File {
        /// The file, as resolved inside the workspace.
        path: PathBuf,
    },
    /// What a command printed.
    CommandOutput,
    /// A result from an MCP server.
    Mcp {
        /// The server's configured name.
        server: String,
    },
    /// Any other outside origin of a run-time tool (a plugin, a skill's service).
    Other {
        /// A short human label (`Calendar API`); shown in the wrapper's `Source:` line.
        label: String,
    },
}

impl Provenance {
    /// Untrusted content from `source`.
    pub fn untrusted(source: ExternalSource) -> Self {
        Provenance::Untrusted(source)
    }

    /// The outside source, if the content is untrusted.
    pub fn external(&self) -> Option<&ExternalSource> {
        match self {
            Provenance::Trusted => None,
            Provenance::Untrusted(source) => Some(source),
        }
    }
}

impl ExternalSource {
    /// Whether text from this source reaches the model between the
    /// `<<<EXTERNAL_UNTRUSTED_CONTENT>>>` markers, as OpenClaw does for web and other outside
    /// content. Files and command output are not wrapped (upstream does not wrap `read` and
    /// `exec`: the model asked for them and reads them as data already), but they are scored.
    pub fn is_wrapped(&self) -> bool {
        match self {
            ExternalSource::WebPage { .. }
            | ExternalSource::Mcp { .. }
            | ExternalSource::Other { .. } => true,
            ExternalSource::File { .. } | ExternalSource::CommandOutput => false,
        }
    }

    /// The wrapper's `Source:` label.
    pub fn label(&self) -> String {
        match self {
            ExternalSource::WebPage { .. } => "Web Page".to_owned(),
            ExternalSource::File { .. } => "File".to_owned(),
            ExternalSource::CommandOutput => "Command Output".to_owned(),
            ExternalSource::Mcp { server } => format!("MCP server {server}"),
            ExternalSource::Other { label } => label.clone(),
        }
    }

    /// Where exactly the content came from, for the audit log and the quarantine: the URL, the
    /// file, `mcp:<server>`.
    pub fn locator(&self) -> Option<String> {
        match self {
            ExternalSource::WebPage { url, .. } => Some(url.clone()),
            ExternalSource::File { path } => Some(path.display().to_string()),
            ExternalSource::CommandOutput => None,
            ExternalSource::Mcp { server } => Some(format!("mcp:{server}")),
            ExternalSource::Other { label } => Some(label.clone()),
        }
    }
}
