// The end-to-end scenarios, run in each browser by chromium.test.js and
// firefox.test.js. Each gets a fresh page; all waits are for conditions in
// the page, never fixed sleeps.
import assert from 'node:assert/strict';
import { randomSecret, SERVER_CLOCK_AHEAD } from './support/env.js';
import { totp } from './support/fake-host.mjs';

const AWS = 'Amazon Web Services';

// The vault every scenario runs against. Each token is filled by one
// scenario only: the host never hands out the same code twice for filling.
export function seed(world) {
  world.init();
  const add = (account, awsAccount, awsUser, extra = {}) => world.add({ issuer: AWS, account, secret: randomSecret(), awsAccount, awsUser, ...extra });
  add('alice@111111111111', '111111111111', 'alice');
  add('bob@111111111111', '111111111111', 'bob');
  add('alice@222222222222', '222222222222', 'alice');
  add('carol@333333333333', '333333333333', 'carol');
  add('dave@333333333333', '333333333333', 'dave');
  add('erin@444444444444', '444444444444', 'erin');
  add('hank@888888888888', '888888888888', 'hank');
  add('gina@777777777777', '777777777777', 'gina');
  add('kim@121212121299', '121212121299', 'kim');
  add('root-account-mfa-device@999988887777', '999988887777', 'root@example.com');
  add('alice@example-corp', 'example-corp', 'alice');
  add('jo@123412341234', '123412341234', 'jo', { awsPartition: 'aws-us-gov' });
  add('jo-commercial@123412341234', '123412341234', 'jo');
  // IAM Identity Center: two instances (portals a and b), two people on a.
  const sso = (account, portal, user) => world.add({
    issuer: 'AWS IAM Identity Center', account, secret: randomSecret(), awsUser: user, ssoStartUrl: `https://${portal}.awsapps.com/start`,
  });
  sso('ivy@portal-a', 'portal-a', 'ivy');
  sso('ian@portal-a', 'portal-a', 'ian');
  sso('ivy@portal-b', 'portal-b', 'ivy');
  sso('una@portal-c', 'portal-c', 'una');
  add('jo-eu@123412341234', '123412341234', 'jo', { awsPartition: 'aws-eusc' });
  add('rita@123456789012', '123456789012', 'rita');
  add('nina@131313131313', '131313131313', 'nina');
  add('lee@141414141414', '141414141414', 'lee');
  add('ivan@121212121212', '121212121212', 'ivan');
  // Two MFA devices of one user (AWS accepts either): one choice, the
  // pinned one filled.
  add('pat-phone@151515151515', '151515151515', 'pat');
  add('pat-laptop@151515151515', '151515151515', 'pat', { pin: true });
  // AWS China, whose sign-in server's clock the fixtures put two minutes
  // ahead of this machine's (SERVER_CLOCK_AHEAD): no other scenario signs
  // in there, so the offset measured touches this token only.
  add('mei@161616161616', '161616161616', 'mei', { awsPartition: 'aws-cn' });
  // Its next sign-in, in another account of the partition, whose server's
  // clock agrees with this machine's: filled with the offset recorded.
  add('mei@161616161617', '161616161617', 'mei', { awsPartition: 'aws-cn' });
  // The MFA type chooser: chosen and filled (two markups), and left alone
  // with the option off; control pages for the pages left alone.
  add('mia@161616161616', '161616161616', 'mia');
  add('moe@171717171717', '171717171717', 'moe');
  add('ned@181818181818', '181818181818', 'ned');
  add('ctl1@191919191901', '191919191901', 'ctl');
  add('ctl2@191919191902', '191919191902', 'ctl');
  // The popup on a page the token does not belong to: filled only after
  // the confirmation.
  add('wes@202020202020', '202020202020', 'wes');
  for (let i = 1; i <= LATENCY_RUNS; i++) add(`lat${i}@55555555550${i}`, `55555555550${i}`, 'lat');
  for (let i = 1; i <= LATENCY_RUNS; i++) add(`latn${i}@66666666660${i}`, `66666666660${i}`, 'latn');
  world.add({ issuer: 'GitHub', account: 'octocat', secret: randomSecret(), site: 'github.com' });
  // The keyboard shortcut's: a second GitHub token (a chooser there), and
  // GitLab's only one.
  world.add({ issuer: 'GitHub', account: 'mona', secret: randomSecret(), site: 'github.com' });
  world.add({ issuer: 'GitLab', account: 'tanuki', secret: randomSecret(), site: 'gitlab.com' });
}

