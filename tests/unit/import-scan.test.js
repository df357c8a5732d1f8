// Import of a chosen file and QR scans: only extension pages may ask, what
// goes to the host, what comes back (never a secret), and the popup's words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shared } from './load.js';

await shared();
const { makeHandlers, importRequest, MAX_UPLOAD_CHARS } = await import('../../extension/background/handlers.js');
const { makeRouter } = await import('../../extension/background/router.js');
const { hostError } = await import('../../extension/background/errors.js');
const describe = await import('../../extension/popup/describe.js');

const ORIGIN = 'chrome-extension://fkkmckeddmomgnfpeohhajmdaoagdlbe/';
const ID = 'factorcat@factorcat.app';
const SECRET = 'JBSWY3DPEHPK3PXP';

// A host that records requests and answers import and decode_qr the way
// the real one does, with a secret in a field it must never pass on.
function fakeHost(answer) {
  const calls = [];
  return {
    calls,
    async request(type, fields, opts) {
      calls.push({ type, fields, opts });
      return answer(type, fields);
    },
  };
}

const IMPORT_REPLY = {
  ok: true, format: 'aegis', dry_run: true, imported: 1, added: [], duplicates: 1,
  failed: [{ position: 3, label: 'Yandex (me)', reason: 'the token type "yaotp" is not supported' }],
  tokens: [
    { index: 0, issuer: 'GitHub', account: 'octocat', label: 'GitHub (octocat)', kind: 'totp', duplicate: true, secret: SECRET },
    { index: 1, issuer: 'Bank', account: 'alice', label: 'Bank (alice)', kind: 'hotp', duplicate: false },
  ],
};

const QR_REPLY = {
  ok: true, codes_found: 1, duplicates: 0, failures: [], ignored_codes: [],
  tokens: [{ index: 0, issuer: 'Scanly', account: 'wes', label: 'Scanly (wes)', kind: 'totp', duplicate: false, uri: `otpauth://totp/x?secret=${SECRET}` }],
};

function fakeApi({ active = true, shots = [] } = {}) {
  const captures = [];
  return {
    captures,
    tabs: {
      async get(id) { return { id, windowId: 4, active, url: 'https://example.com/setup' }; },
      async captureVisibleTab(windowId, opts) {
        captures.push({ windowId, ...opts });
        const next = shots.shift();
        if (next instanceof Error) throw next;
        return next ?? 'data:image/png;base64,iVBORw0KGgo=';
      },
    },
  };
}

test('content scripts may not import or scan; extension pages may', async () => {
  const host = fakeHost((type) => (type === 'import' ? IMPORT_REPLY : QR_REPLY));
  const handlers = makeHandlers({ api: fakeApi(), host });
  const logged = [];
  const route = makeRouter(handlers, { extensionOrigin: ORIGIN, ownId: ID, log: (l) => logged.push(l) });
  const content = { id: ID, url: 'https://github.com/settings', tab: { id: 3 }, frameId: 0 };
  const popup = { id: ID, url: `${ORIGIN}popup/popup.html?view=import` };
  for (const msg of [
    { type: 'import', file: 'data:text/plain;base64,b3RwYXV0aDovLw==', dryRun: false },
    { type: 'scan-tab', tabId: 3 },
    { type: 'decode-qr', image: 'data:image/png;base64,iVBORw0KGgo=', add: true },
  ]) {
    const r = await route(msg, content);
    assert.equal(r.error?.code, 'refused', `${msg.type} from a content script`);
  }
  assert.equal(host.calls.length, 0, 'the host never heard of them');
  assert.equal(logged.length, 3);
  assert.equal((await route({ type: 'import', file: 'data:text/plain;base64,eA==' }, popup)).ok, true);
  assert.equal((await route({ type: 'decode-qr', image: 'data:image/png;base64,eA==' }, popup)).ok, true);
  assert.equal((await route({ type: 'scan-tab', tabId: 3 }, popup)).ok, true);
});

