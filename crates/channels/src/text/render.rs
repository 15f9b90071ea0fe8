//! IR to platform text: Telegram's HTML and plain text.
//!
//! The HTML renderer walks the span boundaries with a stack of open tags. Spans from the parser
//! nest, but the renderer does not rely on it: when a span ends below others still open, those
//! are closed and reopened around the close, so its output is balanced for any spans.

use super::ir::{Ir, Style, StyleSpan};

/// Escapes text for Telegram's HTML parse mode: `&`, `<` and `>`.
pub(crate) fn escape_html(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// Escapes an attribute value: the text escapes plus `"`.
fn escape_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            c => escape_html(c.encode_utf8(&mut [0; 4]), &mut out),
        }
    }
    out
}

/// Link targets Telegram turns into a link; anything else keeps only its label (OpenClaw's
/// `isTelegramRichLinkHref`).
pub(crate) fn telegram_href_allowed(href: &str) -> bool {
    let lower = href.to_ascii_lowercase();
    ["http://", "https://", "tg://", "mailto:", "tel:", "#"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

struct Marker {
    start: usize,
    end: usize,
    rank: u8,
    open: String,
    close: &'static str,
}

fn style_marker(span: &StyleSpan) -> Marker {
    let (open, close) = match span.style {
        Style::Blockquote => ("<blockquote>".to_owned(), "</blockquote>"),
        Style::CodeBlock => (
            match &span.language {
                Some(lang) => format!("<pre><code class=\"language-{}\">", escape_attr(lang)),
                None => "<pre><code>".to_owned(),
            },
            "</code></pre>",
        ),
        Style::Bold => ("<b>".to_owned(), "</b>"),
        Style::Italic => ("<i>".to_owned(), "</i>"),
        Style::Strikethrough => ("<s>".to_owned(), "</s>"),
        Style::Code => ("<code>".to_owned(), "</code>"),
    };
    let rank = match span.style {
        Style::Blockquote => 0,
        Style::CodeBlock => 1,
        Style::Bold => 3,
        Style::Italic => 4,
        Style::Strikethrough => 5,
        Style::Code => 6,
    };
    Marker {
        start: span.start,
        end: span.end,
        rank,
        open,
        close,
    }
}

/// Renders the IR as Telegram HTML (parse mode `HTML`).
pub(crate) fn telegram_html(ir: &Ir) -> String {
    let mut markers: Vec<Marker> = ir.styles.iter().map(style_marker).collect();
    markers.extend(
        ir.links
            .iter()
            .filter(|link| telegram_href_allowed(&link.href))
            .map(|link| Marker {
                start: link.start,
                end: link.end,
                rank: 2,
                open: format!("<a href=\"{}\">", escape_attr(&link.href)),
                close: "</a>",
            }),
    );
    markers.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end), m.rank));

    let mut points: Vec<usize> = markers.iter().flat_map(|m| [m.start, m.end]).collect();
    points.push(ir.text.len());
    points.sort_unstable();
    points.dedup();

    let mut out = String::with_capacity(ir.text.len() + ir.text.len() / 8);
    let mut stack: Vec<&Marker> = Vec::new();
    let mut next_marker = markers.iter().peekable();
    let mut pos = 0;
    for point in points {
        if point > pos {
            escape_html(ir.text.get(pos..point).unwrap_or_default(), &mut out);
            pos = point;
        }
        // Close every span ending here; spans above one that ends are closed and reopened.
        if let Some(lowest) = stack.iter().position(|m| m.end <= point) {
            let above: Vec<&Marker> = stack.drain(lowest..).collect();
            for marker in above.iter().rev() {
                out.push_str(marker.close);
            }
            for marker in above.into_iter().filter(|m| m.end > point) {
                out.push_str(&marker.open);
                stack.push(marker);
            }
        }
        while let Some(marker) = next_marker.next_if(|m| m.start <= point) {
            if marker.end > point {
                out.push_str(&marker.open);
                stack.push(marker);
            }
        }
    }
    for marker in stack.iter().rev() {
        out.push_str(marker.close);
    }
    out
}

/// Renders the IR as plain text: the visible text, the target of each link that `shown` accepts
/// added after its label as ` (url)` unless the label already is the url (OpenClaw's
/// `stripMarkdown` link style).
pub(crate) fn plain(ir: &Ir, shown: fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(ir.text.len());
    let mut pos = 0;
    for (end, suffix) in link_suffixes(ir, shown) {
        out.push_str(ir.text.get(pos..end).unwrap_or_default());
        out.push_str(&suffix);
        pos = end;
    }
    out.push_str(ir.text.get(pos..).unwrap_or_default());
    out
}

/// Every link target is worth showing in plain text.
pub(crate) fn every_link(_href: &str) -> bool {
    true
}

/// Where the ` (url)` of each link that `shown` accepts goes: after its label, in text order.
pub(crate) fn link_suffixes(ir: &Ir, shown: fn(&str) -> bool) -> Vec<(usize, String)> {
    let mut suffixes: Vec<(usize, String)> = ir
        .links
        .iter()
        .filter(|link| shown(&link.href))
        .filter_map(|link| {
            let label = ir.text.get(link.start..link.end)?.trim();
            let href = link.href.trim();
            let bare = href.strip_prefix("mailto:").unwrap_or(href);
            (!label.is_empty() && label != href && label != bare)
                .then(|| (link.end, format!(" ({href})")))
        })
        .collect();
    suffixes.sort_by_key(|(end, _)| *end);
    suffixes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::ir::LinkSpan;
    use pretty_assertions::assert_eq;

    fn span(start: usize, end: usize, style: Style) -> StyleSpan {
        StyleSpan {
            start,
            end,
            style,
            language: None,
        }
    }

    #[test]
    fn overlapping_spans_still_render_balanced_tags() {
        let ir = Ir {
            text: "abcdef".to_owned(),
            styles: vec![span(0, 4, Style::Bold), span(2, 6, Style::Italic)],
            links: vec![],
        };
        assert_eq!(telegram_html(&ir), "<b>ab<i>cd</i></b><i>ef</i>");
    }

    #[test]
    fn a_span_ending_under_another_reopens_the_outer_one() {
        let ir = Ir {
            text: "abcdef".to_owned(),
            styles: vec![span(0, 6, Style::Italic), span(0, 3, Style::Bold)],
            links: vec![LinkSpan {
                start: 1,
                end: 5,
                href: "https://x.test/?a=1&b=\"2\"".to_owned(),
            }],
        };
        assert_eq!(
            telegram_html(&ir),
            "<i><b>a<a href=\"https://x.test/?a=1&amp;b=&quot;2&quot;\">bc</a></b>\
             <a href=\"https://x.test/?a=1&amp;b=&quot;2&quot;\">de</a>f</i>"
        );
    }

    #[test]
    fn links_without_a_telegram_scheme_keep_only_their_label() {
        let ir = Ir {
            text: "run it".to_owned(),
            styles: vec![],
            links: vec![LinkSpan {
                start: 0,
                end: 3,
                href: "javascript:alert(1)".to_owned(),
            }],
        };
        assert_eq!(telegram_html(&ir), "run it");
        assert_eq!(plain(&ir, every_link), "run (javascript:alert(1)) it");
        assert_eq!(plain(&ir, telegram_href_allowed), "run it");
    }
}
