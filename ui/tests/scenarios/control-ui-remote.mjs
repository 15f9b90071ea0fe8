// A browser on another host (run inside a network namespace, reaching the gateway on its
// non-loopback address over plain http): with the right token it is still a new device, so it
// waits for pairing; once approved elsewhere it connects on its own and chats. Plain http on a
// LAN address is not a secure context, so its key is the bundled pure-JS Ed25519.

// A page of another origin (not in gateway.controlUi.allowedOrigins) holding the right token
// tries to open an authenticated socket: the gateway refuses it.
async function foreignOriginIsRefused(t, gatewayUrl, token) {
  const page = await t.page("foreign", { timeout: 30_000 });
  // The browser reports the refused handshake as a failed WebSocket; that is the point.
  t.allowConsole(/WebSocket connection to .* failed/);
  await page.goto(t.env("FOREIGN_URL"));
  const outcome = await page.evaluate(({ gatewayUrl, token }) => new Promise((resolve) => {
    const socket = new WebSocket(gatewayUrl.replace(/^http/, "ws"));
    const done = (value) => { resolve(value); try { socket.close(); } catch {} };
    socket.onmessage = (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type === "event" && frame.event === "connect.challenge") {
        socket.send(JSON.stringify({ type: "req", id: "1", method: "connect", params: {
          minProtocol: 4, maxProtocol: 4, role: "operator", scopes: ["operator.admin"], auth: { token },
          client: { id: "openclaw-control-ui", version: "evil", platform: "web", mode: "webchat" } } }));
      } else if (frame.type === "res") {
        done(frame.ok ? "accepted" : `refused: ${frame.error && frame.error.message}`);
      }
    };
    socket.onclose = (event) => done(`closed: ${event.code} ${event.reason}`);
    socket.onerror = () => done("error");
    setTimeout(() => done("timeout"), 10_000);
  }), { gatewayUrl, token });
  t.check(outcome !== "accepted", `a foreign page was let in: ${outcome}`);
  t.fact("foreign-origin-refused", { outcome, origin: new URL(t.env("FOREIGN_URL")).origin });
  await page.context().close();
}

export default async function (t) {
  const url = t.env("URL");
  const token = t.env("TOKEN");
  await foreignOriginIsRefused(t, url, token);
  const page = await t.page("remote", { timeout: 30_000 });
  await page.goto(`${url}/#token=${encodeURIComponent(token)}`);
  t.check(!(await page.evaluate(() => window.isSecureContext)), "plain http on a LAN address is not a secure context");
  const pairing = page.locator("section.pairing");
  await pairing.waitFor();
  const command = await pairing.locator("pre").innerText();
  t.fact("pairing-requested", { command });
  await t.shot(page, "remote-waiting");
  await t.axe(page, "pairing");
  // Approved from the other browser: the page retries by itself.
  await page.locator(".status[data-state=connected]").waitFor({ timeout: 120_000 });
  await page.locator("#message").fill("hello from another host");
  await page.locator("#message").press("Enter");
  await page.getByText(t.env("REPLY")).waitFor({ timeout: 60_000 });
  await t.shot(page, "remote-chat");
  t.fact("remote-chat");
}
