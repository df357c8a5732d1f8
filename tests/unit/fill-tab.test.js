// The popup's "fill this token into the tab" (`fill-tab`), as the
// background enforces it: a token the host does not match to the tab's
// page needs the person's confirmation for that page's site, and the tab
// is checked again after waiting for a fresh code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shared } from './load.js';

await shared();
const { makeHandlers } = await import('../../extension/background/handlers.js');

const LOOKALIKE = 'https://signin.aws-amazon-console.example/verify';
const REAL = 'https://us-east-1.signin.aws.amazon.com/oauth?x=1';
const AWS = { id: 'a1', issuer: 'Amazon Web Services', account: 'alice@111111111111', belongs_to: ['signin.aws.amazon.com'] };

// Tab 7 shows `tab.url` (which a test may change while a code is awaited);
// its content script has a code field.
function fakeApi(tab) {
  const store = () => {
    const m = new Map();
    return {
      async get(k) { const o = {}; for (const key of [].concat(k)) if (m.has(key)) o[key] = m.get(key); return o; },
      async set(o) { for (const [k, v] of Object.entries(o)) m.set(k, v); },
      async remove(k) { m.delete(k); },
    };
  };
  const sent = [];
  return {
    sent,
    storage: { session: store(), local: store() },
    action: { async setBadgeText() {}, async setBadgeBackgroundColor() {}, async setTitle() {} },
    scripting: { async executeScript() {} },
    tabs: {
      async get(id) { return { id, url: tab.url }; },
      async sendMessage(tabId, msg) {
        sent.push(msg);
        if (msg.type === 'probe') return { field: true, hint: {} };
        if (msg.type === 'fill') return { filled: true };
        return undefined;
      },
    },
  };
}

// The real host's answers, roughly: the AWS token belongs to AWS sign-in
// pages only; `wait` makes the code valid in a moment (and lets the test
// move the tab meanwhile).
function fakeHost({ wait = 0, during = null } = {}) {
  const calls = [];
  return {
    calls,
    async request(type, fields) {
      calls.push({ type, ...fields });
      if (type === 'match') {
        const host = new URL(fields.url).hostname;
        const aws = host.endsWith('.signin.aws.amazon.com');
        const site = aws ? 'amazon.com' : host.split('.').slice(-2).join('.');
        return { total: aws ? 1 : 0, autofill: aws, candidates: aws ? [{ strength: 'site', token: AWS }] : [], page: { host, site } };
      }
      if (type === 'list') return { now: 0, total: 1, next_offset: null, tokens: [AWS] };
      if (type === 'code') {
        during?.();
        return { code: '123456', valid_from: Math.floor(Date.now() / 1000) + 1, wait };
      }
      throw new Error(`unexpected ${type}`);
    },
  };
}

const fillTab = (api, host, extra = {}) => makeHandlers({ api, host }).extension['fill-tab']({ tabId: 7, token: 'a1', ...extra });

test('a token of another site: the question naming both sites, and no code fetched', async () => {
  const api = fakeApi({ url: LOOKALIKE });
  const host = fakeHost();
  const r = await fillTab(api, host);
  assert.deepEqual(r, {
    ok: true, filled: false,
    confirm: {
      site: 'aws-amazon-console.example',
      question: 'This page is aws-amazon-console.example — your Amazon Web Services token belongs to signin.aws.amazon.com. Fill its code into this page anyway?',
    },
  });
  assert.ok(!host.calls.some((c) => c.type === 'code'), 'no code was fetched');
  assert.ok(!api.sent.some((m) => m.type === 'fill'));
});

test('confirmed for another site, or claimed without asking: still the question', async () => {
  for (const confirmedFor of ['amazon.com', 'example', '', true]) {
    const api = fakeApi({ url: LOOKALIKE });
    const host = fakeHost();
    const r = await fillTab(api, host, { confirmedFor });
    assert.equal(r.filled, false, String(confirmedFor));
    assert.ok(r.confirm, String(confirmedFor));
    assert.ok(!host.calls.some((c) => c.type === 'code'));
  }
});

test('confirmed for this page\'s site: filled, into that page only', async () => {
  const api = fakeApi({ url: LOOKALIKE });
  const r = await fillTab(api, fakeHost(), { confirmedFor: 'aws-amazon-console.example' });
  assert.deepEqual(r, { ok: true, filled: true });
  assert.deepEqual(api.sent.at(-1), { type: 'fill', code: '123456', host: 'signin.aws-amazon-console.example' });
});

test('a token of this page: filled without a question', async () => {
  const api = fakeApi({ url: REAL });
  const r = await fillTab(api, fakeHost());
  assert.deepEqual(r, { ok: true, filled: true });
  assert.equal(api.sent.at(-1).host, 'us-east-1.signin.aws.amazon.com');
});

test('the tab moved to another site while the code was awaited: nothing filled', async () => {
  const tab = { url: REAL };
  const api = fakeApi(tab);
  const host = fakeHost({ wait: 1, during: () => { tab.url = LOOKALIKE; } });
  const r = await fillTab(api, host);
  assert.deepEqual(r, { ok: true, filled: false, moved: true });
  assert.ok(!api.sent.some((m) => m.type === 'fill'), 'no fill message');
});

test('the tab moved within the token\'s own site: filled there', async () => {
  const tab = { url: REAL };
  const api = fakeApi(tab);
  const host = fakeHost({ wait: 1, during: () => { tab.url = 'https://eu-west-1.signin.aws.amazon.com/oauth?y=2'; } });
  const r = await fillTab(api, host);
  assert.deepEqual(r, { ok: true, filled: true });
  assert.equal(api.sent.at(-1).host, 'eu-west-1.signin.aws.amazon.com');
});
