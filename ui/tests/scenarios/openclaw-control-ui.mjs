// OpenClaw's own Control UI (the openclaw package's dist/control-ui), served by rustyclaw from
// gateway.controlUi.root: log in with the token in the URL fragment, send a chat message, see
// the fake model's reply; then open each page of its navigation and report what it shows.

export default async function (t) {
  const url = t.env("URL");
  const token = t.env("TOKEN");
  const reply = t.env("REPLY");
  const page = await t.page("openclaw-ui", { timeout: 30_000 });
  await page.goto(`${url}/#token=${encodeURIComponent(token)}`);
  // The token leaves the address bar as soon as the page has read it.
  await page.waitForFunction(() => !location.hash.includes("token="));
  t.check(!page.url().includes(token), "the token is stripped from the URL");
  const composer = page.getByPlaceholder(/Message/i).first();
  await composer.waitFor();
  await t.shot(page, "openclaw-connected");
  await composer.fill("hello from the browser");
  await composer.press("Enter");
  await page.getByText(reply).first().waitFor({ timeout: 60_000 });
  await t.shot(page, "openclaw-chat");
  const body = await page.locator("body").innerText();
  t.check(!/unknown method/i.test(body), `no unknown-method error on the chat page:\n${body}`);
  t.fact("chat", { reply: true });
  await visitPages(t, page);
}

// Each page of the UI's navigation, opened from the sidebar: a screenshot, and whether the page
// reports a method rustyclaw does not have or an error. The Rust test turns these facts into
// the table in docs/protocol.md.
export async function visitPages(t, page) {
  const names = ["Home", "Agents", "Dashboards", "Systems", "Automations", "Plugins"];
  for (const name of names) {
    const link = page.getByRole("link", { name, exact: true }).first();
    if (!(await link.count())) {
      t.fact("view", { name, shown: false, problems: ["not in the navigation"] });
      continue;
    }
    await link.click();
    await page.waitForTimeout(2500);
    const text = await page.locator("main, body").first().innerText();
    const problems = [...new Set((text.match(/unknown method: [\w.]+/gi) || []).map((m) => m.replace(/^unknown method: /i, "").replace(/Retry$/, "")))];
    await t.shot(page, `openclaw-${name.toLowerCase()}`);
    t.fact("view", { name, shown: true, problems });
  }
}
