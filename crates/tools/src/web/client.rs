//! The HTTP client of `web_fetch` and its guarded DNS resolver.
//!
//! Upstream pins each request to the address it vetted. With reqwest that would mean a client
//! per request (`ClientBuilder::resolve` is per client); a resolver that vets what it resolves
//! gives the same guarantee for one shared client — the connector dials exactly the addresses
//! the guard approved, so there is no window for DNS rebinding — and keeps connection pooling.
//! Redirects are not followed by the client: `web_fetch` follows them itself so that every hop's
//! URL is checked too. Proxies from the environment are disabled, since a proxy would resolve
//! names on the guard's behalf.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::ssrf::{Blocked, classify, is_blocked_hostname};
use crate::services::{ServicesError, WebFetchSettings};

/// Longest wait for a TCP/TLS connection (the whole request has its own, longer timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// A target the private-network guard refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "Blocked: {host} resolves to {ip}, {}; fetching private network addresses is disabled (tools.web.fetch.allowPrivateNetwork)",
    reason.describe()
)]
pub struct BlockedTarget {
    /// The host as requested.
    pub host: String,
    /// The refused address.
    pub ip: IpAddr,
    /// Why it was refused.
    pub reason: Blocked,
}

/// A host name refused before resolution (`localhost`, `*.internal`, …).
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "Blocked: {host} names a local or internal host; fetching private network addresses is disabled (tools.web.fetch.allowPrivateNetwork)"
)]
pub struct BlockedHostname {
    /// The host as requested.
    pub host: String,
}

/// Resolves names with the system resolver and refuses private results unless allowed.
#[derive(Debug, Clone, Copy)]
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_private = self.allow_private;
        Box::pin(async move {
            if !allow_private && is_blocked_hostname(&host) {
                return Err(Box::new(BlockedHostname { host }) as _);
            }
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addrs = vet(&host, addrs, allow_private).map_err(Box::new)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Passes resolved addresses through the guard. One private answer is enough to refuse the
/// host: the connector might pick it.
fn vet(
    host: &str,
    addrs: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, BlockedTarget> {
    if allow_private {
        return Ok(addrs);
    }
    match addrs
        .iter()
        .find_map(|a| classify(a.ip()).map(|reason| (a.ip(), reason)))
    {
        Some((ip, reason)) => Err(BlockedTarget {
            host: host.to_owned(),
            ip,
            reason,
        }),
        None => Ok(addrs),
    }
}

/// Builds the client for `settings`.
pub(crate) fn build(settings: &WebFetchSettings) -> Result<reqwest::Client, ServicesError> {
    // rustls needs a process-wide crypto provider; installing it twice is harmless, so the
    // "already installed" error is ignored.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(GuardedResolver {
            allow_private: settings.allow_private_network,
        })
        .connect_timeout(CONNECT_TIMEOUT.min(settings.timeout))
        .user_agent(settings.user_agent.as_str())
        .build()
        .map_err(|e| ServicesError::HttpClient {
            reason: e.to_string(),
        })
}

/// The guard's refusal inside a reqwest error, if that is what it is.
pub(crate) fn blocked_reason(error: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(blocked) = e.downcast_ref::<BlockedTarget>() {
            return Some(blocked.to_string());
        }
        if let Some(blocked) = e.downcast_ref::<BlockedHostname>() {
            return Some(blocked.to_string());
        }
        source = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn resolved_addresses_pass_only_when_all_are_public() {
        let public = addrs(&["93.184.216.34:0", "[2606:2800:220:1::1]:0"]);
        assert_eq!(vet("example.com", public.clone(), false).unwrap(), public);
        let mixed = addrs(&["93.184.216.34:0", "10.0.0.5:0"]);
        let err = vet("rebind.example", mixed.clone(), false).unwrap_err();
        assert_eq!(err.ip, "10.0.0.5".parse::<IpAddr>().unwrap());
        assert_eq!(err.reason, Blocked::Private);
        assert!(err.to_string().starts_with(
            "Blocked: rebind.example resolves to 10.0.0.5, a private network address"
        ));
        assert_eq!(vet("rebind.example", mixed.clone(), true).unwrap(), mixed);
    }

    #[tokio::test]
    async fn the_resolver_refuses_local_names() {
        let guarded = GuardedResolver {
            allow_private: false,
        };
        let name: Name = "localhost".parse().unwrap();
        let err = guarded.resolve(name).await.err().unwrap();
        assert!(err.downcast_ref::<BlockedHostname>().is_some(), "{err}");
        let open = GuardedResolver {
            allow_private: true,
        };
        let name: Name = "localhost".parse().unwrap();
        let resolved: Vec<SocketAddr> = open.resolve(name).await.unwrap().collect();
        assert!(
            resolved.iter().all(|a| a.ip().is_loopback()),
            "{resolved:?}"
        );
    }
}
