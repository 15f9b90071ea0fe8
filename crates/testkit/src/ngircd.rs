//! A real IRC server for tests: ngircd in the foreground on a free loopback port.
//!
//! IRC has a real server that runs here in milliseconds, so the IRC client is tested against
//! it instead of a fake. Each [`Ngircd`] writes a minimal configuration into its own temporary
//! directory (no DNS, ident or PAM look-ups, no per-address connection limit, long nicks), starts
//! `ngircd --nodaemon` through the test kit's process runner, waits until it accepts
//! connections, and kills it by PID when stopped or dropped. [`Ngircd::restart`] brings it back
//! on the same port, to test reconnection. ngircd comes from the apt package `ngircd`, which
//! `scripts/test.sh` installs; without it [`Ngircd::start`] fails with an error saying so.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::TempDir;
use tokio::net::TcpStream;

use crate::bin::{RunError, RunningChild, RustyClaw};

/// How long ngircd may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Where Debian installs ngircd, searched after `PATH` (root's `PATH` has `/usr/sbin`, other
/// users' often does not).
const SYSTEM_DIRS: [&str; 3] = ["/usr/sbin", "/usr/local/sbin", "/usr/bin"];

/// Errors starting or stopping the test server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NgircdError {
    /// ngircd is not installed.
    #[error(
        "ngircd is not installed (searched PATH and {SYSTEM_DIRS:?}); install it with \
         `apt-get install -y --no-install-recommends ngircd` (scripts/test.sh does)"
    )]
    NotInstalled,
    /// The temporary directory, configuration or certificate files could not be written.
    #[error("could not prepare ngircd's files in {}", dir.display())]
    Files {
        /// The directory.
        dir: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// No free loopback port could be found.
    #[error("could not find a free loopback port")]
    Port(#[source] std::io::Error),
    /// Starting or killing the process failed.
    #[error(transparent)]
    Process(#[from] RunError),
    /// ngircd did not accept connections in time.
    #[error(
        "ngircd did not accept connections on port {port} within {START_TIMEOUT:?}; stderr:\n{stderr}\nstdout:\n{stdout}"
    )]
    NotReady {
        /// The plain-text port.
        port: u16,
        /// What ngircd wrote to standard output.
        stdout: String,
        /// What ngircd wrote to standard error.
        stderr: String,
    },
}

/// What the test server is started with.
#[derive(Debug, Clone, Default)]
pub struct NgircdOptions {
    /// A server password clients must send with `PASS`.
    pub password: Option<String>,
    /// A certificate chain and key (PEM) to serve TLS on a second port.
    pub tls: Option<NgircdTls>,
}

/// TLS material for the test server, PEM text.
#[derive(Debug, Clone)]
pub struct NgircdTls {
    /// The server certificate chain.
    pub cert_pem: String,
    /// The server's private key.
    pub key_pem: String,
}

/// A running ngircd; dropping it kills the server.
#[derive(Debug)]
pub struct Ngircd {
    program: PathBuf,
    dir: TempDir,
    port: u16,
    tls_port: Option<u16>,
    child: Option<RunningChild>,
}

impl Ngircd {
    /// Starts a server without password or TLS.
    pub async fn start() -> Result<Self, NgircdError> {
        Self::start_with(NgircdOptions::default()).await
    }

    /// Starts a server with `options`.
    pub async fn start_with(options: NgircdOptions) -> Result<Self, NgircdError> {
        let program = locate().ok_or(NgircdError::NotInstalled)?;
        let dir = tempfile::Builder::new()
            .prefix("rustyclaw-ngircd-")
            .tempdir()
            .map_err(|source| NgircdError::Files {
                dir: std::env::temp_dir(),
                source,
            })?;
        let port = free_port()?;
        let tls_port = match &options.tls {
            Some(_) => Some(free_port()?),
            None => None,
        };
        write_config(dir.path(), port, tls_port, &options)?;
        let mut server = Self {
            program,
            dir,
            port,
            tls_port,
            child: None,
        };
        server.launch().await?;
        Ok(server)
    }

    /// The plain-text port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The TLS port on 127.0.0.1, when started with TLS.
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    /// The server's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(RunningChild::id)
    }

    /// Kills the server (SIGKILL: clients see their connections drop, no `ERROR` line).
    pub async fn stop(&mut self) -> Result<(), NgircdError> {
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// Starts the server again on the same ports after [`stop`](Self::stop).
    pub async fn restart(&mut self) -> Result<(), NgircdError> {
        self.stop().await?;
        self.launch().await
    }

    async fn launch(&mut self) -> Result<(), NgircdError> {
        let config = self.dir.path().join("ngircd.conf");
        let child = RustyClaw::new(&self.program)
            .arg("--nodaemon")
            .arg("--config")
            .arg(&config)
            .current_dir(self.dir.path())
            .spawn()?;
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        loop {
            // The port may still be closing from a previous run: wait for this server's listener.
            if TcpStream::connect(address).await.is_ok() {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(NgircdError::NotReady {
                    port: self.port,
                    stdout: child.stdout(),
                    stderr: child.stderr(),
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.child = Some(child);
        Ok(())
    }
}

fn locate() -> Option<PathBuf> {
    let path_dirs = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    path_dirs
        .into_iter()
        .chain(SYSTEM_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join("ngircd"))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> Result<u16, NgircdError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(NgircdError::Port)?;
    Ok(listener.local_addr().map_err(NgircdError::Port)?.port())
}

fn write_config(
    dir: &Path,
    port: u16,
    tls_port: Option<u16>,
    options: &NgircdOptions,
) -> Result<(), NgircdError> {
    let files = |source| NgircdError::Files {
        dir: dir.to_owned(),
        source,
    };
    let password = options
        .password
        .as_deref()
        .map(|password| format!("\tPassword = {password}\n"))
        .unwrap_or_default();
    let motd = dir.join("motd");
    std::fs::write(&motd, "rustyclaw test server\n").map_err(files)?;
    let mut config = format!(
        "[Global]\n\
         \tName = irc.rustyclaw.test\n\
         \tInfo = rustyclaw test server\n\
         \tListen = 127.0.0.1\n\
         \tPorts = {port}\n\
         \tMotdFile = {motd}\n\
         \tPidFile = {pid}\n\
         {password}\
         [Limits]\n\
         \tMaxConnectionsIP = 0\n\
         \tMaxJoins = 0\n\
         \tMaxNickLength = 30\n\
         \tPingTimeout = 120\n\
         \tPongTimeout = 20\n\
         \tConnectRetry = 5\n\
         [Options]\n\
         \tDNS = no\n\
         \tIdent = no\n\
         \tPAM = no\n",
        motd = motd.display(),
        pid = dir.join("ngircd.pid").display(),
    );
    if let (Some(tls), Some(tls_port)) = (&options.tls, tls_port) {
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, &tls.cert_pem).map_err(files)?;
        std::fs::write(&key, &tls.key_pem).map_err(files)?;
        config.push_str(&format!(
            "[SSL]\n\tCertFile = {}\n\tKeyFile = {}\n\tPorts = {tls_port}\n",
            cert.display(),
            key.display()
        ));
    }
    std::fs::write(dir.join("ngircd.conf"), config).map_err(files)
}
