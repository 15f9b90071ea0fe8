//! Is a gateway answering at the configured URL? A handshake with the config's credentials,
//! within a short time, for `status` and `doctor`.

use rustyclaw_config::LoadedConfig;

use crate::gateway_client::{Connection, OpenError, Target, block_on};

/// How long a knock waits for the handshake.
pub(crate) const KNOCK_MS: u64 = 2_000;

/// What answered at the gateway's URL.
pub(crate) enum Answer {
    /// A gateway completed the handshake; the version it reports.
    Running(String),
    /// Nothing listens there.
    Nothing,
    /// Something listens but the handshake failed (another program, another token).
    Refused(String),
}

/// Knocks at `target`.
pub(crate) async fn knock(target: &Target) -> Answer {
    match Connection::open(target).await {
        Ok(connection) => {
            let version = connection.hello["server"]["version"]
                .as_str()
                .unwrap_or("unknown version")
                .to_owned();
            connection.close().await;
            Answer::Running(version)
        }
        Err(OpenError::Unreachable { .. }) => Answer::Nothing,
        Err(OpenError::Failed(error)) => Answer::Refused(format!("{error:#}")),
    }
}

/// Knocks at the gateway `loaded` configures, from synchronous code; its URL and the answer.
pub(crate) fn knock_configured(loaded: &LoadedConfig) -> (String, Answer) {
    let target = Target::new(loaded, None, None, KNOCK_MS);
    let answer = block_on(async { Ok(knock(&target).await) })
        .unwrap_or_else(|error| Answer::Refused(format!("{error:#}")));
    (target.url, answer)
}
