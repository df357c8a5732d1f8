// The keyboard shortcut (manifest `commands`): its default key, and what
// the background does when it is pressed — fill the one token that fits,
// open the chooser when several do, or say why nothing can be filled —
// with a fake browser and a fake host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shared, manifest } from './load.js';

await shared();
const { makeHandlers } = await import('../../extension/background/handlers.js');

// What each browser binds itself with Alt+Shift or Ctrl+Shift and a letter
// on Linux and Windows (Chromium: chrome/browser/ui/views/accelerator_table.cc;
// Firefox: browser/base/content/browser-sets.inc and its menus' access
// keys, which Alt+Shift+letter can reach on Windows). A default shortcut
// must be none of them.
const TAKEN = new Set([
  // Chromium
  'Alt+Shift+A', 'Alt+Shift+B', 'Alt+Shift+I', 'Alt+Shift+T',
  'Ctrl+Shift+A', 'Ctrl+Shift+B', 'Ctrl+Shift+C', 'Ctrl+Shift+D', 'Ctrl+Shift+E', 'Ctrl+Shift+I',
  'Ctrl+Shift+J', 'Ctrl+Shift+M', 'Ctrl+Shift+N', 'Ctrl+Shift+O', 'Ctrl+Shift+P', 'Ctrl+Shift+Q',
  'Ctrl+Shift+R', 'Ctrl+Shift+S', 'Ctrl+Shift+T', 'Ctrl+Shift+W',
  // Firefox: its Ctrl+Shift shortcuts, and the menu bar's access keys
  // (File, Edit, View, History, Bookmarks, Tools, Help).
  'Ctrl+Shift+A', 'Ctrl+Shift+B', 'Ctrl+Shift+D', 'Ctrl+Shift+E', 'Ctrl+Shift+H', 'Ctrl+Shift+I',
  'Ctrl+Shift+J', 'Ctrl+Shift+K', 'Ctrl+Shift+M', 'Ctrl+Shift+N', 'Ctrl+Shift+O', 'Ctrl+Shift+P',
  'Ctrl+Shift+R', 'Ctrl+Shift+S', 'Ctrl+Shift+T', 'Ctrl+Shift+W', 'Ctrl+Shift+X', 'Ctrl+Shift+Y',
  'Ctrl+Shift+Z', 'Ctrl+Shift+C', 'Ctrl+Shift+Q',
  'Alt+Shift+F', 'Alt+Shift+E', 'Alt+Shift+V', 'Alt+Shift+S', 'Alt+Shift+B', 'Alt+Shift+T', 'Alt+Shift+H',
]);

test('one command, with a default that neither browser uses itself', () => {
  assert.deepEqual(Object.keys(manifest.commands), ['fill-code']);
  const { suggested_key: key, description } = manifest.commands['fill-code'];
  assert.equal(key.default, 'Alt+Shift+O');
  assert.equal(key.mac, 'MacCtrl+Shift+O');
  assert.ok(!TAKEN.has(key.default), key.default);
  // Both browsers accept it: a modifier that is not Ctrl+Alt, and one key.
  assert.match(key.default, /^(Alt|Ctrl)\+Shift\+[A-Z0-9]$/);
  assert.ok(description.length > 10 && description.length <= 80, description);
});

const PAGE = 'https://github.com/sessions/two-factor/app';
const GITHUB = { id: 'g1', issuer: 'GitHub', account: 'octocat' };
const WORK = { id: 'g2', issuer: 'GitHub', account: 'octo-work' };

// A browser whose tab 7 shows `url`; its content script answers `probe`
// with `field` unless `reachable` is false (a page extensions may not
// touch), and records every other message it gets.
function fakeApi({ url = PAGE, field = true, reachable = true } = {}) {
  const store = () => {
    const m = new Map();
    return {
      async get(k) { const o = {}; for (const key of [].concat(k)) if (m.has(key)) o[key] = m.get(key); return o; },
      async set(o) { for (const [k, v] of Object.entries(o)) m.set(k, v); },
      async remove(k) { m.delete(k); },
    };
  };
  const sent = [];
  const badge = { text: '', title: '' };
  return {
    sent, badge,
    storage: { session: store(), local: store() },
    action: {
      async setBadgeText({ text }) { badge.text = text; },
      async setBadgeBackgroundColor() {},
      async setTitle({ title }) { badge.title = title; },
    },
    scripting: { async executeScript() { if (!reachable) throw new Error('Cannot access this page'); } },
    tabs: {
      async query() { return [{ id: 7, url }]; },
      async get(id) { return { id, url }; },
      async sendMessage(tabId, msg) {
        if (!reachable) throw new Error('Could not establish connection');
        sent.push(msg);
        if (msg.type === 'probe') return { field, hint: {} };
        if (msg.type === 'fill') return { filled: field };
        if (msg.type === 'choose') return { opened: field };
        if (msg.type === 'notice') return { shown: true };
        return undefined;
      },
    },
  };
}

