// Runs one browser scenario (scenarios/<name>.mjs) in headless Chromium.
//
// Usage (from the Rust tests, crates/testkit/src/browser.rs): node drive.mjs <name>, with
// CHROMIUM (the browser binary), UI_ARTIFACTS (where screenshots go) and whatever the scenario
// reads from the environment (URL, TOKEN, ...).
//
// A scenario exports `default async function (t)`; `t` gives it pages, screenshots, facts
// (JSON lines on stdout the Rust test reads) and checks. Every page's console errors and
// uncaught exceptions fail the run unless the scenario allowed them by pattern.

import { chromium } from "playwright-core";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const name = process.argv[2];
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  console.error("usage: node drive.mjs <scenario>");
  process.exit(2);
}
const artifacts = process.env.UI_ARTIFACTS || join("artifacts", name);
// Only this run's screenshots are kept.
rmSync(artifacts, { recursive: true, force: true });
mkdirSync(artifacts, { recursive: true });

// The flags a closed network needs: no background fetches, no component updates, no sync.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
  ],
});

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const problems = [];
const pages = [];
const allowed = [];

function watch(page, label) {
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    if (allowed.some((pattern) => pattern.test(text))) return;
    problems.push(`${label}: console error: ${text}`);
  });
  page.on("pageerror", (error) => {
    const text = String(error && error.stack ? error.stack : error);
    if (allowed.some((pattern) => pattern.test(text))) return;
    problems.push(`${label}: uncaught: ${text}`);
  });
}

const t = {
  env(key) {
    const value = process.env[key];
    if (value === undefined || value === "") throw new Error(`the scenario needs ${key}`);
    return value;
  },
  optionalEnv(key) {
    return process.env[key] || "";
  },
  /** A new browser context (its own storage: a separate browser profile) and a page in it. */
  async page(label, options = {}) {
    const context = await browser.newContext({
      viewport: options.viewport || { width: 1280, height: 860 },
      colorScheme: options.colorScheme || "light",
      ...(options.context || {}),
    });
    const page = await context.newPage();
    page.setDefaultTimeout(options.timeout || 20_000);
    watch(page, label);
    pages.push([label, page]);
    return page;
  },
  /** A screenshot kept as a test artifact. */
  async shot(page, file) {
    await page.screenshot({ path: join(artifacts, `${file}.png`), fullPage: false });
    t.fact("screenshot", { file: `${file}.png` });
  },
  /** A fact for the Rust test (one JSON line on stdout). */
  fact(fact, data = {}) {
    process.stdout.write(JSON.stringify({ fact, ...data }) + "\n");
  },
  /** Runs axe-core on the page (injected through the debugging protocol, so the page's own
   * Content-Security-Policy stays on) and fails on serious or critical violations. */
  async axe(page, label) {
    if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) await page.evaluate(axeSource);
    const result = await page.evaluate(async () => {
      const run = await window.axe.run(document, { resultTypes: ["violations"] });
      return run.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
    });
    const serious = result.filter((v) => v.impact === "serious" || v.impact === "critical");
    t.fact("axe", { label, violations: result.length, serious: serious.length });
    if (serious.length) throw new Error(`accessibility (${label}): ${JSON.stringify(serious, null, 2)}`);
  },
  /** Console errors matching `pattern` do not fail the run. */
  allowConsole(pattern) {
    allowed.push(pattern);
  },
  check(condition, message) {
    if (!condition) throw new Error(`check failed: ${message}`);
  },
  log(...args) {
    console.error(...args);
  },
  browser,
};

let failure = null;
try {
  const scenario = await import(`./scenarios/${name}.mjs`);
  await scenario.default(t);
} catch (error) {
  failure = error;
  // What each page showed when the scenario failed, kept with the other screenshots.
  for (const [label, page] of pages) {
    await page.screenshot({ path: join(artifacts, `failure-${label}.png`) }).catch(() => {});
    const text = await page.locator("body").innerText().catch(() => "");
    console.error(`--- ${label} at failure (${page.url()}) ---\n${text.slice(0, 3000)}`);
  }
}
await browser.close().catch(() => {});
if (failure) {
  console.error(`scenario ${name} failed: ${failure && failure.stack ? failure.stack : failure}`);
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
if (problems.length) {
  console.error(`scenario ${name}: the page logged errors:`);
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
process.exit(0);
