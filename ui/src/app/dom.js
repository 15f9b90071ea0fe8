// Building DOM without HTML strings: every text goes in as a text node, so nothing a model,
// a chat user or a config file wrote can become markup.

/**
 * h("div.card", {onclick, title, dataset:{…}}, child, "text", [more]) → HTMLElement.
 * The tag may carry `.class` and `#id` suffixes; attributes starting with `on` are listeners.
 */
export function h(tag, attributes, ...children) {
  const [, name, rest] = /^([a-z0-9-]+)(.*)$/i.exec(tag) || [null, "div", ""];
  const element = document.createElement(name);
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === ".") element.classList.add(part.slice(1));
    else element.id = part.slice(1);
  }
  if (attributes && (typeof attributes !== "object" || attributes instanceof Node || Array.isArray(attributes))) {
    children.unshift(attributes);
    attributes = null;
  }
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else if (key === "value" || key === "checked" || key === "disabled" || key === "selected") {
      element[key] = value;
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends children (nodes, strings, arrays, nothing) to `parent`. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces everything in `parent` with `children`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** "3 min ago", "yesterday", a date: how long ago `ms` was. */
export function ago(ms) {
  if (!ms) return "";
  const seconds = Math.round((Date.now() - ms) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(ms).toLocaleDateString();
}

/** 1234567 → "1.2M". */
export function count(n) {
  if (typeof n !== "number" || !isFinite(n)) return "–";
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** A short-lived message at the bottom of the page. */
export function toast(text, kind = "info") {
  const host = document.getElementById("toasts") || document.body.appendChild(h("div#toasts", { role: "status" }));
  const note = h(`div.toast.${kind}`, text);
  host.append(note);
  setTimeout(() => note.remove(), kind === "error" ? 8000 : 4000);
}
