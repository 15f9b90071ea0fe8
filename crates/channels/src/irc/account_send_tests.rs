use std::path::PathBuf;

use pretty_assertions::assert_eq;

use super::*;
use crate::text::{ChunkMode, IRC_TEXT_CHUNK_LIMIT};

fn settings(prefix: Option<&str>) -> TextSettings {
    TextSettings {
        chunk_limit: IRC_TEXT_CHUNK_LIMIT,
        chunk_mode: ChunkMode::Length,
        response_prefix: prefix.map(str::to_owned),
    }
}

const BUDGET: Budget<'static> = Budget {
    configured_nick: "claw",
    current_nick: None,
};

fn lines(reply: &ReplyPayload, settings: &TextSettings) -> Vec<String> {
    prepare_lines(reply, settings, &BUDGET, IrcFormatting::Plain)
        .into_iter()
        .map(|message| {
            assert_eq!(message.fallback_text, None);
            assert!(message.media.is_empty());
            message.text
        })
        .collect()
}

#[test]
fn each_line_of_a_reply_is_one_message_with_the_prefix_on_the_first() {
    let reply = ReplyPayload::text("**Done.**\n\n- one\n- two".to_owned(), None);
    assert_eq!(
        lines(&reply, &settings(Some("[bot]"))),
        ["[bot] Done.", "• one", "• two"]
    );
    // A text that starts with the prefix already does not get it twice.
    let reply = ReplyPayload::text("[bot] hi".to_owned(), None);
    assert_eq!(lines(&reply, &settings(Some("[bot]"))), ["[bot] hi"]);
}

#[test]
fn empty_replies_give_no_messages() {
    let reply = ReplyPayload::text(" \n ".to_owned(), None);
    assert!(lines(&reply, &settings(Some("[bot]"))).is_empty());
}

#[test]
fn attachments_become_lines_urls_literally_and_files_by_name() {
    let reply = ReplyPayload {
        text: String::new(),
        media: vec![
            MediaRef::Url("https://example.com/a_b*c_d.png?x=1&y=2".into()),
            MediaRef::Path(PathBuf::from("/var/lib/rustyclaw/out/report.pdf")),
        ],
        reply_to_id: None,
    };
    assert_eq!(
        lines(&reply, &settings(Some("[bot]"))),
        [
            "https://example.com/a_b*c_d.png?x=1&y=2",
            "[report.pdf: files cannot be sent over IRC]"
        ]
    );
}

#[test]
fn long_lines_fit_the_budget_for_a_longer_nick_and_a_long_target() {
    let budget = Budget {
        configured_nick: "claw",
        current_nick: Some("claw"),
    };
    // The nick may be `claw_` on the next connection, the target a 50-byte channel name.
    let payload = budget.payload_bytes();
    assert_eq!(payload, irc_payload_budget("claw_", &"#".repeat(50)));
    let reply = ReplyPayload::text("word ".repeat(400), None);
    let settings = TextSettings {
        chunk_limit: 10_000,
        ..settings(None)
    };
    let got = prepare_lines(&reply, &settings, &budget, IrcFormatting::Plain);
    assert!(got.len() > 1);
    for message in &got {
        assert!(message.text.len() <= payload, "{}", message.text.len());
    }
    // A current nick longer than the configured one counts as it is.
    let renamed = Budget {
        configured_nick: "claw",
        current_nick: Some("Guest123456"),
    };
    assert_eq!(
        renamed.payload_bytes(),
        irc_payload_budget("Guest123456", &"#".repeat(50))
    );
}

#[test]
fn mirc_formatting_is_kept_when_asked_for() {
    let reply = ReplyPayload::text("a **b**".to_owned(), None);
    let got = prepare_lines(&reply, &settings(None), &BUDGET, IrcFormatting::Mirc);
    // Formatting ends with the line on IRC: no closing code is needed.
    assert_eq!(got, [OutboundMessage::plain("a \u{2}b")]);
}

#[test]
fn fit_cuts_at_spaces_then_between_characters() {
    assert_eq!(fit("short", 10), ["short"]);
    assert_eq!(fit("", 10), [""]);
    assert_eq!(fit("aaaa bbbb cccc", 10), ["aaaa bbbb", "cccc"]);
    assert_eq!(fit("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    // Never inside a character; a budget smaller than one still moves on.
    assert_eq!(fit("éé", 3), ["é", "é"]);
    assert_eq!(fit("éé", 1), ["é", "é"]);
}
