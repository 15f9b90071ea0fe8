use super::*;
use pretty_assertions::assert_eq;

fn plain(max_payload_bytes: usize) -> IrcOptions {
    IrcOptions {
        max_payload_bytes,
        max_payload_chars: IRC_TEXT_CHUNK_LIMIT,
        formatting: IrcFormatting::Plain,
    }
}

fn mirc(max_payload_bytes: usize) -> IrcOptions {
    IrcOptions {
        formatting: IrcFormatting::Mirc,
        ..plain(max_payload_bytes)
    }
}

fn assert_sendable(lines: &[String], options: &IrcOptions) {
    for line in lines {
        assert!(
            line.len() <= options.max_payload_bytes,
            "{} bytes: {line:?}",
            line.len()
        );
        assert!(!line.trim().is_empty(), "{line:?}");
        assert!(!line.contains(['\r', '\n', '\0', '\u{1}']), "{line:?}");
        let visible: String = line.chars().filter(|c| !c.is_control()).collect();
        assert!(utf16_len(&visible) <= options.max_payload_chars, "{line:?}");
    }
}

#[test]
fn the_budget_leaves_room_for_the_worst_relay_prefix() {
    // ":bot!@ " + 11 + 63, "PRIVMSG #room :" and CRLF.
    assert_eq!(
        irc_payload_budget("bot", "#room"),
        512 - (7 + 74) - (15 + 2)
    );
    assert_eq!(irc_payload_budget(&"n".repeat(600), "#x"), 0);
}

#[test]
fn renders_markdown_as_plain_lines() {
    let markdown = "\
# Title

Some **bold** and a [link](https://en.wikipedia.org/wiki/Rust_(programming_language)).


- one
- two

```sh
cargo build \\
\t--release
```

> quoted";
    let lines = irc_lines(markdown, &plain(400));
    assert_sendable(&lines, &plain(400));
    insta::assert_snapshot!(lines.join("\n"), @r"
    Title
    Some bold and a link (https://en.wikipedia.org/wiki/Rust_(programming_language)).
    • one
    • two
    cargo build \
        --release
    quoted
    ");
}

#[test]
fn mirc_codes_carry_styles_and_reopen_after_a_cut() {
    let lines = irc_lines("# Head\n\n**bold** _it_ ~~gone~~ `mono`", &mirc(400));
    assert_eq!(
        lines,
        vec![
            "\u{2}Head".to_owned(),
            "\u{2}bold\u{2} \u{1D}it\u{1D} \u{1E}gone\u{1E} \u{11}mono".to_owned(),
        ]
    );
    let options = mirc(12);
    let lines = irc_lines("**one two three four**", &options);
    assert_sendable(&lines, &options);
    assert_eq!(lines, vec!["\u{2}one two", "\u{2}three four"]);
}

#[test]
fn long_lines_split_at_spaces_within_the_byte_budget() {
    let options = plain(20);
    let lines = irc_lines("alpha beta gamma delta epsilon zeta eta theta", &options);
    assert_sendable(&lines, &options);
    assert_eq!(
        lines,
        vec!["alpha beta gamma", "delta epsilon zeta", "eta theta"]
    );
    // A space only in the first half is not used: the cut is hard.
    let lines = irc_lines("ab cdefghijklmnopqrstuvwxyz", &plain(10));
    assert_eq!(lines, vec!["ab cdefghi", "jklmnopqrs", "tuvwxyz"]);
}

#[test]
fn the_character_cap_applies_too() {
    let options = IrcOptions {
        max_payload_chars: 10,
        ..plain(400)
    };
    let lines = irc_lines(&"a".repeat(25), &options);
    assert_eq!(lines, vec!["a".repeat(10), "a".repeat(10), "a".repeat(5)]);
}

#[test]
fn multibyte_text_is_cut_between_characters_and_clusters() {
    let options = plain(20);
    // Three bytes a char: six fit in 20 bytes.
    let lines = irc_lines(&"漢".repeat(14), &options);
    assert_sendable(&lines, &options);
    assert_eq!(lines, vec!["漢".repeat(6), "漢".repeat(6), "漢".repeat(2)]);
    // Four-byte emoji: five fit.
    let lines = irc_lines(&"😀".repeat(7), &options);
    assert_eq!(lines, vec!["😀".repeat(5), "😀".repeat(2)]);
    // A 25-byte family emoji that would straddle the cut moves whole to the next payload.
    let family = "👨‍👩‍👧‍👦";
    let options = plain(30);
    let lines = irc_lines(&format!("{}{family}tail", "x".repeat(10)), &options);
    assert_eq!(lines, vec!["x".repeat(10), format!("{family}tail")]);
    // Combining marks stay with their base.
    let lines = irc_lines(&format!("{}e\u{301}tail", "x".repeat(9)), &plain(10));
    assert_eq!(lines, vec!["x".repeat(9), "e\u{301}tail".to_owned()]);
}

#[test]
fn a_cluster_bigger_than_the_budget_is_cut_between_its_chars() {
    let family = "👨‍👩‍👧‍👦";
    let options = plain(12);
    let lines = irc_lines(family, &options);
    assert_sendable(&lines, &options);
    assert_eq!(lines.concat(), family);
}

#[test]
fn blank_lines_are_not_sent_and_indentation_is_kept() {
    let lines = irc_lines(
        "```\n    indented\n\n\n  two\n```\n\n\n\nafter",
        &plain(100),
    );
    assert_eq!(lines, vec!["    indented", "  two", "after"]);
}

#[test]
fn control_characters_cannot_escape_the_line() {
    let options = plain(100);
    let lines = irc_lines(
        "hi\u{1}ACTION waves\u{1}\r\nQUIT :bye\u{0} \u{3}4red\u{7f}",
        &options,
    );
    assert_sendable(&lines, &options);
    assert_eq!(lines, vec!["hiACTION waves", "QUIT :bye 4red"]);
    // Formatting codes written by the model are stripped too; only ours remain.
    assert_eq!(irc_lines("\u{2}x\u{1D}", &mirc(100)), vec!["x"]);
}

#[test]
fn nothing_visible_gives_no_lines() {
    assert!(irc_lines("", &plain(100)).is_empty());
    assert!(irc_lines("\n \n\t\n", &plain(100)).is_empty());
    assert!(irc_lines("---", &plain(100)).is_empty());
}
