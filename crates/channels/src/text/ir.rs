//! Markdown parsed into what every renderer starts from: visible text plus style and link spans.
//!
//! This is OpenClaw's markdown IR (`markdownToIR`): block structure becomes text (list bullets
//! `• ` and `1. `, nested items indented two spaces per level, a blank line between blocks,
//! code block contents with their newline), inline structure becomes spans over that text.
//! Because the spans come from one CommonMark parse (`pulldown-cmark`), they nest properly and
//! unbalanced markdown (`**bold` without its closer) is already plain text here.
//!
//! Raw HTML in the reply stays literal text (renderers escape it); tables are not parsed and
//! pass through as their source lines, like OpenClaw's `tables: off`.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::units::normalize_newlines;

/// A style over a range of the text. The order is the nesting rank: at the same start, an
/// earlier style opens outside a later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Style {
    Blockquote,
    CodeBlock,
    Bold,
    Italic,
    Strikethrough,
    Code,
}

/// A styled range `[start, end)` of [`Ir::text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StyleSpan {
    pub start: usize,
    pub end: usize,
    pub style: Style,
    /// The first word of a fenced code block's info string.
    pub language: Option<String>,
}

/// A link over the range `[start, end)` of [`Ir::text`], its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinkSpan {
    pub start: usize,
    pub end: usize,
    pub href: String,
}

/// Visible text with its styles and links; offsets are bytes into `text`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Ir {
    pub text: String,
    pub styles: Vec<StyleSpan>,
    pub links: Vec<LinkSpan>,
}

/// What differs between channels when parsing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IrOptions {
    /// The text a thematic break (`---`) becomes; empty drops it.
    pub rule_text: &'static str,
}

impl Ir {
    /// The part `[start, end)` with its spans clipped to it and shifted to start at 0.
    pub fn slice(&self, start: usize, end: usize) -> Ir {
        let clip = |s: usize, e: usize| {
            let (s, e) = (s.max(start), e.min(end));
            (s < e).then(|| (s - start, e - start))
        };
        Ir {
            text: self.text.get(start..end).unwrap_or_default().to_owned(),
            styles: self
                .styles
                .iter()
                .filter_map(|span| {
                    clip(span.start, span.end).map(|(s, e)| StyleSpan {
                        start: s,
                        end: e,
                        style: span.style,
                        language: span.language.clone(),
                    })
                })
                .collect(),
            links: self
                .links
                .iter()
                .filter_map(|link| {
                    clip(link.start, link.end).map(|(s, e)| LinkSpan {
                        start: s,
                        end: e,
                        href: link.href.clone(),
                    })
                })
                .collect(),
        }
    }

    /// Whether `pos` is inside code (a code block or an inline code span), where whitespace is
    /// content and a cut must not drop it.
    pub fn in_code(&self, pos: usize) -> bool {
        self.styles.iter().any(|span| {
            matches!(span.style, Style::CodeBlock | Style::Code)
                && span.start <= pos
                && pos < span.end
        })
    }
}

/// Parses `markdown` into its IR.
pub(crate) fn parse(markdown: &str, options: &IrOptions) -> Ir {
    let source = normalize_newlines(markdown);
    // `~x~` would be strikethrough in pulldown-cmark but is literal in OpenClaw's parser;
    // enabling subscripts claims the single tilde so it can be put back as text.
    let parser = Parser::new_ext(
        &source,
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SUBSCRIPT,
    );
    let mut builder = Builder::new(options);
    for event in parser {
        builder.event(event);
    }
    builder.finish()
}

struct ListState {
    ordered: bool,
    next: u64,
}

struct Builder {
    rule_text: &'static str,
    ir: Ir,
    open: Vec<(Style, usize)>,
    link_stack: Vec<(String, usize)>,
    lists: Vec<ListState>,
    /// The code block being read: its language and its text.
    code: Option<(Option<String>, String)>,
}

