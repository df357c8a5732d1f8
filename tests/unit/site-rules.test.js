import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shared, manifest } from './load.js';

const { siteRules } = await shared();

// URL → the rule that applies (null: FactorCat does nothing there).
const RULE_FOR = [
  ['https://signin.aws.amazon.com/signin?redirect_uri=x', 'aws-signin'],
  ['https://123456789012.signin.aws.amazon.com/console', 'aws-signin'],
  ['https://example-corp.signin.aws.amazon.com/console', 'aws-signin'],
  ['https://us-east-1.signin.aws.amazon.com/oauth?client_id=x', 'aws-signin'],
  ['https://signin.amazonaws-us-gov.com/', 'aws-signin'],
  ['https://us-gov-west-1.signin.amazonaws-us-gov.com/oauth', 'aws-signin'],
  ['https://signin.amazonaws.cn/', 'aws-signin'],
  ['https://cn-north-1.signin.amazonaws.cn/oauth', 'aws-signin'],
  ['https://us-east-1.signin.aws/platform/d-1234567890/login', 'aws-signin'],
  ['https://d-1234567890.awsapps.com/start', 'aws-signin'],
  ['https://SIGNIN.AWS.AMAZON.COM./signin', 'aws-signin'],
  ['https://us-east-1.console.aws.amazon.com/iam/home', 'aws-enroll'],
  ['https://123456789012-abcd1234.us-east-1.console.aws.amazon.com/iam/home', 'aws-enroll'],
  ['https://eusc-de-east-1.signin.amazonaws-eusc.eu/oauth', 'aws-signin'],
  ['https://signin.amazonaws-eusc.eu/', 'aws-signin'],
  ['https://eusc-de-east-1.console.amazonaws-eusc.eu/iam/home', 'aws-enroll'],
  ['https://us-east-1.sso.signin.aws/platform/d-1234567890/login', 'aws-signin'],
  ['https://ssoins-1111111111111111.portal.us-west-2.app.aws/', 'aws-signin'],
  ['https://ssoins-1111111111111111.us-west-2.portal.amazonaws.com/', 'aws-signin'],
  ['https://us-east-1.signin.aws.amazon.com/v1/authorize?client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fsame-device', 'aws-signin'],
  ['https://github.com/sessions/two-factor/app', 'github'],
  ['https://gitlab.com/users/sign_in', 'gitlab'],
  ['https://accounts.google.com/v3/signin/challenge/totp', 'google'],
  ['https://login.microsoftonline.com/common/login', 'microsoft'],
  ['https://dash.cloudflare.com/two-factor', 'cloudflare'],
  ['https://example.org/login', 'generic'],
  // Lookalikes get only the generic rule (person's action only), never AWS's.
  ['https://signin.aws.amazon.com.evil.example/console', 'generic'],
  ['https://aws-amazon.com/signin', 'generic'],
  ['https://signin-aws.amazon.com.example/', 'generic'],
  ['https://xn--signin-aws-amazon-com.example/', 'generic'],
  ['https://awsapps.com.evil.example/start', 'generic'],
  // Never on anything but https.
  ['http://signin.aws.amazon.com/signin', null],
  ['http://123456789012.signin.aws.amazon.com/console', null],
  ['file:///home/me/aws.html', null],
  ['not a url', null],
];

test('ruleFor: table of URLs', () => {
  for (const [url, want] of RULE_FOR) {
    assert.equal(siteRules.ruleFor(url)?.id ?? null, want, url);
  }
});

// What an AWS address means and how a typed account is read are the host's
// rules (host/src/site/aws.rs, with its tests); the extension keeps none of
// them, only where its content scripts run.
test('the site rules hold no AWS address rules of their own', () => {
  assert.deepEqual(Object.keys(siteRules).sort(), ['hostMatches', 'ruleFor', 'rules']);
});

// The manifest's content-script matches and the rules' hosts must agree:
// every rule host (but the generic one) is covered, and nothing else is.
// (The host's tests compare the manifest's AWS hosts with its own table.)
test('manifest content scripts cover exactly the rules\' hosts', () => {
  const matches = manifest.content_scripts.flatMap((c) => c.matches);
  const toPattern = (h) => `https://${h.startsWith('*.') ? h : h}/*`;
  const covered = (host) => matches.some((m) => {
    const mh = m.slice('https://'.length, m.indexOf('/', 'https://'.length));
    if (mh.startsWith('*.')) return host === mh || host.endsWith(mh.slice(1)) || host === mh.slice(2);
    return host === mh;
  });
  for (const rule of siteRules.rules) {
    if (rule.id === 'generic') continue;
    for (const h of rule.hosts) assert.ok(covered(h), `${rule.id}: ${toPattern(h)} missing from content_scripts`);
  }
  for (const m of matches) {
    assert.ok(m.startsWith('https://'), `${m}: content scripts run on https only`);
    const mh = m.slice(8, m.indexOf('/', 8));
    const host = mh.startsWith('*.') ? mh.slice(2) : mh;
    assert.ok(siteRules.ruleFor(`https://${host}/`)?.id !== 'generic' || mh.startsWith('*.'), `${m}: no rule`);
  }
  assert.deepEqual(manifest.host_permissions.slice().sort(), matches.slice().sort());
  assert.equal(manifest.content_scripts[0].all_frames, false);
});

test('manifest: one file for Chromium and Firefox', () => {
  assert.equal(manifest.manifest_version, 3);
  assert.equal(manifest.background.service_worker, 'background/main.js');
  assert.deepEqual(manifest.background.scripts, ['background/main.js']);
  assert.equal(manifest.background.type, 'module');
  assert.equal(manifest.browser_specific_settings.gecko.id, 'factorcat@factorcat.app');
  assert.ok(manifest.key.startsWith('MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA19IwUXownb3vEbT'));
  assert.ok(manifest.permissions.includes('nativeMessaging'));
});

test('every manifest permission is explained in docs/extension.md', async () => {
  const { readFileSync } = await import('node:fs');
  const doc = readFileSync(new URL('../../docs/extension.md', import.meta.url), 'utf8');
  const table = doc.slice(doc.indexOf('## Permissions'));
  for (const p of manifest.permissions) assert.ok(table.includes(`| \`${p}\` |`), `${p} is not explained`);
  assert.ok(table.includes('| host permissions |'));
});
