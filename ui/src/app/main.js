// rustyclaw's Control UI: the shell (navigation, connection, login) and the router. Each view
// lives in views/ and declares the gateway methods it needs; a view whose methods the gateway
// does not advertise is not offered.

import { h, replace, toast } from "./dom.js";
import { Gateway } from "./gateway.js";
import { chatView } from "./views/chat.js";
import { sessionsView } from "./views/sessions.js";
import { logsView } from "./views/logs.js";
import { devicesView } from "./views/devices.js";
import { configView } from "./views/config.js";
import { usageView } from "./views/usage.js";
import { filesView } from "./views/files.js";
import { channelsView } from "./views/channels.js";
import { skillsView } from "./views/skills.js";
import { memoryView } from "./views/memory.js";

const VIEWS = [
  { path: "chat", title: "Chat", needs: ["chat.send", "chat.history"], render: chatView },
  { path: "sessions", title: "Sessions", needs: ["sessions.list"], render: sessionsView },
  { path: "channels", title: "Channels", needs: ["channels.status"], render: channelsView },
  { path: "logs", title: "Logs", needs: ["logs.tail"], render: logsView },
  { path: "usage", title: "Usage", needs: ["usage.cost"], render: usageView },
  { path: "config", title: "Config", needs: ["config.get", "config.schema", "config.patch", "config.set"], render: configView },
  { path: "memory", title: "Memory", needs: ["memory.search"], render: memoryView },
  { path: "skills", title: "Skills", needs: ["skills.status", "skills.update"], render: skillsView },
  { path: "files", title: "Agent files", needs: ["agents.files.list", "agents.files.get", "agents.files.set"], render: filesView },
  { path: "devices", title: "Devices", needs: ["device.pair.list"], render: devicesView },
];

const TOKEN_KEY = `rustyclaw.token:${location.origin}`;
const BOOTSTRAP_KEY = `rustyclaw.bootstrap:${location.origin}`;
const DEVICE_TOKEN_KEY = `rustyclaw.deviceToken:${location.origin}`;

/** Credentials from the URL fragment — the gateway token (`#token=…`) or a one-time dashboard
 * link (`#bootstrapToken=…`) — moved to this tab's storage and out of the address bar and
 * history before anything else runs. A `gatewayUrl` in the link is dropped: this page only
 * ever connects to the gateway that served it. */
function takeTokenFromUrl() {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = fragment.get("token");
  const bootstrap = fragment.get("bootstrapToken");
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  if (bootstrap) sessionStorage.setItem(BOOTSTRAP_KEY, bootstrap);
  const names = ["token", "bootstrapToken", "bootstrapProfile", "gatewayUrl"];
  if (names.some((name) => fragment.has(name))) {
    names.forEach((name) => fragment.delete(name));
    const rest = fragment.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  }
}

takeTokenFromUrl();

