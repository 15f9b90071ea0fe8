// Skills: every skill the agent could use, whether it is ready, what it is missing; turn one
// on or off, give it an API key (skills.status, skills.update), run one of its install steps
// (skills.install {name, installId}), and search and install skills from ClawHub.

import { h, replace, toast } from "../dom.js";

export function skillsView(root, gateway) {
  const summary = h("p.meta");
  const filter = h("input", { type: "search", placeholder: "Filter skills", "aria-label": "Filter skills" });
  const list = h("div.cards.skills");
  const hubQuery = h("input", { type: "search", name: "hub", placeholder: "Search ClawHub", "aria-label": "Search ClawHub", autocomplete: "off" });
  const hubResults = h("div.cards.hub-results");
  const hubForm = h("form.hub-search", hubQuery, h("button", { type: "submit" }, "Search ClawHub"));
  const hub = gateway.has("skills.search") && gateway.has("skills.install")
    ? [h("h2", "Install from ClawHub"), hubForm, hubResults]
    : [];
  replace(root, h("h2", "Skills"), summary, filter, list, ...hub);
  let report = null;

  hubForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const query = hubQuery.value.trim();
    if (!query) return;
    try {
      const answer = await gateway.request("skills.search", { query, limit: 10 });
      replace(hubResults, answer.results.map((r) => h("article.card.hub-skill", { "data-slug": r.slug },
        h("h3", r.displayName || r.slug, " ", h("span.meta", r.version || "")),
        h("p", r.summary || ""),
        h("p.meta", r.installRef),
        h("div.actions", h("button.approve", { type: "button", onclick: () => install(r.installRef, false) }, "Install")))));
      if (!answer.results.length) hubResults.append(h("p.empty", "Nothing found on ClawHub."));
    } catch (error) {
      replace(hubResults, h("p.error", error.message));
    }
  });

  async function install(slug, force) {
    try {
      const answer = await gateway.request("skills.install", { source: "clawhub", slug, force });
      toast(`Installed ${answer.slug} ${answer.version}`);
      load();
    } catch (error) {
      const findings = (error.details && error.details.scan && error.details.scan.blocking) || [];
      if (findings.length && !force) {
        const lines = findings.map((f) => `${f.file}${f.line ? ":" + f.line : ""} ${f.rule}`).join("\n");
        if (confirm(`The static scan flagged ${slug}:\n${lines}\n\nInstall it anyway?`)) return install(slug, true);
        toast(`${slug} was not installed`, "error");
        return;
      }
      toast(error.message, "error");
    }
  }

  // One of the skill's install steps, run by the gateway in its sandbox into its own tools
  // directory, after the person confirms the step by name.
  async function runInstaller(skill, option, button) {
    let plan;
    try {
      plan = await gateway.request("skills.install", { name: skill.name, installId: option.id, dryRun: true });
    } catch (error) {
      toast(error.message, "error");
      return;
    }
    const steps = (plan.plan || []).map((line) => `• ${line}`).join("\n");
    if (!confirm(`Run "${option.label || option.id}" for ${skill.name} on the gateway host?\n\n${steps}`)) return;
    button.disabled = true;
    button.textContent = "Installing…";
    try {
      const answer = await gateway.request("skills.install", { name: skill.name, installId: option.id });
      const bins = (answer.bins || []).length ? ` (${answer.bins.join(", ")})` : "";
      toast(`${answer.message}${bins}`);
      for (const warning of answer.warnings || []) toast(warning, "error");
    } catch (error) {
      toast(error.message, "error");
    }
    load();
  }

  function state(skill) {
    if (skill.disabled) return ["disabled", "Disabled"];
    if (skill.blockedByAllowlist) return ["blocked", "Not in allowBundled"];
    if (skill.blockedByAgentFilter) return ["blocked", "Not for this agent"];
    if (skill.eligible) return ["ready", "Ready"];
    return ["missing", "Missing requirements"];
  }

  function missingText(skill) {
    const m = skill.missing || {};
    return [["bins", "programs"], ["anyBins", "one of"], ["env", "variables"], ["config", "config"], ["os", "system"]]
      .filter(([key]) => (m[key] || []).length)
      .map(([key, label]) => `${label}: ${m[key].join(", ")}`)
      .join(" · ");
  }

  function render() {
    if (!report) return;
    const term = filter.value.trim().toLowerCase();
    const skills = report.skills.filter((s) => !term || s.name.toLowerCase().includes(term) || s.description.toLowerCase().includes(term));
    const ready = report.skills.filter((s) => s.eligible && !s.blockedByAgentFilter).length;
    summary.textContent = `${ready} of ${report.skills.length} ready · workspace ${report.workspaceDir}`;
    replace(list, skills.map((skill) => {
      const [kind, label] = state(skill);
      const missing = missingText(skill);
      const card = h(`article.card.skill.${kind}`, { "data-skill": skill.name },
        h("h3", skill.emoji ? `${skill.emoji} ` : "", skill.name, " ", h(`span.badge.${kind}`, label)),
        h("p", skill.description),
        h("p.meta", skill.source, skill.homepage ? " · " : "", skill.homepage ? h("a", { href: skill.homepage, target: "_blank", rel: "noopener noreferrer" }, "website") : ""),
        missing ? h("p.missing", missing) : "");
      const actions = h("div.actions");
      if (!skill.eligible && gateway.has("skills.install")) {
        for (const option of skill.install || []) {
          actions.append(h("button.approve", {
            type: "button",
            "data-install": option.id,
            onclick: (event) => runInstaller(skill, option, event.currentTarget),
          }, option.label || `Install (${option.kind})`));
        }
      }
      actions.append(h("button", {
        type: "button",
        class: skill.disabled ? "approve" : "",
        onclick: () => update({ skillKey: skill.skillKey, enabled: skill.disabled }),
      }, skill.disabled ? "Enable" : "Disable"));
      if (skill.primaryEnv) {
        const key = h("input", { type: "password", placeholder: skill.primaryEnv, "aria-label": `API key for ${skill.name}`, autocomplete: "off" });
        actions.append(key, h("button", {
          type: "button",
          onclick: () => { if (key.value.trim()) update({ skillKey: skill.skillKey, apiKey: key.value.trim() }); },
        }, "Save key"));
      }
      card.append(actions);
      return card;
    }));
    if (!skills.length) list.append(h("p.empty", report.skills.length ? "No skill matches." : "No skills found. Put a folder with a SKILL.md in the workspace's skills/ directory."));
  }

  async function load() {
    try {
      report = await gateway.request("skills.status", {});
      render();
    } catch (error) {
      replace(list, h("p.error", error.message));
    }
  }

  async function update(params) {
    try {
      await gateway.request("skills.update", params);
      toast("Saved");
    } catch (error) {
      toast(error.message, "error");
    }
    load();
    // The gateway applies the written config a moment after answering: look again then.
    setTimeout(load, 1500);
  }

  filter.addEventListener("input", render);
  load();
  return () => {};
}
