// Chat: one session's transcript, streamed replies, tool-call cards, abort, exec approvals
// answered inline, and the session's model and thinking level.

import { h, replace, toast, ago } from "../dom.js";
import { markdown } from "../markdown.js";

const THINKING = ["off", "minimal", "low", "medium", "high", "xhigh"];

export function chatView(root, gateway) {
  const params = new URLSearchParams(location.search);
  const defaults = (gateway.hello && gateway.hello.snapshot && gateway.hello.snapshot.sessionDefaults) || {};
  let sessionKey = params.get("session") || defaults.mainSessionKey || "agent:main:main";
  let run = null; // {runId, bubble, text}
  const cards = new Map(); // toolCallId → card
  const approvals = new Map(); // approval id → card

  const picker = h("select#session", { "aria-label": "Session", onchange: () => open(picker.value) });
  const model = h("select#model", { "aria-label": "Model", onchange: () => patch({ model: model.value }) });
  const thinking = h("select#thinking", { "aria-label": "Thinking level", onchange: () => patch({ thinkingLevel: thinking.value }) },
    THINKING.map((level) => h("option", { value: level }, level)));
  const newButton = h("button.ghost", { type: "button", onclick: newSession }, "New session");
  const log = h("div.transcript", { role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  const input = h("textarea#message", { rows: 3, placeholder: "Message the assistant (Enter sends, Shift+Enter for a new line)", "aria-label": "Message" });
  const send = h("button#send", { type: "submit" }, "Send");
  const abort = h("button#abort.danger", { type: "button", hidden: true, onclick: stop }, "Stop");
  let pending = []; // files chosen for the next message
  const chips = h("ul.attachments", { "aria-label": "Attachments" });
  const fileInput = h("input#attach-input.visually-hidden", { type: "file", multiple: true, onchange: () => {
    pending.push(...fileInput.files);
    fileInput.value = "";
    renderChips();
  } });
  const attach = h("label.button.ghost", { for: "attach-input", title: "Attach images or files" }, "Attach");
  const form = h("form.composer", { onsubmit: submit }, h("div.compose", chips, input), h("div.actions", fileInput, attach, abort, send));

  function renderChips() {
    replace(chips, pending.map((file, index) => h("li.chip",
      file.type.startsWith("image/") ? thumbnail(file) : null,
      h("span", file.name),
      h("button.ghost", { type: "button", "aria-label": `Remove ${file.name}`, onclick: () => { pending.splice(index, 1); renderChips(); } }, "×"))));
  }

  function thumbnail(file) {
    const image = h("img.thumb", { alt: file.name });
    image.src = URL.createObjectURL(file);
    return image;
  }

  function base64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  replace(root, h("div.chat",
    h("div.toolbar", picker, newButton, h("div.spacer"), h("label", "Model ", model), h("label", "Thinking ", thinking)),
    log, form));

  function scroll() {
    log.scrollTop = log.scrollHeight;
  }

  function bubble(role, body, meta) {
    const node = h(`article.msg.${role}`, h("div.body", body), meta ? h("div.meta", meta) : null);
    log.append(node);
    scroll();
    return node;
  }

  function textOf(content) {
    if (typeof content === "string") return content;
    return (content || []).filter((b) => b && b.type === "text").map((b) => b.text).join("\n");
  }

  function toolCard(id, name, args) {
    const status = h("span.tool-status", "running…");
    const result = h("pre.tool-result", { hidden: true });
    const card = h("details.tool", { dataset: { tool: name } },
      h("summary", h("span.tool-name", name), status),
      h("div.tool-args", h("div.label", "arguments"), h("pre", JSON.stringify(args ?? {}, null, 2))),
      result);
    card.status = status;
    card.result = result;
    card.started = Date.now();
    cards.set(id, card);
    log.append(card);
    scroll();
    return card;
  }

  function finishTool(id, name, output, isError, durationMs) {
    const card = cards.get(id) || toolCard(id, name, {});
    card.classList.toggle("error", Boolean(isError));
    const took = durationMs ?? (card.started ? Date.now() - card.started : null);
    card.status.textContent = `${isError ? "failed" : "done"}${took !== null ? ` in ${took < 1000 ? `${took} ms` : `${(took / 1000).toFixed(1)} s`}` : ""}`;
    card.result.hidden = false;
    card.result.textContent = output;
    scroll();
  }

  function renderHistory(messages) {
    replace(log);
    cards.clear();
    for (const message of messages || []) {
      if (message.role === "user") {
        const images = Array.isArray(message.content) ? message.content.filter((b) => b && b.type === "image").length : 0;
        bubble("user", [images ? h("div.meta", `🖼 ${images} image${images > 1 ? "s" : ""}`) : null, textOf(message.content)], ago(message.timestamp));
      }
      else if (message.role === "assistant") {
        const text = textOf(message.content);
        if (text) bubble("assistant", markdown(text), message.model ? `${message.model} · ${ago(message.timestamp)}` : ago(message.timestamp));
        for (const block of message.content || []) {
          if (block && block.type === "toolCall") toolCard(block.id, block.name, block.arguments);
        }
      } else if (message.role === "toolResult") {
        finishTool(message.toolCallId, message.toolName || "tool", textOf(message.content), message.isError, null);
      }
    }
    if (!messages || !messages.length) log.append(h("p.empty", "No messages yet. Say hello."));
  }

  async function loadSessions() {
    try {
      const answer = await gateway.request("sessions.list", { limit: 100 });
      const keys = (answer.sessions || []).map((s) => s.key);
      if (!keys.includes(sessionKey)) keys.unshift(sessionKey);
      replace(picker, keys.map((key) => h("option", { value: key, selected: key === sessionKey }, key)));
      const row = (answer.sessions || []).find((s) => s.key === sessionKey) || {};
      const current = row.model || (answer.defaults && answer.defaults.model);
      if (gateway.has("models.list")) {
        const models = await gateway.request("models.list", {});
        const ids = (models.models || []).map((m) => (m.provider ? `${m.provider}/${m.id}` : m.id));
        replace(model, ids.map((id) => h("option", { value: id, selected: id.endsWith(`/${current}`) || id === current }, id)));
      }
      thinking.value = row.thinkingLevel || "off";
    } catch (error) {
      toast(`Could not list sessions: ${error.message}`, "error");
    }
  }

  async function open(key) {
    sessionKey = key;
    const url = new URL(location.href);
    url.searchParams.set("session", key);
    history.replaceState(null, "", url);
    try {
      const page = await gateway.request("chat.history", { sessionKey, limit: 200 });
      renderHistory(page.messages);
    } catch (error) {
      replace(log, h("p.error", `Could not load the conversation: ${error.message}`));
    }
    await loadSessions();
    if (gateway.has("exec.approval.list")) {
      const pending = await gateway.request("exec.approval.list", {}).catch(() => []);
      for (const approval of pending || []) approvalCard(approval);
    }
  }

  async function patch(fields) {
    try {
      await gateway.request("sessions.patch", { key: sessionKey, ...fields });
      toast("Saved for this session");
    } catch (error) {
      toast(error.message, "error");
      loadSessions();
    }
  }

  function newSession() {
    const agent = sessionKey.startsWith("agent:") ? sessionKey.split(":")[1] : "main";
    open(`agent:${agent}:ui-${new Date().toISOString().replace(/[-:T.Z]/g, "").slice(0, 14)}`);
  }

  function running(on) {
    abort.hidden = !on;
    send.disabled = on;
  }

  async function submit(event) {
    event.preventDefault();
    const text = input.value.trim();
    if ((!text && !pending.length) || run) return;
    const files = pending;
    pending = [];
    renderChips();
    input.value = "";
    const empty = log.querySelector("p.empty");
    if (empty) empty.remove();
    bubble("user", [files.map((f) => (f.type.startsWith("image/") ? thumbnail(f) : h("div.meta", `📎 ${f.name}`))), text], "just now");
    run = { runId: null, bubble: null, text: "" };
    running(true);
    try {
      const attachments = await Promise.all(files.map(async (file) => ({
        type: file.type.startsWith("image/") ? "image" : "file",
        mimeType: file.type || "application/octet-stream",
        fileName: file.name,
        content: await base64(file),
      })));
      const params = { sessionKey, message: text, idempotencyKey: crypto.randomUUID?.() || `${Date.now()}-${Math.random()}` };
      if (attachments.length) params.attachments = attachments;
      const answer = await gateway.request("chat.send", params);
      if (run) run.runId = answer.runId;
    } catch (error) {
      run = null;
      running(false);
      bubble("error", error.message);
    }
  }

  async function stop() {
    try {
      await gateway.request("chat.abort", { sessionKey, ...(run && run.runId ? { runId: run.runId } : {}) });
    } catch (error) {
      toast(error.message, "error");
    }
  }

  function ours(payload) {
    return payload && payload.sessionKey === sessionKey;
  }

  const offChat = gateway.on("chat", (payload) => {
    if (!ours(payload)) return;
    if (!run) run = { runId: payload.runId, bubble: null, text: "" };
    const text = payload.message ? textOf(payload.message.content) : run.text;
    if (payload.state === "delta") {
      run.text = text;
      if (!run.bubble) run.bubble = bubble("assistant.streaming", "");
      replace(run.bubble.querySelector(".body"), markdown(text));
      scroll();
      return;
    }
    const node = run.bubble || (text || payload.state !== "final" ? bubble("assistant", "") : null);
    if (node) {
      node.classList.remove("streaming");
      replace(node.querySelector(".body"), markdown(text));
      if (payload.state === "aborted") node.append(h("div.meta", "stopped"));
      if (payload.state === "error") {
        node.classList.add("error");
        node.append(h("div.meta", payload.errorMessage || "the run failed"));
      }
    }
    run = null;
    running(false);
    scroll();
  });

  const offAgent = gateway.on("agent", (payload) => {
    if (!ours(payload) || payload.stream !== "tool" || !payload.data) return;
    const data = payload.data;
    if (run && run.bubble) {
      run.bubble.classList.remove("streaming");
      run.bubble = null;
    }
    if (data.phase === "start") toolCard(data.toolCallId, data.name, data.args);
    else if (data.phase === "result") {
      const output = data.result && data.result.content ? textOf(data.result.content) : JSON.stringify(data.result ?? "");
      finishTool(data.toolCallId, data.name, output, data.isError, null);
    }
  });

  function approvalCard(approval) {
    if (!approval || approvals.has(approval.id)) return;
    const request = approval.request || {};
    if (request.sessionKey && request.sessionKey !== sessionKey) return;
    const decide = (decision) => async () => {
      buttons.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      try {
        await gateway.request("exec.approval.resolve", { id: approval.id, decision });
      } catch (error) {
        toast(error.message, "error");
        buttons.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      }
    };
    const buttons = h("div.actions",
      h("button.approve", { type: "button", onclick: decide("allow-once") }, "Allow once"),
      h("button.ghost", { type: "button", onclick: decide("allow-always") }, "Allow always"),
      h("button.danger", { type: "button", onclick: decide("deny") }, "Deny"));
    const card = h("section.approval", { role: "alertdialog", "aria-label": "Command approval" },
      h("div.label", "The assistant wants to run a command on the gateway host"),
      h("pre", h("code", request.command || "")),
      request.cwd ? h("div.meta", `in ${request.cwd}`) : null,
      buttons);
    card.buttons = buttons;
    approvals.set(approval.id, card);
    log.append(card);
    scroll();
    buttons.querySelector("button").focus();
  }

  const offRequested = gateway.on("exec.approval.requested", approvalCard);
  const offResolved = gateway.on("exec.approval.resolved", (payload) => {
    const card = approvals.get(payload && payload.id);
    if (!card) return;
    const words = { "allow-once": "allowed once", "allow-always": "allowed always", deny: "denied" };
    replace(card.buttons, h("span.decided", words[payload.decision] || payload.decision || "answered"));
    card.classList.add("decided");
  });

  open(sessionKey);
  input.focus();
  return () => {
    offChat();
    offAgent();
    offRequested();
    offResolved();
  };
}
