// Reading who is signing in: snippet and URL → the hint for the host, as
// the page shows it (the host reads ids with hyphens, aliases in capitals
// and e-mails in the account box, and what the address names).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { page } from './load.js';

const CASES = [
  ['legacy: account and user inputs (credentials hidden)',
    'https://us-east-1.signin.aws.amazon.com/oauth',
    '<div style="display:none"><input id="account" value="123456789012"><input id="username" value="alice"></div><input id="mfacode">',
    { account: '123456789012', user: 'alice' }],
  ['legacy: alias typed with capitals',
    'https://us-east-1.signin.aws.amazon.com/oauth',
    '<input id="account" value="Example-Corp"><input id="username" value="bob"><input id="mfacode">',
    { account: 'Example-Corp', user: 'bob' }],
  ['account URL, user typed: the address is the host\'s to read', 'https://123456789012.signin.aws.amazon.com/console',
    '<input id="account" value=""><input id="username" value="alice">', { user: 'alice' }],
  ['alias URL only', 'https://example-corp.signin.aws.amazon.com/console', '<p>Sign in</p>', {}],
  ['one-letter and five-digit labels are not read here either', 'https://a.signin.aws.amazon.com/console',
    '<input id="username" value="alice">', { user: 'alice' }],
  ['an input', 'https://example-corp.signin.aws.amazon.com/console',
    '<input id="account" value="210987654321">', { account: '210987654321' }],
  ['regional MFA page shows nothing', 'https://us-east-1.signin.aws.amazon.com/oauth',
    '<main><h2>Multi-factor authentication</h2><input id="mfaCode"></main>', {}],
  ['new UI text: account id and user', 'https://us-east-1.signin.aws.amazon.com/oauth',
    '<main><p>Account ID: 1234-5678-9012</p><p>IAM user name: alice</p><input id="mfaCode"></main>', { account: '1234-5678-9012', user: 'alice' }],
  ['root: e-mail at the first step, in the account-or-e-mail box', 'https://signin.aws.amazon.com/signin',
    '<input id="resolving_input" value="Root@Example.com">', { account: 'Root@Example.com' }],
  ['root: password step text', 'https://signin.aws.amazon.com/signin',
    '<div id="__next"><p>Enter the password for Root@Example.com</p><input id="password" type="password"></div>', { email: 'Root@Example.com' }],
  ['IAM: account at the first step', 'https://signin.aws.amazon.com/signin',
    '<input id="resolving_input" value="1234 5678 9012">', { account: '1234 5678 9012' }],
  ['a phone number is not an account', 'https://us-east-1.signin.aws.amazon.com/oauth',
    '<main><p>Call 1234-5678-9012 for help</p><input id="mfaCode"></main>', {}],
];

for (const [name, url, html, want] of CASES) {
  test(`who: ${name}`, () => {
    const w = page(html, url);
    const rule = w.FactorCat.siteRules.ruleFor(url);
    const field = w.document.querySelector('#mfaCode, #mfacode');
    const got = w.FactorCat.fields.readWho(w.document, rule, field);
    assert.deepEqual({ ...got }, want);
  });
}

test('enrolment context: account from the console menu as shown, user from the address', () => {
  const url = 'https://us-east-1.console.aws.amazon.com/iam/home#/users/details/alice?section=security_credentials';
  const w = page('<header>Account ID: 1234-5678-9012</header>', url);
  const ctx = w.FactorCat.enroll.readContext(w.document, w.location);
  assert.deepEqual({ ...ctx }, { account: '1234-5678-9012', user: 'alice' });
});

// The "Show secret key" control of the IAM wizard and what it reveals.
const WIZARD = `<nav>IAM &gt; Users &gt; <a id="crumb">CICDPIPELINEUSER</a></nav>
  <p id="decoy">ZZZZ2222ZZZZ2222ZZZZ2222ZZZZ2222ZZZZ2222ZZZZ2222ZZZZ2222ZZZZ2222</p>
  <button id="show" type="button">Show secret key</button>
  <div id="box" hidden><span id="secret">JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP</span></div>`;

