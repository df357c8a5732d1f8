// The background's handlers with a fake browser and a fake host: what a
// content script can get, and for which URL; what goes to the host as the
// page showed it, and what the background takes from the host's answer.
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

// A host that answers like the real one for two tokens of one account
// (it completes the page's hint with the earlier step as the real one does
// within one partition; \`facts\` is its reading of the page and the hint).
function fakeHost(facts = {}) {
  const calls = [];
  return {
    calls,
    async request(type, fields) {
      calls.push({ type, ...fields });
      if (type === 'match' && facts.page !== undefined) {
        return { total: 0, autofill: false, autofill_token: null, candidates: [], page: facts.page, who: facts.who, clock: facts.clock };
      }
      if (type === 'match') {
        const user = fields.hint?.user ?? fields.earlier?.hint?.user;
        const cands = [ALICE, BOB].filter((t) => !user || t.aws.user === user).map((token) => ({ strength: user ? 'account_user' : 'account', token }));
        return { total: cands.length, autofill: cands.length === 1, autofill_token: cands.length === 1 ? cands[0].token.id : null, candidates: cands };
      }
      if (type === 'code') return { code: fields.token === 'a1' ? '111111' : '222222', valid_from: 0, wait: 0 };
      if (type === 'add') return { token: { id: 'new1', label: `Amazon Web Services (${fields.account})` } };
      if (type === 'enroll_codes') return { codes: [{ code: '333333' }, { code: '444444' }] };
      throw Object.assign(new Error('unexpected'), { info: { code: 'internal' } });
    },
  };
}

const signin = (url, tabId = 5) => ({ url, tab: { id: tabId, url }, frameId: 0 });

