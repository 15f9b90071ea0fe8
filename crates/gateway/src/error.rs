//! Errors of the gateway library.

/// Why the gateway could not serve.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The HTTP server failed.
    #[error("the gateway server failed: {source}")]
    Serve {
        /// The I/O error.
        source: std::io::Error,
    },
}