test('import: a dry run unless told otherwise; only known fields go to the host', async () => {
  assert.deepEqual(importRequest({ file: 'data:,x' }).req, { file: 'data:,x', dry_run: true });
  assert.deepEqual(importRequest({ file: 'x', format: 'aegis', password: 'pw', skipBad: true, dryRun: false, other: 1 }).req,
    { file: 'x', dry_run: false, format: 'aegis', password: 'pw', skip_bad: true });
  assert.deepEqual(importRequest({ file: 'x', format: 'auto', password: '' }).req, { file: 'x', dry_run: true }, 'auto and an empty password are the defaults');
  // The host knows the format names (hello) and refuses others.
  assert.equal(importRequest({ file: 'x', format: 'evil' }).req.format, 'evil');
  assert.ok(importRequest({ file: 'x', format: 7 }).error);
  assert.ok(importRequest({ file: 'x', password: 7 }).error);
  assert.ok(importRequest({}).error);
  assert.ok(importRequest({ file: 'x'.repeat(MAX_UPLOAD_CHARS + 1) }).tooLarge);
});

// The handlers as pages reach them: through the router, which answers
// a handler's error.
function popupRoute(handlers) {
  const route = makeRouter(handlers, { extensionOrigin: ORIGIN, ownId: ID, log: () => {} });
  const popup = { id: ID, url: `${ORIGIN}popup/popup.html?view=import` };
  return (type, msg) => route({ ...msg, type }, popup);
}

test('import: the reply has names and counts, never a secret; a real import has a long timeout', async () => {
  const host = fakeHost(() => IMPORT_REPLY);
  const send = popupRoute(makeHandlers({ api: fakeApi(), host }));
  const r = await send('import', { file: 'data:application/json;base64,e30=', password: 'hunter2', dryRun: true });
  assert.equal(r.ok, true);
  assert.deepEqual(r.tokens.map((t) => [t.issuer, t.duplicate]), [['GitHub', true], ['Bank', false]]);
  assert.deepEqual(r.failed, [{ position: 3, label: 'Yandex (me)', reason: 'the token type "yaotp" is not supported' }]);
  assert.ok(!JSON.stringify(r).includes(SECRET));
  assert.ok(!JSON.stringify(r).includes('hunter2'), 'the password is not repeated');
  assert.equal(host.calls[0].fields.password, 'hunter2');
  assert.ok(host.calls[0].opts.timeoutMs >= 60000);
  const big = await send('import', { file: 'x'.repeat(MAX_UPLOAD_CHARS + 1) });
  assert.equal(big.error.code, 'import_too_large');
  assert.equal(big.error.fix, 'factorcat import FILE');
  assert.equal(host.calls.length, 1, 'a file too large is not sent');
});

test('import errors keep the failures and the format for the popup', async () => {
  const err = hostError({ code: 'import_bad_entries', message: '2 entries…', format: 'otpauth', failures: [{ position: 2, label: null, reason: 'bad' }] });
  assert.deepEqual(err.info.failures, [{ position: 2, label: null, reason: 'bad' }]);
  assert.equal(err.info.format, 'otpauth');
  const host = fakeHost(() => { throw hostError({ code: 'wrong_password', message: 'the password does not open this export' }); });
  const send = popupRoute(makeHandlers({ api: fakeApi(), host }));
  const r = await send('import', { file: 'x', password: 'nope' });
  assert.equal(r.error.code, 'wrong_password');
  assert.equal(hostError({ code: 'qr_not_found' }).info.message, 'No QR code visible — scroll it into view and try again.');
});

