// Toolbar popup scenarios, in Chromium and Firefox: the popup page is
// opened in a tab and told which tab it is about with ?tab= (in Firefox
// through an https page, see launchFirefox).
import assert from 'node:assert/strict';
import { legacySignin, waitFilled, assertCode, setOption } from './scenarios.js';

async function openPopup(b, forUrl) {
  const tabId = forUrl ? await b.tabIdOf(forUrl) : null;
  const popup = await b.extensionPage(`popup/popup.html${tabId != null ? `?tab=${tabId}` : ''}`);
  await popup.waitFor(() => document.body.dataset.ready ?? null);
  return popup;
}

const rowsOf = (popup, list) => popup.evaluate((sel) => Array.from(document.querySelectorAll(`${sel} li.token`)).map((li) => ({
  issuer: li.querySelector('.issuer').textContent,
  account: li.querySelector('.account').textContent,
  code: li.querySelector('.code').textContent.replace(/\s/g, ''),
})), list);

export const popupScenarios = {
  async 'options: auto-submit (off by default) submits the MFA step after the fill'(b, world) {
    const off = await legacySignin(b, { account: '121212121212', user: 'ivan' });
    const fc0 = await waitFilled(off);
    assertCode(world, 'ivan@121212121212', fc0);
    await setOption(b, 'autoSubmit', true);
    try {
      const page = await legacySignin(b, { account: '777777777777', user: 'gina' });
      const fc = await waitFilled(page);
      assertCode(world, 'gina@777777777777', fc);
      const submitted = await page.waitFor(() => window.__fc.submitted ?? null);
      assert.equal(submitted, fc.value);
      await page.close();
    } finally {
      await setOption(b, 'autoSubmit', false);
    }
    // Off by default: the first page, filled long before, was never submitted.
    assert.equal(await off.evaluate(() => window.__fc.submitted ?? null), null);
    await off.close();
  },


  async 'popup: tokens of the active tab first, codes as the CLI computes them, search as you type'(b, world) {
    const page = await b.newPage('https://111111111111.signin.aws.amazon.com/console');
    const popup = await openPopup(b, page.url());
    const site = await popup.waitFor(() => (document.querySelectorAll('#site-list li.token').length ? true : null));
    assert.ok(site);
    const rows = await rowsOf(popup, '#site-list');
    // This account's tokens first; then AWS tokens known only by an alias
    // (it may name this account); no token of another account id.
    const onSite = rows.slice(0, 2);
    assert.deepEqual(onSite.map((r) => r.account).sort(), ['alice @ 111111111111', 'bob @ 111111111111']);
    for (const r of rows.slice(2)) assert.match(r.account, /@ [a-z-]+$/, `${r.account}: alias-only`);
    const t = Math.floor(Date.now() / 1000);
    for (const r of onSite) {
      const name = `${r.account.split(' @ ')[0]}@111111111111`;
      assert.ok([world.codeAt(name, t), world.codeAt(name, t - 30), world.codeAt(name, t + 30)].includes(r.code), `${name}: ${r.code}`);
    }
    const badge = await b.inExtension((id) => (globalThis.browser ?? globalThis.chrome).action.getBadgeText({ tabId: id }), await b.tabIdOf(page.url()));
    assert.equal(badge, String(rows.length), 'the toolbar badge counts this page\'s tokens');
    const others = await rowsOf(popup, '#all-list');
    assert.ok(others.some((r) => r.issuer === 'GitHub'), 'the rest are listed too');
    assert.equal(await popup.evaluate(() => document.getElementById('all-title').textContent), 'Other tokens');
    await popup.type('#search', 'erin');
    const shown = await popup.waitFor(() => {
      const n = document.querySelectorAll('li.token');
      return n.length === 1 ? n[0].querySelector('.account').textContent : null;
    });
    assert.equal(shown, 'erin @ 444444444444');
    await popup.close();
    await page.close();
  },

  async 'popup: keyboard pick fills a GitHub code field (never filled on its own)'(b, world) {
    const page = await b.newPage('https://github.com/sessions/two-factor/app');
    const popup = await openPopup(b, page.url());
    assert.equal(await page.evaluate(() => document.getElementById('app_totp').value), '', 'not filled without the person');
    await popup.type('#search', 'octo');
    await popup.waitFor(() => (document.querySelectorAll('li.token').length === 1 ? true : null));
    await popup.press('ArrowDown');
    await popup.press('Enter');
    const fc = await page.waitFor(() => (window.__fc.filledAt !== null ? window.__fc : null));
    assert.equal(fc.value, world.codeAt('octocat', Math.floor(fc.filledWall / 1000)));
    assert.equal(await page.evaluate(() => document.getElementById('query').value), '', 'search box untouched');
    await page.close();
  },

  async 'popup on a page the token does not belong to (an access portal named like the AWS sign-in): Enter fills nothing, a click asks naming both sites, only the confirmation fills'(b, world) {
    // An IAM Identity Center portal anyone can create and name; FactorCat's
    // content scripts run there (the popup can see its code field without
    // the toolbar click's grant, which headless browsers cannot give), and
    // no IAM user's token belongs to it.
    const page = await b.newPage('https://aws-amazon-console.awsapps.com/verify');
    const popup = await openPopup(b, page.url());
    await popup.type('#search', 'wes');
    await popup.waitFor(() => (document.querySelectorAll('li.token').length === 1 ? true : null));
    await popup.press('Enter');
    const told = await popup.waitFor(() => document.getElementById('toast').textContent || null);
    assert.match(told, /None of these belongs to this page/);
    await popup.click('li.token');
    const question = await popup.waitFor(() => document.querySelector('.confirm.ask .question')?.textContent ?? null);
    assert.equal(question, 'This page is aws-amazon-console.awsapps.com — your Amazon Web Services token belongs to signin.aws.amazon.com. Fill its code into this page anyway?');
    // Cancel has the focus: a second Enter asks nothing more and fills nothing.
    await popup.press('Enter');
    await popup.waitFor(() => (document.querySelector('.confirm.ask') ? null : true));
    assert.equal(await page.evaluate(() => document.getElementById('otp').value), '', 'nothing filled without the confirmation');
    await popup.click('li.token');
    await popup.waitFor(() => document.querySelector('.confirm.ask .fill-anyway') || null);
    await popup.click('.confirm.ask .fill-anyway');
    const fc = await page.waitFor(() => (window.__fc.filledAt !== null ? window.__fc : null), undefined, 40000);
    assert.equal(fc.value, world.codeAt('wes@202020202020', Math.floor(fc.filledWall / 1000)));
    await page.close();
  },

  async 'popup: a copied code is cleared from the clipboard 30 s later, while it is still there'(b, world) {
    // A page of GitHub's without a code field: the popup copies.
    const page = await b.newPage('https://github.com/settings');
    const popup = await openPopup(b, page.url());
    await popup.type('#search', 'octocat');
    await popup.waitFor(() => (document.querySelectorAll('li.token').length === 1 ? true : null));
    await popup.click('li.token');
    const told = await popup.waitFor(() => (/cleared from the clipboard/.test(document.getElementById('toast').textContent) ? document.getElementById('toast').textContent : null));
    assert.equal(told, 'Copied GitHub code (cleared from the clipboard in 30 s)');
    const read = () => popup.evaluate(() => navigator.clipboard.readText());
    const copied = await read();
    const t = Math.floor(Date.now() / 1000);
    assert.ok([t, t - 30].some((x) => world.codeAt('octocat', x) === copied), `the code was copied: ${copied}`);
    // The background's alarm empties it: not before 30 s, and within 45.
    const copiedAt = Date.now();
    for (let now = await read(); now !== ''; now = await read()) {
      assert.ok(Date.now() - copiedAt < 45000, 'still on the clipboard after 45 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(Date.now() - copiedAt >= 29000, 'cleared after 30 s, not before');
    await popup.close();
    await page.close();
  },

  async 'popup: add by pasting an otpauth URI, remove with confirmation'(b, world) {
    const popup = await openPopup(b, null);
    await popup.click('#add summary');
    await popup.type('#add-uri', 'otpauth://totp/Example:zed@example.org?secret=JBSWY3DPEHPK3PXP&issuer=Example');
    await popup.click('#add-form button[type="submit"]');
    await popup.waitFor(() => Array.from(document.querySelectorAll('li.token .issuer')).some((e) => e.textContent === 'Example') || null);
    const added = world.list().find((t) => t.issuer === 'Example');
    assert.ok(added, 'in the vault');
    await popup.click(`li.token[data-id="${added.id}"] button.remove`);
    const question = await popup.waitFor(() => document.querySelector('.confirm span')?.textContent ?? null);
    assert.match(question, /Remove Example/);
    assert.ok(world.list().some((t) => t.id === added.id), 'not removed before confirming');
    await popup.click('.confirm button.danger');
    await popup.waitFor((id) => (document.querySelector(`li.token[data-id="${id}"]`) ? null : true), added.id);
    assert.ok(!world.list().some((t) => t.id === added.id), 'removed from the vault');
    await popup.close();
  },
};
