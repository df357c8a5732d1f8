// The native port: ids, timeouts, reconnecting, and errors a person can act on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NativeHost } from '../../extension/background/native.js';

// A port that records what is posted and lets the test answer or hang up.
function fakeBrowser() {
  const ports = [];
  const connect = (name) => {
    const listeners = { msg: [], disc: [] };
    const port = {
      name, posted: [], disconnected: false,
      postMessage(m) { if (this.disconnected) throw new Error('Attempt to postMessage on disconnected port'); this.posted.push(m); },
      disconnect() { this.disconnected = true; },
      onMessage: { addListener: (f) => listeners.msg.push(f) },
      onDisconnect: { addListener: (f) => listeners.disc.push(f) },
      reply(m) { for (const f of listeners.msg) f(m); },
      hangUp(error) { this.disconnected = true; for (const f of listeners.disc) f(error ? { error: { message: error } } : {}); },
    };
    ports.push(port);
    return port;
  };
  return { ports, connect };
}

test('replies are matched by id, in any order', async () => {
  const b = fakeBrowser();
  const host = new NativeHost(b.connect, { idleMs: 50 });
  const a = host.request('hello');
  const c = host.request('list', { offset: 0 });
  const [p] = b.ports;
  assert.equal(p.name, 'com.factorcat.host');
  assert.deepEqual(p.posted.map((m) => m.type), ['hello', 'list']);
  p.reply({ id: p.posted[1].id, ok: true, tokens: [] });
  p.reply({ id: p.posted[0].id, ok: true, host: 'factorcat' });
  assert.equal((await a).host, 'factorcat');
  assert.deepEqual((await c).tokens, []);
  assert.equal(b.ports.length, 1, 'one port for both requests');
  host.drop();
});

test('a host error becomes an error with a fix', async () => {
  const b = fakeBrowser();
  const host = new NativeHost(b.connect, { idleMs: 50 });
  const r = host.request('list');
  const [p] = b.ports;
  p.reply({ id: p.posted[0].id, ok: false, error: { code: 'vault_missing', message: 'no vault: run factorcat init' } });
  await assert.rejects(r, (err) => err.info.code === 'vault_missing' && err.info.fix === 'factorcat init');
  host.drop();
});

test('host not installed: Chromium and Firefox wording both map to host_missing', async () => {
  for (const message of ['Specified native messaging host not found.', 'No such native application com.factorcat.host']) {
    const b = fakeBrowser();
    const host = new NativeHost(b.connect, { idleMs: 50 });
    const r = host.request('hello');
    b.ports[0].hangUp(message);
    await assert.rejects(r, (err) => err.info.code === 'host_missing' && err.info.fix === 'factorcat install');
  }
});

test('timeout rejects, and a later request still works', async () => {
  const b = fakeBrowser();
  const host = new NativeHost(b.connect, { timeoutMs: 20, idleMs: 50 });
  await assert.rejects(host.request('hello'), (err) => err.info.code === 'host_timeout');
  const again = host.request('hello');
  const p = b.ports[0];
  p.reply({ id: p.posted[1].id, ok: true });
  assert.equal((await again).ok, true);
  host.drop();
});

test('reconnects after the host exits', async () => {
  const b = fakeBrowser();
  const host = new NativeHost(b.connect, { idleMs: 50 });
  const first = host.request('hello');
  b.ports[0].reply({ id: b.ports[0].posted[0].id, ok: true });
  await first;
  const lost = host.request('list');
  b.ports[0].hangUp('Native host has exited.');
  await assert.rejects(lost, (err) => err.info.code === 'host_exited');
  const second = host.request('hello');
  assert.equal(b.ports.length, 2, 'a new port after the exit');
  b.ports[1].reply({ id: b.ports[1].posted[0].id, ok: true, again: 1 });
  assert.equal((await second).again, 1);
  host.drop();
});

test('an error frame with id null fails what is in flight', async () => {
  const b = fakeBrowser();
  const host = new NativeHost(b.connect, { idleMs: 50 });
  const r = host.request('hello');
  b.ports[0].reply({ id: null, ok: false, error: { code: 'forbidden_caller', message: 'not FactorCat' } });
  await assert.rejects(r, (err) => err.info.code === 'forbidden_caller' && err.info.fix === 'factorcat install');
  host.drop();
});

test('an idle port is closed so the host can exit', async () => {
  const b = fakeBrowser();
  const host = new NativeHost(b.connect, { idleMs: 10 });
  const r = host.request('hello');
  b.ports[0].reply({ id: b.ports[0].posted[0].id, ok: true });
  await r;
  await new Promise((res) => setTimeout(res, 30));
  assert.equal(b.ports[0].disconnected, true);
});