test('scan: captures the visible tab of the tab\'s window, asks without adding, hands the picture back', async () => {
  const api = fakeApi();
  const host = fakeHost(() => QR_REPLY);
  const { extension } = makeHandlers({ api, host });
  const r = await extension['scan-tab']({ tabId: 3 });
  assert.equal(r.ok, true);
  assert.deepEqual(api.captures, [{ windowId: 4, format: 'png' }]);
  assert.deepEqual(host.calls.map((c) => [c.type, c.fields.add]), [['decode_qr', false]]);
  assert.equal(r.image, 'data:image/png;base64,iVBORw0KGgo=');
  assert.deepEqual(r.tokens, [{ issuer: 'Scanly', account: 'wes', label: 'Scanly (wes)', kind: 'totp', duplicate: false }]);
  assert.ok(!JSON.stringify(r).includes(SECRET));
  const added = await extension['decode-qr']({ image: r.image, add: true });
  assert.equal(host.calls[1].fields.add, true);
  assert.equal(added.ok, true);
});

test('scan: a screenshot too large in PNG is taken again in JPEG', async () => {
  const api = fakeApi({ shots: [`data:image/png;base64,${'A'.repeat(MAX_UPLOAD_CHARS)}`, 'data:image/jpeg;base64,/9j/'] });
  const host = fakeHost(() => QR_REPLY);
  const { extension } = makeHandlers({ api, host });
  await extension['scan-tab']({ tabId: 3 });
  assert.deepEqual(api.captures.map((c) => c.format), ['png', 'jpeg']);
  assert.equal(host.calls[0].fields.image, 'data:image/jpeg;base64,/9j/');
});

test('scan: no capture without the activeTab grant, nor of a tab in the background', async () => {
  const host = fakeHost(() => QR_REPLY);
  const denied = makeHandlers({ api: fakeApi({ shots: [new Error("Either the '<all_urls>' or 'activeTab' permission is required.")] }), host });
  assert.equal((await denied.extension['scan-tab']({ tabId: 3 })).error.code, 'capture_failed');
  const hidden = makeHandlers({ api: fakeApi({ active: false }), host });
  assert.equal((await hidden.extension['scan-tab']({ tabId: 3 })).error.code, 'tab_not_visible');
  assert.equal((await hidden.extension['decode-qr']({ image: 'https://example.com/qr.png' })).error.code, 'bad_request');
  assert.equal(host.calls.length, 0);
});

test('the popup\'s words for an import and a scan', () => {
  assert.equal(describe.tooLargeToImport(700 * 1024), false);
  assert.equal(describe.tooLargeToImport(700 * 1024 + 1), true);
  const dry = { format: 'aegis', dryRun: true, imported: 1, duplicates: 1, failed: IMPORT_REPLY.failed, failedOmitted: 0 };
  // Formats are called what the host calls them (hello's import_formats).
  const formats = [{ name: 'aegis', label: 'Aegis export' }, { name: 'otpauth', label: 'List of otpauth links (text)' }];
  assert.equal(describe.importSummary(dry, formats), 'Aegis export: 1 new token to import; 1 token already in FactorCat will be skipped; 1 entry cannot be read and will be left out.');
  assert.equal(describe.confirmLabel(dry), 'Import 1 token, skip 1 bad entry');
  assert.equal(describe.importSummary({ format: 'otpauth', dryRun: false, imported: 2, duplicates: 0, failed: [] }, formats), 'List of otpauth links (text): Imported 2 tokens.');
  assert.equal(describe.importSummary({ format: 'newfmt', dryRun: false, imported: 1, duplicates: 0, failed: [] }), 'newfmt file: Imported 1 token.');
  assert.equal(describe.tokenLine({ issuer: 'Bank', account: 'alice', kind: 'hotp', duplicate: true }), 'Bank — alice (HOTP): already in FactorCat');
  assert.equal(describe.failureLine({ position: 3, label: 'Yandex (me)', reason: 'not supported' }), 'Entry 3 (Yandex (me)): not supported');
  assert.equal(describe.scanSummary({ tokens: [{ duplicate: false }], duplicates: 0, added: 0 }), 'Found 1 new token.');
  assert.equal(describe.scanSummary({ tokens: [{ duplicate: true }], duplicates: 1, added: 0 }), 'Already in FactorCat: 1 token.');
  assert.equal(describe.scanSummary({ tokens: [{ duplicate: false }], duplicates: 0, added: 1 }), 'Added 1 token.');
});
