//! Readable text from HTML: the page title plus its main content as markdown or plain text.
//!
//! The page is parsed with html5ever (the HTML standard's algorithm, so broken markup ends up
//! where a browser would put it), the main content is chosen (`<main>` or the largest
//! `<article>` when they hold most of the text, else `<body>`), and a walker renders it:
//! scripts, styles, navigation, forms, asides and hidden elements are dropped, page headers and
//! footers outside the main content too; headings, lists, quotes, code blocks, tables, links
//! (resolved against the page URL) and images become markdown, or plain text in text mode.
//! Nesting deeper than [`MAX_DEPTH`] is flattened to its text, so a hostile page cannot exhaust
//! the stack.

use std::rc::Rc;

use html5ever::tendril::TendrilSink;
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use reqwest::Url;

/// Elements nested deeper than this are rendered as plain text without further structure.
pub const MAX_DEPTH: usize = 128;

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Markdown.
    Markdown,
    /// Plain text.
    Text,
}

/// What was extracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The `<title>`, whitespace-collapsed.
    pub title: Option<String>,
    /// The rendered main content.
    pub text: String,
}

/// Extracts the title and main content of `html`; `base` resolves relative links.
pub fn extract(html: &str, base: Option<&Url>, mode: Mode) -> Extracted {
    let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(html);
    let title = find_first(&dom.document, "title")
        .map(|t| collapse(&text_content(&t)))
        .filter(|t| !t.is_empty());
    let root = main_content(&dom.document);
    let root_name = tag(&root).unwrap_or_default();
    let mut renderer = Renderer {
        mode,
        base,
        in_content: root_name != "body" && root_name != "html" && !root_name.is_empty(),
        depth: 0,
    };
    let mut out = Out::default();
    renderer.children(&root, &mut out);
    Extracted {
        title,
        text: tidy(&out.buf),
    }
}

/// The element's local name, `None` for other nodes.
fn tag(node: &Handle) -> Option<String> {
    match &node.data {
        NodeData::Element { name, .. } => Some(name.local.to_string()),
        _ => None,
    }
}

fn attr(node: &Handle, key: &str) -> Option<String> {
    match &node.data {
        NodeData::Element { attrs, .. } => attrs
            .borrow()
            .iter()
            .find(|a| &*a.name.local == key)
            .map(|a| a.value.to_string()),
        _ => None,
    }
}

fn children(node: &Handle) -> Vec<Handle> {
    node.children.borrow().iter().map(Rc::clone).collect()
}

fn element_children(node: &Handle) -> Vec<Handle> {
    children(node)
        .into_iter()
        .filter(|c| matches!(c.data, NodeData::Element { .. }))
        .collect()
}

/// All text below `node`, in document order (iterative: trees can be deep).
fn text_content(node: &Handle) -> String {
    let mut text = String::new();
    let mut stack = vec![Rc::clone(node)];
    while let Some(n) = stack.pop() {
        if let NodeData::Text { contents } = &n.data {
            text.push_str(&contents.borrow());
        }
        stack.extend(n.children.borrow().iter().rev().map(Rc::clone));
    }
    text
}

fn text_len(node: &Handle) -> usize {
    text_content(node).split_whitespace().map(str::len).sum()
}

/// Elements named `name` below `node`, in document order; with `stop_at`, the search does not
/// enter elements of that name (other than `node` itself).
fn find_all(node: &Handle, name: &str, stop_at: Option<&str>) -> Vec<Handle> {
    let mut found = Vec::new();
    let mut stack: Vec<Handle> = node.children.borrow().iter().rev().map(Rc::clone).collect();
    while let Some(n) = stack.pop() {
        let own = tag(&n);
        if own.as_deref() == Some(name) {
            found.push(Rc::clone(&n));
        }
        if stop_at.is_some() && own.as_deref() == stop_at {
            continue;
        }
        stack.extend(n.children.borrow().iter().rev().map(Rc::clone));
    }
    found
}

