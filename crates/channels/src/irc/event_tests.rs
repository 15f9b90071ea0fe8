use pretty_assertions::assert_eq;

use super::*;

fn interpret(state: &mut SessionState, line: &str) -> Option<IrcEvent> {
    state.interpret(&Message::parse(line.as_bytes()).unwrap())
}

fn message(state: &mut SessionState, line: &str) -> Option<IncomingMessage> {
    match interpret(state, line) {
        Some(IrcEvent::Message(message)) => Some(message),
        None => None,
        Some(other) => panic!("{other:?}"),
    }
}

#[test]
fn channel_and_direct_messages() {
    let mut state = SessionState::new("claw".into());
    let channel = message(&mut state, ":al!~a@h PRIVMSG #room :hi claw").unwrap();
    assert_eq!(channel.target, MessageTarget::Channel("#room".into()));
    assert_eq!(channel.text, "hi claw");
    assert_eq!(channel.from.to_string(), "al!~a@h");
    assert!(!channel.is_action && !channel.is_notice);
    assert_eq!(
        message(&mut state, ":al!~a@h PRIVMSG &local :x")
            .unwrap()
            .target,
        MessageTarget::Channel("&local".into())
    );
    assert_eq!(
        message(&mut state, ":al!~a@h PRIVMSG Claw :psst")
            .unwrap()
            .target,
        MessageTarget::Direct
    );
}

#[test]
fn chantypes_come_from_isupport() {
    let mut state = SessionState::new("claw".into());
    assert!(
        interpret(
            &mut state,
            ":srv 005 claw CHANTYPES=! NICKLEN=9 :are supported"
        )
        .is_none()
    );
    assert_eq!(
        message(&mut state, ":al!~a@h PRIVMSG #room :x")
            .unwrap()
            .target,
        MessageTarget::Direct
    );
    assert_eq!(
        message(&mut state, ":al!~a@h PRIVMSG !room :x")
            .unwrap()
            .target,
        MessageTarget::Channel("!room".into())
    );
}

#[test]
fn ctcp_action_is_kept_and_other_ctcp_dropped() {
    let mut state = SessionState::new("claw".into());
    let action = message(&mut state, ":al!~a@h PRIVMSG #room :\u{1}ACTION waves\u{1}").unwrap();
    assert!(action.is_action);
    assert_eq!(action.text, "waves");
    // Some clients omit the closing \x01.
    assert_eq!(
        message(&mut state, ":al!~a@h PRIVMSG #room :\u{1}ACTION nods")
            .unwrap()
            .text,
        "nods"
    );
    assert!(message(&mut state, ":al!~a@h PRIVMSG claw :\u{1}VERSION\u{1}").is_none());
    assert!(message(&mut state, ":al!~a@h NOTICE claw :\u{1}PING 123\u{1}").is_none());
}

#[test]
fn notices_are_flagged_and_server_notices_dropped() {
    let mut state = SessionState::new("claw".into());
    assert!(
        message(&mut state, ":al!~a@h NOTICE #room :fyi")
            .unwrap()
            .is_notice
    );
    assert!(message(&mut state, ":irc.example NOTICE claw :*** server says").is_none());
    assert!(message(&mut state, "NOTICE claw :no prefix").is_none());
}

#[test]
fn own_echoes_are_ignored_and_nick_changes_followed() {
    let mut state = SessionState::new("claw".into());
    assert!(message(&mut state, ":claw!~c@h PRIVMSG #room :echo").is_none());
    assert!(message(&mut state, ":CLAW!~c@h PRIVMSG #room :echo").is_none());
    assert!(interpret(&mut state, ":claw!~c@h NICK :claw_").is_none());
    assert_eq!(state.nick, "claw_");
    assert!(message(&mut state, ":claw_!~c@h PRIVMSG #room :echo").is_none());
    assert!(message(&mut state, ":claw!~x@h PRIVMSG #room :someone else now").is_some());
}

#[test]
fn own_joins_parts_and_kicks() {
    let mut state = SessionState::new("claw".into());
    assert!(matches!(
        interpret(&mut state, ":claw!~c@h JOIN #room"),
        Some(IrcEvent::Joined { channel }) if channel == "#room"
    ));
    assert!(interpret(&mut state, ":al!~a@h JOIN #room").is_none());
    assert!(matches!(
        interpret(&mut state, ":claw!~c@h PART #room :bye"),
        Some(IrcEvent::Parted { channel }) if channel == "#room"
    ));
    assert!(matches!(
        interpret(&mut state, ":op!~o@h KICK #room claw :behave"),
        Some(IrcEvent::Kicked { channel, by, reason })
            if channel == "#room" && by == "op" && reason == "behave"
    ));
    assert!(interpret(&mut state, ":op!~o@h KICK #room al :bye").is_none());
}

#[test]
fn rfc1459_case_mapping() {
    assert!(irc_eq("Claw[1]", "claw{1}"));
    assert!(irc_eq("a\\b~", "A|B^"));
    assert!(!irc_eq("claw", "claw_"));
}
