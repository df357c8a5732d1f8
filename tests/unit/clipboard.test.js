// Clearing a code copied from the popup: 30 s later, only if the clipboard
// still holds it; the option turns it off; Chromium's offscreen document
// or Firefox's background page does the reading and clearing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shared, manifest } from './load.js';

await shared();
const { makeClipboard, clearIfStillThere, CLEAR_AFTER_MS } = await import('../../extension/background/clipboard.js');
const { makeHandlers } = await import('../../extension/background/handlers.js');
const { storeManifest } = await import('../../scripts/build-extension.mjs');

// A document whose clipboard holds `held` (null: the browser refuses to
// read it); it records what a copy wrote.
function fakeDoc(held) {
  const state = { held, listeners: [] };
  const box = { value: '', focus() {}, remove() {} };
  return {
    state,
    body: { append() {} },
    createElement: () => box,
    addEventListener: (type, fn) => state.listeners.push(fn),
    removeEventListener: (type, fn) => { state.listeners = state.listeners.filter((f) => f !== fn); },
    execCommand(cmd) {
      if (state.held === null) return false;
      if (cmd === 'paste') { box.value = state.held; return true; }
      const data = { setData: (_, v) => { state.held = v; } };
      for (const fn of state.listeners) fn({ clipboardData: data, preventDefault() {} });
      return true;
    },
  };
}

test('cleared only while the clipboard still holds the code', () => {
  let doc = fakeDoc('123456');
  assert.equal(clearIfStillThere(doc, '123456'), 'cleared');
  assert.equal(doc.state.held, '');
  doc = fakeDoc('something the person copied since');
  assert.equal(clearIfStillThere(doc, '123456'), 'other');
  assert.equal(doc.state.held, 'something the person copied since');
  doc = fakeDoc(null);
  assert.equal(clearIfStillThere(doc, '123456'), 'unreadable');
});

function fakeApi({ offscreen = false, doc } = {}) {
  const m = new Map();
  const area = {
    async get(k) { const o = {}; for (const key of [].concat(k)) if (m.has(key)) o[key] = m.get(key); return o; },
    async set(o) { for (const [k, v] of Object.entries(o)) m.set(k, v); },
    async remove(k) { m.delete(k); },
  };
  const log = [];
  const api = {
    log,
    storage: { session: area, local: { ...area, get: async () => ({}), set: async () => {} } },
    alarms: { async create(name, info) { log.push(['alarm', name, info.when - Date.now()]); } },
    runtime: { async sendMessage(msg) { log.push(['message', msg]); return clearIfStillThere(doc, msg.code); } },
  };
  if (offscreen) {
    api.offscreen = {
      async createDocument(o) { log.push(['create', o.url, o.reasons]); },
      async closeDocument() { log.push(['close']); },
    };
  }
  return api;
}

test('the alarm 30 s after the copy clears it (Firefox: the background page)', async () => {
  const doc = fakeDoc('654321');
  const api = fakeApi({ doc });
  const clip = makeClipboard({ api, doc });
  await clip.copied('654321');
  const [kind, name, ms] = api.log[0];
  assert.deepEqual([kind, name], ['alarm', 'clear-clipboard']);
  assert.ok(Math.abs(ms - CLEAR_AFTER_MS) < 1000, `${ms} ms`);
  assert.equal(await clip.onAlarm({ name: 'other' }), null);
  assert.equal(await clip.onAlarm({ name: 'clear-clipboard' }), 'cleared');
  assert.equal(doc.state.held, '');
  // Once only.
  assert.equal(await clip.onAlarm({ name: 'clear-clipboard' }), null);
});

test('Chromium: an offscreen document for the moment, closed after', async () => {
  const doc = fakeDoc('111222');
  const api = fakeApi({ offscreen: true, doc });
  const clip = makeClipboard({ api, doc: undefined });
  await clip.copied('111222');
  assert.equal(await clip.onAlarm({ name: 'clear-clipboard' }), 'cleared');
  assert.deepEqual(api.log.slice(1).map((e) => e[0]), ['create', 'message', 'close']);
  assert.deepEqual(api.log[1].slice(1), ['background/clipboard.html', ['CLIPBOARD']]);
});

test('the popup\'s copy is cleared later unless the option is off', async () => {
  for (const on of [true, false]) {
    const calls = [];
    const clipboard = { async copied(code) { calls.push(code); } };
    const local = new Map([['clearClipboard', on]]);
    const api = {
      storage: {
        local: { async get(keys) { const o = {}; for (const k of keys) if (local.has(k)) o[k] = local.get(k); return o; } },
        session: { async get() { return {}; } },
      },
    };
    const { extension } = makeHandlers({ api, host: {}, clipboard });
    assert.deepEqual(await extension.copied({ code: '123456' }), { ok: true, clearing: on });
    assert.deepEqual(calls, on ? ['123456'] : []);
    // Only a code, never any text a page or a popup bug might send.
    assert.deepEqual(await extension.copied({ code: 'not a code at all' }), { ok: true, clearing: false });
  }
});

test('the Firefox build asks for no offscreen documents, the Chromium one does', () => {
  assert.ok(manifest.permissions.includes('offscreen'));
  assert.ok(!storeManifest(manifest, 'firefox', manifest.version).permissions.includes('offscreen'));
  assert.ok(storeManifest(manifest, 'chromium', manifest.version).permissions.includes('offscreen'));
});
