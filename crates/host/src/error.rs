//! Why the host could not start or go on.

/// A failure to build or run a part of the host, in words for the person running it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The config asks for something the host cannot do; `hint` says what to do instead.
    #[error("{message}")]
    Refused {
        /// What is wrong.
        message: String,
        /// What to do about it.
        hint: Option<String>,
    },
    /// The models the config names could not be set up.
    #[error("{detail}")]
    Models {
        /// What is wrong, naming the config path.
        detail: String,
    },
    /// The tool services could not start.
    #[error("tools could not start: {detail}")]
    Tools {
        /// What failed.
        detail: String,
    },
    /// The state database could not be opened.
    #[error("cannot open the database {path}: {detail}")]
    Store {
        /// The database file.
        path: String,
        /// Why.
        detail: String,
    },
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The gateway stopped with an error.
    #[error("the gateway failed: {detail}")]
    Gateway {
        /// What failed.
        detail: String,
    },
}

impl HostError {
    /// What the person running the host can do about it, when there is something.
    pub fn hint(&self) -> Option<&str> {
        match self {
            HostError::Refused { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }
}
