// Memory: search what the agent has written down (memory.search), with the file and lines of
// every hit.

import { h, replace } from "../dom.js";

export function memoryView(root, gateway) {
  const input = h("input", { type: "search", name: "q", placeholder: "Search memory (e.g. coffee, project deadline)", "aria-label": "Search memory", autocomplete: "off" });
  const status = h("p.meta", { role: "status" });
  const results = h("div.cards.memory-results");
  const form = h("form.memory-search", input, h("button", { type: "submit" }, "Search"));
  replace(root, h("h2", "Memory"), form, status, results);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const query = input.value.trim();
    if (!query) return;
    status.textContent = "Searching…";
    try {
      const answer = await gateway.request("memory.search", { query });
      const how = answer.searchMode === "hybrid" ? `words and meaning (${answer.provider})` : "words";
      status.textContent = `${answer.results.length} result${answer.results.length === 1 ? "" : "s"} · searched by ${how}` + (answer.warning ? ` · ${answer.warning}` : "");
      replace(results, answer.results.map((hit) => {
        const lines = hit.startLine === hit.endLine ? `L${hit.startLine}` : `L${hit.startLine}–L${hit.endLine}`;
        return h("article.card.memory-hit",
          h("h3", h("code", hit.path), " ", h("span.meta", lines)),
          h("pre.snippet", hit.snippet),
          h("p.meta", `score ${hit.score.toFixed(2)}`));
      }));
      if (!answer.results.length) results.append(h("p.empty", "Nothing found."));
    } catch (error) {
      status.textContent = "";
      replace(results, h("p.error", error.message));
    }
  });
  input.focus();
  return () => {};
}