// A host that says `tokens` belong to the page; one of them alone is
// filled automatically.
function fakeHost(tokens, { autofill = tokens.length === 1, fail = null } = {}) {
  const calls = [];
  return {
    calls,
    async request(type, fields) {
      calls.push({ type, ...fields });
      if (fail) throw fail;
      if (type === 'match') {
        return {
          total: tokens.length, autofill, autofill_token: autofill ? tokens[0].id : null,
          candidates: tokens.map((token) => ({ strength: 'site', token })),
          page: { host: new URL(fields.url).hostname },
        };
      }
      if (type === 'code') return { code: '123456', valid_from: 0, wait: 0 };
      throw new Error(`unexpected ${type}`);
    },
  };
}

const press = (api, host, tab = { id: 7, url: PAGE }) =>
  makeHandlers({ api, host }).commands['fill-code'](tab);

test('one token fits: its code is filled, fetched for filling', async () => {
  const api = fakeApi();
  const host = fakeHost([GITHUB]);
  const r = await press(api, host);
  assert.deepEqual(r, { outcome: 'filled' });
  assert.deepEqual(api.sent.map((m) => m.type), ['probe', 'fill']);
  assert.equal(api.sent[1].code, '123456');
  assert.deepEqual(host.calls.map((c) => [c.type, c.url ?? c.token, c.for_fill]), [['match', PAGE, undefined], ['code', 'g1', true]]);
});

test('several fit: the page offers the chooser, no code is fetched', async () => {
  const api = fakeApi();
  const host = fakeHost([GITHUB, WORK]);
  const r = await press(api, host);
  assert.deepEqual(r, { outcome: 'chooser', candidates: ['g1', 'g2'] });
  const choose = api.sent.find((m) => m.type === 'choose');
  assert.deepEqual(choose.candidates.map((c) => [c.issuer, c.account]), [['GitHub', 'octocat'], ['GitHub', 'octo-work']]);
  assert.ok(!host.calls.some((c) => c.type === 'code'));
});

test('nothing can be filled: the page says why', async () => {
  for (const [setup, tokens, outcome, text] of [
    [{}, [], 'no-token', 'No token belongs to github.com.'],
    [{ field: false }, [GITHUB], 'no-field', 'This page shows no code field. One token belongs to github.com: copy a code from the FactorCat button.'],
    [{ field: false }, [GITHUB, WORK], 'no-field', 'This page shows no code field. 2 tokens belong to github.com: copy a code from the FactorCat button.'],
  ]) {
    const api = fakeApi(setup);
    const r = await press(api, fakeHost(tokens));
    assert.deepEqual(r, { outcome, text });
    assert.deepEqual(api.sent.at(-1), { type: 'notice', text });
    assert.ok(!api.sent.some((m) => m.type === 'fill' || m.type === 'choose'));
  }
});

test('the host cannot answer: the page says what is wrong, the button shows "!"', async () => {
  const api = fakeApi();
  const fail = Object.assign(new Error('locked'), { info: { code: 'keyring_locked', message: 'the OS keyring is locked' } });
  const r = await press(api, fakeHost([GITHUB], { fail }));
  assert.equal(r.outcome, 'host-error');
  assert.equal(api.sent.at(-1).type, 'notice');
  assert.equal(api.badge.text, '!');
});

test('a page FactorCat cannot touch, or not https: the toolbar button says why', async () => {
  const api = fakeApi({ reachable: false });
  const r = await press(api, fakeHost([]));
  assert.equal(r.outcome, 'no-token');
  assert.deepEqual(api.badge, { text: '–', title: 'FactorCat: No token belongs to github.com.' });

  const plain = fakeApi({ url: 'http://example.com/' });
  const host = fakeHost([GITHUB]);
  assert.deepEqual(await press(plain, host, { id: 7, url: 'http://example.com/' }), { outcome: 'not-https' });
  assert.deepEqual(plain.badge, { text: '–', title: 'FactorCat fills codes on https pages only' });
  assert.deepEqual(host.calls, [], 'the host is not asked about a page it would refuse');
});

test('without a tab from the browser, the active tab is used', async () => {
  const api = fakeApi();
  const r = await makeHandlers({ api, host: fakeHost([GITHUB]) }).commands['fill-code'](undefined);
  assert.deepEqual(r, { outcome: 'filled' });
});
