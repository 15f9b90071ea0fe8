// The gateway connection: OpenClaw's protocol v4 over the page's own origin, as client
// `openclaw-control-ui` with this browser's device identity. Requests are promises; events go
// to listeners; a dropped socket reconnects with backoff (1 s doubling to 30 s) and pending
// requests fail with the reason.

import { deviceIdentity } from "./device.js";

const CLIENT_ID = "openclaw-control-ui";
const CLIENT_MODE = "webchat";
const ROLE = "operator";
const SCOPES = ["operator.admin", "operator.read", "operator.write", "operator.approvals", "operator.pairing"];
const REQUEST_TIMEOUT_MS = 30_000;

/** A gateway error answer, with its code and details. */
export class GatewayError extends Error {
  constructor(error) {
    super((error && error.message) || "request failed");
    this.code = error && error.code;
    this.details = (error && error.details) || {};
  }
}

export class Gateway {
  /** `url`: the WebSocket URL; `auth()`: the credentials to present ({token}|{password}|{}). */
  constructor(url, auth) {
    this.url = url;
    this.auth = auth;
    this.socket = null;
    this.hello = null;
    this.pending = new Map();
    this.listeners = new Map();
    this.nextId = 1;
    this.backoff = 1000;
    this.stopped = false;
    this.state = "idle";
  }

  /** Listens to event `name` (`*` for all, `status` for connection changes). */
  on(name, listener) {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(listener);
    return () => this.listeners.get(name).delete(listener);
  }

  emit(name, payload, frame) {
    for (const key of [name, "*"]) {
      for (const listener of this.listeners.get(key) || []) {
        try {
          listener(payload, frame);
        } catch (error) {
          console.warn("listener failed", error);
        }
      }
    }
  }

  setState(state, detail) {
    this.state = state;
    this.emit("status", { state, detail });
  }

  /** Whether the gateway answers `method` (it is listed in hello-ok). */
  has(method) {
    return Boolean(this.hello && this.hello.features && (this.hello.features.methods || []).includes(method));
  }

  start() {
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close(1000, "bye");
  }

  open() {
    this.setState("connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    let challenge = null;
    const challengeWait = setTimeout(() => this.connect(socket, null), 750);
    socket.onmessage = (message) => {
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (frame.type === "event" && frame.event === "connect.challenge" && !challenge) {
        challenge = frame.payload || {};
        clearTimeout(challengeWait);
        this.connect(socket, challenge);
        return;
      }
      this.receive(frame);
    };
    socket.onclose = (event) => {
      clearTimeout(challengeWait);
      if (this.socket !== socket) return;
      this.socket = null;
      this.hello = null;
      for (const [, waiter] of this.pending) waiter.reject(new GatewayError({ message: event.reason || "connection closed" }));
      this.pending.clear();
      if (this.stopped || this.state === "refused" || this.state === "pairing") {
        if (this.state === "pairing" && !this.stopped) setTimeout(() => this.open(), 3000);
        return;
      }
      this.setState("offline", event.reason || "connection lost");
      setTimeout(() => this.open(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 30_000);
    };
  }

  async connect(socket, challenge) {
    if (socket.readyState !== WebSocket.OPEN || socket.connecting) return;
    socket.connecting = true;
    const auth = this.auth() || {};
    const device = await deviceIdentity();
    const signedAt = Date.now();
    const nonce = (challenge && challenge.nonce) || "";
    const token = auth.token || auth.deviceToken || auth.bootstrapToken || "";
    const payload = ["v2", device.id, CLIENT_ID, CLIENT_MODE, ROLE, SCOPES.join(","), signedAt, token, nonce].join("|");
    const params = {
      minProtocol: 4,
      maxProtocol: 4,
      client: {
        id: CLIENT_ID,
        version: "rustyclaw-ui",
        platform: navigator.platform || "web",
        mode: CLIENT_MODE,
        instanceId: sessionStorage.getItem("rustyclaw.instance") || crypto.randomUUID?.() || String(Math.random()),
        displayName: "Control UI (browser)",
      },
      role: ROLE,
      scopes: SCOPES,
      caps: ["tool-events"],
      auth,
      device: { id: device.id, publicKey: device.publicKey, signature: await device.sign(payload), signedAt, nonce },
      userAgent: navigator.userAgent,
      locale: navigator.language,
    };
    sessionStorage.setItem("rustyclaw.instance", params.client.instanceId);
    try {
      const hello = await this.request("connect", params, socket);
      this.hello = hello;
      this.backoff = 1000;
      this.setState("connected", hello);
    } catch (error) {
      if (error.code === "NOT_PAIRED" || error.details.code === "PAIRING_REQUIRED") {
        this.setState("pairing", error);
      } else {
        this.setState("refused", error);
      }
      socket.close(1000, "connect refused");
    }
  }

  receive(frame) {
    if (frame.type === "res") {
      const waiter = this.pending.get(frame.id);
      if (!waiter) return;
      if (waiter.keep && frame.ok && frame.payload && frame.payload.status === "accepted") return;
      this.pending.delete(frame.id);
      clearTimeout(waiter.timer);
      if (frame.ok) waiter.resolve(frame.payload);
      else waiter.reject(new GatewayError(frame.error));
    } else if (frame.type === "event") {
      this.emit(frame.event, frame.payload, frame);
    }
  }

  /** Calls `method` with `params`; resolves with the answer's payload. */
  request(method, params = {}, socket = this.socket) {
    return new Promise((resolve, reject) => {
      if (!socket || socket.readyState !== WebSocket.OPEN) {
        reject(new GatewayError({ message: "not connected to the gateway" }));
        return;
      }
      const id = `ui-${this.nextId++}`;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GatewayError({ message: `${method} timed out` }));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer, keep: method === "agent" });
      socket.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }
}
