// Config: a form generated from the gateway's config schema (`config.schema`) over the file's
// own values (`config.get`), and the raw JSON5 text. Saving sends only what changed (a merge
// patch through `config.patch`) or the whole text (`config.set`), with the `baseHash` of the
// version read, so an edit made elsewhere meanwhile is refused, not overwritten. Validation
// errors are shown at the field they name. Credentials come back redacted and are never sent
// unless typed anew.

import { h, replace, toast } from "../dom.js";

const MAX_DEPTH = 4;

export function configView(root, gateway) {
  const status = h("div.config-status", { role: "status" });
  const errors = h("ul.config-errors.error", { "aria-live": "assertive" });
  const formTab = h("button.ghost", { type: "button", "aria-pressed": "true", onclick: () => show("form") }, "Form");
  const rawTab = h("button.ghost", { type: "button", "aria-pressed": "false", onclick: () => show("raw") }, "Raw JSON5");
  const form = h("form.config-form", { novalidate: true, onsubmit: saveForm });
  const raw = h("textarea#config-raw", { spellcheck: "false", rows: 28, "aria-label": "Config file (JSON5)" });
  const rawForm = h("form.config-raw", { hidden: true, onsubmit: saveRaw }, raw, h("div.actions", h("button", { type: "submit" }, "Save file")));
  replace(root, h("div.toolbar", formTab, rawTab, h("div.spacer"), status), errors, form, rawForm);

  let snapshot = null;
  let schema = null;
  const fields = new Map(); // path → {input, kind, original}

  function show(which) {
    form.hidden = which !== "form";
    rawForm.hidden = which !== "raw";
    formTab.setAttribute("aria-pressed", String(which === "form"));
    rawTab.setAttribute("aria-pressed", String(which === "raw"));
  }

  function resolve(node) {
    let current = node || {};
    for (let i = 0; i < 8; i++) {
      if (current.$ref) {
        const name = current.$ref.replace(/^#\/\$defs\//, "");
        current = { ...(schema.$defs || {})[name], description: current.description || ((schema.$defs || {})[name] || {}).description };
        continue;
      }
      const options = current.anyOf || (current.oneOf && !current.oneOf.every((o) => "const" in o) ? current.oneOf : null);
      if (options) {
        const real = options.filter((o) => o.type !== "null");
        if (real.length === 1) {
          current = { ...real[0], description: current.description || real[0].description };
          continue;
        }
        return { ...current, kind: "complex" };
      }
      break;
    }
    const types = [].concat(current.type || []).filter((t) => t !== "null");
    if (current.oneOf && current.oneOf.every((o) => "const" in o)) return { ...current, kind: "enum", values: current.oneOf.map((o) => o.const) };
    if (current.enum) return { ...current, kind: "enum", values: current.enum.filter((v) => v !== null) };
    if (types.length === 1 && types[0] === "object" && current.properties) return { ...current, kind: "object" };
    if (types.length === 1 && types[0] === "boolean") return { ...current, kind: "boolean" };
    if (types.length === 1 && (types[0] === "integer" || types[0] === "number")) return { ...current, kind: "number" };
    if (types.length === 1 && types[0] === "string") return { ...current, kind: "string" };
    if (types.length === 1 && types[0] === "array") {
      const items = resolve(current.items);
      if (items.kind === "string") return { ...current, kind: "strings" };
    }
    return { ...current, kind: "complex" };
  }

  function get(object, path) {
    return path.reduce((value, key) => (value && typeof value === "object" ? value[key] : undefined), object);
  }

  function fieldId(path) {
    return `cfg-${path.join("-").replace(/[^A-Za-z0-9_-]/g, "_")}`;
  }

  function field(path, node, value) {
    const id = fieldId(path);
    const label = h("label", { for: id }, path[path.length - 1]);
    const help = node.description ? h("div.meta", node.description.replace(/`/g, "")) : null;
    let input;
    if (node.kind === "boolean") {
      input = h("select", { id }, h("option", { value: "" }, "(default)"), h("option", { value: "true", selected: value === true }, "true"), h("option", { value: "false", selected: value === false }, "false"));
    } else if (node.kind === "enum") {
      input = h("select", { id }, h("option", { value: "" }, "(default)"), node.values.map((v) => h("option", { value: String(v), selected: value === v }, String(v))));
    } else if (node.kind === "number") {
      input = h("input", { id, type: "number", value: value ?? "", min: node.minimum, max: node.maximum, step: node.type === "integer" || [].concat(node.type).includes("integer") ? 1 : "any" });
    } else if (node.kind === "strings") {
      input = h("textarea", { id, rows: 2, placeholder: "one per line" });
      input.value = Array.isArray(value) ? value.join("\n") : "";
    } else if (node.kind === "string") {
      input = h("input", { id, type: "text", value: value ?? "", autocomplete: "off" });
    } else {
      input = h("code.meta", value === undefined ? "(not set — edit in Raw JSON5)" : `${JSON.stringify(value).slice(0, 120)} (edit in Raw JSON5)`);
    }
    if (input.tagName !== "CODE") {
      input.dataset.path = path.join(".");
      fields.set(path.join("."), { input, kind: node.kind, original: snapshotValue(input) });
    }
    return h("div.field", { dataset: { path: path.join(".") } }, label, input, help, h("div.field-error.error", { role: "alert" }));
  }

  function snapshotValue(input) {
    return input.value;
  }

  function section(path, node, value, depth) {
    const rows = [];
    for (const [key, child] of Object.entries(node.properties || {})) {
      if (key === "$schema") continue;
      const resolved = resolve(child);
      const childPath = [...path, key];
      const childValue = get(value, [key]);
      if (resolved.kind === "object" && depth < MAX_DEPTH) {
        rows.push(h("details.config-section", { open: depth === 0 && childValue !== undefined ? false : null },
          h("summary", key, resolved.description ? h("span.meta", ` — ${resolved.description.replace(/`/g, "")}`) : null),
          section(childPath, resolved, childValue, depth + 1)));
      } else {
        rows.push(field(childPath, resolved, childValue));
      }
    }
    return h("div.config-fields", rows);
  }

  function parse(kind, text) {
    if (text === "") return null; // removed: the default applies
    if (kind === "boolean") return text === "true";
    if (kind === "number") return Number(text);
    if (kind === "strings") return text.split("\n").map((s) => s.trim()).filter(Boolean);
    return text;
  }

  function clearErrors() {
    replace(errors);
    root.querySelectorAll(".field-error").forEach((e) => { e.textContent = ""; });
    root.querySelectorAll(".field.invalid").forEach((e) => e.classList.remove("invalid"));
  }

  function showErrors(error) {
    const issues = (error.details && error.details.issues) || [];
    if (!issues.length) {
      errors.append(h("li", error.message));
      if (/changed since last load/.test(error.message)) errors.append(h("li", h("button.ghost", { type: "button", onclick: load }, "Reload the current file")));
      return;
    }
    for (const issue of issues) {
      const path = String(issue.path || "").replace(/^\$?\.?/, "");
      const at = root.querySelector(`.field[data-path="${CSS.escape(path)}"]`);
      if (at) {
        at.classList.add("invalid");
        at.querySelector(".field-error").textContent = issue.message;
        at.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
      }
      errors.append(h("li", h("code", path || "(file)"), ": ", issue.message));
    }
    const first = root.querySelector(".field.invalid input, .field.invalid select, .field.invalid textarea");
    if (first) {
      first.closest("details")?.setAttribute("open", "");
      first.focus();
    }
  }

  async function saveForm(event) {
    event.preventDefault();
    clearErrors();
    const patch = {};
    let changed = 0;
    for (const [path, entry] of fields) {
      if (entry.input.value === entry.original) continue;
      changed++;
      const keys = path.split(".");
      let target = patch;
      for (const key of keys.slice(0, -1)) target = target[key] = target[key] || {};
      target[keys[keys.length - 1]] = parse(entry.kind, entry.input.value);
    }
    if (!changed) {
      toast("Nothing changed");
      return;
    }
    await write("config.patch", { raw: JSON.stringify(patch), baseHash: snapshot.hash });
  }

  async function saveRaw(event) {
    event.preventDefault();
    clearErrors();
    await write("config.set", { raw: raw.value, baseHash: snapshot.hash });
  }

  async function write(method, params) {
    try {
      const answer = await gateway.request(method, params);
      toast(answer.restart ? "Saved — the gateway restarts to apply it" : "Saved and applied");
      status.textContent = "saved";
      if (!answer.restart) await load();
    } catch (error) {
      status.textContent = "not saved";
      showErrors(error);
    }
  }

  async function load() {
    clearErrors();
    try {
      [snapshot, schema] = await Promise.all([gateway.request("config.get", {}), schema ? Promise.resolve(schema) : gateway.request("config.schema", {}).then((s) => s.schema)]);
      fields.clear();
      replace(form, section([], { properties: schema.properties }, snapshot.parsed || {}, 0), h("div.actions.sticky", h("button", { type: "submit" }, "Save changes")));
      raw.value = snapshot.raw || JSON.stringify(snapshot.parsed || {}, null, 2);
      status.textContent = `${snapshot.path}${snapshot.valid === false ? " — has problems" : ""}`;
      for (const issue of snapshot.issues || []) errors.append(h("li", h("code", issue.path), ": ", issue.message));
    } catch (error) {
      replace(form, h("p.error", `Could not read the config: ${error.message}`));
    }
  }

  load();
}
