// The Channels view: the Telegram account's state, and a sender waiting for DM pairing,
// approved from the page.

export default async function (t) {
  const url = t.env("URL");
  const token = t.env("TOKEN");
  const page = await t.page("channels", { timeout: 30_000 });
  await page.goto(`${url}/channels#token=${encodeURIComponent(token)}`);
  await page.locator("article.channel-account[data-channel=telegram] .badge[data-state=connected]").waitFor({ timeout: 60_000 });
  const request = page.locator("article.pairing-request").first();
  await request.waitFor();
  t.check((await request.innerText()).includes(t.env("SENDER")), "the request names the sender");
  await t.shot(page, "channels");
  await t.axe(page, "channels");
  await request.getByRole("button", { name: "Approve" }).click();
  await page.getByText("may now chat").waitFor();
  await page.locator("article.pairing-request").first().waitFor({ state: "detached" });
  await t.shot(page, "channels-approved");
  t.fact("pairing-approved");
}
