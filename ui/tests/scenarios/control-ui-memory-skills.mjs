// The Memory and Skills views: a search whose hit names the note's file and lines, a skill
// that is missing an API key, given one from the page, after which it is ready, a skill missing
// a program, installed by its own install step from the page (after a confirmation showing
// what the step will do: the URL, where it goes, the program it links), and a
// skill installed from ClawHub.

export default async function (t) {
  const url = t.env("URL");
  const token = t.env("TOKEN");
  const page = await t.page("memory-skills", { timeout: 30_000 });

  await page.goto(`${url}/memory#token=${encodeURIComponent(token)}`);
  const search = page.getByRole("searchbox", { name: "Search memory" });
  await search.waitFor();
  await search.fill("oat milk");
  await page.getByRole("button", { name: "Search" }).click();
  const hit = page.locator("article.memory-hit").first();
  await hit.waitFor();
  const text = await hit.innerText();
  t.check(text.includes("memory/2026-01-15.md"), `the hit names the file: ${text}`);
  t.check(text.includes("L3"), `the hit names the line: ${text}`);
  t.check(text.includes("oat milk"), "the snippet shows the note");
  await t.shot(page, "memory");
  await t.axe(page, "memory");
  t.fact("memory-hit", { text });

  await page.goto(`${url}/skills#token=${encodeURIComponent(token)}`);
  const keyed = page.locator("article.skill[data-skill=keyed]");
  await keyed.waitFor();
  t.check((await keyed.innerText()).includes("KEYED_TOKEN"), "the missing variable is named");
  t.check(await page.locator("article.skill[data-skill=notes] .badge.ready").count() === 1, "a skill with nothing missing is ready");
  await t.shot(page, "skills");
  await t.axe(page, "skills");
  await keyed.getByLabel("API key for keyed").fill("key-from-the-browser-1234");
  await keyed.getByRole("button", { name: "Save key" }).click();
  await page.locator("article.skill[data-skill=keyed] .badge.ready").waitFor({ timeout: 30_000 });
  await t.shot(page, "skills-ready");
  t.fact("skill-ready");

  const tooled = page.locator("article.skill[data-skill=tooled]");
  t.check((await tooled.innerText()).includes("ui-tool"), "the missing program is named");
  const installer = tooled.getByRole("button", { name: "Download ui-tool" });
  let asked = "";
  page.once("dialog", (dialog) => { asked = dialog.message(); dialog.accept(); });
  await installer.click();
  await page.locator("article.skill[data-skill=tooled] .badge.ready").waitFor({ timeout: 60_000 });
  t.check(asked.includes("Download ui-tool") && asked.includes("/releases/ui-tool.zip") && asked.includes("link ui-tool into"),
    `the person saw the step and exactly what it does: ${asked}`);
  await t.shot(page, "skills-dependency-installed");
  await t.axe(page, "skills-dependency-installed");
  t.fact("dependency-installed");

  await page.getByRole("searchbox", { name: "Search ClawHub" }).fill("brew");
  await page.getByRole("button", { name: "Search ClawHub" }).click();
  const found = page.locator("article.hub-skill[data-slug=brew-timer]");
  await found.waitFor();
  await found.getByRole("button", { name: "Install" }).click();
  await page.locator("article.skill[data-skill=brew-timer]").waitFor({ timeout: 30_000 });
  await t.shot(page, "skills-installed");
  t.fact("skill-installed");
}
