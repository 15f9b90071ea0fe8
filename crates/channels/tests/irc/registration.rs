//! Registration against ngircd: nick collisions, server passwords, TLS.

use pretty_assertions::assert_eq;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use rustyclaw_channels::irc::{ConnectionError, IrcClient, IrcEvent, TlsOptions};
use rustyclaw_testkit::{Ngircd, NgircdOptions, NgircdTls};
use secrecy::SecretString;

use super::support::{config, connect, next};

#[tokio::test]
async fn a_taken_nick_is_retried_with_suffixes() {
    let mut server = Ngircd::start().await.unwrap();
    let (first, _e1, nick1) = connect(config(&server, "carol", &[])).await;
    let (second, _e2, nick2) = connect(config(&server, "carol", &[])).await;
    let (third, _e3, nick3) = connect(config(&server, "carol", &[])).await;
    assert_eq!([nick1, nick2, nick3], ["carol", "carol_", "carol2"]);
    assert_eq!(second.nick().as_deref(), Some("carol_"));
    for client in [first, second, third] {
        client.shutdown("").await;
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn server_password_is_sent_and_a_wrong_one_is_refused() {
    let options = NgircdOptions {
        password: Some("sesame".into()),
        ..NgircdOptions::default()
    };
    let mut server = Ngircd::start_with(options).await.unwrap();

    let mut good = config(&server, "dave", &[]);
    good.server_password = Some(SecretString::from("sesame"));
    let (client, _events, _) = connect(good).await;
    client.shutdown("").await;

    let mut bad = config(&server, "erin", &[]);
    bad.server_password = Some(SecretString::from("wrong"));
    let (client, mut events) = IrcClient::start(bad).unwrap();
    let event = next(&mut events, |e| matches!(e, IrcEvent::Disconnected { .. })).await;
    let IrcEvent::Disconnected { reason, .. } = event else {
        unreachable!()
    };
    // ngircd answers a wrong password with `ERROR :Access denied: Bad password?` (other
    // servers with `464`, which stops the client).
    assert!(
        matches!(
            reason,
            ConnectionError::PasswordIncorrect | ConnectionError::ServerError { .. }
        ),
        "{reason:?}"
    );
    client.shutdown("").await;
    server.stop().await.unwrap();
}

fn tls_material() -> (NgircdTls, CertificateDer<'static>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/irc/tls");
    let read = |name: &str| std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
    let ca = CertificateDer::from_pem_slice(read("ca.pem").as_bytes()).unwrap();
    let tls = NgircdTls {
        cert_pem: read("server.pem"),
        key_pem: read("server.key"),
    };
    (tls, ca)
}

#[tokio::test]
async fn tls_with_a_private_ca_verifies_the_server() {
    let (tls, ca) = tls_material();
    let options = NgircdOptions {
        tls: Some(tls),
        ..NgircdOptions::default()
    };
    let mut server = Ngircd::start_with(options).await.unwrap();
    let tls_port = server.tls_port().unwrap();

    let mut trusted = config(&server, "frank", &["#secure"]);
    trusted.port = tls_port;
    trusted.tls = Some(TlsOptions {
        server_name: Some("localhost".into()),
        extra_roots: vec![ca],
    });
    let (client, _events, nick) = connect(trusted).await;
    assert_eq!(nick, "frank");
    client.shutdown("").await;

    // Without the CA the platform roots do not know the certificate: no connection.
    let mut untrusted = config(&server, "grace", &[]);
    untrusted.port = tls_port;
    untrusted.tls = Some(TlsOptions {
        server_name: Some("localhost".into()),
        extra_roots: Vec::new(),
    });
    let (client, mut events) = IrcClient::start(untrusted).unwrap();
    let event = next(&mut events, |e| matches!(e, IrcEvent::Disconnected { .. })).await;
    let IrcEvent::Disconnected { reason, .. } = event else {
        unreachable!()
    };
    assert!(
        matches!(reason, ConnectionError::Connect { .. }),
        "{reason:?}"
    );
    client.shutdown("").await;
    server.stop().await.unwrap();
}
