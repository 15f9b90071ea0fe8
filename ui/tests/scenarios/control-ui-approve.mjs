// The owner's browser on the gateway host approves a device waiting for pairing from the
// Devices view.

export default async function (t) {
  const url = t.env("URL");
  const token = t.env("TOKEN");
  const page = await t.page("approver", { timeout: 30_000 });
  await page.goto(`${url}/devices#token=${encodeURIComponent(token)}`);
  const request = page.locator("article.pending-device").first();
  await request.waitFor({ timeout: 120_000 });
  await t.shot(page, "devices-pending");
  await request.getByRole("button", { name: "Approve" }).click();
  await page.locator("article.pending-device").first().waitFor({ state: "detached" });
  await page.locator("table.devices tbody tr").nth(1).waitFor();
  await t.shot(page, "devices-approved");
  t.fact("approved");
}
