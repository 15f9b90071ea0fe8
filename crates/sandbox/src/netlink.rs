//! The two rtnetlink requests the private sandbox network needs: list the host's IPv4
//! addresses (in the gateway, before a command starts) and add a `prohibit` route for each of
//! them inside the command's network namespace (in the helper, before it drops its
//! capabilities).
//!
//! The user-mode network (slirp4netns) forwards every outbound connection from the host, so a
//! connection to one of the host's own addresses would reach the services listening there (a
//! gateway bound to the LAN among them). A `prohibit` route per host address makes the kernel
//! inside the namespace refuse such a connection (`EACCES`) before it leaves.
//!
//! Two fixed-format messages do not justify a netlink crate stack in the binary; the encoding
//! is plain data and tested here, the socket calls are Linux-only.

use std::net::Ipv4Addr;

/// `AF_INET`.
const AF_INET: u8 = 2;
/// `NLMSG_ERROR`: an acknowledgement (error 0) or an error.
const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: the end of a dump.
const NLMSG_DONE: u16 = 3;
/// `RTM_NEWADDR`: one address of a dump.
const RTM_NEWADDR: u16 = 20;
/// `RTM_GETADDR`.
const RTM_GETADDR: u16 = 22;
/// `RTM_NEWROUTE`.
const RTM_NEWROUTE: u16 = 24;
/// `NLM_F_REQUEST`.
const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_ACK`.
const NLM_F_ACK: u16 = 0x4;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
const NLM_F_DUMP: u16 = 0x300;
/// `NLM_F_REPLACE`: an existing route to the same destination is replaced, not an error.
const NLM_F_REPLACE: u16 = 0x100;
/// `NLM_F_CREATE`.
const NLM_F_CREATE: u16 = 0x400;
/// `RT_TABLE_MAIN`.
const RT_TABLE_MAIN: u8 = 254;
/// `RTPROT_STATIC`: a route added by an administrator, not by the kernel.
const RTPROT_STATIC: u8 = 4;
/// `RTN_PROHIBIT`: the kernel answers `EACCES` to a connection along this route.
const RTN_PROHIBIT: u8 = 8;
/// `RTA_DST`.
const RTA_DST: u16 = 1;
/// `IFA_ADDRESS`.
const IFA_ADDRESS: u16 = 1;
/// `IFA_LOCAL`: the local address on point-to-point links, where `IFA_ADDRESS` is the peer.
const IFA_LOCAL: u16 = 2;
/// Size of `struct nlmsghdr`.
const HEADER_LEN: usize = 16;

/// A netlink message: header fields and the payload after the header.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Message<'a> {
    kind: u16,
    seq: u32,
    payload: &'a [u8],
}

/// Rounds up to netlink's 4-byte alignment.
fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// A request: header then `body`, flags and sequence number as given.
fn request(kind: u16, flags: u16, seq: u32, body: &[u8]) -> Vec<u8> {
    let len = HEADER_LEN + body.len();
    let mut out = Vec::with_capacity(align(len));
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(body);
    out.resize(align(len), 0);
    out
}

/// `RTM_GETADDR` dump of every IPv4 address.
fn get_addresses_request(seq: u32) -> Vec<u8> {
    // struct ifaddrmsg: family, prefixlen, flags, scope, index.
    let body = [AF_INET, 0, 0, 0, 0, 0, 0, 0];
    request(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq, &body)
}

/// `RTM_NEWROUTE`: `prohibit <address>/32` in the main table.
fn prohibit_route_request(seq: u32, address: Ipv4Addr) -> Vec<u8> {
    // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
    let mut body = vec![
        AF_INET,
        32,
        0,
        0,
        RT_TABLE_MAIN,
        RTPROT_STATIC,
        0,
        RTN_PROHIBIT,
    ];
    body.extend_from_slice(&0u32.to_ne_bytes());
    // struct rtattr (length, type) and the destination.
    body.extend_from_slice(&8u16.to_ne_bytes());
    body.extend_from_slice(&RTA_DST.to_ne_bytes());
    body.extend_from_slice(&address.octets());
    request(
        RTM_NEWROUTE,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
        seq,
        &body,
    )
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// The messages in one datagram; a truncated or malformed one ends the list.
fn messages(datagram: &[u8]) -> Vec<Message<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + HEADER_LEN <= datagram.len() {
        let Some(len) = u32_at(datagram, at).and_then(|l| usize::try_from(l).ok()) else {
            break;
        };
        if len < HEADER_LEN || at + len > datagram.len() {
            break;
        }
        let (Some(kind), Some(seq)) = (u16_at(datagram, at + 4), u32_at(datagram, at + 8)) else {
            break;
        };
        out.push(Message {
            kind,
            seq,
            payload: &datagram[at + HEADER_LEN..at + len],
        });
        at += align(len);
    }
    out
}

/// The error number of an `NLMSG_ERROR` payload (0 is an acknowledgement).
fn error_code(payload: &[u8]) -> i32 {
    payload
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map_or(-1, i32::from_ne_bytes)
}

/// The address of an `RTM_NEWADDR` payload: `IFA_LOCAL` when present, else `IFA_ADDRESS`.
fn address_of(payload: &[u8]) -> Option<Ipv4Addr> {
    // struct ifaddrmsg is 8 bytes, attributes follow.
    if payload.first() != Some(&AF_INET) {
        return None;
    }
    let (mut local, mut address) = (None, None);
    let mut at = 8;
    while at + 4 <= payload.len() {
        let len = usize::from(u16_at(payload, at)?);
        let kind = u16_at(payload, at + 2)?;
        if len < 4 || at + len > payload.len() {
            break;
        }
        let value = &payload[at + 4..at + len];
        let ip = <[u8; 4]>::try_from(value).ok().map(Ipv4Addr::from);
        match kind {
            IFA_LOCAL => local = ip,
            IFA_ADDRESS => address = ip,
            _ => {}
        }
        at += align(len);
    }
    local.or(address)
}

#[cfg(target_os = "linux")]
mod socket {
    use std::net::Ipv4Addr;
    use std::os::fd::OwnedFd;

    use rustix::net::netlink::SocketAddrNetlink;
    use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

    use super::{Message, NLMSG_DONE, NLMSG_ERROR, RTM_NEWADDR};

    fn open() -> Result<OwnedFd, String> {
        rustix::net::socket_with(
            AddressFamily::NETLINK,
            SocketType::RAW,
            SocketFlags::CLOEXEC,
            // NETLINK_ROUTE is protocol 0, which rustix spells `None`.
            None,
        )
        .map_err(|e| format!("cannot open a netlink socket: {e}"))
    }

    fn send(fd: &OwnedFd, message: &[u8]) -> Result<(), String> {
        rustix::net::sendto(
            fd,
            message,
            SendFlags::empty(),
            &SocketAddrNetlink::new(0, 0),
        )
        .map(drop)
        .map_err(|e| format!("cannot send a netlink request: {e}"))
    }

    /// Reads replies to `seq` until `done` says the exchange is over.
    fn receive(
        fd: &OwnedFd,
        seq: u32,
        mut each: impl FnMut(&Message<'_>) -> Result<bool, String>,
    ) -> Result<(), String> {
        let mut buffer = vec![0u8; 32 * 1024];
        loop {
            let (len, _) = rustix::net::recv(fd, &mut buffer[..], RecvFlags::empty())
                .map_err(|e| format!("cannot read a netlink reply: {e}"))?;
            if len == 0 {
                return Err("the netlink socket closed".to_owned());
            }
            let datagram = buffer.get(..len).unwrap_or_default();
            for message in super::messages(datagram) {
                if message.seq == seq && each(&message)? {
                    return Ok(());
                }
            }
        }
    }

    /// The IPv4 addresses of this network namespace's interfaces.
    pub fn ipv4_addresses() -> Result<Vec<Ipv4Addr>, String> {
        let fd = open()?;
        let seq = 1;
        send(&fd, &super::get_addresses_request(seq))?;
        let mut found = Vec::new();
        receive(&fd, seq, |message| match message.kind {
            NLMSG_DONE => Ok(true),
            NLMSG_ERROR => Err(format!(
                "listing addresses failed: {}",
                rustix::io::Errno::from_raw_os_error(-super::error_code(message.payload))
            )),
            RTM_NEWADDR => {
                found.extend(super::address_of(message.payload));
                Ok(false)
            }
            _ => Ok(false),
        })?;
        found.sort();
        found.dedup();
        Ok(found)
    }

    /// Adds `prohibit <address>/32` to this network namespace's main table.
    pub fn prohibit(address: Ipv4Addr) -> Result<(), String> {
        let fd = open()?;
        let seq = 2;
        send(&fd, &super::prohibit_route_request(seq, address))?;
        receive(&fd, seq, |message| match message.kind {
            NLMSG_ERROR => match super::error_code(message.payload) {
                0 => Ok(true),
                code => Err(format!(
                    "cannot add the route prohibit {address}/32: {}",
                    rustix::io::Errno::from_raw_os_error(-code)
                )),
            },
            _ => Ok(false),
        })
    }
}

#[cfg(target_os = "linux")]
pub(crate) use socket::{ipv4_addresses, prohibit};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prohibit_route_is_encoded_as_ip_route_does() {
        let message = prohibit_route_request(7, Ipv4Addr::new(192, 0, 2, 2));
        assert_eq!(message.len(), 16 + 12 + 8);
        let parsed = messages(&message);
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].kind, RTM_NEWROUTE);
        assert_eq!(parsed[0].seq, 7);
        let body = parsed[0].payload;
        assert_eq!(&body[..8], &[2, 32, 0, 0, 254, 4, 0, 8]);
        assert_eq!(&body[16..], &[192, 0, 2, 2]);
        assert_eq!(u16_at(&message, 6), Some(0x505));
    }

    #[test]
    fn addresses_prefer_the_local_attribute() {
        let mut payload = vec![AF_INET, 24, 0, 0, 2, 0, 0, 0];
        for (kind, ip) in [(IFA_ADDRESS, [10, 0, 0, 2]), (IFA_LOCAL, [10, 0, 0, 1])] {
            payload.extend_from_slice(&8u16.to_ne_bytes());
            payload.extend_from_slice(&kind.to_ne_bytes());
            payload.extend_from_slice(&ip);
        }
        assert_eq!(address_of(&payload), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(address_of(&payload[..16]), Some(Ipv4Addr::new(10, 0, 0, 2)));
        assert_eq!(address_of(&[10]), None);
        // A truncated attribute ends the walk instead of reading past the payload.
        assert_eq!(address_of(&payload[..14]), None);
    }

    #[test]
    fn malformed_datagrams_end_the_list() {
        let good = get_addresses_request(1);
        let mut two = good.clone();
        two.extend_from_slice(&good);
        assert_eq!(messages(&two).len(), 2);
        let mut bad = good.clone();
        bad[0] = 200;
        assert!(messages(&bad).is_empty());
        assert!(messages(&good[..10]).is_empty());
        assert_eq!(error_code(&[]), -1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn lists_this_hosts_addresses() {
        let addresses = ipv4_addresses().unwrap();
        assert!(addresses.contains(&Ipv4Addr::LOCALHOST), "{addresses:?}");
    }
}