impl Builder {
    fn new(options: &IrOptions) -> Self {
        Self {
            rule_text: options.rule_text,
            ir: Ir::default(),
            open: Vec::new(),
            link_stack: Vec::new(),
            lists: Vec::new(),
            code: None,
        }
    }

    fn len(&self) -> usize {
        self.ir.text.len()
    }

    fn push(&mut self, text: &str) {
        match &mut self.code {
            Some((_, code)) => code.push_str(text),
            None => self.ir.text.push_str(text),
        }
    }

    fn line_start(&mut self) {
        if !self.ir.text.is_empty() && !self.ir.text.ends_with('\n') {
            self.ir.text.push('\n');
        }
    }

    fn blank_line(&mut self) {
        if self.ir.text.is_empty() {
            return;
        }
        self.line_start();
        if !self.ir.text.ends_with("\n\n") {
            self.ir.text.push('\n');
        }
    }

    fn open_style(&mut self, style: Style) {
        let start = self.len();
        self.open.push((style, start));
    }

    fn close_style(&mut self, style: Style) {
        let Some(index) = self.open.iter().rposition(|(s, _)| *s == style) else {
            return;
        };
        let (_, start) = self.open.remove(index);
        // A quote's span stops before the blank line that separates its last block from the
        // next one.
        let end = match style {
            Style::Blockquote => self.ir.text.trim_end_matches('\n').len().max(start),
            _ => self.len(),
        };
        if end > start {
            self.ir.styles.push(StyleSpan {
                start,
                end,
                style,
                language: None,
            });
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) | Event::InlineMath(text) | Event::DisplayMath(text) => {
                self.push(&text);
            }
            Event::Html(html) | Event::InlineHtml(html) => self.push(&html),
            Event::Code(code) => {
                let start = self.len();
                self.push(&code);
                if self.len() > start {
                    self.ir.styles.push(StyleSpan {
                        start,
                        end: self.len(),
                        style: Style::Code,
                        language: None,
                    });
                }
            }
            Event::SoftBreak | Event::HardBreak => self.push("\n"),
            Event::Rule => {
                if !self.rule_text.is_empty() {
                    self.line_start();
                    self.push(self.rule_text);
                    self.blank_line();
                }
            }
            Event::TaskListMarker(done) => self.push(if done { "[x] " } else { "[ ] " }),
            Event::FootnoteReference(label) => self.push(&format!("[^{label}]")),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Heading { .. } => {
                self.line_start();
                self.open_style(Style::Bold);
            }
            Tag::BlockQuote(_) => {
                self.line_start();
                self.open_style(Style::Blockquote);
            }
            Tag::CodeBlock(kind) => {
                self.line_start();
                let language = match kind {
                    CodeBlockKind::Fenced(info) => info
                        .split_whitespace()
                        .next()
                        .map(str::to_owned)
                        .filter(|lang| !lang.is_empty()),
                    CodeBlockKind::Indented => None,
                };
                self.code = Some((language, String::new()));
            }
            Tag::List(first) => {
                self.line_start();
                self.lists.push(ListState {
                    ordered: first.is_some(),
                    next: first.unwrap_or(1),
                });
            }
            Tag::Item => {
                self.line_start();
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(list) if list.ordered => {
                        let number = list.next;
                        list.next = list.next.saturating_add(1);
                        format!("{number}. ")
                    }
                    _ => "• ".to_owned(),
                };
                self.push(&"  ".repeat(depth));
                self.push(&marker);
            }
            Tag::Emphasis => self.open_style(Style::Italic),
            Tag::Strong => self.open_style(Style::Bold),
            Tag::Strikethrough => self.open_style(Style::Strikethrough),
            Tag::Subscript => self.push("~"),
            Tag::Superscript => self.push("^"),
            Tag::Link { dest_url, .. } => {
                let start = self.len();
                self.link_stack.push((dest_url.trim().to_owned(), start));
            }
            Tag::Paragraph
            | Tag::HtmlBlock
            | Tag::Image { .. }
            | Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::Table(_)
            | Tag::TableHead
            | Tag::TableRow
            | Tag::TableCell
            | Tag::MetadataBlock(_) => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::HtmlBlock => self.blank_line(),
            TagEnd::Heading(_) => {
                self.close_style(Style::Bold);
                self.blank_line();
            }
            TagEnd::BlockQuote(_) => {
                self.close_style(Style::Blockquote);
                self.blank_line();
            }
            TagEnd::CodeBlock => {
                let Some((language, mut code)) = self.code.take() else {
                    return;
                };
                if !code.ends_with('\n') {
                    code.push('\n');
                }
                let start = self.len();
                self.ir.text.push_str(&code);
                self.ir.styles.push(StyleSpan {
                    start,
                    end: self.len(),
                    style: Style::CodeBlock,
                    language,
                });
                if self.lists.is_empty() {
                    self.blank_line();
                }
            }
            TagEnd::List(_) => {
                self.lists.pop();
                if self.lists.is_empty() {
                    self.blank_line();
                }
            }
            TagEnd::Item => self.line_start(),
            TagEnd::Emphasis => self.close_style(Style::Italic),
            TagEnd::Strong => self.close_style(Style::Bold),
            TagEnd::Strikethrough => self.close_style(Style::Strikethrough),
            TagEnd::Subscript => self.push("~"),
            TagEnd::Superscript => self.push("^"),
            TagEnd::Link => {
                if let Some((href, start)) = self.link_stack.pop() {
                    let end = self.len();
                    if !href.is_empty() && end > start {
                        self.ir.links.push(LinkSpan { start, end, href });
                    }
                }
            }
            TagEnd::Image
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::Table
            | TagEnd::TableHead
            | TagEnd::TableRow
            | TagEnd::TableCell
            | TagEnd::MetadataBlock(_) => {}
        }
    }

    fn finish(mut self) -> Ir {
        while let Some((style, _)) = self.open.last().copied() {
            self.close_style(style);
        }
        // Trailing blank lines go, but never a code block's own text.
        let code_end = self
            .ir
            .styles
            .iter()
            .filter(|s| matches!(s.style, Style::CodeBlock | Style::Code))
            .map(|s| s.end)
            .max()
            .unwrap_or(0);
        let keep = self.ir.text.trim_end().len().max(code_end);
        self.ir.text.truncate(keep);
        for span in &mut self.ir.styles {
            span.end = span.end.min(keep);
        }
        for link in &mut self.ir.links {
            link.end = link.end.min(keep);
        }
        self.ir.styles.retain(|s| s.start < s.end);
        self.ir.links.retain(|l| l.start < l.end);
        self.ir.styles = merge_styles(std::mem::take(&mut self.ir.styles));
        self.ir.links.sort_by_key(|l| l.start);
        self.ir
    }
}

/// Spans of one style that overlap (or touch, but for quotes) become one, as OpenClaw's
/// `mergeStyleSpans` does: `**a****b**` is one bold run, and quotes nested in quotes are one
/// quote (Telegram rejects nested blockquotes).
fn merge_styles(mut spans: Vec<StyleSpan>) -> Vec<StyleSpan> {
    spans.sort_by(|a, b| {
        (a.style, &a.language, a.start, a.end).cmp(&(b.style, &b.language, b.start, b.end))
    });
    let mut merged: Vec<StyleSpan> = Vec::with_capacity(spans.len());
    for span in spans {
        if let Some(last) = merged.last_mut() {
            let same = last.style == span.style && last.language == span.language;
            let joins = span.start < last.end
                || (span.start == last.end && span.style != Style::Blockquote);
            if same && joins {
                last.end = last.end.max(span.end);
                continue;
            }
        }
        merged.push(span);
    }
    merged.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end), s.style));
    merged
}

#[cfg(test)]
#[path = "ir_tests.rs"]
mod tests;