const base = new URL(document.baseURI);
const wsUrl = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${base.pathname}`;
const gateway = new Gateway(wsUrl, () => {
  // A pending one-time link first (it pairs this browser), then the gateway token, then this
  // browser's own device token from an earlier pairing.
  const bootstrap = sessionStorage.getItem(BOOTSTRAP_KEY);
  const token = sessionStorage.getItem(TOKEN_KEY);
  const deviceToken = localStorage.getItem(DEVICE_TOKEN_KEY);
  if (bootstrap) return { bootstrapToken: bootstrap };
  if (token) return { token };
  if (deviceToken) return { deviceToken };
  return {};
});

const app = document.getElementById("app");
const nav = h("nav.nav", { "aria-label": "Views" });
const status = h("span.status", { role: "status" }, "connecting…");
const main = h("main#view", { tabindex: "-1" });
const theme = h("button.ghost", { type: "button", title: "Switch light and dark", onclick: toggleTheme }, "◐");
replace(
  app,
  h("header.top", h("a.brand", { href: "chat" }, "rustyclaw"), nav, h("div.spacer"), status, theme),
  main,
);

function toggleTheme() {
  const dark = document.documentElement.dataset.theme !== "dark"
    && (document.documentElement.dataset.theme === "light" || !matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  localStorage.setItem("rustyclaw.theme", document.documentElement.dataset.theme);
}
if (localStorage.getItem("rustyclaw.theme")) document.documentElement.dataset.theme = localStorage.getItem("rustyclaw.theme");

function currentPath() {
  const relative = location.pathname.slice(base.pathname.length).replace(/^\/+/, "");
  return relative.split("/")[0] || "chat";
}

let teardown = null;

function available() {
  return VIEWS.filter((view) => view.needs.every((method) => gateway.has(method)));
}

function renderNav() {
  const here = currentPath();
  replace(nav, available().map((view) =>
    h("a", { href: view.path, "aria-current": view.path === here ? "page" : null, onclick: navigate }, view.title)));
}

function navigate(event) {
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.button) return;
  event.preventDefault();
  history.pushState(null, "", event.currentTarget.getAttribute("href"));
  route();
}

function route() {
  if (teardown) teardown();
  teardown = null;
  renderNav();
  if (gateway.state !== "connected") return;
  const views = available();
  const view = views.find((v) => v.path === currentPath()) || views[0];
  if (!view) {
    replace(main, h("p.empty", "This gateway offers none of the views of this UI."));
    return;
  }
  document.title = `${view.title} · rustyclaw`;
  const container = h("section.view", { "aria-label": view.title });
  replace(main, container);
  teardown = view.render(container, gateway, { subpath: location.pathname.slice(base.pathname.length).split("/").slice(1) }) || null;
}

function login(reason) {
  if (teardown) teardown();
  teardown = null;
  const input = h("input#secret", { type: "password", autocomplete: "current-password", placeholder: "gateway token or password" });
  const form = h("form.login",
    { onsubmit: (event) => {
      event.preventDefault();
      if (!input.value) return;
      sessionStorage.setItem(TOKEN_KEY, input.value);
      gateway.stop();
      gateway.start();
    } },
    h("h1", "Connect to the gateway"),
    reason ? h("p.error", reason) : null,
    h("label", { for: "secret" }, "Gateway secret"),
    input,
    h("button", { type: "submit" }, "Connect"),
    h("p.hint", "Run ", h("code", "rustyclaw dashboard"), " on the gateway host for a link that signs you in."));
  replace(main, form);
  input.focus();
}

function pairing(error) {
  const details = error.details || {};
  replace(main, h("section.pairing",
    h("h1", "Waiting for approval"),
    h("p", "This browser is a new device. Approve it from a device that is already paired (Devices) or on the gateway host:"),
    h("pre", h("code", `rustyclaw devices approve ${details.requestId || "<requestId>"}`)),
    h("p.hint", "Device ", h("code", (details.deviceId || "").slice(0, 16)), " — this page retries every few seconds.")));
}

gateway.on("status", ({ state, detail }) => {
  const labels = { connecting: "connecting…", connected: "connected", offline: "offline — reconnecting", pairing: "awaiting pairing", refused: "not signed in" };
  status.textContent = labels[state] || state;
  status.dataset.state = state;
  if (state === "connected") {
    const deviceToken = detail && detail.auth && detail.auth.deviceToken;
    if (deviceToken) localStorage.setItem(DEVICE_TOKEN_KEY, deviceToken);
    sessionStorage.removeItem(BOOTSTRAP_KEY);
    route();
  } else if (state === "refused") {
    const code = detail && detail.details && detail.details.code;
    if (code === "AUTH_DEVICE_TOKEN_MISMATCH") localStorage.removeItem(DEVICE_TOKEN_KEY);
    if (code === "AUTH_BOOTSTRAP_TOKEN_INVALID" && sessionStorage.getItem(BOOTSTRAP_KEY)) {
      // A used or expired link: try what else this browser holds before asking.
      sessionStorage.removeItem(BOOTSTRAP_KEY);
      if (localStorage.getItem(DEVICE_TOKEN_KEY) || sessionStorage.getItem(TOKEN_KEY)) {
        gateway.start();
        return;
      }
    }
    sessionStorage.removeItem(TOKEN_KEY);
    login(detail && detail.message);
  } else if (state === "pairing") {
    pairing(detail);
  }
});

gateway.on("shutdown", () => toast("The gateway is restarting…"));
addEventListener("popstate", route);
gateway.start();
