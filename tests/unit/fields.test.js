// Field detection as a table: page snippet and URL → the id of the field
// FactorCat would fill, or null. Decoys (search boxes, feedback dialogs,
// password fields) must never be chosen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { page } from './load.js';

const AWS = 'https://us-east-1.signin.aws.amazon.com/oauth?client_id=x';
const SSO = 'https://us-east-1.signin.aws/platform/d-1234567890/login';

const CASES = [
  // [name, url, html, expected id or null]
  ['legacy mfacode', AWS, '<input id="account" value="123456789012"><input id="mfacode" name="mfacode" type="text">', 'mfacode'],
  ['new UI mfaCode', AWS, '<input id="mfaCode" name="mfaCode" placeholder="Enter code">', 'mfaCode'],
  ['new UI by name only', AWS, '<input id="r-17" name="mfaCode">', 'r-17'],
  ['no MFA step yet', AWS, '<input id="account"><input id="username"><input id="password" type="password">', null],
  ['MFA block hidden', AWS, '<div style="display:none"><input id="mfacode"></div>', null],
  ['MFA block hidden attribute', AWS, '<div hidden><input id="mfacode"></div>', null],
  ['MFA field disabled', AWS, '<input id="mfacode" disabled>', null],
  ['password field named like mfa', AWS, '<input id="mfacode" type="password">', null],
  ['hidden input', AWS, '<input id="mfacode" type="hidden">', null],
  ['feedback dialog and search box only', AWS,
    '<input type="search" id="q"><div role="dialog"><p>Feedback for AWS Sign-in</p><textarea id="fb"></textarea><input id="code" name="code"></div>', null],
  ['feedback dialog next to the field', AWS,
    '<div role="dialog"><textarea id="fb"></textarea><input id="ref-code" autocomplete="one-time-code"></div><input id="mfaCode" name="mfaCode">', 'mfaCode'],
  ['SSO legacy', SSO, '<form id="mfa_form"><input id="wdc_mfacode"></form>', 'wdc_mfacode'],
  ['SSO generic one-time-code', SSO, '<input id="awsui-input-0" autocomplete="one-time-code">', 'awsui-input-0'],
  ['SSO generic by label', SSO, '<label for="awsui-input-0">MFA code</label><input id="awsui-input-0" inputmode="numeric" maxlength="6">', 'awsui-input-0'],
  ['SSO username field is no code field', SSO, '<label for="awsui-input-0">Username</label><input id="awsui-input-0">', null],
  ['SSO search with numeric mode', SSO, '<input id="search" type="search" inputmode="numeric" maxlength="6">', null],
  // IAM Identity Center's MFA step as the markup may change: the generic
  // AWS-UI ids shift, the label words vary; any two of label, autocomplete,
  // numeric input mode with a code length, or a code-like name suffice.
  ['SSO label "Code" and numeric', SSO, '<label for="awsui-input-3">Code</label><input id="awsui-input-3" inputmode="numeric" maxlength="6">', 'awsui-input-3'],
  ['SSO aria-label "MFA code"', SSO, '<input id="formField7" aria-label="MFA code" inputmode="numeric">', 'formField7'],
  ['SSO one-time-code autocomplete only', SSO, '<input id="x1" autocomplete="one-time-code">', 'x1'],
  ['SSO numeric with a 6-digit pattern', SSO, '<label for="x2">Authenticator app code</label><input id="x2" type="text" pattern="[0-9]{6}" inputmode="numeric">', 'x2'],
  ['SSO tel input named mfaCode', SSO, '<input id="x3" name="mfaCode" type="tel">', 'x3'],
  ['SSO password step is no code field', SSO, '<label for="awsui-input-1">Password</label><input id="awsui-input-1" type="password">', null],
  ['SSO username with autocomplete', SSO, '<input id="awsui-input-0" autocomplete="username" inputmode="numeric" maxlength="6">', null],
  ['SSO a bare numeric box', SSO, '<input id="x4" inputmode="numeric">', null],
  ['SSO MFA in a feedback dialog', SSO, '<div role="dialog"><label for="x5">MFA code</label><input id="x5" inputmode="numeric" maxlength="6"></div>', null],
  ['legacy second code is not the first', AWS, '<input id="next_mfacode" name="next_mfacode"><input id="mfacode" name="mfacode">', 'mfacode'],
  ['GitHub', 'https://github.com/sessions/two-factor/app',
    '<input id="query" name="q"><input id="app_totp" name="app_otp" autocomplete="off" inputmode="numeric" placeholder="XXXXXX">', 'app_totp'],
  ['GitHub without 2FA form', 'https://github.com/', '<input id="query" name="q" placeholder="Search">', null],
  ['GitLab', 'https://gitlab.com/users/sign_in', '<input id="user_otp_attempt" name="user[otp_attempt]" autocomplete="off" inputmode="numeric">', 'user_otp_attempt'],
  ['Google', 'https://accounts.google.com/v3/signin/challenge/totp', '<input id="totpPin" name="totpPin" type="tel">', 'totpPin'],
  ['Microsoft', 'https://login.microsoftonline.com/common/login', '<input id="idTxtBx_SAOTCC_OTC" name="otc">', 'idTxtBx_SAOTCC_OTC'],
  ['Cloudflare', 'https://dash.cloudflare.com/two-factor', '<input id="twofactor_token">', 'twofactor_token'],
  ['generic one-time-code', 'https://example.org/2fa', '<input id="q" type="search"><input id="otp" autocomplete="one-time-code">', 'otp'],
  ['generic one-time-code in a dialog', 'https://example.org/2fa', '<dialog open><input id="otp" autocomplete="one-time-code"></dialog>', null],
  ['generic page without a hint', 'https://example.org/2fa', '<input id="code" name="code">', null],
  ['generic e-mail code box', 'https://example.org/', '<input id="email" autocomplete="one-time-code email">', null],
];

