// Logs: the gateway's log file, followed live (polled with a cursor), with a level filter and
// a search.

import { h, replace } from "../dom.js";

const LEVELS = ["trace", "debug", "info", "warn", "error"];

export function logsView(root, gateway) {
  const level = h("select#log-level", { "aria-label": "Lowest level shown", onchange: render }, LEVELS.map((l) => h("option", { value: l, selected: l === "info" }, l)));
  const search = h("input#log-search", { type: "search", placeholder: "Filter", "aria-label": "Filter log lines", oninput: render });
  const follow = h("input#log-follow", { type: "checkbox", checked: true });
  const list = h("ol.logs", { "aria-live": "off" });
  replace(root, h("div.toolbar", h("label", "Level ", level), search, h("label", follow, " follow")), h("div.scroll.logbox", list));
  let cursor;
  let lines = [];
  let timer = null;
  let stopped = false;

  function parse(line) {
    try {
      const record = JSON.parse(line);
      const levelName = String(record.level || record._meta?.logLevelName || "info").toLowerCase();
      const text = record.message || record.msg || record.fields?.message || record["1"] || record["0"] || line;
      return { level: levelName, time: record.time || record.timestamp || "", text: typeof text === "string" ? text : JSON.stringify(text), raw: line };
    } catch {
      return { level: "info", time: "", text: line, raw: line };
    }
  }

  function render() {
    const floor = LEVELS.indexOf(level.value);
    const needle = search.value.toLowerCase();
    const shown = lines.filter((l) => LEVELS.indexOf(l.level) >= floor && (!needle || l.raw.toLowerCase().includes(needle))).slice(-1000);
    replace(list, shown.map((l) => h(`li.level-${l.level}`, h("span.time", l.time ? String(l.time).slice(11, 23) : ""), h("span.lvl", l.level), h("span.text", l.text))));
    if (follow.checked) list.parentElement.scrollTop = list.parentElement.scrollHeight;
  }

  async function poll() {
    if (stopped) return;
    try {
      const answer = await gateway.request("logs.tail", cursor === undefined ? { limit: 500 } : { cursor, limit: 500 });
      if (answer.reset) lines = [];
      cursor = answer.cursor;
      if (answer.lines && answer.lines.length) {
        lines.push(...answer.lines.map(parse));
        lines = lines.slice(-5000);
        render();
      }
    } catch (error) {
      replace(list, h("li.error", error.message));
    }
    timer = setTimeout(poll, 1500);
  }

  poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
