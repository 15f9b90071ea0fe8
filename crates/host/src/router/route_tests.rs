use pretty_assertions::assert_eq;
use rustyclaw_config::{Config, Env, LocationOverrides, Locations};
use rustyclaw_protocol::session_entry::{ChatType, ThreadId};

use super::*;

/// The config `json` loads to.
pub(crate) fn config(json: &str) -> Config {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("openclaw.json"), json).unwrap();
    let overrides = LocationOverrides {
        state_dir: Some(dir.path().to_path_buf()),
        config: None,
    };
    let env = Env::from_pairs([("HOME", dir.path().to_str().unwrap())]);
    let locations = Locations::resolve(&overrides, &env).unwrap();
    rustyclaw_config::load(&locations, &env).unwrap().config
}

fn dm<'a>(channel: &'a str, account: &'a str, sender: &'a str) -> RouteRequest<'a> {
    RouteRequest {
        channel,
        account,
        chat_kind: ChatType::Direct,
        chat_id: sender,
        sender_id: Some(sender),
        thread_id: None,
    }
}

fn group<'a>(channel: &'a str, chat: &'a str, thread: Option<&'a ThreadId>) -> RouteRequest<'a> {
    RouteRequest {
        channel,
        account: "default",
        chat_kind: ChatType::Group,
        chat_id: chat,
        sender_id: Some("7"),
        thread_id: thread,
    }
}

fn key(config: &Config, request: &RouteRequest<'_>) -> String {
    route(config, request).session_key.as_str().to_owned()
}

#[test]
fn direct_messages_follow_the_dm_scope() {
    let main = config("{}");
    assert_eq!(
        key(&main, &dm("telegram", "default", "42")),
        "agent:main:main"
    );
    for (scope, expected) in [
        ("per-peer", "agent:main:direct:42"),
        ("per-channel-peer", "agent:main:telegram:direct:42"),
        (
            "per-account-channel-peer",
            "agent:main:telegram:work:direct:42",
        ),
    ] {
        let config = config(&format!(r#"{{"session": {{"dmScope": "{scope}"}}}}"#));
        assert_eq!(
            key(&config, &dm("telegram", "work", "42")),
            expected,
            "{scope}"
        );
    }
}

#[test]
fn identity_links_give_one_person_one_session_across_channels() {
    let config = config(
        r#"{"session": {"dmScope": "per-peer",
            "identityLinks": {"ada": ["telegram:42", "irc:Ada"]}}}"#,
    );
    assert_eq!(
        key(&config, &dm("telegram", "default", "42")),
        "agent:main:direct:ada"
    );
    assert_eq!(
        key(&config, &dm("irc", "default", "ada")),
        "agent:main:direct:ada"
    );
    assert_eq!(
        key(&config, &dm("irc", "default", "bob")),
        "agent:main:direct:bob"
    );
}

#[test]
fn groups_topics_and_threads_have_their_own_sessions() {
    let config = config("{}");
    assert_eq!(
        key(&config, &group("telegram", "-100123", None)),
        "agent:main:telegram:group:-100123"
    );
    let topic = ThreadId::Number(42);
    assert_eq!(
        key(&config, &group("telegram", "-100123", Some(&topic))),
        "agent:main:telegram:group:-100123:topic:42"
    );
    assert_eq!(
        key(&config, &group("irc", "#Ops", None)),
        "agent:main:irc:group:#ops"
    );
    let thread = ThreadId::Text("987".into());
    assert_eq!(
        key(&config, &group("slack", "C1", Some(&thread))),
        "agent:main:slack:group:c1:thread:987"
    );
    let merged = super::tests::config(r#"{"session": {"groupScope": "main"}}"#);
    assert_eq!(key(&merged, &group("irc", "#ops", None)), "agent:main:main");
}

#[test]
fn bindings_pick_the_agent_by_tier() {
    let config = config(
        r##"{
        "agents": {"list": [{"id": "main", "default": true}, {"id": "ops"}, {"id": "work"}, {"id": "any"}]},
        "bindings": [
            {"agentId": "any", "match": {"channel": "telegram", "accountId": "*"}},
            {"agentId": "work", "match": {"channel": "telegram", "accountId": "work"}},
            {"agentId": "ops", "match": {"channel": "irc", "peer": {"kind": "group", "id": "#ops"}},
             "session": {"groupScope": "main"}},
            {"agentId": "ops", "match": {"channel": "telegram", "peer": {"kind": "group", "id": "-100123"}}}
        ]}"##,
    );
    let routed = route(&config, &group("irc", "#OPS", None));
    assert_eq!(
        (
            routed.agent_id.as_str(),
            routed.session_key.as_str(),
            routed.matched_by
        ),
        ("ops", "agent:ops:main", "binding.peer")
    );
    // A topic of a bound group is bound with it.
    let topic = ThreadId::Number(9);
    assert_eq!(
        route(&config, &group("telegram", "-100123", Some(&topic)))
            .agent_id
            .as_str(),
        "ops"
    );
    // The account tier beats the channel tier; a binding without accountId is the default
    // account's only.
    assert_eq!(
        route(&config, &dm("telegram", "work", "1"))
            .agent_id
            .as_str(),
        "work"
    );
    let other = route(&config, &dm("telegram", "alerts", "1"));
    assert_eq!(
        (other.agent_id.as_str(), other.matched_by),
        ("any", "binding.channel")
    );
    let unbound = route(&config, &group("irc", "#random", None));
    assert_eq!(
        (unbound.agent_id.as_str(), unbound.matched_by),
        ("main", "default")
    );
}
