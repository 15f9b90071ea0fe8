// The Control UI load benchmark (bench figure `uiload`): RUNS cold loads, each in a fresh
// browser profile, of the gateway's UI signed in by the token in the URL. For each: the
// navigation's `load` event, the moment the UI is connected (KIND=rustyclaw: the status reads
// "connected"; KIND=openclaw: OpenClaw's chat composer is shown), and the bytes transferred.

export default async function (t) {
  const url = t.env("URL");
  const token = t.env("TOKEN");
  const kind = t.env("KIND");
  const runs = Number(t.env("RUNS"));
  // Measuring, not judging: whatever a UI logs is not this benchmark's business.
  t.allowConsole(/.*/);
  for (let run = 0; run < runs; run++) {
    const page = await t.page(`load-${run}`, { timeout: 60_000 });
    await page.goto(`${url}/#token=${encodeURIComponent(token)}`);
    if (kind === "rustyclaw") await page.locator(".status[data-state=connected]").waitFor();
    else await page.getByPlaceholder(/Message/i).first().waitFor();
    const timing = await page.evaluate(() => {
      const connected = performance.now();
      const navigation = performance.getEntriesByType("navigation")[0];
      const resources = performance.getEntriesByType("resource");
      const bytes = resources.reduce((sum, r) => sum + (r.transferSize || 0), navigation ? navigation.transferSize || 0 : 0);
      return { loadMs: navigation ? navigation.loadEventEnd : null, connectedMs: connected, bytes, requests: resources.length + 1 };
    });
    t.fact("load", timing);
    await page.context().close();
  }
}
