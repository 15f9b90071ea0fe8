use pretty_assertions::assert_eq;

use super::*;

fn parse(line: &str) -> Message {
    Message::parse(line.as_bytes()).unwrap()
}

#[test]
fn parses_prefix_command_middle_and_trailing() {
    let message = parse(":alice!~al@example.org PRIVMSG #chan :hello there  world\r\n");
    assert_eq!(
        message.prefix,
        Some(Prefix {
            nick: "alice".into(),
            user: Some("~al".into()),
            host: Some("example.org".into()),
        })
    );
    assert_eq!(message.command, "PRIVMSG");
    assert_eq!(message.params, ["#chan", "hello there  world"]);
}

#[test]
fn tags_are_skipped() {
    let message = parse("@time=2024-01-01T00:00:00Z;msgid=abc :n!u@h PRIVMSG me :hi");
    assert_eq!(message.command, "PRIVMSG");
    assert_eq!(message.params, ["me", "hi"]);
    assert_eq!(message.prefix.unwrap().nick, "n");
    assert_eq!(parse("@a=b PING :x").params, ["x"]);
}

#[test]
fn trailing_edge_cases() {
    // An empty trailing parameter is a parameter.
    assert_eq!(parse("PRIVMSG #c :").params, ["#c", ""]);
    // A trailing parameter may itself start with a colon and hold many.
    assert_eq!(parse("PRIVMSG #c ::-) :x").params, ["#c", ":-) :x"]);
    // No trailing at all.
    assert_eq!(parse("JOIN #a,#b key").params, ["#a,#b", "key"]);
    // Runs of spaces between parameters are tolerated, trailing spaces too.
    assert_eq!(parse("MODE  #c   +o   nick  ").params, ["#c", "+o", "nick"]);
    // A colon inside a middle parameter is part of it.
    assert_eq!(parse("CAP * LS a:b").params, ["*", "LS", "a:b"]);
    // Bare LF and bare CR line endings.
    assert_eq!(parse("PING :x\n").params, ["x"]);
    assert_eq!(parse("PING :x\r").params, ["x"]);
}

#[test]
fn numerics_and_server_prefixes() {
    let message = parse(":irc.example.net 001 bot :Welcome to the network");
    assert_eq!(message.command, "001");
    assert_eq!(message.params, ["bot", "Welcome to the network"]);
    let prefix = message.prefix.unwrap();
    assert_eq!(prefix.nick, "irc.example.net");
    assert!(!prefix.is_user());
    assert_eq!(parse("privmsg a b").command, "PRIVMSG");
}

#[test]
fn prefix_forms() {
    assert_eq!(
        Prefix::parse("nick@host"),
        Prefix {
            nick: "nick".into(),
            user: None,
            host: Some("host".into()),
        }
    );
    assert_eq!(Prefix::parse("n!u@h").to_string(), "n!u@h");
    assert_eq!(Prefix::parse("n!u").user.as_deref(), Some("u"));
}

#[test]
fn refuses_lines_without_a_command() {
    for line in [
        "",
        "   ",
        ":prefix",
        ":prefix   ",
        "@tags",
        "@tags :prefix",
        "\r\n",
    ] {
        assert_eq!(
            Message::parse(line.as_bytes()),
            Err(ParseError::NoCommand),
            "{line:?}"
        );
    }
    assert!(matches!(
        Message::parse(b"12 x"),
        Err(ParseError::BadCommand { .. })
    ));
    assert!(matches!(
        Message::parse(b"PRIV-MSG x"),
        Err(ParseError::BadCommand { .. })
    ));
}

#[test]
fn invalid_utf8_is_decoded_lossily_and_nul_dropped() {
    let message = Message::parse(b":n!u@h PRIVMSG #c :caf\xe9 \xff\x00ok").unwrap();
    assert_eq!(message.params[1], "caf\u{fffd} \u{fffd}ok");
}

#[test]
fn never_panics_on_torture_input() {
    let mut rng = fastrand::Rng::with_seed(7);
    let alphabet = b" :@!#\r\n\0\x01\xff\xc3PRIVMSG001abc;=";
    for _ in 0..20_000 {
        let len = rng.usize(0..64);
        let line: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.usize(0..alphabet.len())])
            .collect();
        if let Ok(message) = Message::parse(&line) {
            // Whatever parses re-serializes or is refused with an error, never a panic.
            let _ = message.to_line();
        }
    }
}

#[test]
fn serializes_with_trailing_only_when_needed() {
    let line = Message::new("PRIVMSG", &["#chan", "hello world"])
        .to_line()
        .unwrap();
    assert_eq!(line, "PRIVMSG #chan :hello world\r\n");
    assert_eq!(
        Message::new("JOIN", &["#chan"]).to_line().unwrap(),
        "JOIN #chan\r\n"
    );
    assert_eq!(
        Message::new("PRIVMSG", &["#c", ":)"]).to_line().unwrap(),
        "PRIVMSG #c ::)\r\n"
    );
    assert_eq!(
        Message::new("PRIVMSG", &["#c", ""]).to_line().unwrap(),
        "PRIVMSG #c :\r\n"
    );
}

#[test]
fn serializing_refuses_injection_and_misplaced_trailing() {
    assert_eq!(
        Message::new("PRIVMSG", &["#c", "hi\r\nQUIT :bye"]).to_line(),
        Err(SerializeError::ForbiddenCharacter { index: 1 })
    );
    assert_eq!(
        Message::new("PRIVMSG", &["#c\0", "hi"]).to_line(),
        Err(SerializeError::ForbiddenCharacter { index: 0 })
    );
    assert_eq!(
        Message::new("PRIVMSG", &["#a b", "hi"]).to_line(),
        Err(SerializeError::MiddleParam { index: 0 })
    );
    assert_eq!(
        Message::new("PRIVMSG", &["", "hi"]).to_line(),
        Err(SerializeError::MiddleParam { index: 0 })
    );
    assert!(matches!(
        Message::new("PRIV MSG", &[]).to_line(),
        Err(SerializeError::BadCommand { .. })
    ));
}

#[test]
fn serializing_refuses_lines_over_512_bytes() {
    let fits = "x".repeat(MAX_LINE_BYTES - "PRIVMSG #c \r\n".len());
    assert_eq!(
        Message::new("PRIVMSG", &["#c", &fits])
            .to_line()
            .unwrap()
            .len(),
        MAX_LINE_BYTES
    );
    let over = format!("{fits}y");
    assert_eq!(
        Message::new("PRIVMSG", &["#c", &over]).to_line(),
        Err(SerializeError::TooLong { bytes: 513 })
    );
}

#[test]
fn round_trips() {
    for line in [
        ":n!u@h PRIVMSG #c :hello world\r\n",
        "PING irc.example.net\r\n",
        ":srv 005 me CHANTYPES=# :are supported\r\n",
        "KICK #c victim :bye now\r\n",
    ] {
        assert_eq!(parse(line).to_line().unwrap(), line);
    }
}
