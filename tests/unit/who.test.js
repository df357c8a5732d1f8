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

test('enrolment secret: only a shown base32 string', () => {
  const w = page('<div hidden><span>JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP</span></div><p>Show secret key</p>');
  const pattern = w.FactorCat.siteRules.rules.find((r) => r.id === 'aws-enroll').enroll.secretPattern;
  assert.equal(w.FactorCat.enroll.findSecret(w.document, pattern), null);
  w.document.querySelector('div').hidden = false;
  assert.equal(w.FactorCat.enroll.findSecret(w.document, pattern), 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
});

test('enrolment: "Show secret key" is pressed for the person, then the secret read', async () => {
  const w = page('<button id="show" type="button">Show secret key</button><div id="box" hidden><span>JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP</span></div>',
    'https://us-east-1.console.aws.amazon.com/iam/home');
  w.document.getElementById('show').addEventListener('click', () => { w.document.getElementById('box').hidden = false; });
  const cfg = w.FactorCat.siteRules.rules.find((r) => r.id === 'aws-enroll').enroll;
  assert.equal(await w.FactorCat.enroll.revealSecret(w.document, cfg), 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
});
