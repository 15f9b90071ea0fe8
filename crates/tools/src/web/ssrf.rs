//! The private-network guard of `web_fetch` (server-side request forgery).
//!
//! A model can be talked into fetching `http://169.254.169.254/` or a router's admin page, so
//! unless `tools.web.fetch.allowPrivateNetwork` is set, every target address is classified and
//! anything that is not a public unicast address is refused: loopback, RFC 1918 private,
//! link-local (cloud metadata lives there), carrier-grade NAT, IPv6 unique-local and site-local,
//! unspecified, multicast, broadcast and reserved ranges — and the same ranges hidden inside
//! IPv6 forms that reach IPv4 (mapped, compatible, NAT64, 6to4).
//!
//! The check runs on the addresses the connection will actually use: the HTTP client's DNS
//! resolver ([`super::client`]) classifies what it resolved before handing it to the connector,
//! so a name cannot resolve to a public address for the check and a private one for the connect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16.
    Private,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// 100.64/10 (carrier-grade NAT).
    SharedAddressSpace,
    /// fc00::/7.
    UniqueLocal,
    /// fec0::/10 (deprecated site-local).
    SiteLocal,
    /// 0.0.0.0/8, ::.
    Unspecified,
    /// 224/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// Special-purpose ranges (protocol assignments, documentation, benchmarking, 240/4).
    Reserved,
}

impl Blocked {
    /// A short description for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Blocked::Loopback => "a loopback address",
            Blocked::Private => "a private network address",
            Blocked::LinkLocal => "a link-local address",
            Blocked::SharedAddressSpace => "a carrier-grade NAT address",
            Blocked::UniqueLocal => "a unique-local IPv6 address",
            Blocked::SiteLocal => "a site-local IPv6 address",
            Blocked::Unspecified => "an unspecified address",
            Blocked::Multicast => "a multicast address",
            Blocked::Broadcast => "the broadcast address",
            Blocked::Reserved => "a reserved address",
        }
    }
}

/// Why `ip` may not be fetched, or `None` for a public unicast address.
pub fn classify(ip: IpAddr) -> Option<Blocked> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Blocked> {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (0, _, _) => Some(Blocked::Unspecified),
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => Some(Blocked::Private),
        (100, 64..=127, _) => Some(Blocked::SharedAddressSpace),
        (127, _, _) => Some(Blocked::Loopback),
        (169, 254, _) => Some(Blocked::LinkLocal),
        (192, 0, 0) | (192, 0, 2) | (198, 18..=19, _) | (198, 51, 100) | (203, 0, 113) => {
            Some(Blocked::Reserved)
        }
        (224..=239, _, _) => Some(Blocked::Multicast),
        _ if ip == Ipv4Addr::BROADCAST => Some(Blocked::Broadcast),
        (240..=255, _, _) => Some(Blocked::Reserved),
        _ => None,
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<Blocked> {
    if ip.is_unspecified() {
        return Some(Blocked::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Blocked::Loopback);
    }
    if let Some(v4) = embedded_v4(ip) {
        // An address that reaches IPv4 is judged by the IPv4 address it reaches.
        return classify_v4(v4);
    }
    let seg = ip.segments();
    match seg[0] {
        0xfc00..=0xfdff => Some(Blocked::UniqueLocal),
        0xfe80..=0xfebf => Some(Blocked::LinkLocal),
        0xfec0..=0xfeff => Some(Blocked::SiteLocal),
        0xff00..=0xffff => Some(Blocked::Multicast),
        0x2001 if seg[1] == 0x0db8 => Some(Blocked::Reserved),
        // ::/96 and ::ffff:0:0/96 leftovers not caught above: reserved.
        0 => Some(Blocked::Reserved),
        _ => None,
    }
}

/// The IPv4 address an IPv6 address forwards to: IPv4-mapped (`::ffff:a.b.c.d`),
/// IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) and 6to4 (`2002:aabb:ccdd::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let seg = ip.segments();
    let low = || {
        Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            seg[6] as u8,
            (seg[7] >> 8) as u8,
            seg[7] as u8,
        )
    };
    match seg {
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(low()),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low()),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

/// Host names that name the local machine or a private zone whatever DNS says.
pub fn is_blocked_hostname(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    matches!(
        host.as_str(),
        "localhost" | "localhost.localdomain" | "metadata.google.internal"
    ) || [".localhost", ".local", ".internal"]
        .iter()
        .any(|suffix| host.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(addr: &str) -> Option<Blocked> {
        classify(addr.parse().unwrap())
    }

    #[test]
    fn blocks_private_and_special_ipv4() {
        for (addr, why) in [
            ("127.0.0.1", Blocked::Loopback),
            ("127.255.0.9", Blocked::Loopback),
            ("10.1.2.3", Blocked::Private),
            ("172.16.0.1", Blocked::Private),
            ("172.31.255.255", Blocked::Private),
            ("192.168.1.1", Blocked::Private),
            ("169.254.169.254", Blocked::LinkLocal),
            ("100.64.0.1", Blocked::SharedAddressSpace),
            ("100.127.255.255", Blocked::SharedAddressSpace),
            ("0.0.0.0", Blocked::Unspecified),
            ("224.0.0.1", Blocked::Multicast),
            ("255.255.255.255", Blocked::Broadcast),
            ("240.0.0.1", Blocked::Reserved),
            ("192.0.2.7", Blocked::Reserved),
        ] {
            assert_eq!(check(addr), Some(why), "{addr}");
        }
    }

    #[test]
    fn allows_public_ipv4_next_to_the_ranges() {
        for addr in [
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.1.1",
            "192.169.0.1",
            "1.1.1.1",
        ] {
            assert_eq!(check(addr), None, "{addr}");
        }
    }

    #[test]
    fn blocks_private_ipv6_and_ipv4_hidden_in_ipv6() {
        for (addr, why) in [
            ("::1", Blocked::Loopback),
            ("::", Blocked::Unspecified),
            ("fd12:3456::1", Blocked::UniqueLocal),
            ("fc00::1", Blocked::UniqueLocal),
            ("fe80::1", Blocked::LinkLocal),
            ("fec0::1", Blocked::SiteLocal),
            ("ff02::1", Blocked::Multicast),
            ("::ffff:127.0.0.1", Blocked::Loopback),
            ("::ffff:10.0.0.1", Blocked::Private),
            ("::ffff:169.254.169.254", Blocked::LinkLocal),
            ("::127.0.0.1", Blocked::Loopback),
            ("64:ff9b::192.168.0.1", Blocked::Private),
            ("2002:7f00:1::", Blocked::Loopback),
            ("2001:db8::1", Blocked::Reserved),
        ] {
            assert_eq!(check(addr), Some(why), "{addr}");
        }
        for addr in ["2606:4700::1111", "::ffff:8.8.8.8", "2002:0808:0808::1"] {
            assert_eq!(check(addr), None, "{addr}");
        }
    }

    #[test]
    fn blocks_local_host_names() {
        for host in [
            "localhost",
            "LOCALHOST.",
            "api.localhost",
            "printer.local",
            "metadata.google.internal",
            "db.internal",
        ] {
            assert!(is_blocked_hostname(host), "{host}");
        }
        for host in [
            "example.com",
            "localhost.example.com",
            "internal.example.org",
        ] {
            assert!(!is_blocked_hostname(host), "{host}");
        }
    }
}
