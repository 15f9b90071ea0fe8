// Agent files: the workspace files the agent's system prompt is built from (AGENTS.md, SOUL.md,
// USER.md, …), viewed and edited. Saving sends the hash of the version read, so a file changed
// elsewhere meanwhile is not overwritten.

import { h, replace, toast, ago } from "../dom.js";

export function filesView(root, gateway) {
  const agentId = (gateway.hello && gateway.hello.snapshot && gateway.hello.snapshot.sessionDefaults && gateway.hello.snapshot.sessionDefaults.defaultAgentId) || "main";
  const list = h("nav.file-list", { "aria-label": "Agent files" });
  const title = h("h2", "");
  const meta = h("p.meta");
  const editor = h("textarea#file-editor", { spellcheck: "false", rows: 24, "aria-label": "File content" });
  const save = h("button#file-save", { type: "submit" }, "Save");
  const form = h("form.file-form", { hidden: true, onsubmit: write }, title, meta, editor, h("div.actions", save));
  replace(root, h("div.split.files", list, form));
  let current = null;

  async function loadList() {
    try {
      const answer = await gateway.request("agents.files.list", { agentId });
      replace(list, h("p.meta", answer.workspace), (answer.files || []).map((file) =>
        h("button.link.file-link", { type: "button", dataset: { file: file.name }, onclick: () => open(file.name) },
          file.name, file.missing ? h("span.meta", file.expectedAbsent ? " (optional, none)" : " (missing)") : null)));
    } catch (error) {
      replace(list, h("p.error", error.message));
    }
  }

  async function open(name) {
    try {
      const answer = await gateway.request("agents.files.get", { agentId, name });
      current = answer.file;
      title.textContent = name;
      meta.textContent = current.missing ? "Not created yet: saving creates it." : `${current.size} bytes · changed ${ago(current.updatedAtMs)}`;
      editor.value = current.content || "";
      form.hidden = false;
      editor.focus();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async function write(event) {
    event.preventDefault();
    if (!current) return;
    const params = { agentId, name: current.name, content: editor.value };
    if (current.hash) params.expectedHash = current.hash;
    try {
      const answer = await gateway.request("agents.files.set", params);
      current = answer.file;
      meta.textContent = `${current.size} bytes · saved`;
      toast(`${current.name} saved`);
      loadList();
    } catch (error) {
      if (error.details && error.details.type === "agent_file_conflict") {
        toast(`${current.name} changed elsewhere; your text is still here — copy it, reload the file, and apply it again`, "error");
      } else {
        toast(error.message, "error");
      }
    }
  }

  loadList();
}
