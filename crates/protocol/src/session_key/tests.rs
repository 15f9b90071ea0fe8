use super::*;
use SessionKeyKind as K;

fn key(value: &str) -> SessionKey {
    SessionKey::parse(value).unwrap()
}

#[test]
fn agent_id_normalize_follows_upstream() {
    let cases = [
        ("", "main"),
        ("   ", "main"),
        ("Ops", "ops"),
        ("  Ops Team  ", "ops-team"),
        ("a  !!  b", "a-b"),
        ("---x---", "x"),
        ("_x!", "x"),
        ("äbc", "bc"),
        ("!!!", "main"),
        ("a--b", "a--b"),
    ];
    for (input, expected) in cases {
        assert_eq!(
            AgentId::normalize(input).as_str(),
            expected,
            "input {input:?}"
        );
    }
    let long = "a".repeat(100) + "!";
    assert_eq!(AgentId::normalize(&long).as_str(), "a".repeat(64));
}

#[test]
fn agent_id_parse_is_strict_but_case_insensitive() {
    assert_eq!(AgentId::parse("Work_2").unwrap().as_str(), "work_2");
    assert_eq!(AgentId::parse(&"a".repeat(64)).unwrap().as_str().len(), 64);
    for bad in ["", "-a", "_a", "a b", "a:b", "é", &"a".repeat(65)] {
        assert!(AgentId::parse(bad).is_err(), "{bad:?} should be rejected");
    }
    assert_eq!(AgentId::default().as_str(), "main");
}

#[test]
fn main_key() {
    let main = SessionKey::main(&AgentId::parse("work").unwrap());
    assert_eq!(main.as_str(), "agent:work:main");
    assert_eq!(main.kind(), K::Main);
    assert_eq!(main.agent_id().unwrap().as_str(), "work");
    assert_eq!(main.thread_id(), None);
}

#[test]
fn direct_keys_by_dm_scope() {
    assert_eq!(
        key("agent:main:direct:+15551234567").kind(),
        K::Direct {
            channel: None,
            account_id: None,
            peer: "+15551234567"
        }
    );
    assert_eq!(
        key("agent:main:telegram:direct:123456").kind(),
        K::Direct {
            channel: Some("telegram"),
            account_id: None,
            peer: "123456"
        }
    );
    assert_eq!(
        key("agent:main:telegram:work:direct:42").kind(),
        K::Direct {
            channel: Some("telegram"),
            account_id: Some("work"),
            peer: "42"
        }
    );
    // Legacy `dm`, and peers containing ':' (Matrix user ids).
    assert_eq!(
        key("agent:main:matrix:dm:@alice:example.org").kind(),
        K::Direct {
            channel: Some("matrix"),
            account_id: None,
            peer: "@alice:example.org"
        }
    );
}

#[test]
fn group_channel_room_and_threads() {
    assert_eq!(
        key("agent:main:telegram:group:-100123").kind(),
        K::Group {
            channel: "telegram",
            id: "-100123"
        }
    );
    assert_eq!(
        key("agent:main:slack:room:c1").kind(),
        K::Room {
            channel: "slack",
            id: "c1"
        }
    );
    let thread = key("agent:main:discord:channel:123:thread:456");
    assert_eq!(
        thread.kind(),
        K::Channel {
            channel: "discord",
            id: "123"
        }
    );
    assert_eq!(thread.thread_id(), Some("456"));
    assert_eq!(
        thread.thread_parent().unwrap().as_str(),
        "agent:main:discord:channel:123"
    );

    let topic = key("agent:main:telegram:group:-100123:topic:7");
    assert_eq!(
        topic.kind(),
        K::Group {
            channel: "telegram",
            id: "-100123"
        }
    );
    assert_eq!(topic.thread_id(), Some("7"));

    let matrix = key("agent:main:matrix:channel:!Room:example.org:thread:$Event");
    assert_eq!(
        matrix.as_str(),
        "agent:main:matrix:channel:!room:example.org:thread:$event"
    );
    assert_eq!(
        matrix.kind(),
        K::Channel {
            channel: "matrix",
            id: "!room:example.org"
        }
    );
    assert_eq!(matrix.thread_id(), Some("$event"));
    assert_eq!(key("agent:main:main:thread:9").kind(), K::Main);
}

#[test]
fn special_keys() {
    assert_eq!(
        key("agent:main:subagent:6f1c").kind(),
        K::Subagent { id: "6f1c" }
    );
    assert_eq!(key("subagent:6f1c").kind(), K::Subagent { id: "6f1c" });
    assert_eq!(
        key("cron:daily").kind(),
        K::Cron {
            job_id: "daily",
            run_id: None
        }
    );
    assert_eq!(
        key("agent:main:cron:daily:run:r1").kind(),
        K::Cron {
            job_id: "daily",
            run_id: Some("r1")
        }
    );
    assert_eq!(key("cron:daily:failure").kind(), K::Other);
    assert_eq!(key("hook:gmail:abc").kind(), K::Hook { id: "gmail:abc" });
    assert_eq!(key("acp:x1").kind(), K::Acp { id: "x1" });
    assert_eq!(key("global").kind(), K::Global);
    assert_eq!(key("global").agent_id(), None);
    assert_eq!(key("agent:main:global").kind(), K::Other);
    assert_eq!(key("agent:main:explicit:bench").kind(), K::Other);
    assert_eq!(key("agent:main:main:heartbeat").kind(), K::Other);
    assert_eq!(key("agent:main:telegram:group").kind(), K::Other);
    assert_eq!(key("main").kind(), K::Other);
}

#[test]
fn keys_are_normalized() {
    assert_eq!(
        key("  Agent:Main:Telegram:Direct:ABC ").as_str(),
        "agent:main:telegram:direct:abc"
    );
}

#[test]
fn malformed_keys_are_rejected() {
    assert_eq!(SessionKey::parse(" "), Err(SessionKeyError::Empty));
    assert!(matches!(
        SessionKey::parse("agent:main"),
        Err(SessionKeyError::MissingRest { .. })
    ));
    assert!(matches!(
        SessionKey::parse("agent::main"),
        Err(SessionKeyError::EmptySegment { .. })
    ));
    assert!(matches!(
        SessionKey::parse("agent:main:telegram:direct:"),
        Err(SessionKeyError::EmptySegment { .. })
    ));
    assert!(matches!(
        SessionKey::parse("agent:bad id:main"),
        Err(SessionKeyError::InvalidAgentId { .. })
    ));
    assert!(matches!(
        SessionKey::parse("agent:main:a\nb"),
        Err(SessionKeyError::ControlCharacter { character: '\n' })
    ));
    let long = format!("agent:main:{}", "x".repeat(MAX_SESSION_KEY_LEN));
    assert!(matches!(
        SessionKey::parse(&long),
        Err(SessionKeyError::TooLong { .. })
    ));
}

#[test]
fn serde_as_plain_string() {
    let parsed: SessionKey = serde_json::from_str("\"agent:main:main\"").unwrap();
    assert_eq!(parsed.kind(), K::Main);
    assert_eq!(
        serde_json::to_string(&parsed).unwrap(),
        "\"agent:main:main\""
    );
    assert!(serde_json::from_str::<SessionKey>("\"agent:main\"").is_err());
}
