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
  t.log(body.slice(0, 2000));
}
