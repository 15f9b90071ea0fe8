// `rustyclaw dashboard`'s one-time link: it signs this browser in without the shared token and
// pairs it, so a plain reload stays signed in (its own device token); the same link in another
// browser profile is refused as used.

export default async function (t) {
  const link = t.env("BROWSER_URL");
  t.check(!link.includes("#token="), "the link carries no shared token");
  const page = await t.page("owner");
  await page.goto(link);
  await page.locator(".status[data-state=connected]").waitFor();
  t.check(!page.url().includes("bootstrapToken"), "the one-time token left the address bar");
  await t.shot(page, "handoff-connected");
  // A reload: no fragment any more, the paired device token signs in.
  await page.goto(page.url().split("#")[0]);
  await page.locator(".status[data-state=connected]").waitFor();
  t.check(await page.evaluate(() => Object.keys(localStorage).some((k) => k.startsWith("rustyclaw.deviceToken"))), "the device token is kept");
  t.fact("reloaded-signed-in");

  // The same link elsewhere: used, so the page asks for the secret.
  t.allowConsole(/WebSocket connection to .* failed/);
  const other = await t.page("other-profile");
  await other.goto(link);
  await other.locator("form.login").waitFor();
  t.check((await other.locator("form.login").innerText()).includes("already used"), "the page says the link was used");
  await t.shot(other, "handoff-used");
  t.fact("link-used-once");
}
