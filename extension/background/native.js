// One connection to the native host `com.factorcat.host`, opened when a
// request needs it and reopened after the host exits. Requests carry an id
// and are matched to replies by it; each has a timeout.
import { hostError } from './errors.js';

export const HOST_NAME = 'com.factorcat.host';

export class NativeHost {
  // connect: () => Port (runtime.connectNative bound); tests pass a fake.
  constructor(connect, { timeoutMs = 10000, idleMs = 120000 } = {}) {
    this.connect = connect;
    this.timeoutMs = timeoutMs;
    this.idleMs = idleMs;
    this.port = null;
    this.nextId = 1;
    this.pending = new Map();
    this.idleTimer = null;
    this.answered = false;
  }

  // Sends {type, ...fields}; resolves with the host's reply when it says
  // ok, rejects with an Error carrying `.info` (see errors.js) otherwise.
  request(type, fields = {}, { timeoutMs = this.timeoutMs } = {}) {
    const port = this.open();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(hostError({ code: 'host_timeout' }));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      try {
        port.postMessage({ ...fields, id, type });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        this.drop();
        reject(hostError({ code: 'host_unreachable', detail: String(err?.message ?? err) }));
      }
      this.touch();
    });
  }

  open() {
    if (this.port) return this.port;
    const port = this.connect(HOST_NAME);
    this.port = port;
    this.answered = false;
    port.onMessage.addListener((msg) => this.onMessage(msg));
    port.onDisconnect.addListener((p) => this.onDisconnect(port, p));
    return port;
  }

  onMessage(msg) {
    this.answered = true;
    const entry = msg && this.pending.get(msg.id);
    if (!entry) {
      // An error frame with id null (forbidden caller, frame too large)
      // concerns every request in flight.
      if (msg && msg.id == null && msg.ok === false) this.failAll(hostError(msg.error ?? {}));
      return;
    }
    this.pending.delete(msg.id);
    clearTimeout(entry.timer);
    if (msg.ok) entry.resolve(msg);
    else entry.reject(hostError(msg.error ?? {}));
  }

  onDisconnect(port, p) {
    if (this.port !== port) return;
    // Chromium reports the reason on the port, Firefox on port.error.
    const api = globalThis.browser ?? globalThis.chrome;
    const detail = p?.error?.message ?? api?.runtime?.lastError?.message ?? '';
    this.port = null;
    clearTimeout(this.idleTimer);
    const missing = /not found|no such native application|forbidden|failed to start/i.test(detail);
    const code = missing ? 'host_missing' : (this.answered ? 'host_exited' : 'host_exited_early');
    this.failAll(hostError({ code, detail }));
  }

  failAll(err) {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(err);
      this.pending.delete(id);
    }
  }

  // Lets the host exit (and forget the vault key) after a quiet while.
  touch() {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => { if (!this.pending.size) this.drop(); }, this.idleMs);
  }

  drop() {
    const port = this.port;
    this.port = null;
    clearTimeout(this.idleTimer);
    try { port?.disconnect(); } catch { /* already gone */ }
  }
}
