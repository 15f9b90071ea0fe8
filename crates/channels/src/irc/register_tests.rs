use pretty_assertions::assert_eq;
use secrecy::SecretString;

use super::*;

fn lines(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .map(|message| message.to_line().unwrap().trim_end().to_owned())
        .collect()
}

fn server(line: &str) -> Message {
    Message::parse(line.as_bytes()).unwrap()
}

fn config() -> IrcConfig {
    IrcConfig::new("irc.example", 6667, None, "claw")
}

#[test]
fn nick_candidates_follow_the_suffix_sequence() {
    let nicks: Vec<String> = (0..4).map(|n| nick_candidate("claw", n)).collect();
    assert_eq!(nicks, ["claw", "claw_", "claw2", "claw3"]);
}

#[test]
fn plain_registration_sends_pass_nick_user() {
    let mut config = config();
    config.server_password = Some(SecretString::from("hunter2"));
    let (_, send) = Registration::start(&config);
    assert_eq!(
        lines(&send),
        ["PASS hunter2", "NICK claw", "USER claw 0 * OpenClaw"]
    );
}

#[test]
fn nick_collisions_retry_with_suffixes_then_give_up() {
    let (mut registration, _) = Registration::start(&config());
    let mut sent = Vec::new();
    for _ in 0..3 {
        let mut send = Vec::new();
        let progress =
            registration.on_message(&server(":srv 433 * claw :Nickname in use"), &mut send);
        assert!(matches!(progress, Progress::Pending));
        sent.extend(lines(&send));
    }
    assert_eq!(sent, ["NICK claw_", "NICK claw2", "NICK claw3"]);
    let mut send = Vec::new();
    match registration.on_message(&server(":srv 001 claw3 :Welcome"), &mut send) {
        Progress::Registered { nick } => assert_eq!(nick, "claw3"),
        other => panic!("{other:?}"),
    }

    let (mut registration, _) = Registration::start(&config());
    let mut last = None;
    for _ in 0..NICK_ATTEMPTS {
        last =
            Some(registration.on_message(&server(":srv 436 * claw :collision"), &mut Vec::new()));
    }
    assert!(matches!(
        last,
        Some(Progress::Failed(ConnectionError::NickUnavailable {
            tried: 9,
            ..
        }))
    ));
}

#[test]
fn refusals_are_final() {
    for (line, check) in [
        (":srv 432 * claw :Erroneous", "NickRejected"),
        (":srv 464 * :Password incorrect", "PasswordIncorrect"),
        (":srv 465 * :You are banned", "Banned"),
    ] {
        let (mut registration, _) = Registration::start(&config());
        match registration.on_message(&server(line), &mut Vec::new()) {
            Progress::Failed(error) => {
                assert!(format!("{error:?}").starts_with(check), "{error:?}");
                assert!(!error.is_retryable());
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn sasl_plain_negotiation() {
    let mut config = config();
    config.sasl = Some(SaslPlain {
        account: "claw".into(),
        password: SecretString::from("s3cret"),
    });
    let (mut registration, send) = Registration::start(&config);
    assert_eq!(
        lines(&send),
        ["CAP LS 302", "NICK claw", "USER claw 0 * OpenClaw"]
    );
    let mut replies = Vec::new();
    for line in [
        ":srv CAP * LS * :multi-prefix away-notify",
        ":srv CAP * LS :sasl=EXTERNAL,PLAIN server-time",
        ":srv CAP * ACK :sasl",
        "AUTHENTICATE +",
        ":srv 900 claw claw!u@h claw :You are now logged in",
        ":srv 903 claw :SASL authentication successful",
    ] {
        let progress = registration.on_message(&server(line), &mut replies);
        assert!(matches!(progress, Progress::Pending), "{line}");
    }
    assert_eq!(
        lines(&replies),
        [
            "CAP REQ sasl",
            "AUTHENTICATE PLAIN",
            // base64("claw\0claw\0s3cret")
            "AUTHENTICATE Y2xhdwBjbGF3AHMzY3JldA==",
            "CAP END",
        ]
    );
}

#[test]
fn sasl_failures() {
    let mut config = config();
    config.sasl = Some(SaslPlain {
        account: "claw".into(),
        password: SecretString::from("pw"),
    });
    let (mut registration, _) = Registration::start(&config);
    assert!(matches!(
        registration.on_message(&server(":srv CAP * LS :multi-prefix"), &mut Vec::new()),
        Progress::Failed(ConnectionError::SaslUnavailable)
    ));
    let (mut registration, _) = Registration::start(&config);
    assert!(matches!(
        registration.on_message(&server(":srv 904 claw :SASL failed"), &mut Vec::new()),
        Progress::Failed(ConnectionError::SaslFailed { .. })
    ));
}

#[test]
fn long_sasl_payloads_are_cut_and_terminated() {
    let sasl = SaslPlain {
        account: "a".into(),
        // 4 + 296 bytes of plain text encode to exactly 400 base64 bytes.
        password: SecretString::from("p".repeat(296)),
    };
    let mut send = Vec::new();
    authenticate_plain(&sasl, &mut send);
    assert_eq!(send.len(), 2);
    assert_eq!(send[0].param(0).len(), 400);
    assert_eq!(send[1].param(0), "+");
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let mut config = config();
    config.server_password = Some(SecretString::from("hunter2"));
    config.sasl = Some(SaslPlain {
        account: "claw".into(),
        password: SecretString::from("s3cret"),
    });
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("s3cret"),
        "{debug}"
    );
}
