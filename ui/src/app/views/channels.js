// Channels: each chat account's state (connected, last message in and out, errors), with a
// probe on demand, and the senders waiting for DM pairing, approved or dismissed here.

import { h, replace, toast, ago } from "../dom.js";

export function channelsView(root, gateway) {
  const accounts = h("div.cards.channel-accounts");
  const requests = h("div.cards.pairing-requests");
  const probe = h("button.ghost", { type: "button", onclick: () => loadStatus(true) }, "Probe");
  replace(root,
    h("div.toolbar", h("h2", "Accounts"), h("div.spacer"), probe), accounts,
    gateway.has("channels.pairing.list") ? [h("h2", "Waiting for pairing"), requests] : null);

  async function loadStatus(withProbe = false) {
    try {
      const status = await gateway.request("channels.status", withProbe ? { probe: true } : {});
      const cards = [];
      for (const channel of status.channelOrder || []) {
        for (const account of (status.channelAccounts || {})[channel] || []) {
          const state = account.connected ? "connected" : account.running ? "starting" : account.stateReason || "stopped";
          cards.push(h("article.card.channel-account", { dataset: { channel, account: account.accountId } },
            h("h3", `${(status.channelLabels || {})[channel] || channel} · ${account.name || account.accountId}`),
            h("p", h("span.badge", { dataset: { state } }, state), account.identity ? ` ${account.identity}` : ""),
            h("p.meta", `last message in ${ago(account.lastInboundAt) || "never"} · out ${ago(account.lastOutboundAt) || "never"}`),
            account.lastError ? h("p.error", account.lastError) : null,
            account.probe ? h("p.meta", account.probe.ok ? `probe ok (${account.probe.elapsedMs} ms)` : `probe failed: ${account.probe.error || "timed out"}`) : null));
        }
      }
      replace(accounts, cards.length ? cards : h("p.empty", "No chat channel is configured. Add one with rustyclaw channels add."));
    } catch (error) {
      replace(accounts, h("p.error", error.message));
    }
  }

  async function loadRequests() {
    if (!gateway.has("channels.pairing.list")) return;
    try {
      const answer = await gateway.request("channels.pairing.list", {});
      replace(requests, (answer.requests || []).map((request) => h("article.card.pairing-request", { dataset: { code: request.requestId } },
        h("h3", request.senderLabel),
        h("p.meta", `${request.channelLabel} · ${request.accountId} · code ${request.requestId} · asked ${ago(Date.parse(request.createdAt))}`),
        h("div.actions",
          h("button.approve", { type: "button", onclick: () => answer_("channels.pairing.approve", request, { notify: true }) }, "Approve"),
          h("button.danger", { type: "button", onclick: () => answer_("channels.pairing.dismiss", request, {}) }, "Dismiss")))));
      if (!(answer.requests || []).length) requests.append(h("p.empty", "No sender is waiting."));
    } catch (error) {
      replace(requests, h("p.error", error.message));
    }
  }

  async function answer_(method, request, extra) {
    try {
      await gateway.request(method, { channel: request.channel, accountId: request.accountId, requestId: request.requestId, ...extra });
      toast(method.endsWith("approve") ? `${request.senderLabel} may now chat` : "Dismissed");
    } catch (error) {
      toast(error.message, "error");
    }
    loadRequests();
  }

  loadStatus();
  loadRequests();
  const timer = setInterval(() => { loadStatus(); loadRequests(); }, 10_000);
  return () => clearInterval(timer);
}