fn find_first(node: &Handle, name: &str) -> Option<Handle> {
    find_all(node, name, None).into_iter().next()
}

fn main_content(document: &Handle) -> Handle {
    let body = find_first(document, "body").unwrap_or_else(|| Rc::clone(document));
    let body_len = text_len(&body).max(1);
    let mut candidates: Vec<Handle> = Vec::new();
    candidates.extend(find_first(document, "main"));
    candidates.extend(
        find_all(document, "article", None)
            .into_iter()
            .max_by_key(text_len),
    );
    candidates
        .into_iter()
        .find(|c| {
            let len = text_len(c);
            // The main content must hold most of the page; a small <main> around a login box
            // would hide the real text.
            len * 2 >= body_len || len >= 2000
        })
        .unwrap_or(body)
}

/// Collapses runs of whitespace to one space and trims.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trims line ends, keeps at most one blank line in a row, trims the whole.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0;
    for line in s.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_owned()
}

/// An output buffer that collapses whitespace between inline pieces.
#[derive(Default)]
struct Out {
    buf: String,
    pending_space: bool,
}

impl Out {
    fn at_line_start(&self) -> bool {
        self.buf.is_empty() || self.buf.ends_with('\n')
    }

    /// Appends text from the document, collapsing whitespace.
    fn text(&mut self, s: &str) {
        for c in s.chars() {
            if c.is_whitespace() {
                self.pending_space = true;
            } else {
                self.flush_space();
                self.buf.push(c);
            }
        }
    }

    /// Appends markup produced by the renderer (after any pending space).
    fn inline(&mut self, s: &str) {
        self.flush_space();
        self.buf.push_str(s);
    }

    fn flush_space(&mut self) {
        if self.pending_space && !self.at_line_start() && !self.buf.ends_with(' ') {
            self.buf.push(' ');
        }
        self.pending_space = false;
    }

    fn newline(&mut self) {
        self.pending_space = false;
        if !self.at_line_start() {
            self.buf.push('\n');
        }
    }

    /// Ends the current block with a blank line.
    fn block(&mut self) {
        self.newline();
        if !self.buf.is_empty() && !self.buf.ends_with("\n\n") {
            self.buf.push('\n');
        }
    }
}

struct Renderer<'u> {
    mode: Mode,
    base: Option<&'u Url>,
    /// Inside the main content (page headers/footers there are kept).
    in_content: bool,
    depth: usize,
}

const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "nav",
    "aside", "form", "button", "select", "input", "textarea", "dialog", "head", "meta", "link",
    "map", "audio", "video", "picture", "source", "title",
];
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "figure",
    "figcaption",
    "address",
    "details",
    "summary",
    "dl",
    "dt",
    "dd",
    "center",
    "fieldset",
    "hgroup",
    "body",
    "html",
    "caption",
];
const HIDDEN_ROLES: &[&str] = &["navigation", "menu", "menubar", "complementary", "search"];

