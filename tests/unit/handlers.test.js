// The background's handlers with a fake browser and a fake host: what a
// content script can get, and for which URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shared } from './load.js';

await shared();
const { makeHandlers } = await import('../../extension/background/handlers.js');

function fakeApi() {
  const session = new Map();
  const local = new Map();
  const area = (m) => ({
    async get(keys) { const out = {}; for (const k of [].concat(keys)) if (m.has(k)) out[k] = m.get(k); return out; },
    async set(obj) { for (const [k, v] of Object.entries(obj)) m.set(k, v); },
    async remove(k) { m.delete(k); },
  });
  const badges = new Map();
  return {
    badges,
    storage: { session: area(session), local: area(local) },
    action: {
      async setBadgeText({ tabId, text }) { badges.set(tabId, text); },
      async setBadgeBackgroundColor() {}, async setTitle() {},
    },
  };
}

const ALICE = { id: 'a1', issuer: 'Amazon Web Services', account: 'alice@111111111111', aws: { account_id: '111111111111', user: 'alice' } };
const BOB = { id: 'b1', issuer: 'Amazon Web Services', account: 'bob@111111111111', aws: { account_id: '111111111111', user: 'bob' } };

// A host that answers like the real one for two tokens of one account.
function fakeHost() {
  const calls = [];
  return {
    calls,
    async request(type, fields) {
      calls.push({ type, ...fields });
      if (type === 'match') {
        const user = fields.hint?.user;
        const cands = [ALICE, BOB].filter((t) => !user || t.aws.user === user).map((token) => ({ strength: user ? 'account_user' : 'account', token }));
        return { total: cands.length, autofill: cands.length === 1, autofill_token: cands.length === 1 ? cands[0].token.id : null, candidates: cands };
      }
      if (type === 'code') return { code: fields.token === 'a1' ? '111111' : '222222', valid_from: 0, wait: 0 };
      throw Object.assign(new Error('unexpected'), { info: { code: 'internal' } });
    },
  };
}

const signin = (url, tabId = 5) => ({ url, tab: { id: tabId, url }, frameId: 0 });

test('credentials step remembered for the tab completes the MFA page\'s hint', async () => {
  const api = fakeApi();
  const host = fakeHost();
  const { content } = makeHandlers({ api, host });
  await content['signin-seen']({ hint: { account: '111111111111', user: 'alice' } }, signin('https://111111111111.signin.aws.amazon.com/console'));
  const r = await content['mfa-field']({ hint: {} }, signin('https://us-east-1.signin.aws.amazon.com/oauth?x=1'));
  assert.deepEqual(r, { ok: true, action: 'fill', code: '111111', waitMs: 0, autoSubmit: false });
  const match = host.calls.filter((c) => c.type === 'match').at(-1);
  assert.equal(match.url, 'https://us-east-1.signin.aws.amazon.com/oauth?x=1', 'the URL the browser reported');
  assert.deepEqual(match.hint, { account: '111111111111', user: 'alice' });
  assert.equal(api.badges.get(5), '1');
});

test('the host is asked early: the MFA step only fetches the code', async () => {
  const api = fakeApi();
  const host = fakeHost();
  const { content } = makeHandlers({ api, host });
  const page = signin('https://111111111111.signin.aws.amazon.com/console');
  await content['signin-seen']({ hint: { account: '111111111111', user: 'alice' } }, page);
  assert.deepEqual(host.calls.map((c) => c.type), ['match'], 'asked at the credentials step');
  const r = await content['mfa-field']({ hint: { account: '111111111111', user: 'alice' } }, page);
  assert.equal(r.code, '111111');
  assert.deepEqual(host.calls.map((c) => c.type), ['match', 'code'], 'no second match');
  await content['mfa-field']({ hint: { account: '111111111111', user: 'bob' } }, page);
  assert.deepEqual(host.calls.map((c) => c.type), ['match', 'code', 'match', 'code'], 'another hint asks again');
});

