// Usage: tokens and cost per day (a bar chart, one colour per model) and per model (a table),
// from `usage.cost`.

import { h, replace, count } from "../dom.js";

const SVG = "http://www.w3.org/2000/svg";
const PALETTE = ["#b7410e", "#1a5fb4", "#26a269", "#a347ba", "#c64600", "#63452c", "#e5a50a", "#5e5c64"];

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/** A colour square; set through the CSSOM, which the page's style policy allows (an inline
 * `style` attribute it would refuse). */
function swatch(colour) {
  const element = h("span.swatch", { "aria-hidden": "true" });
  element.style.background = colour;
  return element;
}

function money(value) {
  return typeof value === "number" ? `$${value.toFixed(value < 1 ? 4 : 2)}` : "–";
}

export function usageView(root, gateway) {
  const range = h("select#usage-range", { "aria-label": "Days shown", onchange: load },
    [["7", "7 days"], ["30", "30 days"], ["90", "90 days"]].map(([v, label]) => h("option", { value: v, selected: v === "30" }, label)));
  const summary = h("div.usage-summary");
  const chart = h("figure.usage-chart");
  const table = h("table.usage-models");
  replace(root, h("div.toolbar", h("label", "Range ", range), h("div.spacer"), summary), chart, table);

  async function load() {
    try {
      const answer = await gateway.request("usage.cost", { days: Number(range.value) });
      render(answer);
    } catch (error) {
      replace(chart, h("p.error", error.message));
    }
  }

  function render(answer) {
    const totals = answer.totals || {};
    replace(summary, `${count(totals.totalTokens)} tokens · ${money(totals.totalCost)} · ${totals.calls ?? 0} model calls`);
    const models = (answer.byModel || []).map((m) => (m.provider ? `${m.provider}/${m.model}` : m.model));
    const colour = (name) => PALETTE[models.indexOf(name) % PALETTE.length];
    const days = answer.daily || [];
    const width = 760;
    const height = 220;
    const pad = { left: 52, bottom: 28, top: 10 };
    const max = Math.max(1, ...days.map((d) => d.totalTokens || 0));
    const step = (width - pad.left) / Math.max(1, days.length);
    const bar = Math.max(2, step * 0.7);
    const chartHeight = height - pad.bottom - pad.top;
    const graphic = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "usage-title" },
      svg("title", { id: "usage-title" }, `Tokens per day over ${days.length} days`),
      svg("line", { x1: pad.left, y1: height - pad.bottom, x2: width, y2: height - pad.bottom, class: "axis" }),
      svg("text", { x: pad.left - 6, y: pad.top + 10, "text-anchor": "end", class: "tick" }, count(max)),
      svg("text", { x: pad.left - 6, y: height - pad.bottom, "text-anchor": "end", class: "tick" }, "0"));
    days.forEach((day, index) => {
      let y = height - pad.bottom;
      const x = pad.left + index * step + (step - bar) / 2;
      for (const [name, usage] of Object.entries(day.models || {})) {
        const tall = ((usage.totalTokens || 0) / max) * chartHeight;
        y -= tall;
        graphic.append(svg("rect", { x, y, width: bar, height: Math.max(tall, 0), fill: colour(name), class: "bar" },
          svg("title", {}, `${day.date} ${name}: ${count(usage.totalTokens)} tokens, ${money(usage.totalCost)}`)));
      }
      const every = Math.ceil(days.length / 8);
      const last = index === days.length - 1;
      // Every `every`-th day is labelled, and the last day; a label too close to it is left out.
      if (last || (index % every === 0 && days.length - 1 - index >= every / 2)) {
        graphic.append(svg("text", { x: x + bar / 2, y: height - 8, "text-anchor": "middle", class: "tick" }, day.date.slice(5)));
      }
    });
    replace(chart, graphic, h("figcaption.legend", models.map((name) => h("span.legend-item", swatch(colour(name)), name))));
    replace(table,
      h("thead", h("tr", ["Model", "Calls", "Input", "Output", "Cache read", "Tokens", "Cost"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", (answer.byModel || []).map((m) => h("tr",
        h("td", m.provider ? `${m.provider}/${m.model}` : m.model),
        h("td", m.calls), h("td", count(m.input)), h("td", count(m.output)), h("td", count(m.cacheRead)),
        h("td", count(m.totalTokens)), h("td", m.missingCostEntries ? `${money(m.totalCost)} (${m.missingCostEntries} unpriced)` : money(m.totalCost))))));
    if (!(answer.byModel || []).length) table.append(h("caption", "No model calls in this range."));
  }

  load();
}
