//! The checks Telegram applies to `parse_mode: "HTML"` text, enough to reject what it rejects
//! (unknown tags, unbalanced tags, a bare `&` or `<`) with its own kind of description, and to
//! measure the visible text against the 4096-character limit.

/// The tags of Telegram's HTML subset.
const TAGS: [&str; 15] = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
];

/// The visible text of `html`, or Telegram's 400 description for it.
pub(crate) fn visible_text(html: &str) -> Result<String, String> {
    let mut visible = String::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(position) = rest.find(['<', '&']) {
        visible.push_str(&rest[..position]);
        let byte_offset = html.len() - rest.len() + position;
        let tail = &rest[position..];
        if tail.starts_with('&') {
            let Some(end) = tail.find(';').filter(|end| *end <= 10) else {
                return Err(unparsable(byte_offset, "Unmatched end of entity"));
            };
            visible.push_str(decode_entity(&tail[1..end]).ok_or_else(|| {
                unparsable(
                    byte_offset,
                    &format!("Unsupported entity \"{}\"", &tail[1..end]),
                )
            })?);
            rest = &tail[end + 1..];
            continue;
        }
        let Some(end) = tail.find('>') else {
            return Err(unparsable(byte_offset, "Unclosed start tag"));
        };
        let inner = &tail[1..end];
        if let Some(name) = inner.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            match open.pop() {
                Some(top) if top == name => {}
                _ => {
                    return Err(unparsable(
                        byte_offset,
                        &format!("Unmatched end tag \"{name}\""),
                    ));
                }
            }
        } else {
            let name = inner
                .split(|c: char| c.is_whitespace())
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if !TAGS.contains(&name.as_str()) {
                return Err(unparsable(
                    byte_offset,
                    &format!("Unsupported start tag \"{name}\""),
                ));
            }
            open.push(name);
        }
        rest = &tail[end + 1..];
    }
    visible.push_str(rest);
    match open.pop() {
        Some(name) => Err(format!(
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{name}\""
        )),
        None => Ok(visible),
    }
}

fn unparsable(byte_offset: usize, what: &str) -> String {
    format!("Bad Request: can't parse entities: {what} at byte offset {byte_offset}")
}

fn decode_entity(name: &str) -> Option<&'static str> {
    match name {
        "lt" => Some("<"),
        "gt" => Some(">"),
        "amp" => Some("&"),
        "quot" => Some("\""),
        // Numeric entities decode to one character; which one does not matter for the checks.
        numeric if numeric.starts_with('#') && numeric.len() > 1 => Some("?"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::visible_text;

    #[test]
    fn accepts_the_subset_and_rejects_what_telegram_rejects() {
        assert_eq!(
            visible_text("<b>bold</b> &amp; <a href=\"x\">link</a>").as_deref(),
            Ok("bold & link")
        );
        for bad in ["<foo>x</foo>", "<b>x", "<b>x</i>", "a & b", "1 < 2"] {
            let error = visible_text(bad).expect_err(bad);
            assert!(error.contains("can't parse entities"), "{bad}: {error}");
        }
    }
}