test('the credentials step remembered for the tab goes to the host with the MFA page', async () => {
  const api = fakeApi();
  const host = fakeHost();
  const { content } = makeHandlers({ api, host });
  const credentials = 'https://111111111111.signin.aws.amazon.com/console';
  await content['signin-seen']({ hint: { account: '1111-1111-1111', user: 'alice' } }, signin(credentials));
  const r = await content['mfa-field']({ hint: {} }, signin('https://us-east-1.signin.aws.amazon.com/oauth?x=1'));
  assert.deepEqual(r, { ok: true, action: 'fill', code: '111111', waitMs: 0, autoSubmit: false });
  const match = host.calls.filter((c) => c.type === 'match').at(-1);
  assert.equal(match.url, 'https://us-east-1.signin.aws.amazon.com/oauth?x=1', 'the URL the browser reported');
  assert.equal(match.hint, undefined, 'the page showed nothing');
  // As typed: the host reads the account, and decides whether the earlier
  // step applies (same partition, no other account).
  assert.deepEqual(match.earlier, { url: credentials, hint: { account: '1111-1111-1111', user: 'alice' } });
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

test('memory is per tab and for a while; the host gets it with the page\'s own hint', async () => {
  const api = fakeApi();
  const host = fakeHost();
  const { content } = makeHandlers({ api, host });
  const credentials = 'https://111111111111.signin.aws.amazon.com/console';
  await content['signin-seen']({ hint: { user: 'alice' } }, signin(credentials, 5));
  const lastMatch = () => host.calls.filter((c) => c.type === 'match').at(-1);
  await content['mfa-field']({ hint: {} }, signin('https://us-east-1.signin.aws.amazon.com/oauth', 6));
  assert.equal(lastMatch().earlier, undefined, 'another tab gets nothing');
  await content['mfa-field']({ hint: { account: '222222222222' } }, signin('https://us-east-1.signin.aws.amazon.com/oauth', 5));
  assert.deepEqual(lastMatch().hint, { account: '222222222222' });
  assert.deepEqual(lastMatch().earlier, { url: credentials, hint: { user: 'alice' } }, 'the host decides what applies');
  await api.storage.session.set({ 'signin:5': { url: credentials, hint: { user: 'alice' }, at: Date.now() - 16 * 60 * 1000 } });
  await content['mfa-field']({ hint: { user: 'bob' } }, signin('https://us-east-1.signin.aws.amazon.com/oauth', 5));
  assert.equal(lastMatch().earlier, undefined, 'forgotten after 15 minutes');
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

// What enroll.js sends after the person's click, with the secret the
// page's "Show secret key" revealed.
const clicked = (fields) => ({ trusted: true, source: 'revealed', ...fields });

test('enroll only from the IAM console', async () => {
  const host = fakeHost();
  const { content } = makeHandlers({ api: fakeApi(), host });
  const r = await content.enroll(clicked({ secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }), signin('https://github.com/settings'));
  assert.equal(r.ok, false);
  assert.equal(host.calls.length, 0);
});

test('enroll: only after the person\'s click, with the secret the page revealed', async () => {
  const host = fakeHost({ page: GOV_CONSOLE, who: { account_id: '123456789012' } });
  const { content } = makeHandlers({ api: fakeApi(), host });
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  for (const msg of [
    { secret },
    { secret, trusted: true },
    { secret, source: 'revealed' },
    { secret, trusted: 'yes', source: 'revealed' },
    { secret, trusted: true, source: 'page-text' },
  ]) {
    const r = await content.enroll(msg, signin(CONSOLE));
    assert.equal(r.error?.code, 'refused', JSON.stringify(msg));
  }
  // Nor anything that is no AWS secret: a user name from the breadcrumb, a
  // secret too short or too long for AWS.
  for (const bad of ['CICDPIPELINEUSER', 'JBSWY3DPEHPK3PXP', 'JBSWY3DPEHPK3PXPJBSWY3DP', `${secret}${secret}${secret}`, `${secret}=`]) {
    const r = await content.enroll(clicked({ secret: bad }), signin(CONSOLE));
    assert.equal(r.error?.code, 'invalid_token', bad);
  }
  assert.equal(host.calls.length, 0, 'nothing reached the host');
});

test('enrolling a secret that is stored already goes on with the stored token', async () => {
  const calls = [];
  const host = {
    async request(type, fields) {
      calls.push({ type, ...fields });
      if (type === 'match') return { total: 0, candidates: [], page: { aws: { partition: 'aws', service: 'console' } }, who: { account_id: fields.hint?.account ?? null } };
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
  const r = await content.enroll(clicked({ secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', account: '111111111111', user: 'alice' }), signin(page));
  assert.deepEqual(r, { ok: true, label: 'Amazon Web Services (alice@111111111111)', codes: ['123456', '654321'] });
  assert.equal(calls.find((c) => c.type === 'enroll_codes').token, 'a1');

  host.request = async () => { throw Object.assign(new Error('x'), { info: { code: 'invalid_token', title: 't', message: 'm' } }); };
  await assert.rejects(content.enroll(clicked({ secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }), signin(page)), (err) => err.info.code === 'invalid_token');
});

const CONSOLE = 'https://us-gov-west-1.console.amazonaws-us-gov.com/iam/home#/users/details/frank';
const GOV_CONSOLE = { host: 'us-gov-west-1.console.amazonaws-us-gov.com', site: 'amazonaws-us-gov.com', aws: { partition: 'aws-us-gov', service: 'console', account_id: null, account_alias: null, region: 'us-gov-west-1', directory: null } };

test('enroll: the host says the partition and reads the account as the console shows it', async () => {
  const host = fakeHost({ page: GOV_CONSOLE, who: { account_id: '123456789012', account_alias: null, user: null, email: null } });
  const { content } = makeHandlers({ api: fakeApi(), host });
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const r = await content.enroll(clicked({ secret, account: '1234-5678-9012', user: 'frank', device: 'frank-phone' }), signin(CONSOLE));
  assert.deepEqual(r, { ok: true, label: 'Amazon Web Services (frank-phone@123456789012)', codes: ['333333', '444444'] });
  const [match, add] = host.calls;
  assert.deepEqual(match, { type: 'match', url: CONSOLE, hint: { account: '1234-5678-9012' } }, 'the account as shown');
  assert.deepEqual(add.aws, { partition: 'aws-us-gov', user: 'frank', account_id: '123456789012', mfa_device: 'frank-phone' }, 'the device name shown, for its serial');
  assert.equal(add.account, 'frank-phone@123456789012');
  // An alias, as the host read it.
  const aliased = fakeHost({ page: GOV_CONSOLE, who: { account_id: null, account_alias: 'example-corp', user: null, email: null } });
  await makeHandlers({ api: fakeApi(), host: aliased }).content.enroll(clicked({ secret, account: 'Example-Corp', device: 'd' }), signin(CONSOLE));
  assert.deepEqual(aliased.calls[1].aws, { partition: 'aws-us-gov', account_alias: 'example-corp', mfa_device: 'd' });
  // No device name on the page: none made up for the serial.
  const unnamed = fakeHost({ page: GOV_CONSOLE, who: { account_id: '123456789012', account_alias: null, user: null, email: null } });
  await makeHandlers({ api: fakeApi(), host: unnamed }).content.enroll(clicked({ secret, account: '1234-5678-9012', user: 'frank' }), signin(CONSOLE));
  assert.deepEqual(unnamed.calls[1].aws, { partition: 'aws-us-gov', user: 'frank', account_id: '123456789012' });
  // Nothing the host reads as an account: no AWS context, the device name alone.
  const none = fakeHost({ page: GOV_CONSOLE, who: { account_id: null, account_alias: null, user: null, email: null } });
  await makeHandlers({ api: fakeApi(), host: none }).content.enroll(clicked({ secret, account: '12345', device: 'd' }), signin(CONSOLE));
  assert.equal(none.calls[1].aws, undefined);
  assert.equal(none.calls[1].account, 'd');
});

test('enroll: refused where the host sees no console, and an older host is told to update', async () => {
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const elsewhere = fakeHost({ page: { host: 'console.aws.amazon.com.evil.example', site: 'evil.example', aws: null }, who: {} });
  const r = await makeHandlers({ api: fakeApi(), host: elsewhere }).content.enroll(clicked({ secret }), signin(CONSOLE));
  assert.equal(r.error.code, 'refused');
  assert.deepEqual(elsewhere.calls.map((c) => c.type), ['match'], 'nothing added');
  const old = fakeHost({ page: undefined });
  old.request = async (type, fields) => { old.calls.push({ type, ...fields }); return { total: 0, candidates: [] }; };
  await assert.rejects(makeHandlers({ api: fakeApi(), host: old }).content.enroll(clicked({ secret }), signin(CONSOLE)), (err) => err.info.code === 'host_outdated');
  assert.deepEqual(old.calls.map((c) => c.type), ['match']);
});

test('enroll on IAM Identity Center: bound to the page\'s instance, one code', async () => {
  const portal = 'https://my-portal.awsapps.com/start/#/mfa';
  const facts = { host: 'my-portal.awsapps.com', site: 'awsapps.com', aws: { partition: 'aws', service: 'identity_center', account_id: null, account_alias: null, region: null, directory: null, portal: 'https://my-portal.awsapps.com/start' } };
  const host = fakeHost({ page: facts, who: { account_id: null, account_alias: null, user: 'ivy', email: null } });
  const api = fakeApi();
  const { content } = makeHandlers({ api, host });
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX7';
  await content['signin-seen']({ hint: { user: 'ivy' } }, signin('https://us-east-1.signin.aws/platform/d-1234567890/login'));
  const r = await content.enroll(clicked({ secret, codes: 1 }), signin(portal));
  assert.deepEqual(r, { ok: true, label: 'Amazon Web Services (ivy@my-portal.awsapps.com)', codes: ['333333'] });
  const add = host.calls.find((c) => c.type === 'add');
  assert.equal(add.issuer, 'AWS IAM Identity Center');
  assert.deepEqual(add.aws, { partition: 'aws', sso_start_url: 'https://my-portal.awsapps.com/start', user: 'ivy' });
  // The tab's credentials step goes to the host, which carries the user over.
  assert.equal(host.calls.find((c) => c.type === 'match').earlier.hint.user, 'ivy');
  // On a sign-in page the directory binds it; a page naming no instance, nothing.
  const signinFacts = { ...facts, host: 'us-east-1.signin.aws', aws: { ...facts.aws, portal: null, directory: 'd-1234567890', region: 'us-east-1' } };
  const onSignin = fakeHost({ page: signinFacts, who: { user: null } });
  await makeHandlers({ api: fakeApi(), host: onSignin }).content.enroll(clicked({ secret, codes: 1 }), signin('https://us-east-1.signin.aws/platform/d-1234567890/login'));
  assert.deepEqual(onSignin.calls.find((c) => c.type === 'add').aws, { partition: 'aws', sso_directory: 'd-1234567890' });
  const nowhere = fakeHost({ page: { ...facts, aws: { ...facts.aws, portal: null } }, who: {} });
  const refused = await makeHandlers({ api: fakeApi(), host: nowhere }).content.enroll(clicked({ secret, codes: 1 }), signin('https://eu-west-1.signin.aws/platform/login'));
  assert.equal(refused.error.code, 'refused');
});

test('resync: two codes of the device the host picks, only after the person\'s click', async () => {
  const host = { calls: [], async request(type, fields) {
    host.calls.push({ type, ...fields });
    return { token: 'a1', label: 'Amazon Web Services (alice@111111111111)', codes: [{ code: '101010' }, { code: '202020' }] };
  } };
  const { content } = makeHandlers({ api: fakeApi(), host });
  const page = 'https://us-east-1.console.aws.amazon.com/iam/home#/users/details/alice';
  const refused = await content.resync({ account: '1111-1111-1111', user: 'alice' }, signin(page));
  assert.equal(refused.error.code, 'refused');
  const r = await content.resync({ trusted: true, account: '1111-1111-1111', user: 'alice', serial: 'arn:aws:iam::111111111111:mfa/alice-phone' }, signin(page));
  assert.deepEqual(r, { ok: true, label: 'Amazon Web Services (alice@111111111111)', codes: ['101010', '202020'] });
  assert.deepEqual(host.calls, [{ type: 'resync_codes', url: page, hint: { account: '1111-1111-1111', user: 'alice' }, serial: 'arn:aws:iam::111111111111:mfa/alice-phone' }]);
  const elsewhere = await content.resync({ trusted: true }, signin('https://111111111111.signin.aws.amazon.com/console'));
  assert.equal(elsewhere.error.code, 'refused');
  assert.equal(host.calls.length, 1);
});

test('a page asking for two codes gets two consecutive ones', async () => {
  const host = fakeHost();
  const { content } = makeHandlers({ api: fakeApi(), host });
  const page = signin('https://111111111111.signin.aws.amazon.com/console');
  const r = await content['mfa-field']({ hint: { user: 'alice' }, pair: true }, page);
  assert.deepEqual(r, { ok: true, action: 'fill', codes: ['333333', '444444'], waitMs: 0, autoSubmit: false });
  assert.equal(host.calls.at(-1).type, 'enroll_codes');
  const picked = await content['fill-choice']({ token: 'b1', hint: {}, pair: true }, page);
  assert.deepEqual(picked.codes, ['333333', '444444']);
});

test('an access portal, then its sign-in page in the same tab: the host learns the directory', async () => {
  const PORTAL = { host: 'my-portal.awsapps.com', aws: { partition: 'aws', service: 'identity_center', portal: 'https://my-portal.awsapps.com/start', directory: null } };
  const SIGNIN = 'https://us-east-1.signin.aws/platform/d-1234567890/login?workflowStateHandle=x';
  const calls = [];
  let learned = [];
  const host = { async request(type, fields) {
    calls.push({ type, ...fields });
    if (type === 'redirected') return { directory: 'd-1234567890', learned };
    const page = fields.url.includes('awsapps.com') ? PORTAL : { host: 'us-east-1.signin.aws', aws: { partition: 'aws', service: 'identity_center', portal: null, directory: 'd-1234567890' } };
    return { total: 0, candidates: [], page, who: {} };
  } };
  const api = fakeApi();
  const { content } = makeHandlers({ api, host });
  const portal = 'https://my-portal.awsapps.com/start/#/';
  await content['page-seen']({}, signin(portal, 7));
  learned = ['t1'];
  await content['page-seen']({}, signin(SIGNIN, 7));
  const types = calls.map((c) => c.type);
  assert.deepEqual(types, ['match', 'redirected', 'match'], 'learned before the sign-in page is matched');
  assert.deepEqual(calls[1], { type: 'redirected', from: portal, to: SIGNIN });
  // Another tab, an older visit, or a page that was no portal: nothing.
  calls.length = 0;
  await content['page-seen']({}, signin(SIGNIN, 8));
  await content['page-seen']({}, signin('https://us-east-1.signin.aws/platform/d-0000000000/login', 7));
  assert.ok(!calls.some((c) => c.type === 'redirected'), JSON.stringify(calls.map((c) => c.type)));
  // A background started afresh reads the tab's trail from session storage.
  const later = fakeApi();
  await later.storage.session.set({ 'trail:7': { url: portal, at: Date.now() - 3 * 60 * 1000, portal: true } });
  await makeHandlers({ api: later, host }).content['page-seen']({}, signin(SIGNIN, 7));
  assert.ok(!calls.some((c) => c.type === 'redirected'), 'three minutes later');
  await later.storage.session.set({ 'trail:7': { url: portal, at: Date.now() - 1000 } });
  await makeHandlers({ api: later, host }).content['page-seen']({}, signin(SIGNIN, 7));
  assert.deepEqual(calls.filter((c) => c.type === 'redirected').length, 1, 'a second ago, not yet known whether a portal: the host is asked');
});

test('status: the host\'s import formats for the import view', async () => {
  const host = { async request(type, fields) {
    assert.deepEqual([type, fields], ['hello', { protocol: 2 }]);
    return { version: '0.1.0', protocol: 2, vault: { state: 'present' }, capabilities: [], import_formats: [{ name: 'aegis', label: 'Aegis export' }] };
  } };
  const r = await makeHandlers({ api: fakeApi(), host }).extension.status();
  assert.deepEqual(r.importFormats, [{ name: 'aegis', label: 'Aegis export' }]);
});

test('AWS\'s clock: measured, and waited for, only as the host says; the host gets the browser\'s URL, never the page\'s', async () => {
  const api = fakeApi();
  // The page learns what the host's `match` says (its `clock`), whatever
  // the page is: the extension has no rule of its own about AWS pages.
  const page = { aws: { partition: 'aws-cn', service: 'signin' } };
  for (const clock of [{ measure: true, wait: true }, { measure: true, wait: false }, { measure: false, wait: false }]) {
    const { content } = makeHandlers({ api, host: fakeHost({ page, who: {}, clock }) });
    const r = await content['page-seen']({ hint: {} }, signin('https://signin.amazonaws.cn/console'));
    assert.deepEqual(r.clock, clock);
  }
  for (const clock of [null, undefined]) {
    const { content } = makeHandlers({ api, host: fakeHost({ page, who: {}, clock }) });
    const r = await content['page-seen']({ hint: {} }, signin('https://signin.amazonaws.cn/console'));
    assert.equal(r.clock, null, 'a host that says nothing: nothing measured');
  }
  const calls = [];
  const host = { async request(type, fields) { calls.push({ type, ...fields }); return { partition: 'aws-cn', standing: 'used', offset: 120, recorded: true }; } };
  const { content } = makeHandlers({ api, host });
  const sender = signin('https://123456789012.signin.amazonaws.cn/console');
  const r = await content.clock({ date: 'Sun, 06 Dec 2026 09:23:40 GMT', sent: 1796548900100, received: 1796548900300, url: 'https://evil.example/' }, sender);
  assert.deepEqual(r, { ok: true, partition: 'aws-cn', standing: 'used', offset: 120 });
  assert.deepEqual(calls, [{ type: 'clock', url: sender.url, date: 'Sun, 06 Dec 2026 09:23:40 GMT', sent: 1796548900100, received: 1796548900300 }]);
  for (const bad of [{}, { date: 5, sent: 1, received: 2 }, { date: 'x'.repeat(65), sent: 1, received: 2 }, { date: 'd', sent: '1', received: 2 }, { date: 'd', sent: 1, received: 1.5 }]) {
    assert.equal((await content.clock(bad, sender)).ok, false, JSON.stringify(bad));
  }
  assert.equal(calls.length, 1, 'nothing unreadable reaches the host');
});

test('the popup hears of an offset the host uses or ignores, not of one too small or too old', async () => {
  const host = {
    async request(type) {
      assert.equal(type, 'list');
      return {
        now: 1, next_offset: null, tokens: [],
        clock: [{ partition: 'aws', offset: 120, standing: 'used' }, { partition: 'aws-cn', offset: 7200, standing: 'absurd' },
          { partition: 'aws-us-gov', offset: 1, standing: 'small' }, { partition: 'aws-eusc', offset: 60, standing: 'stale' }],
      };
    },
  };
  const { extension } = makeHandlers({ api: fakeApi(), host });
  const r = await extension.list();
  assert.deepEqual(r.clock, [{ partition: 'aws', offset: 120, standing: 'used' }, { partition: 'aws-cn', offset: 7200, standing: 'absurd' }]);
});

// The fake host above, saying the page is the console sign-in (or
// `service`).
function signinHost(service = 'signin') {
  const host = fakeHost();
  const request = host.request.bind(host);
  host.request = async (type, fields) => {
    const r = await request(type, fields);
    return type === 'match' ? { ...r, page: { host: new URL(fields.url).hostname, aws: { service } } } : r;
  };
  return host;
}

test('the MFA type choice: the authenticator app only when a token belongs to the page and the option is on', async () => {
  const page = signin('https://111111111111.signin.aws.amazon.com/oauth');
  // Two users of the account: both belong (a chooser follows), so choose.
  let api = fakeApi();
  let { content } = makeHandlers({ api, host: signinHost() });
  assert.deepEqual(await content['mfa-type']({ hint: {} }, page), { ok: true, action: 'choose-app' });
  assert.deepEqual(await content['mfa-type']({ hint: { user: 'alice' } }, page), { ok: true, action: 'choose-app' });
  // Turned off in the options: never.
  await api.storage.local.set({ chooseMfaType: false });
  assert.deepEqual(await content['mfa-type']({ hint: { user: 'alice' } }, page), { ok: true, action: 'none' });
  // No token for the page: never.
  api = fakeApi();
  ({ content } = makeHandlers({ api, host: fakeHost({ page: { host: 'x', aws: null } }) }));
  assert.deepEqual(await content['mfa-type']({ hint: {} }, page), { ok: true, action: 'none' });
  // Only a token the host offers by its site (its account unknown, on a
  // page naming an account): not enough to leave the person's security key.
  const weak = {
    async request(type) {
      if (type !== 'match') throw new Error(type);
      return { total: 1, autofill: false, autofill_token: null, candidates: [{ strength: 'site', token: ALICE }], page: { aws: { service: 'signin' } } };
    },
  };
  ({ content } = makeHandlers({ api: fakeApi(), host: weak }));
  assert.deepEqual(await content['mfa-type']({ hint: {} }, page), { ok: true, action: 'none' });
  // Not on an IAM Identity Center portal, where "Register MFA device" asks
  // the kind of a new device, even with the instance's token in the vault.
  ({ content } = makeHandlers({ api: fakeApi(), host: signinHost('identity_center') }));
  assert.deepEqual(await content['mfa-type']({ hint: { user: 'alice' } }, signin('https://portal-b.awsapps.com/start/#/mfa-devices/register')), { ok: true, action: 'none' });
  // Not on pages whose rule fills nothing by itself.
  ({ content } = makeHandlers({ api: fakeApi(), host: signinHost() }));
  assert.deepEqual(await content['mfa-type']({ hint: {} }, signin('https://github.com/sessions/two-factor/app')), { ok: true, action: 'none' });
});