for (const [name, url, html, want] of CASES) {
  test(`field: ${name}`, () => {
    const w = page(html, url);
    const { ruleFor } = w.FactorCat.siteRules;
    const el = w.FactorCat.fields.findCodeField(w.document, ruleFor(url));
    assert.equal(el?.id ?? null, want);
  });
}

test('field: found by label text (enrolment wizard)', () => {
  const w = page(`<div><label for="a">MFA code 1</label><input id="a"></div>
    <div><label for="b">MFA  code 2 </label><input id="b"></div>
    <label>Device name <input id="dev"></label>`, 'https://us-east-1.console.aws.amazon.com/iam/home');
  const { findByLabel } = w.FactorCat.fields;
  assert.equal(findByLabel(w.document, 'MFA code 1').id, 'a');
  assert.equal(findByLabel(w.document, 'MFA code 2').id, 'b');
  assert.equal(findByLabel(w.document, 'MFA code 3'), null);
});

test('field: a new device\'s code on Identity Center\'s registration is enrolment\'s, not the sign-in\'s', () => {
  const url = 'https://my-portal.awsapps.com/start/#/mfa/register';
  const w = page(`<h2>Set up the authenticator app</h2><button>Show QR code</button><button>Show secret key</button>
    <label for="awsui-input-4">Authenticator code</label><input id="awsui-input-4" inputmode="numeric" maxlength="6">`, url);
  const rule = w.FactorCat.siteRules.ruleFor(url);
  const field = w.FactorCat.fields.findCodeField(w.document, rule);
  assert.equal(field?.id, 'awsui-input-4', 'it looks like a code field');
  w.FactorCat.enroll.start(rule);
  assert.equal(w.FactorCat.enroll.ownsField(w.document, rule, field), true);
  // Without the secret-key control it is a sign-in's code field again.
  for (const b of w.document.querySelectorAll('button')) b.remove();
  assert.equal(w.FactorCat.enroll.ownsField(w.document, rule, field), false);
});

test('field: the legacy sign-in\'s second code field', () => {
  const w = page('<input id="mfacode" name="mfacode"><input id="next_mfacode" name="next_mfacode">', AWS);
  const rule = w.FactorCat.siteRules.ruleFor(AWS);
  assert.deepEqual([...rule.second], ['input#next_mfacode', 'input[name="next_mfacode"]']);
});

// The choice of MFA kind (new sign-in, and the legacy one's
// #multi_mfa_container): the authenticator app's radio button by its value
// or its label, and the button that goes on, as the markup may vary.
const TYPE_CASES = [
  // [name, html, expected radio id or null, expected button id or null]
  ['SWHW and the continue test id',
    '<label><input type="radio" name="t" id="k" value="U2F"> Passkey or security key</label><label><input type="radio" name="t" id="a" value="SWHW"> Authenticator app</label><button id="go" data-testid="mfa-continue-button" disabled>Continue</button>', 'a', 'go'],
  ['legacy AngularJS radios and a#next_multi',
    '<div id="multi_mfa_container"><input type="radio" id="a" ng-model="mfaOption" value="SWHW"><label for="a">Virtual MFA</label><input type="radio" id="u" ng-model="mfaOption" value="U2F"><a id="next_multi" href="#">Next</a></div>', 'a', 'next_multi'],
  ['label only (aria-labelledby), a plain Next button in the form',
    '<form><input type="radio" name="t" id="x1" value="totp-1" aria-labelledby="l1"><span id="l1">Authenticator app</span><button id="n" type="button">Next</button><button type="button">Cancel</button></form>', 'x1', 'n'],
  ['label with more words after it',
    '<label><input type="radio" name="t" id="x2" value="opt-2">Authenticator app (recommended)</label><button id="c" type="button">Continue</button>', 'x2', 'c'],
  ['a visually hidden radio behind its label',
    '<input type="radio" name="t" id="x3" value="SWHW" style="display:none"><label for="x3">Authenticator app</label><button data-testid="mfa-continue-button" id="c3">Continue</button>', 'x3', 'c3'],
  ['only a security key', '<label><input type="radio" name="t" id="k" value="U2F"> Passkey or security key</label><button data-testid="mfa-continue-button">Continue</button>', null, null],
  ['a label that merely contains the words', '<label><input type="radio" name="t" id="x4" value="x">Not an Authenticator app</label>', null, null],
  ['disabled', '<label><input type="radio" name="t" id="x5" value="SWHW" disabled> Authenticator app</label>', null, null],
  ['hidden with its label', '<div hidden><label><input type="radio" id="x6" value="SWHW"> Authenticator app</label></div>', null, null],
];

for (const [name, html, radio, next] of TYPE_CASES) {
  test(`MFA type choice: ${name}`, () => {
    const w = page(html, AWS);
    const choice = w.FactorCat.fields.findMfaTypeChoice(w.document, w.FactorCat.siteRules.ruleFor(AWS));
    assert.deepEqual([choice?.radio.id ?? null, choice?.next?.id ?? null], [radio, next]);
  });
}

test('MFA type choice: only where the rule asks for one', () => {
  const url = 'https://github.com/sessions/two-factor/app';
  const w = page('<label><input type="radio" id="a" value="SWHW"> Authenticator app</label><button>Continue</button>', url);
  assert.equal(w.FactorCat.fields.findMfaTypeChoice(w.document, w.FactorCat.siteRules.ruleFor(url)), null);
});
