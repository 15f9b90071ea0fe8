//! TCP and TLS sockets to the server.
//!
//! TLS is rustls with the `ring` provider and the platform verifier, the same stack reqwest
//! uses for outbound HTTP here, so the process links one TLS implementation and trusts the
//! same roots everywhere. A configuration may add roots (a private network's CA); it cannot
//! turn verification off.

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::config::{IrcConfig, TlsOptions};
use super::error::ConnectionError;

/// A connected socket, plain or TLS.
pub(crate) trait Socket: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Socket for T {}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The platform verifier could not be built (no usable root certificates).
    #[error("could not set up TLS certificate verification for IRC")]
    Verifier(#[source] rustls::Error),
    /// The server name is not a valid DNS name or address.
    #[error("{name:?} is not a valid TLS server name")]
    InvalidServerName {
        /// The name.
        name: String,
    },
}

/// What is built once per client and reused by every connection.
#[derive(Clone)]
pub(crate) struct Connector {
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl Connector {
    pub(crate) fn new(config: &IrcConfig) -> Result<Self, TlsSetupError> {
        let tls = match &config.tls {
            None => None,
            Some(options) => Some(tls_connector(&config.host, options)?),
        };
        Ok(Self { tls })
    }

    /// Connects (and shakes hands) within the connect timeout.
    pub(crate) async fn connect(
        &self,
        config: &IrcConfig,
    ) -> Result<Box<dyn Socket>, ConnectionError> {
        let address = format!("{}:{}", config.host, config.port);
        let after = config.timeouts.connect;
        let attempt = async {
            let tcp = TcpStream::connect((config.host.as_str(), config.port)).await?;
            tcp.set_nodelay(true)?;
            Ok::<Box<dyn Socket>, std::io::Error>(match &self.tls {
                None => Box::new(tcp),
                Some((connector, name)) => Box::new(connector.connect(name.clone(), tcp).await?),
            })
        };
        match tokio::time::timeout(after, attempt).await {
            Ok(Ok(socket)) => Ok(socket),
            Ok(Err(source)) => Err(ConnectionError::Connect { address, source }),
            Err(_elapsed) => Err(ConnectionError::ConnectTimeout { address, after }),
        }
    }
}

fn tls_connector(
    host: &str,
    options: &TlsOptions,
) -> Result<(TlsConnector, ServerName<'static>), TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
        options.extra_roots.iter().cloned(),
        Arc::clone(&provider),
    )
    .map_err(TlsSetupError::Verifier)?;
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsSetupError::Verifier)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let name = options.server_name.as_deref().unwrap_or(host);
    let server_name =
        ServerName::try_from(name.to_owned()).map_err(|_| TlsSetupError::InvalidServerName {
            name: name.to_owned(),
        })?;
    Ok((TlsConnector::from(Arc::new(config)), server_name))
}
