//! Who is on the other end of a connection: the socket address and the request headers that
//! matter for trust decisions (loopback auto-approval, rate limits, the browser `Origin` check).

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
        match self.addr.ip() {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            ip => ip,
        }
    }

    /// A direct connection from this machine: a loopback address and no proxy in between (a
    /// reverse proxy on the same host connects from loopback on behalf of anyone).
    pub fn is_local(&self) -> bool {
        self.ip().is_loopback() && !self.forwarded
    }
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
}