export const LATENCY_RUNS = 5;

// What the page recorded: the value that arrived in the code field, when
// (wall clock, for the code check) and how long after the field appeared.
export async function waitFilled(page, timeout = 40000) {
  return page.waitFor(() => (window.__fc && window.__fc.filledAt !== null ? window.__fc : null), undefined, timeout);
}

export function assertCode(world, account, fc) {
  const t = Math.floor(fc.filledWall / 1000);
  const expected = world.codeAt(account, t);
  assert.equal(fc.value, expected, `the code of ${account} at ${t}`);
}

async function noDecoyTouched(page) {
  assert.equal(await page.evaluate(() => window.__fc.decoyTouched ?? null), null, 'a decoy field received input');
}

// Turns an option of the options page on or off, as a person would.
export async function setOption(b, id, on) {
  const opts = await b.extensionPage('options/options.html');
  await opts.waitFor(() => document.body.dataset.ready ?? null);
  const now = await opts.evaluate((k) => document.getElementById(k).checked, id);
  if (now !== on) {
    await opts.click(`#${id}`);
    await opts.waitFor(() => (document.getElementById('saved').textContent === 'Saved.' ? true : null));
  }
  await opts.close();
}

// The new sign-in's credentials step, then the MFA page that first asks
// which kind of MFA to use (`types`: the fixture's markup); returns once
// that choice is on the screen (or was already answered by FactorCat).
async function signinToTypeChoice(b, { account, user, types = '1' }) {
  const page = await b.newPage(`https://${account}.signin.aws.amazon.com/signin?types=${types}`);
  await page.type('#username', user);
  await page.type('#password', 'hunter2');
  await page.click('#signin_button');
  await untilUrl(page, /^https:\/\/us-east-1\.signin\.aws\.amazon\.com\/oauth\?/);
  await page.waitFor(() => document.querySelector('input[type="radio"]') || window.__fc.typeChosen || null);
  return page;
}

// Nothing chosen on a page of the MFA type choice, checked after a control
// page was filled.
async function assertNotChosen(b, world, page, control) {
  const c = await legacySignin(b, control);
  assertCode(world, control.token, await waitFilled(c));
  await c.close();
  const left = await page.evaluate(() => ({
    chosen: window.__fc.typeChosen ?? null,
    checked: Array.from(document.querySelectorAll('input[type="radio"]')).filter((r) => r.checked).length,
  }));
  assert.deepEqual(left, { chosen: null, checked: 0 }, 'no kind of MFA chosen');
}

// Legacy sign-in at an account URL: type the user, sign in, MFA appears.
export async function legacySignin(b, { account, user, host, query = '' }) {
  const page = await b.newPage(`https://${host ?? `${account}.signin.aws.amazon.com`}/console${query}`);
  if (user) await page.type('#username', user);
  await page.type('#password', 'hunter2');
  await page.click('#signin_button');
  await page.waitFor(() => window.__fc.shownAt !== null);
  return page;
}

// A page the extension must leave alone, checked against a control page
// that it fills: by the time the control is filled, the other page has
// had the same chance.
async function assertLeftAlone(b, world, page, control) {
  const c = await legacySignin(b, control);
  const fc = await waitFilled(c);
  assertCode(world, control.token, fc);
  const left = await page.evaluate(() => ({ value: document.querySelector('#mfacode, #mfaCode').value, fc: window.__fc }));
  assert.equal(left.value, '', 'the field stayed empty');
  assert.equal(left.fc.filledAt, null);
  await c.close();
}

