//! `rustyclaw dashboard`: the Control UI's address, and the browser opened on it, signed in.
//!
//! As 9.6's `openclaw dashboard`: the terminal shows only the clean address, and the browser
//! gets a one-time link (`#bootstrapToken=…` in the URL fragment, which browsers never send to
//! a server and the page removes at once) that pairs that one browser's device key as the
//! owner's Control UI within ten minutes; the shared gateway token is never put in the
//! browser's launch arguments. The page stays on loopback whatever `gateway.bind` says: a
//! browser on this machine is a secure context there, so it keeps its device key in WebCrypto.
//! `--json` prints upstream's object: `url` (with the shared token, for clients that need it),
//! `browserUrl` and `browserBootstrapExpiresAtMs`, `httpUrl`, `wsUrl`, `port`, `tokenIncluded`.

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use rustyclaw_config::file::GatewayAuthMode;
use rustyclaw_config::{ExposeSecret, LoadedConfig};
use rustyclaw_gateway::device::DeviceStore;
use rustyclaw_sandbox::TrustedCommand;
use rustyclaw_support::now_ms;
use serde_json::json;

use crate::args::DashboardArgs;
use crate::context::Context;
use crate::output;

/// How long to wait for the gateway to accept a connection.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub fn run(ctx: &Context, loaded: &LoadedConfig, args: &DashboardArgs) -> anyhow::Result<ExitCode> {
    let gateway = &loaded.config.gateway;
    let port = gateway.port;
    let base = rustyclaw_gateway::control_ui_base_path(&gateway.control_ui_base_path);
    let http = format!("http://127.0.0.1:{port}{base}");
    let ws = format!("ws://127.0.0.1:{port}{}", base.trim_end_matches('/'));
    let token = match gateway.auth.mode {
        GatewayAuthMode::Token => gateway
            .auth
            .token
            .as_ref()
            .map(|t| t.expose_secret().to_owned()),
        _ => None,
    };
    let url = match &token {
        Some(token) => format!("{http}#token={}", fragment_encode(token)),
        None => http.clone(),
    };
    let problem = if !gateway.control_ui_enabled {
        Some("the Control UI is turned off (gateway.controlUi.enabled: false)".to_owned())
    } else if !listening(port) {
        Some(format!(
            "no gateway listens on 127.0.0.1:{port}; start it with `rustyclaw gateway run`"
        ))
    } else {
        None
    };
    let store = DeviceStore::in_state_dir(&ctx.locations.state_dir);
    let handoff = |now: u64| -> Result<(String, u64), String> {
        let issued = store
            .issue_owner_bootstrap(now)
            .map_err(|e| format!("could not issue a one-time link: {e}"))?;
        let fragment = format!(
            "bootstrapToken={}&bootstrapProfile=owner&gatewayUrl={}",
            fragment_encode(&issued.token),
            fragment_encode(&ws)
        );
        Ok((format!("{http}#{fragment}"), issued.expires_at_ms))
    };
    if args.json {
        let answer = match &problem {
            Some(reason) => Err(reason.clone()),
            None => handoff(now_ms()),
        };
        match answer {
            Err(reason) => {
                output::json(&json!({"ok": false, "reason": reason}));
                return Ok(ExitCode::FAILURE);
            }
            Ok((browser_url, expires)) => output::json(&json!({
                "ok": true,
                "url": url,
                "browserUrl": browser_url,
                "browserBootstrapExpiresAtMs": expires,
                "httpUrl": http,
                "wsUrl": ws,
                "port": port,
                "tokenIncluded": token.is_some(),
            })),
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(reason) = problem {
        anyhow::bail!("{reason}");
    }
    output::out(&format!("Control UI: {http}"));
    if args.no_open {
        sign_in_hint(gateway.auth.mode, token.is_some());
        return Ok(ExitCode::SUCCESS);
    }
    let (browser_url, _) = handoff(now_ms()).map_err(|e| anyhow::anyhow!(e))?;
    match open_browser(&browser_url) {
        Ok(()) => output::out(
            "Opened in your browser with a one-time link (ten minutes): that browser is paired as yours.",
        ),
        Err(reason) => {
            output::err(&format!("Could not open a browser: {reason}"));
            sign_in_hint(gateway.auth.mode, token.is_some());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How to sign in by hand, without printing the secret.
fn sign_in_hint(mode: GatewayAuthMode, has_token: bool) {
    match mode {
        GatewayAuthMode::Token if has_token => output::out(
            "Sign in with the gateway token (gateway.auth.token in the config file, or \
             OPENCLAW_GATEWAY_TOKEN): paste it into the page, or append #token=<token> to the \
             address. `rustyclaw dashboard --json` prints a one-time signed-in link.",
        ),
        GatewayAuthMode::Password => {
            output::out("Sign in with the gateway password (gateway.auth.password).");
        }
        _ => {}
    }
}

/// Whether something accepts connections on the loopback port.
fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        PROBE_TIMEOUT,
    )
    .is_ok()
}

/// `text` safe in a URL fragment value.
fn fragment_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Opens `url` with the desktop's opener (`xdg-open`, or `open` on macOS), bounded in time. The
/// opener gets the desktop's variables and nothing else of this process's environment.
fn open_browser(url: &str) -> Result<(), String> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let program = find_in_path(opener).ok_or_else(|| format!("{opener} is not installed"))?;
    let env: Vec<(OsString, OsString)> = [
        "PATH",
        "HOME",
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "XDG_RUNTIME_DIR",
        "XDG_CONFIG_HOME",
        "XDG_DATA_DIRS",
        "XDG_CURRENT_DESKTOP",
        "DBUS_SESSION_BUS_ADDRESS",
        "BROWSER",
        "LANG",
    ]
    .into_iter()
    .filter_map(|name| std::env::var_os(name).map(|value| (OsString::from(name), value)))
    .collect();
    let command = TrustedCommand {
        program,
        args: vec![OsString::from(url)],
        env,
        stdin: Vec::new(),
        timeout: Duration::from_secs(15),
        max_output_bytes: 64 * 1024,
    };
    let output = command.run().map_err(|e| e.to_string())?;
    if output.exit_code == Some(0) {
        Ok(())
    } else {
        Err(format!(
            "{opener} failed: {}",
            String::from_utf8_lossy(&output.stderr_head).trim()
        ))
    }
}

/// `name` found in `PATH`.
fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_escaped_in_the_fragment() {
        assert_eq!(fragment_encode("abc-123_~."), "abc-123_~.");
        assert_eq!(fragment_encode("a b&c#d"), "a%20b%26c%23d");
    }
}