test('memory is per tab and per partition; the page\'s own account wins', async () => {
  const api = fakeApi();
  const host = fakeHost();
  const { content } = makeHandlers({ api, host });
  await content['signin-seen']({ hint: { account: '111111111111', user: 'alice' } }, signin('https://111111111111.signin.aws.amazon.com/console', 5));
  await content['mfa-field']({ hint: {} }, signin('https://us-east-1.signin.aws.amazon.com/oauth', 6));
  assert.equal(host.calls.at(-1).hint, undefined, 'another tab gets nothing');
  await content['mfa-field']({ hint: {} }, signin('https://us-gov-west-1.signin.amazonaws-us-gov.com/oauth', 5));
  assert.equal(host.calls.filter((c) => c.type === 'match').at(-1).hint, undefined, 'another partition gets nothing');
  await content['mfa-field']({ hint: { account: '222222222222' } }, signin('https://us-east-1.signin.aws.amazon.com/oauth', 5));
  assert.deepEqual(host.calls.filter((c) => c.type === 'match').at(-1).hint, { account: '222222222222' }, 'a different account drops the memory');
});

test('several candidates → a chooser with no secrets; a pick must be one of them', async () => {
  const api = fakeApi();
  const host = fakeHost();
  const { content } = makeHandlers({ api, host });
  const page = signin('https://111111111111.signin.aws.amazon.com/console');
  const r = await content['mfa-field']({ hint: { account: '111111111111' } }, page);
  assert.equal(r.action, 'choose');
  assert.deepEqual(r.candidates.map((c) => c.id), ['a1', 'b1']);
  const picked = await content['fill-choice']({ token: 'b1', hint: {} }, page);
  assert.equal(picked.code, '222222');
  const foreign = await content['fill-choice']({ token: 'github-token', hint: {} }, page);
  assert.equal(foreign.ok, false);
  assert.equal(foreign.error.code, 'not_for_this_page');
});

test('auto-fill off → always a chooser', async () => {
  const api = fakeApi();
  await api.storage.local.set({ autofill: false });
  const { content } = makeHandlers({ api, host: fakeHost() });
  const r = await content['mfa-field']({ hint: { user: 'alice' } }, signin('https://111111111111.signin.aws.amazon.com/console'));
  assert.equal(r.action, 'choose');
});

test('pages whose rule is not automatic never get a code from mfa-field', async () => {
  const host = fakeHost();
  const { content } = makeHandlers({ api: fakeApi(), host });
  const r = await content['mfa-field']({ hint: {} }, signin('https://github.com/sessions/two-factor/app'));
  assert.deepEqual(r, { ok: true, action: 'none' });
  assert.equal(host.calls.length, 0);
});

test('enroll only from the IAM console', async () => {
  const host = fakeHost();
  const { content } = makeHandlers({ api: fakeApi(), host });
  const r = await content.enroll({ secret: 'JBSWY3DPEHPK3PXP' }, signin('https://111111111111.signin.aws.amazon.com/console'));
  assert.equal(r.ok, false);
  assert.equal(host.calls.length, 0);
});

test('enrolling a secret that is stored already goes on with the stored token', async () => {
  const calls = [];
  const host = {
    async request(type, fields) {
      calls.push({ type, ...fields });
      if (type === 'add') {
        const { hostError } = await import('../../extension/background/errors.js');
        throw hostError({ code: 'duplicate_token', message: 'already in the vault', token: { id: 'a1', label: 'Amazon Web Services (alice@111111111111)' } });
      }
      if (type === 'enroll_codes') return { codes: [{ code: '123456' }, { code: '654321' }] };
      throw Object.assign(new Error('unexpected'), { info: { code: 'internal' } });
    },
  };
  const { content } = makeHandlers({ api: fakeApi(), host });
  const page = 'https://us-east-1.console.aws.amazon.com/iam/home';
  const r = await content.enroll({ secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', account: '111111111111', user: 'alice' }, signin(page));
  assert.deepEqual(r, { ok: true, label: 'Amazon Web Services (alice@111111111111)', codes: ['123456', '654321'] });
  assert.equal(calls.find((c) => c.type === 'enroll_codes').token, 'a1');

  host.request = async () => { throw Object.assign(new Error('x'), { info: { code: 'invalid_token', title: 't', message: 'm' } }); };
  const refused = await content.enroll({ secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }, signin(page));
  assert.equal(refused.ok, false);
  assert.equal(refused.error.code, 'invalid_token');
});