impl Renderer<'_> {
    fn markdown(&self) -> bool {
        self.mode == Mode::Markdown
    }

    fn children(&mut self, node: &Handle, out: &mut Out) {
        for child in children(node) {
            match &child.data {
                NodeData::Text { contents } => out.text(&contents.borrow()),
                NodeData::Element { .. } => self.element(&child, out),
                _ => {}
            }
        }
    }

    fn hidden(&self, node: &Handle, name: &str) -> bool {
        SKIPPED.contains(&name)
            || (!self.in_content && (name == "header" || name == "footer"))
            || attr(node, "hidden").is_some()
            || attr(node, "aria-hidden").as_deref() == Some("true")
            || attr(node, "role").is_some_and(|r| HIDDEN_ROLES.contains(&r.as_str()))
            || attr(node, "style").is_some_and(|s| s.replace(' ', "").contains("display:none"))
    }

    fn element(&mut self, node: &Handle, out: &mut Out) {
        let Some(name) = tag(node) else { return };
        if self.hidden(node, &name) {
            return;
        }
        if self.depth >= MAX_DEPTH {
            out.text(&text_content(node));
            return;
        }
        self.depth += 1;
        self.render(node, &name, out);
        self.depth -= 1;
    }

    fn render(&mut self, node: &Handle, name: &str, out: &mut Out) {
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let text = self.inline_text(node);
                if !text.is_empty() {
                    out.block();
                    if self.markdown() {
                        let level = usize::from(name.as_bytes()[1] - b'0');
                        out.inline(&format!("{} {text}", "#".repeat(level)));
                    } else {
                        out.inline(&text);
                    }
                    out.block();
                }
            }
            "br" => out.newline(),
            "hr" => {
                out.block();
                if self.markdown() {
                    out.inline("---");
                }
                out.block();
            }
            "a" => self.link(node, out),
            "img" => self.image(node, out),
            "strong" | "b" => self.wrap(node, out, "**"),
            "em" | "i" => self.wrap(node, out, "*"),
            "s" | "del" | "strike" => self.wrap(node, out, "~~"),
            "code" | "kbd" | "samp" => self.wrap(node, out, "`"),
            "pre" => self.pre(node, out),
            "blockquote" => {
                let inner = self.sub_block(node);
                if !inner.is_empty() {
                    out.block();
                    let prefix = if self.markdown() { "> " } else { "  " };
                    let quoted: Vec<String> =
                        inner.lines().map(|l| format!("{prefix}{l}")).collect();
                    out.inline(&quoted.join("\n"));
                    out.block();
                }
            }
            "ul" | "ol" => self.list(node, out, name == "ol"),
            "li" => {
                let inner = self.sub_block(node);
                out.newline();
                out.inline(&indent_item("- ", &inner));
                out.newline();
            }
            "table" => self.table(node, out),
            _ if BLOCKS.contains(&name) => {
                let was = self.in_content;
                self.in_content |= name == "main" || name == "article";
                out.block();
                self.children(node, out);
                out.block();
                self.in_content = was;
            }
            _ => self.children(node, out),
        }
    }

    /// The element's content rendered inline, on one line.
    fn inline_text(&mut self, node: &Handle) -> String {
        let mut sub = Out::default();
        self.children(node, &mut sub);
        collapse(&sub.buf)
    }

    /// The element's content rendered as blocks, tidied.
    fn sub_block(&mut self, node: &Handle) -> String {
        let mut sub = Out::default();
        self.children(node, &mut sub);
        tidy(&sub.buf)
    }

    fn wrap(&mut self, node: &Handle, out: &mut Out, marker: &str) {
        let raw = text_content(node);
        let text = self.inline_text(node);
        if text.is_empty() {
            if raw.chars().any(char::is_whitespace) {
                out.pending_space = true;
            }
            return;
        }
        if raw.starts_with(char::is_whitespace) {
            out.pending_space = true;
        }
        if self.markdown() {
            out.inline(&format!("{marker}{text}{marker}"));
        } else {
            out.inline(&text);
        }
        if raw.ends_with(char::is_whitespace) {
            out.pending_space = true;
        }
    }

    fn resolve(&self, href: &str) -> Option<String> {
        let href = href.trim();
        if href.is_empty() || href.starts_with('#') || href.starts_with("javascript:") {
            return None;
        }
        match self.base {
            Some(base) => base.join(href).ok().map(String::from),
            None => Some(href.to_owned()),
        }
    }

    fn link(&mut self, node: &Handle, out: &mut Out) {
        let raw = text_content(node);
        let text = self.inline_text(node);
        if raw.starts_with(char::is_whitespace) {
            out.pending_space = true;
        }
        let href = attr(node, "href").and_then(|h| self.resolve(&h));
        match (self.markdown(), href) {
            (true, Some(href)) if !text.is_empty() => out.inline(&format!("[{text}]({href})")),
            _ if !text.is_empty() => out.inline(&text),
            _ => {}
        }
        if raw.ends_with(char::is_whitespace) {
            out.pending_space = true;
        }
    }

    fn image(&self, node: &Handle, out: &mut Out) {
        let alt = collapse(&attr(node, "alt").unwrap_or_default());
        let src = attr(node, "src")
            .filter(|s| !s.trim_start().starts_with("data:"))
            .and_then(|s| self.resolve(&s));
        match (self.markdown(), src) {
            (true, Some(src)) => out.inline(&format!("![{alt}]({src})")),
            _ if !alt.is_empty() => out.inline(&alt),
            _ => {}
        }
    }

    fn pre(&self, node: &Handle, out: &mut Out) {
        let code = text_content(node);
        let code = code.trim_matches('\n');
        if code.trim().is_empty() {
            return;
        }
        out.block();
        if self.markdown() {
            let lang = language(node).unwrap_or_default();
            let fence = if code.contains("```") { "~~~" } else { "```" };
            out.inline(&format!("{fence}{lang}\n{code}\n{fence}"));
        } else {
            out.inline(code);
        }
        out.block();
    }

    fn list(&mut self, node: &Handle, out: &mut Out, ordered: bool) {
        let start = attr(node, "start")
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(1);
        let mut items = Vec::new();
        for child in element_children(node) {
            let name = tag(&child).unwrap_or_default();
            if self.hidden(&child, &name) {
                continue;
            }
            let inner = if name == "li" {
                self.sub_block(&child)
            } else {
                let mut sub = Out::default();
                self.element(&child, &mut sub);
                tidy(&sub.buf)
            };
            if inner.is_empty() {
                continue;
            }
            let marker = if ordered {
                format!("{}. ", start + items.len() as i64)
            } else {
                "- ".to_owned()
            };
            items.push(indent_item(&marker, &inner));
        }
        if items.is_empty() {
            return;
        }
        out.block();
        out.inline(&items.join("\n"));
        out.block();
    }

    fn table(&mut self, node: &Handle, out: &mut Out) {
        let mut rows: Vec<Vec<String>> = Vec::new();
        // Rows of nested tables belong to those tables.
        for row in find_all(node, "tr", Some("table")) {
            let cells: Vec<String> = element_children(&row)
                .into_iter()
                .filter(|c| matches!(tag(c).as_deref(), Some("td" | "th")))
                .map(|c| {
                    let text = self.inline_text(&c);
                    if self.markdown() {
                        text.replace('|', "\\|")
                    } else {
                        text
                    }
                })
                .collect();
            if !cells.is_empty() {
                rows.push(cells);
            }
        }
        if rows.is_empty() {
            return;
        }
        out.block();
        let lines: Vec<String> = if self.markdown() {
            let width = rows.iter().map(Vec::len).max().unwrap_or(0);
            let mut lines = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                let mut cells = row.clone();
                cells.resize(width, String::new());
                lines.push(format!("| {} |", cells.join(" | ")));
                if i == 0 {
                    lines.push(format!("|{}", " --- |".repeat(width)));
                }
            }
            lines
        } else {
            rows.iter().map(|r| r.join("\t")).collect()
        };
        out.inline(&lines.join("\n"));
        out.block();
    }
}