function wizard() {
  const w = page(WIZARD, 'https://us-east-1.console.aws.amazon.com/iam/home#/users/details/CICDPIPELINEUSER');
  w.document.getElementById('show').addEventListener('click', () => { w.document.getElementById('box').hidden = false; });
  const cfg = w.FactorCat.siteRules.rules.find((r) => r.id === 'aws-enroll').enroll;
  return { w, cfg, tracker: w.FactorCat.enroll.revealTracker(w.document, cfg) };
}

test('enrolment secret: the shape of an AWS secret only (32 to 64 base32 characters, whole bytes)', () => {
  const re = new RegExp(wizard().cfg.secretPattern);
  for (const ok of ['A'.repeat(32), 'A'.repeat(40), 'JBSWY3DPEHPK3PXP'.repeat(4)]) assert.ok(re.test(ok), ok);
  for (const bad of ['CICDPIPELINEUSER', 'A'.repeat(16), 'A'.repeat(33), 'A'.repeat(72), 'a'.repeat(32), `${'A'.repeat(32)}=`, '1'.repeat(32)]) {
    assert.ok(!re.test(bad), bad);
  }
});

test('enrolment secret: what "Show secret key" reveals, pressed for the person, never the breadcrumb or other text', async () => {
  const { w, tracker } = wizard();
  const shaped = [...w.FactorCat.enroll.secretShaped(w.document, wizard().cfg.secretPattern)].map((el) => el.id);
  assert.deepEqual(shaped, ['decoy'], 'before: only the decoy has the shape, and it is not revealed');
  assert.equal(await tracker.secret(), 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
});

test('enrolment secret: the person pressed "Show secret key" already', async () => {
  const { w, tracker } = wizard();
  w.document.getElementById('show').click();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(await tracker.secret(), 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
});

test('enrolment secret: nothing revealed, nothing read', async () => {
  const w = page(`${WIZARD.replace('<div id="box" hidden>', '<div id="box">')}`, 'https://us-east-1.console.aws.amazon.com/iam/home');
  const cfg = w.FactorCat.siteRules.rules.find((r) => r.id === 'aws-enroll').enroll;
  // The control reveals nothing new: the secret was on the page before.
  const tracker = w.FactorCat.enroll.revealTracker(w.document, cfg);
  const started = Date.now();
  assert.equal(await tracker.secret(), null);
  assert.ok(Date.now() - started < 5000);
});

test('enrolment secret: only inside the region the control says it opens', async () => {
  const w = page(`<button id="show" aria-controls="box">Show secret key</button><div id="box" hidden><code>JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP</code></div>
    <div id="other"></div>`, 'https://us-east-1.console.aws.amazon.com/iam/home');
  const cfg = w.FactorCat.siteRules.rules.find((r) => r.id === 'aws-enroll').enroll;
  w.document.getElementById('show').addEventListener('click', () => {
    // A script puts its own secret-shaped text up first.
    w.document.getElementById('other').textContent = 'ZZZZ2222ZZZZ2222ZZZZ2222ZZZZ2222';
    setTimeout(() => { w.document.getElementById('box').hidden = false; }, 10);
  });
  const tracker = w.FactorCat.enroll.revealTracker(w.document, cfg);
  assert.equal(await tracker.secret(), 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
});

test('resync: the serial of the device, in the dialog or in the chosen row', () => {
  const w = page(`<table><tr><td><input type="radio" name="d"></td><td>arn:aws:iam::111111111111:mfa/old</td></tr>
    <tr><td><input type="radio" name="d" checked></td><td>alice-phone</td><td>arn:aws:iam::111111111111:mfa/alice-phone</td></tr></table>
    <div role="dialog"><label for="c1">MFA code 1</label><input id="c1"></div>`, 'https://us-east-1.console.aws.amazon.com/iam/home');
  const field = w.document.getElementById('c1');
  assert.equal(w.FactorCat.enroll.readSerial(w.document, field), 'arn:aws:iam::111111111111:mfa/alice-phone');
  w.document.querySelector('[role="dialog"]').insertAdjacentHTML('afterbegin', '<p>Device: arn:aws-us-gov:iam::111111111111:mfa/team/bob</p>');
  assert.equal(w.FactorCat.enroll.readSerial(w.document, field), 'arn:aws-us-gov:iam::111111111111:mfa/team/bob');
});
