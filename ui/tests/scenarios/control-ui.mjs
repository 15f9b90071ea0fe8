// rustyclaw's own Control UI against `rustyclaw gateway run` and the fake model: sign in with
// the token in the URL fragment, a streamed reply whose HTML stays text, a tool card, stopping
// a slow reply, an exec approval answered from the page, the other views, a phone-sized
// screen in dark mode. The Rust test queues the model's turns in this order.

export default async function (t) {
  const url = t.env("URL");
  const token = t.env("TOKEN");
  const page = await t.page("control-ui");

  await page.goto(`${url}/#token=${encodeURIComponent(token)}`);
  await page.locator(".status[data-state=connected]").waitFor();
  t.check(!page.url().includes(token), "the token left the address bar");
  t.check(!(await page.evaluate(() => history.length > 1 && location.hash.includes("token"))), "no history entry keeps the token");
  await page.locator("#message").waitFor();
  await t.shot(page, "chat-empty");
  // Keyboard only: from the top of the page, Tab reaches the message box.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  let reached = false;
  for (let presses = 0; presses < 30 && !reached; presses++) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => document.activeElement && document.activeElement.id === "message");
  }
  t.check(reached, "Tab reaches the message box");

  const say = async (text) => {
    await page.locator("#message").fill(text);
    await page.locator("#message").press("Enter");
  };

  // 1. A streamed reply with markdown and HTML in it: the HTML is shown, never run.
  await say("hello");
  const first = page.locator("article.msg.assistant").last();
  await first.getByText("<script>window.__pwned=1</script>", { exact: false }).waitFor();
  await page.locator("#send:not([disabled])").waitFor();
  t.check((await first.locator("strong").innerText()) === "there", "markdown bold renders");
  t.check((await first.locator("script, img").count()) === 0, "no element came from the model's HTML");
  t.check((await page.evaluate(() => window.__pwned)) === undefined, "the model's script did not run");
  await t.shot(page, "chat-reply");
  t.fact("streamed");

  // 2. A tool call: its card with arguments and result, then the reply.
  await say("what is in my notes?");
  const card = page.locator("details.tool[data-tool=read]").last();
  await card.locator(".tool-status", { hasText: /done/ }).waitFor();
  await card.locator("summary").click();
  t.check((await card.locator(".tool-args").innerText()).includes("notes.md"), "the card shows the arguments");
  t.check((await card.locator(".tool-result").innerText()).includes("buy milk"), "the card shows the result");
  await page.getByText("Your notes say: buy milk.").waitFor();
  await t.shot(page, "chat-tool-card");
  t.fact("tool-card");

  // 3. A slow reply, stopped from the page.
  await say("tell me a long story");
  await page.locator("article.msg.streaming").getByText("Once upon a time", { exact: false }).waitFor();
  await page.locator("#abort").click();
  await page.locator("article.msg.assistant .meta", { hasText: "stopped" }).waitFor();
  await page.locator("#abort").waitFor({ state: "hidden" });
  await t.shot(page, "chat-aborted");
  t.fact("aborted");

  // 4. A command that needs approval, allowed once from the page.
  await say("what system is this?");
  const approval = page.locator("section.approval").last();
  await approval.getByText("uname -s").waitFor();
  await t.shot(page, "chat-approval");
  // Keyboard only: the card takes the focus on its first choice, and Enter answers.
  await page.waitForFunction(() => document.activeElement && document.activeElement.textContent === "Allow once");
  await page.keyboard.press("Enter");
  await approval.locator(".decided", { hasText: "allowed once" }).waitFor();
  await page.locator("details.tool[data-tool=exec] .tool-status", { hasText: /done/ }).last().waitFor();
  await page.getByText("It ran.").waitFor();
  await t.shot(page, "chat-approved");
  t.fact("approved");

  // 5. The session's thinking level, changed from the picker.
  await page.locator("#thinking").selectOption("low");
  await page.getByText("Saved for this session").waitFor();
  t.fact("thinking-set");

  // 5b. An image attached to a message: shown in the conversation, sent to the model.
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
  await page.locator("#attach-input").setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: png });
  await page.locator(".attachments .chip", { hasText: "dot.png" }).waitFor();
  await say("what is in this picture?");
  await page.getByText("I see a small picture.").waitFor();
  t.check((await page.locator("article.msg.user img.thumb").count()) >= 1, "the sent image is shown");
  await t.shot(page, "chat-image");
  t.fact("image-sent");

  await t.axe(page, "chat");

  // 6. The other views.
  await page.getByRole("link", { name: "Sessions" }).click();
  await page.locator("table.sessions").getByText("agent:main:main").first().waitFor();
  await t.shot(page, "sessions");
  await t.axe(page, "sessions");
  await page.getByRole("link", { name: "Usage" }).click();
  await page.locator(".usage-chart svg rect.bar").first().waitFor();
  t.check((await page.locator("table.usage-models").innerText()).includes("fake/fake-model"), "usage per model");
  await t.shot(page, "usage");
  await t.axe(page, "usage");
  await page.getByRole("link", { name: "Logs" }).click();
  await page.locator("ol.logs li").first().waitFor();
  await t.shot(page, "logs");
  await page.getByRole("link", { name: "Devices" }).click();
  await page.locator("table.devices tbody tr").first().waitFor();
  await t.shot(page, "devices");
  await t.axe(page, "devices");
  t.fact("views");

  // 7. An agent file, edited and saved.
  await page.getByRole("link", { name: "Agent files" }).click();
  await page.locator("button.file-link[data-file='SOUL.md']").click();
  await page.locator("#file-editor").fill("Be warm and brief.\n");
  await page.locator("#file-save").click();
  await page.getByText("SOUL.md saved").waitFor();
  await t.shot(page, "agent-files");
  await t.axe(page, "agent files");
  t.fact("file-saved");

  // 8. Config: a value the schema refuses is shown at its field; a good one is saved.
  await page.getByRole("link", { name: "Config" }).click();
  const port = page.locator("#cfg-gateway-port");
  await port.waitFor({ state: "attached" });
  await page.locator("details.config-section", { has: page.locator("#cfg-gateway-port") }).first().locator("summary").first().click();
  await port.fill("70000");
  await page.getByRole("button", { name: "Save changes" }).click();
  const portField = page.locator(".field[data-path='gateway.port']");
  await portField.locator(".field-error").filter({ hasText: /./ }).waitFor();
  await t.shot(page, "config-error");
  await port.fill(await port.getAttribute("value") || "");
  await page.locator("details.config-section", { has: page.locator("#cfg-logging-level") }).first().locator("summary").first().click();
  await page.locator("#cfg-logging-level").selectOption("debug");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText(/Saved/).first().waitFor();
  await t.shot(page, "config-saved");
  await t.axe(page, "config");
  t.fact("config-saved");
  await page.locator(".status[data-state=connected]").waitFor({ timeout: 60_000 });

  // 9. A phone in dark mode, a fresh browser profile: the token again, then the chat.
  const phone = await t.page("phone", { viewport: { width: 390, height: 844 }, colorScheme: "dark" });
  await phone.goto(`${url}/chat?session=agent%3Amain%3Amain#token=${encodeURIComponent(token)}`);
  await phone.getByText("Your notes say: buy milk.").waitFor();
  await t.shot(phone, "phone-dark");
  await t.axe(phone, "phone dark");
  t.fact("phone");
}