// Waits (polling the page's address) until the page is at `re`: across
// the navigations of a redirect, which a page function cannot wait through.
async function untilUrl(page, re, ms = 15000) {
  const end = Date.now() + ms;
  while (!re.test(page.url())) {
    if (Date.now() > end) throw new Error(`the page stayed at ${page.url()}, not ${re}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await page.waitFor(() => document.readyState === 'complete' || null);
}

// IAM Identity Center's sign-in: user name, password, then the MFA step.
async function signInIdentityCenter(page, user) {
  await page.waitFor(() => document.querySelector('#signin input:not([type="password"])') || null);
  await page.type('#signin input', user);
  await page.click('#signin button[type="submit"]');
  await page.waitFor(() => document.querySelector('#signin input[type="password"]') || null);
  await page.type('#signin input[type="password"]', 'hunter2');
  await page.click('#signin button[type="submit"]');
  await page.waitFor(() => window.__fc.shownAt !== null);
}

// Where FactorCat's button beside the code fields is ("Add to FactorCat",
// "Fill from FactorCat"), once it shows: a real click goes there.
async function enrolButton(page) {
  return page.waitFor(() => {
    const host = document.querySelector('factorcat-enroll');
    if (!host) return null;
    const r = host.getBoundingClientRect();
    return r.width > 0 ? { x: r.left + 12, y: r.top + r.height / 2 } : null;
  });
}

// Two codes of `secret` for consecutive steps around `codes.at`.
function assertConsecutive(secret, codes) {
  const step = Math.floor(codes.at / 30000);
  const pairs = [[step, step + 1], [step - 1, step], [step + 1, step + 2]].map(([x, y]) => [totp(secret, x), totp(secret, y)]);
  assert.ok(pairs.some(([x, y]) => x === codes.one && y === codes.two), `consecutive codes of the revealed secret: ${codes.one} ${codes.two}`);
}

export const scenarios = {
  async 'enrolment wizard: "Add to FactorCat" stores the revealed secret, not the user name in the breadcrumb, and fills MFA code 1 and 2'(b, world) {
    const secret = randomSecret() + randomSecret();
    // A multi-session console host, and an IAM user whose 16-letter name
    // looks like base32.
    const page = await b.newPage(`https://123456789012-k3v9x2aq.us-east-1.console.aws.amazon.com/iam/home?secret=${secret}#/users/details/CICDPIPELINEUSER?section=security_credentials`);
    await page.waitFor(() => document.getElementById('crumb-user').textContent === 'CICDPIPELINEUSER' || null);
    await page.type('#device-name', 'cicd-phone');
    await page.click('#next');
    // One click: FactorCat presses "Show secret key" itself.
    await page.clickAt(...Object.values(await enrolButton(page)));
    const codes = await page.waitFor(() => (window.__fc['mfa-code-1'] && window.__fc['mfa-code-2']
      ? { one: window.__fc['mfa-code-1'], two: window.__fc['mfa-code-2'], at: Date.now() } : null));
    const added = world.list().find((t) => t.account === 'cicd-phone@123456789012');
    assert.ok(added, 'the token is in the vault as cicd-phone@123456789012');
    assert.equal(added.aws?.account_id, '123456789012');
    assert.equal(added.aws?.user, 'CICDPIPELINEUSER');
    // The device name typed on the wizard's first step makes its serial.
    if (!world.fake) assert.equal(added.aws?.mfa_serial, 'arn:aws:iam::123456789012:mfa/cicd-phone');
    world.ids.set(added.account, added.id);
    // The codes are the revealed secret's, computed here independently:
    // two consecutive ones, now and the next step (or the two after that
    // when fewer than 5 seconds were left).
    assertConsecutive(secret, codes);
    await noDecoyTouched(page);
    await page.close();
  },

  async 'IAM Identity Center: portal → its sign-in page → MFA: that instance\'s token for the user typed (two instances in the vault)'(b, world) {
    const page = await b.newPage('https://portal-a.awsapps.com/start/');
    await untilUrl(page, /^https:\/\/us-east-1\.signin\.aws\/platform\/d-aaaaaaaaaa\/login\?workflowStateHandle=/);
    await signInIdentityCenter(page, 'ivy');
    const fc = await waitFilled(page);
    assertCode(world, 'ivy@portal-a', fc);
    await noDecoyTouched(page);
    // The host learned portal a's directory for its tokens only.
    const byAccount = Object.fromEntries(world.list().map((t) => [t.account, t.aws?.sso_directory ?? null]));
    assert.deepEqual([byAccount['ivy@portal-a'], byAccount['ian@portal-a'], byAccount['ivy@portal-b']], ['d-aaaaaaaaaa', 'd-aaaaaaaaaa', null]);
    await page.close();
  },

  async 'IAM Identity Center: a later visit straight to the sign-in page of a learned directory, the other person of that instance'(b, world) {
    const page = await b.newPage('https://us-east-1.signin.aws/platform/d-aaaaaaaaaa/login?workflowStateHandle=0000-direct&markup=alt');
    await signInIdentityCenter(page, 'ian');
    const fc = await waitFilled(page);
    assertCode(world, 'ian@portal-a', fc);
    await noDecoyTouched(page);
    await page.close();
  },

  async 'IAM Identity Center: the sign-in page of an unknown directory gets no code'(b, world) {
    const page = await b.newPage('https://us-east-1.signin.aws/platform/d-dddddddddd/login?workflowStateHandle=0000-unknown');
    await signInIdentityCenter(page, 'ivy');
    // The control: another instance, reached through its portal, is filled.
    const control = await b.newPage('https://portal-c.awsapps.com/start/');
    await untilUrl(control, /\/platform\/d-cccccccccc\/login/);
    await signInIdentityCenter(control, 'una');
    assertCode(world, 'una@portal-c', await waitFilled(control));
    await control.close();
    const left = await page.evaluate(() => ({ value: document.querySelector('#signin input').value, fc: window.__fc }));
    assert.equal(left.value, '', 'the field stayed empty');
    assert.equal(left.fc.filledAt, null);
    assert.equal(await page.evaluate(() => document.querySelector('factorcat-chooser')), null, 'no chooser either');
    await page.close();
  },

  async 'IAM Identity Center: "Register MFA device" in the access portal — the revealed secret stored for that instance, the code filled'(b, world) {
    const secret = randomSecret();
    const page = await b.newPage(`https://portal-b.awsapps.com/start/?secret=${secret}&user=ivy#/mfa-devices/register`);
    await page.click('#next');
    await page.clickAt(...Object.values(await enrolButton(page)));
    const code = await page.waitFor(() => (window.__fc.registered ? { one: window.__fc.registered, at: Date.now() } : null));
    const t = Math.floor(code.at / 1000);
    assert.ok([t, t + 30, t - 30].some((x) => totp(secret, Math.floor(x / 30)) === code.one), `a code of the revealed secret: ${code.one}`);
    const added = world.list().find((x) => x.issuer === 'AWS IAM Identity Center' && x.aws?.sso_start_url === 'https://portal-b.awsapps.com/start' && x.account !== 'ivy@portal-b');
    assert.ok(added, 'stored, bound to portal b');
    await noDecoyTouched(page);
    await page.close();
  },

  async 'IAM console "Resync MFA device": both codes of the chosen device, consecutive'(b, world) {
    const page = await b.newPage('https://us-east-1.console.aws.amazon.com/iam/home?view=resync&device=rita#/users/details/rita?section=security_credentials');
    await page.click('#dev-app');
    await page.click('#resync-open');
    await page.clickAt(...Object.values(await enrolButton(page)));
    const codes = await page.waitFor(() => (window.__fc['resync-1'] && window.__fc['resync-2']
      ? { one: window.__fc['resync-1'], two: window.__fc['resync-2'], at: Date.now() } : null));
    const t = Math.floor(codes.at / 1000);
    const pairs = [[t, t + 30], [t - 30, t], [t + 30, t + 60]].map(([x, y]) => [world.codeAt('rita@123456789012', x), world.codeAt('rita@123456789012', y)]);
    assert.ok(pairs.some(([x, y]) => x === codes.one && y === codes.two), `consecutive codes of rita's device: ${codes.one} ${codes.two}`);
    await page.close();
  },

  async 'legacy UI asking for two codes (next_mfacode): this step\'s and the next step\'s'(b, world) {
    const page = await legacySignin(b, { account: '131313131313', user: 'nina', query: '?resync=1' });
    const fc = await waitFilled(page);
    assertCode(world, 'nina@131313131313', fc);
    const next = await page.waitFor(() => window.__fc.next || null);
    const t = Math.floor(fc.filledWall / 1000);
    assert.equal(next, world.codeAt('nina@131313131313', t + 30), 'the next step\'s code');
    await page.close();
  },

  async '`aws login` (AWS CLI v2): its /v1/authorize sign-in, then the MFA page'(b, world) {
    const page = await b.newPage('https://us-east-1.signin.aws.amazon.com/v1/authorize?response_type=code&client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fsame-device&state=0c4e&code_challenge_method=SHA-256&scope=openid&redirect_uri=http%3A%2F%2F127.0.0.1%3A50934%2Foauth%2Fcallback&code_challenge=x');
    await page.type('#account', '141414141414');
    await page.type('#username', 'lee');
    await page.type('#password', 'hunter2');
    await page.click('#signin_button');
    await untilUrl(page, /^https:\/\/us-east-1\.signin\.aws\.amazon\.com\/oauth\?/);
    assertCode(world, 'lee@141414141414', await waitFilled(page));
    await page.close();
  },

  async 'European Sovereign Cloud sign-in → its token, never the commercial or GovCloud one of the same account id'(b, world) {
    const page = await legacySignin(b, { host: '123412341234.signin.amazonaws-eusc.eu', user: 'jo' });
    const fc = await waitFilled(page);
    assertCode(world, 'jo-eu@123412341234', fc);
    await page.close();
  },

  async 'a sign-in page whose server\'s Date is two minutes ahead of this machine\'s clock: the code of that time is filled, not the local clock\'s'(b, world) {
    const host = '161616161616.signin.amazonaws.cn';
    const ahead = SERVER_CLOCK_AHEAD[host];
    const page = await legacySignin(b, { host, user: 'mei' });
    const fc = await waitFilled(page);
    const t = Math.floor(fc.filledWall / 1000);
    // The header has whole seconds: the offset the host measures is
    // `ahead` within a second either way.
    const aws = [ahead - 1, ahead, ahead + 1].map((s) => world.codeAt('mei@161616161616', t + s));
    assert.ok(aws.includes(fc.value), `${fc.value} is the code of AWS's time (${aws.join(', ')})`);
    assert.notEqual(fc.value, world.codeAt('mei@161616161616', t), 'not the code of this machine\'s clock');
    await page.close();
    // The popup says so, and to set the clock.
    const popup = await b.extensionPage('popup/popup.html');
    const note = await popup.waitFor(() => (document.getElementById('clock')?.hidden === false ? document.getElementById('clock').textContent : null));
    assert.match(note, /^AWS's clock \(aws-cn\) is (1 min 59 s|2 min|2 min 1 s) ahead of this computer's\. .*Set this computer's clock\.$/);
    await popup.close();
    // The partition's offset is recent now: the next sign-in there fills at
    // once with it and, measured a moment ago, does not measure again (no
    // HEAD request from the page; this server's Date would have said 0).
    const requested = b.requests.length;
    const measured = b.requests.filter((r) => r.method === 'HEAD' && r.url.startsWith(`https://${host}/`));
    assert.equal(measured.length, 1, 'the first sign-in measured AWS\'s clock (a HEAD request to its server)');
    const next = await legacySignin(b, { host: '161616161617.signin.amazonaws.cn', user: 'mei' });
    const filled = await waitFilled(next);
    const t2 = Math.floor(filled.filledWall / 1000);
    const aws2 = [ahead - 1, ahead, ahead + 1].map((s) => world.codeAt('mei@161616161617', t2 + s));
    assert.ok(aws2.includes(filled.value), `${filled.value} is the code of AWS's time as recorded (${aws2.join(', ')})`);
    assert.deepEqual(b.requests.slice(requested).filter((r) => r.method === 'HEAD'), [], 'no measurement');
    await next.close();
  },

  async 'legacy UI: account URL + user → that user\'s code'(b, world) {
    const page = await legacySignin(b, { account: '111111111111', user: 'alice' });
    const fc = await waitFilled(page);
    assertCode(world, 'alice@111111111111', fc);
    assert.equal(await page.evaluate(() => document.getElementById('password').value), 'hunter2', 'password untouched');
    await noDecoyTouched(page);
    await page.close();
  },

  async 'alias URL: example-corp.signin… → the token stored with that alias'(b, world) {
    const page = await legacySignin(b, { host: 'example-corp.signin.aws.amazon.com', user: 'alice' });
    assert.equal(await page.evaluate(() => document.getElementById('account').value), '', 'the page shows no account: the host name says it');
    const fc = await waitFilled(page);
    assertCode(world, 'alice@example-corp', fc);
    await page.close();
  },

  async 'GovCloud sign-in → the GovCloud token, never the commercial one of the same account id'(b, world) {
    const page = await legacySignin(b, { host: '123412341234.signin.amazonaws-us-gov.com', user: 'jo' });
    const fc = await waitFilled(page);
    assertCode(world, 'jo@123412341234', fc);
    await page.close();
  },

  async 'legacy UI: same account, other user → the other token'(b, world) {
    const page = await legacySignin(b, { account: '111111111111', user: 'bob' });
    const fc = await waitFilled(page);
    assertCode(world, 'bob@111111111111', fc);
    await page.close();
  },

  async 'new UI: credentials step, then the regional /oauth MFA page (React field)'(b, world) {
    const page = await b.newPage('https://222222222222.signin.aws.amazon.com/signin');
    await page.type('#username', 'alice');
    await page.type('#password', 'hunter2');
    await page.click('#signin_button');
    await page.waitFor(() => location.pathname === '/oauth' && window.__fc && window.__fc.shownAt !== null);
    assert.match(page.url(), /^https:\/\/us-east-1\.signin\.aws\.amazon\.com\/oauth\?/);
    const fc = await waitFilled(page);
    assertCode(world, 'alice@222222222222', fc);
    // The controlled input kept the value: the page's own state has it.
    const state = await page.waitFor(() => {
      const s = document.getElementById('state').textContent;
      return s && !document.querySelector('[data-testid="mfa-submit-button"]').disabled ? s : null;
    });
    assert.equal(state, `state: ${fc.value}`);
    assert.equal(await page.evaluate(() => document.getElementById('feedback').value), '');
    await noDecoyTouched(page);
    await page.close();
  },

  async 'root user: e-mail, password, then the regional MFA page → the root token'(b, world) {
    const page = await b.newPage('https://signin.aws.amazon.com/signin/root');
    await page.type('#resolving_input', 'Root@Example.com');
    await page.click('#next_button');
    await page.waitFor(() => document.getElementById('password') || null);
    await page.type('#password', 'hunter2');
    await page.click('#signin_button');
    await page.waitFor(() => location.pathname === '/oauth' && window.__fc && window.__fc.shownAt !== null);
    const fc = await waitFilled(page);
    assertCode(world, 'root-account-mfa-device@999988887777', fc);
    await page.close();
  },

  async 'new UI: the MFA page itself shows account and user'(b, world) {
    const page = await b.newPage('https://us-east-1.signin.aws.amazon.com/oauth?shows=account,user&account=4444-4444-4444&user=erin');
    const fc = await waitFilled(page);
    assertCode(world, 'erin@444444444444', fc);
    await noDecoyTouched(page);
    await page.close();
  },

  async 'two MFA devices of one user → filled without a chooser: the preferred (pinned) one'(b, world) {
    const page = await legacySignin(b, { account: '151515151515', user: 'pat' });
    const fc = await waitFilled(page);
    assertCode(world, 'pat-laptop@151515151515', fc);
    assert.equal(await page.evaluate(() => document.querySelector('factorcat-chooser')), null, 'no chooser');
    await page.close();
  },

  async 'MFA type chooser: "Authenticator app" chosen and continued, then the code filled'(b, world) {
    const page = await signinToTypeChoice(b, { account: '161616161616', user: 'mia' });
    const fc = await waitFilled(page);
    assertCode(world, 'mia@161616161616', fc);
    assert.equal(await page.evaluate(() => window.__fc.typeChosen), 'app');
    await page.close();
  },

  async 'MFA type chooser, other markup (no SWHW value, a plain "Next" button): chosen by its label, then filled'(b, world) {
    const page = await signinToTypeChoice(b, { account: '171717171717', user: 'moe', types: 'alt' });
    const fc = await waitFilled(page);
    assertCode(world, 'moe@171717171717', fc);
    assert.equal(await page.evaluate(() => window.__fc.typeChosen), 'app');
    await page.close();
  },

  async 'MFA type chooser: nothing chosen with the option off, nor when no token belongs to the sign-in'(b, world) {
    await setOption(b, 'chooseMfaType', false);
    try {
      const off = await signinToTypeChoice(b, { account: '181818181818', user: 'ned' });
      await assertNotChosen(b, world, off, { account: '191919191901', user: 'ctl', token: 'ctl1@191919191901' });
      await off.close();
    } finally {
      await setOption(b, 'chooseMfaType', true);
    }
    const none = await signinToTypeChoice(b, { account: '999999999998', user: 'zed' });
    await assertNotChosen(b, world, none, { account: '191919191902', user: 'ctl', token: 'ctl2@191919191902' });
    await none.close();
  },

  async 'several users of one account, no user known → chooser, keyboard pick fills'(b, world) {
    const page = await legacySignin(b, { account: '333333333333' });
    const count = await page.waitFor(() => document.querySelector('factorcat-chooser')?.getAttribute('data-count') ?? null);
    // carol and dave first (their account matches), then tokens whose
    // account is known only by an alias (which may be this account).
    assert.ok(Number(count) >= 2, `${count} choices`);
    assert.equal(await page.evaluate(() => document.getElementById('mfacode').value), '', 'nothing filled before the choice');
    await page.focus('#mfacode');
    await page.press('ArrowDown');
    await page.press('Enter');
    const fc = await waitFilled(page);
    const t = Math.floor(fc.filledWall / 1000);
    const carol = world.codeAt('carol@333333333333', t);
    const dave = world.codeAt('dave@333333333333', t);
    assert.ok([carol, dave].includes(fc.value), `${fc.value} is carol's ${carol} or dave's ${dave}`);
    assert.equal(await page.evaluate(() => document.querySelector('factorcat-chooser')), null, 'chooser closed');
    await page.close();
  },

  async 'a code AWS rejected is not filled again: the fresh field gets the next code'(b, world) {
    const page = await legacySignin(b, { account: '888888888888', user: 'hank', query: '?reject=1' });
    const first = await waitFilled(page);
    assertCode(world, 'hank@888888888888', first);
    await page.click('#submitMfa_button');
    // The page shows a new, empty field; the host hands out the next step
    // (FactorCat waits until it is valid), never the rejected code.
    const fills = await page.waitFor(() => (window.__fc.fills.length >= 2 ? window.__fc.fills : null), undefined, 45000);
    assert.notEqual(fills[1].value, fills[0].value);
    assert.equal(fills[1].value, world.codeAt('hank@888888888888', Math.floor(fills[1].wall / 1000)));
    assert.equal(fills.length, 2);
    await page.close();
  },

  async 'no token for the account → nothing filled'(b, world) {
    const page = await legacySignin(b, { account: '999999999999', user: 'alice' });
    await assertLeftAlone(b, world, page, { account: '555555555501', user: 'lat', token: 'lat1@555555555501' });
    await page.close();
  },

  async 'the MFA page in a frame of another site → nothing filled'(b, world) {
    const inner = 'https://us-east-1.signin.aws.amazon.com/oauth?shows=account,user&account=4444-4444-4444&user=erin';
    const page = await b.newPage(`https://portal.example/embed?src=${encodeURIComponent(inner)}`);
    await page.waitFor(() => window.__frame.shown || null);
    const control = await legacySignin(b, { account: '555555555502', user: 'lat' });
    assertCode(world, 'lat2@555555555502', await waitFilled(control));
    await control.close();
    assert.equal(await page.evaluate(() => window.__frame.filled), null, 'the framed field stayed empty');
    await page.close();
  },

  async 'lookalike host and plain http → nothing filled'(b, world) {
    const look = await legacySignin(b, { host: '111111111111.signin.aws.amazon.com.evil.example', user: 'alice' });
    const http = await b.newPage('http://111111111111.signin.aws.amazon.com/console');
    await http.type('#username', 'alice');
    await http.click('#signin_button');
    await http.waitFor(() => window.__fc.shownAt !== null);
    await assertLeftAlone(b, world, look, { account: '121212121299', user: 'kim', token: 'kim@121212121299' });
    assert.equal(await http.evaluate(() => document.getElementById('mfacode').value), '');
    await look.close();
    await http.close();
  },
};

// Time from the MFA field appearing to the code being in it, measured in
// the page (performance.now), over several sign-ins with their own tokens.
export async function measureLatency(b, world, ui) {
  const out = [];
  for (let i = 1; i <= LATENCY_RUNS; i++) {
    // Skip two runs above: those tokens served as controls.
    if (ui === 'legacy' && i <= 2) continue;
    let page;
    if (ui === 'legacy') page = await legacySignin(b, { account: `55555555550${i}`, user: 'lat' });
    else page = await b.newPage(`https://us-east-1.signin.aws.amazon.com/oauth?shows=account,user&account=66666666660${i}&user=latn`);
    const fc = await waitFilled(page);
    assertCode(world, ui === 'legacy' ? `lat${i}@55555555550${i}` : `latn${i}@66666666660${i}`, fc);
    out.push(fc.filledAt - fc.shownAt);
    await page.close();
  }
  return out;
}
