// Devices: browsers, CLIs and apps waiting for pairing and those already paired; approve,
// reject, remove.

import { h, replace, toast, ago } from "../dom.js";

export function devicesView(root, gateway) {
  const pending = h("div.cards");
  const paired = h("table.devices");
  replace(root, h("h2", "Waiting for approval"), pending, h("h2", "Paired"), paired);

  async function load() {
    try {
      const answer = await gateway.request("device.pair.list", {});
      replace(pending, (answer.pending || []).map((request) => h("article.card.pending-device",
        h("h3", request.displayName || request.clientId || "device"),
        h("p.meta", `${request.platform || "unknown platform"} · ${request.remoteIp || ""} · asked ${ago(request.ts)}`),
        h("p", "Role ", h("code", request.role || "operator"), " scopes ", h("code", (request.scopes || []).join(", ") || "none")),
        h("div.actions",
          h("button.approve", { type: "button", onclick: () => act("device.pair.approve", { requestId: request.requestId }) }, "Approve"),
          h("button.danger", { type: "button", onclick: () => act("device.pair.reject", { requestId: request.requestId }) }, "Reject")))));
      if (!(answer.pending || []).length) pending.append(h("p.empty", "No device is waiting."));
      replace(paired,
        h("thead", h("tr", ["Device", "Client", "Roles", "Paired", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", (answer.paired || []).map((device) => h("tr",
          h("td", device.displayName || device.deviceId.slice(0, 12), h("div.meta", device.deviceId.slice(0, 16))),
          h("td", device.clientId || "–"),
          h("td", (device.roles || [device.role]).filter(Boolean).join(", ")),
          h("td", ago(device.approvedAtMs || device.createdAtMs)),
          h("td", h("button.danger", { type: "button", onclick: () => { if (confirm("Remove this device? It must pair again.")) act("device.pair.remove", { deviceId: device.deviceId }); } }, "Remove"))))));
    } catch (error) {
      replace(pending, h("p.error", error.message));
    }
  }

  async function act(method, params) {
    try {
      await gateway.request(method, params);
      toast("Done");
    } catch (error) {
      toast(error.message, "error");
    }
    load();
  }

  load();
  const offs = ["device.pair.requested", "device.pair.resolved"].map((event) => gateway.on(event, load));
  return () => offs.forEach((off) => off());
}
