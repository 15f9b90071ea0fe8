// Markdown from the model rendered as DOM nodes, never through innerHTML: text stays text, so
// `<script>` or `<img onerror=…>` in a reply shows as those characters. Covers what replies
// use: paragraphs, headings, fenced code, lists, quotes, inline code, bold, italic and links
// (http, https and mailto only).

import { h } from "./dom.js";

export function markdown(text) {
  const root = h("div.md");
  const lines = String(text || "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  let paragraph = [];
  const flush = () => {
    if (paragraph.length) root.append(h("p", inline(paragraph.join("\n"))));
    paragraph = [];
  };
  while (i < lines.length) {
    const line = lines[i];
    const fence = /^\s*(```|~~~)\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      flush();
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      const code = h("code", body.join("\n"));
      if (fence[2]) code.dataset.lang = fence[2];
      root.append(h("pre", code));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      root.append(h(`h${Math.min(heading[1].length + 2, 6)}`, inline(heading[2])));
      i++;
      continue;
    }
    if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      flush();
      const ordered = /^\s*\d/.test(line);
      const list = h(ordered ? "ol" : "ul");
      while (i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) {
        list.append(h("li", inline(lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ""))));
        i++;
      }
      root.append(list);
      continue;
    }
    if (/^>\s?/.test(line)) {
      flush();
      const quoted = [];
      while (i < lines.length && /^>\s?/.test(lines[i])) quoted.push(lines[i++].replace(/^>\s?/, ""));
      root.append(h("blockquote", inline(quoted.join("\n"))));
      continue;
    }
    if (!line.trim()) {
      flush();
      i++;
      continue;
    }
    paragraph.push(line);
    i++;
  }
  flush();
  return root;
}

const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*(?![\s*])[^*\n]+\*|(?<!\w)_(?![\s_])[^_\n]+_(?!\w))|(\[[^\]\n]+\]\([^)\s]+\))|(https?:\/\/[^\s<>()]+)/;

/** Inline markup of one block, as an array of nodes and strings. */
export function inline(text) {
  const out = [];
  let rest = text;
  while (rest) {
    const match = INLINE.exec(rest);
    if (!match) {
      out.push(...breaks(rest));
      break;
    }
    if (match.index) out.push(...breaks(rest.slice(0, match.index)));
    const [token, code, bold, italic, link, bare] = match;
    if (code) out.push(h("code", code.slice(1, -1)));
    else if (bold) out.push(h("strong", inline(bold.slice(2, -2))));
    else if (italic) out.push(h("em", inline(italic.slice(1, -1))));
    else if (link) {
      const [, label, href] = /^\[([^\]]+)\]\(([^)]+)\)$/.exec(link);
      out.push(anchor(href, label));
    } else if (bare) out.push(anchor(bare, bare));
    rest = rest.slice(match.index + token.length);
  }
  return out;
}

function anchor(href, label) {
  if (!/^(https?:|mailto:)/i.test(href)) return `[${label}](${href})`;
  return h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, label);
}

function breaks(text) {
  const parts = [];
  text.split("\n").forEach((line, index) => {
    if (index) parts.push(h("br"));
    parts.push(line);
  });
  return parts;
}
