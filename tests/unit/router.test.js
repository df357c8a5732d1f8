// The router: an allow-list per sender kind; nothing else gets through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRouter, senderKind } from '../../extension/background/router.js';

const ORIGIN = 'chrome-extension://fkkmckeddmomgnfpeohhajmdaoagdlbe/';
const ID = 'factorcat@factorcat.app';
const tab = { id: 7, url: 'https://us-east-1.signin.aws.amazon.com/oauth' };

test('sender kinds', () => {
  assert.equal(senderKind({ id: ID, url: `${ORIGIN}popup/popup.html` }, ORIGIN), 'extension');
  assert.equal(senderKind({ id: ID, url: tab.url, tab, frameId: 0 }, ORIGIN), 'content');
  assert.equal(senderKind({ id: ID, url: 'https://evil.example/', tab, frameId: 3 }, ORIGIN), null, 'a frame');
  assert.equal(senderKind({ id: ID, url: 'http://signin.aws.amazon.com/', tab, frameId: 0 }, ORIGIN), null, 'http');
});

test('allow-lists per sender kind', async () => {
  const calls = [];
  const logged = [];
  const route = makeRouter({
    content: { 'mfa-field': async (m, s) => { calls.push(['mfa-field', s.url]); return { ok: true }; } },
    extension: { list: async () => { calls.push(['list']); return { ok: true }; } },
  }, { extensionOrigin: ORIGIN, ownId: ID, log: (l) => logged.push(l) });

  const content = { id: ID, url: tab.url, tab, frameId: 0 };
  const popup = { id: ID, url: `${ORIGIN}popup/popup.html` };
  assert.deepEqual(await route({ type: 'mfa-field', url: 'https://claimed.example/' }, content), { ok: true });
  assert.deepEqual(calls.pop(), ['mfa-field', tab.url], 'the handler sees the URL the browser reports');
  assert.equal((await route({ type: 'list' }, content)).ok, false, 'a content script cannot list tokens');
  assert.equal((await route({ type: 'mfa-field' }, popup)).ok, false);
  assert.equal((await route({ type: 'list' }, popup)).ok, true);
  assert.equal((await route({ type: 'toString' }, popup)).ok, false, 'no prototype names');
  assert.equal((await route({ type: 'constructor' }, content)).ok, false);
  assert.equal((await route({}, popup)).ok, false);
  assert.equal(route({ type: 'list' }, { ...popup, id: 'other@example' }), undefined, 'other extensions are ignored');
  assert.equal(logged.length, 5);
});

test('a handler\'s error is answered once, by the router, as a person can act on it', async () => {
  const { hostError } = await import('../../extension/background/errors.js');
  const route = makeRouter({
    content: {},
    extension: {
      status: async () => { throw hostError({ code: 'host_missing', detail: 'not found' }); },
      list: () => { throw new Error('boom'); },
    },
  }, { extensionOrigin: ORIGIN, ownId: ID, log: () => {} });
  const popup = { id: ID, url: `${ORIGIN}popup/popup.html` };
  const missing = await route({ type: 'status' }, popup);
  assert.equal(missing.ok, false);
  assert.equal(missing.error.code, 'host_missing');
  assert.equal(missing.error.fix, 'factorcat install');
  const older = hostError({ code: 'vault_rollback', message: 'the vault … is generation 3, but this machine has already seen generation 5' });
  assert.equal(older.info.fix, 'factorcat accept-older', 'a vault put back names the deliberate way to accept it');
  assert.match(older.info.message, /older than one this computer has already used/);
  const thrown = await route({ type: 'list' }, popup);
  assert.deepEqual(thrown, { ok: false, error: { code: 'internal', title: 'Unexpected error', message: 'boom' } }, 'a synchronous throw too');
});
