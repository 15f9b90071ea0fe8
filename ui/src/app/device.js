// This browser's device identity: an Ed25519 key pair kept in IndexedDB, as OpenClaw's Control
// UI keeps one, so the gateway can pair this browser like any other device. Where the page is
// a secure context (https, or http on localhost) and the browser has WebCrypto Ed25519, the
// private key is a non-extractable CryptoKey; elsewhere (plain http on a LAN address, where
// WebCrypto is absent) it is a random 32-byte seed signed with the bundled @noble/ed25519.

/** The bundled pure-JS Ed25519 and SHA-2, loaded only where WebCrypto is missing. */
let nobleModules = null;
function noble() {
  nobleModules ||= Promise.all([
    import("../vendor/noble-ed25519/index.js"),
    import("../vendor/noble-hashes/sha2.js"),
  ]).then(([ed, hashes]) => {
    ed.hashes.sha512 = hashes.sha512;
    return { ed, sha256: hashes.sha256 };
  });
  return nobleModules;
}

async function sha256Hex(bytes) {
  if (globalThis.isSecureContext && crypto.subtle) {
    return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
  }
  return hex((await noble()).sha256(bytes));
}

const DB = "rustyclaw-control-ui";
const STORE = "identity";
const KEY = "device";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function load() {
  const db = await open();
  return new Promise((resolve, reject) => {
    const request = db.transaction(STORE).objectStore(STORE).get(KEY);
    request.onsuccess = () => resolve(request.result || null);
    request.onerror = () => reject(request.error);
  });
}

async function save(record) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).put(record, KEY);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

function base64url(bytes) {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function webCryptoKeys() {
  if (!globalThis.isSecureContext || !crypto.subtle) return null;
  try {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    return { kind: "webcrypto", privateKey: pair.privateKey, publicKey: raw };
  } catch {
    return null;
  }
}

async function nobleKeys() {
  const { ed } = await noble();
  const seed = ed.utils.randomSecretKey();
  return { kind: "noble", seed, publicKey: ed.getPublicKey(seed) };
}

let identity = null;

/** The identity, created and stored on first use: `{id, publicKey, sign(text)}`. */
export async function deviceIdentity() {
  if (identity) return identity;
  let record = null;
  try {
    record = await load();
  } catch {
    record = null;
  }
  if (!record) {
    record = (await webCryptoKeys()) || (await nobleKeys());
    try {
      await save(record);
    } catch {
      // Private browsing without IndexedDB: the identity lasts as long as the page.
    }
  }
  const publicKey = new Uint8Array(record.publicKey);
  const sign = async (text) => {
    const message = new TextEncoder().encode(text);
    if (record.kind === "webcrypto") {
      return base64url(new Uint8Array(await crypto.subtle.sign("Ed25519", record.privateKey, message)));
    }
    const { ed } = await noble();
    return base64url(ed.sign(message, new Uint8Array(record.seed)));
  };
  identity = { id: await sha256Hex(publicKey), publicKey: base64url(publicKey), kind: record.kind, sign };
  return identity;
}
