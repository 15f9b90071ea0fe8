//! How the gateway answers a frame its WebSocket layer refused: with the close code RFC 6455
//! gives the fault, as upstream's `ws` library does (1009 too big, 1007 not UTF-8, 1002 a
//! protocol violation), so a client learns why it was dropped instead of seeing the socket
//! vanish. The library only reports the error; the close frame is sent by the connection.

use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};

use crate::limits::close;

/// The close code and reason answering a failed read, or `None` when the peer is gone and
/// there is nobody to tell.
pub(crate) fn close_for(error: axum::Error) -> Option<(u16, &'static str)> {
    // axum wraps the WebSocket library's error without classifying it.
    let error = error.into_inner().downcast::<WsError>().ok()?;
    match *error {
        WsError::Capacity(CapacityError::MessageTooLong { .. }) => {
            Some((close::TOO_BIG, "payload too large"))
        }
        WsError::Utf8(_) => Some((close::INVALID_PAYLOAD, "invalid UTF-8")),
        WsError::Protocol(violation) => {
            protocol(&violation).map(|reason| (close::PROTOCOL, reason))
        }
        // The connection is gone, or the error belongs to writing or to a client's handshake.
        WsError::ConnectionClosed
        | WsError::AlreadyClosed
        | WsError::Io(_)
        | WsError::Tls(_)
        | WsError::Capacity(CapacityError::TooManyHeaders)
        | WsError::WriteBufferFull(_)
        | WsError::AttackAttempt
        | WsError::Url(_)
        | WsError::Http(_)
        | WsError::HttpFormat(_) => None,
    }
}

/// The reason naming a protocol violation in a frame; `None` when the peer simply went away.
fn protocol(violation: &ProtocolError) -> Option<&'static str> {
    match violation {
        ProtocolError::ResetWithoutClosingHandshake => None,
        ProtocolError::NonZeroReservedBits => Some("reserved bits set"),
        ProtocolError::UnmaskedFrameFromClient => Some("unmasked frame"),
        ProtocolError::UnknownControlFrameType(_)
        | ProtocolError::UnknownDataFrameType(_)
        | ProtocolError::InvalidOpcode(_) => Some("unknown opcode"),
        ProtocolError::UnexpectedContinueFrame => Some("unexpected continuation frame"),
        ProtocolError::ExpectedFragment(_) => Some("expected a continuation frame"),
        ProtocolError::FragmentedControlFrame => Some("fragmented control frame"),
        ProtocolError::ControlFrameTooBig => Some("control frame too big"),
        ProtocolError::InvalidCloseSequence => Some("invalid close frame"),
        // Violations of the opening handshake or of the sending side, which a read after the
        // upgrade does not report; answered generically should one ever appear.
        ProtocolError::WrongHttpMethod
        | ProtocolError::WrongHttpVersion
        | ProtocolError::MissingConnectionUpgradeHeader
        | ProtocolError::MissingUpgradeWebSocketHeader
        | ProtocolError::MissingSecWebSocketVersionHeader
        | ProtocolError::MissingSecWebSocketKey
        | ProtocolError::SecWebSocketAcceptKeyMismatch
        | ProtocolError::SecWebSocketSubProtocolError(_)
        | ProtocolError::JunkAfterRequest
        | ProtocolError::CustomResponseSuccessful
        | ProtocolError::InvalidHeader(_)
        | ProtocolError::HandshakeIncomplete
        | ProtocolError::HttparseError(_)
        | ProtocolError::SendAfterClosing
        | ProtocolError::ReceivedAfterClosing
        | ProtocolError::MaskedFrameFromServer => Some("protocol error"),
    }
}
