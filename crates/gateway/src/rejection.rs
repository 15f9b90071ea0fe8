//! How a refused `connect` ends: the error response and the close code that follows it. A leaf,
//! so the parts of the handshake (the limits screen, the device proof, the credential checks)
//! can all refuse without importing one another.

use rustyclaw_protocol::gateway::ErrorShape;

use crate::limits::close;

/// Why a handshake failed: the error response and how the socket is closed.
#[derive(Debug, Clone)]
pub(crate) struct Rejection {
    /// The error response to the `connect` request.
    pub error: Box<ErrorShape>,
    /// The close code sent after it.
    pub close_code: u16,
}

impl Rejection {
    /// A rejection closed with 1008 (policy violation), as most handshake failures are.
    pub(crate) fn policy(error: ErrorShape) -> Self {
        Self {
            error: Box::new(error),
            close_code: close::POLICY,
        }
    }
}
