//! A second host on this machine: a network namespace joined to this one by a veth pair, so a
//! test can reach a server from a non-loopback address (as a browser on another computer
//! would). Needs root (`ip netns add`); [`NetNs::create`] says so when it cannot.
//!
//! Addresses: this side `10.213.<n>.1/30`, the namespace `10.213.<n>.2/30`, where `n` comes
//! from the process id so parallel test binaries do not collide. The namespace (and with it the
//! veth pair) is deleted on drop.

use std::process::Stdio;

/// Why the namespace could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("could not set up a network namespace ({step}): {detail}")]
pub struct NetNsError {
    /// The command that failed.
    pub step: String,
    /// What it printed, or the spawn error.
    pub detail: String,
}

/// A network namespace with a veth link to this one.
#[derive(Debug)]
pub struct NetNs {
    name: String,
    host: String,
    guest: String,
}

impl NetNs {
    /// Creates the namespace and the link, with addresses on both ends and both ends up.
    pub fn create() -> Result<Self, NetNsError> {
        let id = std::process::id();
        let n = id % 250 + 1;
        let name = format!("rcui{id}");
        let host_if = format!("rcv{id}h");
        let guest_if = format!("rcv{id}g");
        let host = format!("10.213.{n}.1");
        let guest = format!("10.213.{n}.2");
        // A namespace left behind by a killed run of the same pid is removed first.
        let _ = ip(&["netns", "del", &name]);
        let ns = Self {
            name: name.clone(),
            host: host.clone(),
            guest: guest.clone(),
        };
        ip(&["netns", "add", &name])?;
        ip(&[
            "link", "add", &host_if, "type", "veth", "peer", "name", &guest_if,
        ])?;
        ip(&["link", "set", &guest_if, "netns", &name])?;
        // No IPv6 link-local addresses: the kernel would add them a moment after the links come
        // up (after duplicate address detection), and Chromium aborts the page loads in flight
        // when an address changes (`ERR_NETWORK_CHANGED`), which made browser tests flaky.
        ip(&["link", "set", "dev", &host_if, "addrgenmode", "none"])?;
        ip(&[
            "-n",
            &name,
            "link",
            "set",
            "dev",
            &guest_if,
            "addrgenmode",
            "none",
        ])?;
        ip(&["addr", "add", &format!("{host}/30"), "dev", &host_if])?;
        ip(&["link", "set", &host_if, "up"])?;
        ip(&[
            "-n",
            &name,
            "addr",
            "add",
            &format!("{guest}/30"),
            "dev",
            &guest_if,
        ])?;
        ip(&["-n", &name, "link", "set", &guest_if, "up"])?;
        ip(&["-n", &name, "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// The namespace's name (for `ip netns exec`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// This side's address, which the namespace reaches.
    pub fn host_addr(&self) -> &str {
        &self.host
    }

    /// The namespace's own address.
    pub fn guest_addr(&self) -> &str {
        &self.guest
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.name]);
    }
}

/// Runs `ip <args>`; an error carries what it printed.
fn ip(args: &[&str]) -> Result<(), NetNsError> {
    #[expect(
        clippy::disallowed_methods,
        reason = "the test kit builds a test network with iproute2"
    )]
    let output = std::process::Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| NetNsError {
            step: format!("ip {}", args.join(" ")),
            detail: e.to_string(),
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(NetNsError {
            step: format!("ip {}", args.join(" ")),
            detail: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}
