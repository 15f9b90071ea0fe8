//! The browser `Origin` check of WebSocket connects ("ClawJacked"): any web page the user opens
//! can make the browser open a socket to `ws://127.0.0.1:18789`, so a socket that carries an
//! `Origin` must come from a page the operator allowed (`gateway.controlUi.allowedOrigins`), or
//! from a loopback page when the socket itself is a direct local connection. As upstream, a page
//! is not trusted just because its origin equals the `Host` header (a DNS-rebinding page has
//! exactly that).

/// `scheme://host[:port]` of an origin, lower-cased, without the scheme's default port; `None`
/// when it is not an absolute `http(s)`/`ws(s)`-style origin (including the literal `null`).
pub(crate) fn normalize(origin: &str) -> Option<String> {
    let (scheme, rest) = origin.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+')
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Credentials in an origin are not something a browser sends; refuse rather than guess.
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    let (host, port) = split_port(&authority)?;
    let default = match scheme.as_str() {
        "http" | "ws" => Some("80"),
        "https" | "wss" => Some("443"),
        _ => None,
    };
    Some(match port {
        Some(port) if Some(port) != default => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// `(host, port)` of an authority; IPv6 hosts keep their brackets.
fn split_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if let Some(end) = authority.find(']') {
        if !authority.starts_with('[') {
            return None;
        }
        let (host, rest) = authority.split_at(end + 1);
        match rest.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if rest.is_empty() => (host, None),
            None => return None,
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty()
        || port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Some((host, port))
}

/// Whether a host name (without port) names this machine's loopback interface.
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare == "localhost"
        || bare.ends_with(".localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Decides whether a socket opened by a page of `origin` may connect: `Err(reason)` with
/// upstream's reason text when not.
pub(crate) fn check(origin: &str, allowed: &[String], is_local: bool) -> Result<(), &'static str> {
    let Some(normalized) = normalize(origin) else {
        return Err("origin missing or invalid");
    };
    let listed = allowed.iter().any(|entry| {
        let entry = entry.trim();
        entry == "*" || normalize(entry).is_some_and(|e| e == normalized)
    });
    if listed {
        return Ok(());
    }
    let host = normalized
        .split_once("://")
        .and_then(|(_, authority)| split_port(authority))
        .map(|(host, _)| host)
        .unwrap_or_default();
    if is_local && is_loopback_host(host) {
        return Ok(());
    }
    Err("origin not allowed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_default_ports() {
        assert_eq!(
            normalize("HTTPS://Example.COM:443/path").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(
            normalize("http://127.0.0.1:18789").as_deref(),
            Some("http://127.0.0.1:18789")
        );
        assert_eq!(
            normalize("http://[::1]:80").as_deref(),
            Some("http://[::1]")
        );
        assert_eq!(normalize("null"), None);
        assert_eq!(normalize("http://user@host"), None);
        assert_eq!(normalize("http://host:port"), None);
    }

    #[test]
    fn loopback_pages_pass_only_for_local_sockets() {
        assert!(check("http://127.0.0.1:18789", &[], true).is_ok());
        assert!(check("http://localhost:5173", &[], true).is_ok());
        assert!(check("http://[::1]:5173", &[], true).is_ok());
        assert_eq!(
            check("http://127.0.0.1:18789", &[], false),
            Err("origin not allowed")
        );
    }

    #[test]
    fn other_origins_need_the_allowlist() {
        assert_eq!(
            check("http://evil.example", &[], true),
            Err("origin not allowed")
        );
        let allowed = vec!["https://ui.example.com".to_owned()];
        assert!(check("https://UI.example.com:443", &allowed, false).is_ok());
        assert!(check("http://ui.example.com", &allowed, false).is_err());
        assert!(check("https://anything.example", &["*".to_owned()], false).is_ok());
        assert_eq!(
            check("null", &allowed, true),
            Err("origin missing or invalid")
        );
    }
}
