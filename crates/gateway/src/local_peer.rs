//! Which local user is on the other end of a loopback TCP connection.
//!
//! TCP has no `SO_PEERCRED`, but on Linux the kernel lists every socket of the network
//! namespace in `/proc/net/tcp` (IPv4) and `/proc/net/tcp6` with its owner's uid. The client
//! end of a loopback connection is the established socket whose *local* address is the peer
//! address the gateway sees, so its line names the user who opened it.
//!
//! The auth limiter asks only when a loopback client presents a wrong secret (or while some
//! local user is locked out), never per connection: the tables grow with every socket on the
//! host, and reading them per connect would make accepting quadratic.

use std::net::{IpAddr, SocketAddr};

/// The uid owning the client end of the loopback connection whose peer address is `peer`, or
/// `None` when it cannot be told (not Linux, no `/proc`, the socket already gone).
pub(crate) fn uid_of(peer: SocketAddr) -> Option<u32> {
    let (table, ip) = match peer.ip() {
        IpAddr::V4(v4) => ("/proc/net/tcp", IpAddr::V4(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            // An IPv4 client of a dual-stack listener: its own socket is an IPv4 one.
            Some(v4) => ("/proc/net/tcp", IpAddr::V4(v4)),
            None => ("/proc/net/tcp6", IpAddr::V6(v6)),
        },
    };
    let text = std::fs::read_to_string(table).ok()?;
    find(&text, &kernel_hex(ip, peer.port()))
}

/// This process's effective uid, which a local client shares when it is the owner's.
pub(crate) fn own_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// The uid on the established (`01`) line whose local address is `address`.
fn find(table: &str, address: &str) -> Option<u32> {
    table.lines().skip(1).find_map(|line| {
        let mut fields = line.split_whitespace();
        let local = fields.nth(1)?;
        let state = fields.nth(1)?;
        let uid = fields.nth(3)?;
        (local.eq_ignore_ascii_case(address) && state == "01")
            .then(|| uid.parse().ok())
            .flatten()
    })
}

/// `ip:port` as the kernel prints it in `/proc/net/tcp*`: each 32-bit word of the address in
/// network byte order printed as a native-endian hex number, then the port in hex.
fn kernel_hex(ip: IpAddr, port: u16) -> String {
    let words: Vec<[u8; 4]> = match ip {
        IpAddr::V4(v4) => vec![v4.octets()],
        IpAddr::V6(v6) => v6
            .octets()
            .chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], c[3]])
            .collect(),
    };
    let mut out: String = words
        .into_iter()
        .map(|word| format!("{:08X}", u32::from_ne_bytes(word)))
        .collect();
    out.push_str(&format!(":{port:04X}"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:4A3B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:C350 0100007F:4A3B 01 00000000:00000000 00:00000000 00000000  1001        0 2 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:4A3B 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
";

    #[test]
    fn the_client_end_of_a_connection_names_its_user() {
        #[cfg(target_endian = "little")]
        {
            assert_eq!(
                kernel_hex("127.0.0.1".parse().unwrap(), 50_000),
                "0100007F:C350"
            );
            assert_eq!(
                kernel_hex("::1".parse().unwrap(), 1),
                "00000000000000000000000001000000:0001"
            );
        }
        assert_eq!(find(TABLE, "0100007F:C350"), Some(1001));
        // Only established lines count: the listening socket (0A) is skipped, the server's end
        // of the connection (01, uid 0) is what its address names.
        assert_eq!(find(TABLE, "0100007F:4A3B"), Some(0));
        assert_eq!(find(TABLE, "0100007F:0001"), None);
    }

    #[test]
    fn a_real_loopback_connection_is_found_with_this_processes_uid() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_server_end, peer) = listener.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(uid_of(peer), Some(own_uid()));
    }
}
