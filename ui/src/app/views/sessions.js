// Sessions: every conversation with its origin, tokens and last activity; search, preview,
// open in chat, reset, compact and delete.

import { h, replace, toast, ago, count } from "../dom.js";

export function sessionsView(root, gateway) {
  const search = h("input#session-search", { type: "search", placeholder: "Search sessions", "aria-label": "Search sessions", oninput: render });
  const table = h("table.sessions");
  const preview = h("aside.preview", { "aria-live": "polite" });
  let rows = [];
  replace(root, h("div.toolbar", search, h("div.spacer"), h("button.ghost", { type: "button", onclick: load }, "Refresh")), h("div.split", h("div.scroll", table), preview));

  async function load() {
    try {
      const answer = await gateway.request("sessions.list", { limit: 500, includeLastMessage: true });
      rows = answer.sessions || [];
      render();
    } catch (error) {
      replace(table, h("caption.error", error.message));
    }
  }

  function render() {
    const needle = search.value.trim().toLowerCase();
    const shown = rows.filter((row) => !needle || JSON.stringify([row.key, row.label, row.displayName, row.channel, row.lastMessage]).toLowerCase().includes(needle));
    replace(table,
      h("thead", h("tr", ["Session", "Origin", "Model", "Tokens", "Cost", "Updated", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", shown.map((row) => h("tr",
        h("td", h("button.link", { type: "button", onclick: () => show(row) }, row.label || row.displayName || row.key), h("div.meta", row.key)),
        h("td", row.channel || row.lastChannel || row.origin?.provider || "gateway"),
        h("td", row.model || "–"),
        h("td", count(row.totalTokens)),
        h("td", typeof row.estimatedCostUsd === "number" ? `$${row.estimatedCostUsd.toFixed(4)}` : "–"),
        h("td", ago(row.updatedAt)),
        h("td.row-actions",
          h("a", { href: `chat?session=${encodeURIComponent(row.key)}` }, "Open"),
          gateway.has("sessions.reset") ? h("button.ghost", { type: "button", onclick: () => act("sessions.reset", row, `Reset ${row.key}? Its conversation starts over.`) }, "Reset") : null,
          gateway.has("sessions.compact") ? h("button.ghost", { type: "button", onclick: () => act("sessions.compact", row) }, "Compact") : null,
          gateway.has("sessions.delete") ? h("button.danger", { type: "button", onclick: () => act("sessions.delete", row, `Delete ${row.key} and its transcript?`) }, "Delete") : null)))),
    );
    if (!shown.length) table.append(h("caption", needle ? "No session matches." : "No sessions yet."));
  }

  async function show(row) {
    replace(preview, h("h2", row.label || row.key), h("p.meta", "loading…"));
    try {
      const answer = await gateway.request("chat.history", { sessionKey: row.key, limit: 20 });
      replace(preview, h("h2", row.label || row.key),
        (answer.messages || []).map((m) => h(`p.preview-${m.role}`, h("strong", `${m.role}: `), typeof m.content === "string" ? m.content : (m.content || []).filter((b) => b.type === "text").map((b) => b.text).join(" "))));
    } catch (error) {
      replace(preview, h("p.error", error.message));
    }
  }

  async function act(method, row, question) {
    if (question && !confirm(question)) return;
    try {
      await gateway.request(method, { key: row.key });
      toast(`${method.split(".")[1]}: ${row.key}`);
      load();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  load();
  const off = gateway.on("sessions.changed", load);
  if (gateway.has("sessions.subscribe")) gateway.request("sessions.subscribe", {}).catch(() => {});
  return off;
}