/// `marker` before the first line of `inner`, the other lines indented to match.
fn indent_item(marker: &str, inner: &str) -> String {
    let pad = " ".repeat(marker.chars().count());
    let mut lines = inner.lines();
    let mut text = format!("{marker}{}", lines.next().unwrap_or(""));
    // Blank lines would end the list item in markdown, so paragraphs inside one are joined.
    for line in lines.filter(|l| !l.is_empty()) {
        text.push('\n');
        text.push_str(&pad);
        text.push_str(line);
    }
    text
}

/// The language of a code block from `class="language-rust"` on `<pre>` or its `<code>`.
fn language(pre: &Handle) -> Option<String> {
    let code = element_children(pre)
        .into_iter()
        .find(|c| tag(c).as_deref() == Some("code"));
    [Some(Rc::clone(pre)), code]
        .into_iter()
        .flatten()
        .filter_map(|e| attr(&e, "class"))
        .flat_map(|classes| {
            classes
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .find_map(|c| {
            c.strip_prefix("language-")
                .or_else(|| c.strip_prefix("lang-"))
                .map(str::to_owned)
        })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    const PAGE: &str = r#"<!doctype html>
<html><head><title>  The   Title </title><style>body{color:red}</style>
<script>alert("x")</script></head>
<body>
<header><a href="/">Home</a> <a href="/about">About</a></header>
<nav><ul><li><a href="/a">Nav A</a></li></ul></nav>
<main>
  <h1>Heading &amp; more</h1>
  <p>Some <b>bold</b>, <em>emphasis</em> and a <a href="docs/page.html">relative link</a>.
     Second   line.</p>
  <ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>
  <ol start="3"><li>three</li><li>four</li></ol>
  <pre><code class="language-rust">fn main() {
    println!("hi");
}</code></pre>
  <blockquote><p>Quoted text</p></blockquote>
  <table><tr><th>Name</th><th>Value</th></tr><tr><td>a|b</td><td>1</td></tr></table>
  <p>Image: <img src="/img/x.png" alt="An image"></p>
  <div hidden>secret hidden</div>
  <div style="display: none">also hidden</div>
  <p>Text with <code>inline code</code>.</p>
</main>
<aside>Sidebar ad</aside>
<footer>Copyright footer</footer>
</body></html>"#;

    fn base() -> Url {
        Url::parse("https://example.com/blog/post").unwrap()
    }

    #[test]
    fn renders_main_content_as_markdown() {
        let base = base();
        let got = extract(PAGE, Some(&base), Mode::Markdown);
        assert_eq!(got.title.as_deref(), Some("The Title"));
        assert_eq!(
            got.text,
            "# Heading & more\n\nSome **bold**, *emphasis* and a [relative link](https://example.com/blog/docs/page.html). Second line.\n\n- one\n- two\n  - nested\n\n3. three\n4. four\n\n```rust\nfn main() {\n    println!(\"hi\");\n}\n```\n\n> Quoted text\n\n| Name | Value |\n| --- | --- |\n| a\\|b | 1 |\n\nImage: ![An image](https://example.com/img/x.png)\n\nText with `inline code`."
        );
    }

    #[test]
    fn renders_plain_text_without_markup() {
        let got = extract(PAGE, None, Mode::Text);
        assert_eq!(
            got.text,
            "Heading & more\n\nSome bold, emphasis and a relative link. Second line.\n\n- one\n- two\n  - nested\n\n3. three\n4. four\n\nfn main() {\n    println!(\"hi\");\n}\n\n  Quoted text\n\nName\tValue\na|b\t1\n\nImage: An image\n\nText with inline code."
        );
    }

    #[test]
    fn drops_chrome_when_there_is_no_main_element() {
        let html = "<html><body><nav>Menu</nav><header>Site header</header><div><p>Body text</p></div><footer>Foot</footer><script>x()</script></body></html>";
        let got = extract(html, None, Mode::Markdown);
        assert_eq!(got.title, None);
        assert_eq!(got.text, "Body text");
    }

    #[test]
    fn a_small_main_does_not_hide_the_page() {
        let long = "word ".repeat(100);
        let html = format!("<body><main><p>Sign in</p></main><div><p>{long}</p></div></body>");
        let got = extract(&html, None, Mode::Text);
        assert!(got.text.starts_with("Sign in\n\nword word"), "{}", got.text);
    }
    #[test]
    fn deep_nesting_is_flattened_not_recursed() {
        let depth = 3_000;
        let html = format!(
            "{}deep text{}",
            "<div><span>".repeat(depth),
            "</span></div>".repeat(depth)
        );
        let got = extract(&html, None, Mode::Text);
        assert!(got.text.contains("deep text"));
    }
}
