//! Who is on the other end of a connection: the socket address and the request headers that
//! matter for trust decisions (loopback auto-approval, rate limits, the browser `Origin` check),
//! and the client IP a request is charged to when a trusted proxy forwarded it.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// The remote end of an HTTP request or WebSocket.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    /// The TCP peer address.
    pub addr: SocketAddr,
    /// The browser `Origin` header, when a browser opened the socket.
    pub origin: Option<String>,
    /// Whether a proxy forwarded the request (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`).
    pub forwarded: bool,
}

impl Peer {
    /// Reads the peer from the socket address and request headers.
    pub fn new(addr: SocketAddr, headers: &HeaderMap) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            addr,
            origin: header("origin"),
            forwarded: ["forwarded", "x-forwarded-for", "x-real-ip"]
                .iter()
                .any(|name| headers.contains_key(*name)),
        }
    }

    /// The peer's IP address, with IPv4-mapped IPv6 addresses unwrapped.
    pub fn ip(&self) -> IpAddr {
        unmap(self.addr.ip())
    }

    /// A direct connection from this machine: a loopback address and no proxy in between (a
    /// reverse proxy on the same host connects from loopback on behalf of anyone).
    pub fn is_local(&self) -> bool {
        self.ip().is_loopback() && !self.forwarded
    }
}

/// The client IP of a request: the peer address, unless the peer is a trusted proxy, in which
/// case the nearest `X-Forwarded-For` hop that is not itself a trusted proxy.
pub(crate) fn client_ip(addr: SocketAddr, headers: &HeaderMap, trusted: &[String]) -> IpAddr {
    let peer = unmap(addr.ip());
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .map(unmap)
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip, trusted))
        .unwrap_or(peer)
}

/// `ip` with an IPv4-mapped IPv6 address unwrapped.
pub(crate) fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        ip => ip,
    }
}

/// Whether `ip` matches an entry of `gateway.trustedProxies` (an address or a CIDR block).
fn is_trusted(ip: IpAddr, trusted: &[String]) -> bool {
    trusted.iter().any(|entry| {
        let entry = entry.trim();
        let (base, bits) = match entry.split_once('/') {
            Some((base, bits)) => (base, bits.parse::<u32>().ok()),
            None => (entry, None),
        };
        let Ok(base) = base.parse::<IpAddr>().map(unmap) else {
            return false;
        };
        match (ip, base) {
            (IpAddr::V4(ip), IpAddr::V4(base)) => prefix_match(
                u128::from(ip.to_bits()),
                u128::from(base.to_bits()),
                32,
                bits,
            ),
            (IpAddr::V6(ip), IpAddr::V6(base)) => {
                prefix_match(ip.to_bits(), base.to_bits(), 128, bits)
            }
            _ => false,
        }
    })
}

fn prefix_match(ip: u128, base: u128, width: u32, bits: Option<u32>) -> bool {
    let bits = bits.unwrap_or(width).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (ip >> shift) == (base >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn peer(addr: &str, headers: &[(&'static str, &str)]) -> Peer {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        Peer::new(addr.parse().unwrap(), &map)
    }

    #[test]
    fn loopback_without_proxy_headers_is_local() {
        assert!(peer("127.0.0.1:5000", &[]).is_local());
        assert!(peer("[::1]:5000", &[]).is_local());
        assert!(peer("[::ffff:127.0.0.1]:5000", &[]).is_local());
    }

    #[test]
    fn proxied_or_remote_peers_are_not_local() {
        assert!(!peer("127.0.0.1:5000", &[("x-forwarded-for", "203.0.113.9")]).is_local());
        assert!(!peer("192.168.1.20:5000", &[]).is_local());
        let browser = peer("127.0.0.1:1", &[("origin", "http://evil.example")]);
        assert_eq!(browser.origin.as_deref(), Some("http://evil.example"));
    }

    #[test]
    fn forwarded_for_is_used_only_from_trusted_proxies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 10.0.0.2"),
        );
        let proxy: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        assert_eq!(
            client_ip(proxy, &headers, &[]),
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
        let trusted = vec!["10.0.0.0/24".to_owned()];
        assert_eq!(
            client_ip(proxy, &headers, &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:1".parse().unwrap();
        assert!(client_ip(mapped, &HeaderMap::new(), &[]).is_loopback());
    }
}
