//! What a run's block stream already sent of its reply, and what the final reply (or a
//! restart's recovery) still has to say: the part of the model's last message the blocks did
//! not cover, with the `MEDIA:` lines they held back and a code fence they left open.

use rustyclaw_protocol::reply::ReplyPayload;

/// What a run's blocks said of its last message, for the final reply to say the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Streamed {
    /// The raw text of the message the queued blocks covered.
    pub covered: String,
    /// A code fence the last block closed, to reopen in the rest.
    pub reopen: Option<String>,
    /// `MEDIA:` lines held back from the blocks.
    pub media_lines: Vec<String>,
}

/// What the final reply `text` still has to say after blocks covered `streamed`; `None` when
/// the blocks did not cover its beginning (another message streamed, or nothing did): then the
/// reply is said whole.
pub(crate) fn remainder(text: &str, streamed: &Streamed) -> Option<String> {
    let covered = streamed.covered.trim_start();
    if covered.is_empty() {
        return None;
    }
    let rest = text
        .strip_prefix(covered)
        .or_else(|| text.strip_prefix(covered.trim_end()))?;
    let mut out = streamed.media_lines.join("\n");
    let rest = rest.trim();
    if !rest.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(streamed.reopen.as_deref().unwrap_or(""));
        out.push_str(rest);
    }
    Some(out)
}

/// The reply without what blocks already sent: the first payload keeps only the rest of its
/// text (and no longer quotes the message, which the first block did); nothing is left when
/// the blocks said it all.
pub(crate) fn without_streamed(
    mut payloads: Vec<ReplyPayload>,
    streamed: &Streamed,
) -> Vec<ReplyPayload> {
    let Some(first) = payloads.first_mut() else {
        return payloads;
    };
    let Some(rest) = remainder(&first.text, streamed) else {
        return payloads;
    };
    first.text = rest;
    first.reply_to_id = None;
    if first.text.trim().is_empty() && first.media.is_empty() {
        payloads.remove(0);
    }
    payloads
}

#[cfg(test)]
mod tests {
    use rustyclaw_protocol::origin::MessageId;

    use super::*;

    fn streamed(covered: &str) -> Streamed {
        Streamed {
            covered: covered.to_owned(),
            ..Streamed::default()
        }
    }

    #[test]
    fn the_final_reply_says_only_what_the_blocks_did_not() {
        let text = "First paragraph.\n\nSecond paragraph.\n\nThe end.";
        assert_eq!(
            remainder(text, &streamed("First paragraph.\n\n")).as_deref(),
            Some("Second paragraph.\n\nThe end.")
        );
        assert_eq!(
            remainder(text, &streamed(&format!("{text}\n"))).as_deref(),
            Some("")
        );
        // Leading whitespace the reply lost in trimming still matches.
        assert_eq!(
            remainder(text, &streamed("\n First paragraph.")).as_deref(),
            Some("Second paragraph.\n\nThe end.")
        );
        // Blocks of another message (a preamble before a tool call), or none: the reply whole.
        assert_eq!(remainder(text, &streamed("Let me look.\n\n")), None);
        assert_eq!(remainder(text, &streamed("")), None);
    }

    #[test]
    fn held_back_media_and_a_cut_code_block_ride_with_the_rest() {
        let text = "```sh\nls\nls\n```\nDone.";
        let streamed = Streamed {
            covered: "```sh\nls\n".to_owned(),
            reopen: Some("```sh\n".to_owned()),
            media_lines: vec!["MEDIA:./cat.png".to_owned()],
        };
        assert_eq!(
            remainder(text, &streamed).as_deref(),
            Some("MEDIA:./cat.png\n```sh\nls\n```\nDone.")
        );
    }

    #[test]
    fn a_reply_partly_streamed_in_blocks_sends_only_the_rest_unquoted() {
        let streamed = Streamed {
            covered: "One.\n\n".to_owned(),
            ..Streamed::default()
        };
        let reply = ReplyPayload::text("One.\n\nTwo.".to_owned(), Some(MessageId::new("9")));
        let rest = without_streamed(vec![reply.clone()], &streamed);
        assert_eq!(rest.len(), 1);
        assert_eq!(
            (rest[0].text.as_str(), &rest[0].reply_to_id),
            ("Two.", &None)
        );
        // Everything said already: nothing is left to send.
        let all = Streamed {
            covered: "One.\n\nTwo.".to_owned(),
            ..Streamed::default()
        };
        assert!(without_streamed(vec![reply.clone()], &all).is_empty());
        // Blocks of another message: the reply whole.
        let other = Streamed {
            covered: "Looking.".to_owned(),
            ..Streamed::default()
        };
        assert_eq!(without_streamed(vec![reply.clone()], &other), vec![reply]);
    }
}
