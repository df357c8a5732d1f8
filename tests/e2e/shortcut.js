// The keyboard shortcut, in Chromium and Firefox: the background's
// `fill-code` command run for a page's tab (browsers under automation do
// not deliver extension shortcuts, so the tests run the command the
// shortcut runs; the default key itself is checked by the unit tests).
import assert from 'node:assert/strict';
import { waitFilled, assertCode } from './scenarios.js';

const GITLAB = 'https://gitlab.com/users/sign_in';
const GITHUB = 'https://github.com/sessions/two-factor/app';

// Waits until the page shows FactorCat's notice (its words are in a closed
// shadow root; the command's outcome says them).
const noticeShown = (page) => page.waitFor(() => (document.querySelector('factorcat-notice') ? true : null));

export const shortcutScenarios = {
  async 'shortcut: the one token of the page is filled (GitLab)'(b, world) {
    const page = await b.newPage(GITLAB);
    assert.equal(await page.evaluate(() => document.getElementById('user_otp_attempt').value), '', 'not filled on its own');
    const r = await b.runCommand('fill-code', page.url());
    assert.deepEqual(r, { outcome: 'filled' });
    const fc = await waitFilled(page);
    assertCode(world, 'tanuki', fc);
    assert.equal(await page.evaluate(() => window.__fc.decoyTouched ?? null), null, 'the search box untouched');
    await page.close();
  },

  async 'shortcut: several tokens → the chooser on the field; ↓ Enter fills the first'(b, world) {
    const page = await b.newPage(GITHUB);
    const r = await b.runCommand('fill-code', page.url());
    assert.equal(r.outcome, 'chooser');
    assert.equal(r.candidates.length, 2);
    assert.equal(await page.waitFor(() => document.querySelector('factorcat-chooser')?.dataset.count ?? null), '2');
    assert.equal(await page.evaluate(() => document.getElementById('app_totp').value), '', 'nothing filled before the pick');
    await page.press('ArrowDown');
    await page.press('Enter');
    const fc = await waitFilled(page);
    const first = world.list().find((t) => t.id === r.candidates[0]);
    assert.ok(['octocat', 'mona'].includes(first?.account), JSON.stringify(first));
    assertCode(world, first.account, fc);
    await page.close();
  },

  async 'shortcut: nothing can be filled → the page or the toolbar button says why'(b) {
    const google = await b.newPage('https://accounts.google.com/signin/challenge/totp');
    assert.deepEqual(await b.runCommand('fill-code', google.url()), { outcome: 'no-token', text: 'No token belongs to accounts.google.com.' });
    assert.ok(await noticeShown(google));
    assert.equal(await google.evaluate(() => document.getElementById('totpPin').value), '');
    await google.close();

    const noField = await b.newPage('https://gitlab.com/explore');
    assert.deepEqual(await b.runCommand('fill-code', noField.url()), {
      outcome: 'no-field',
      text: 'This page shows no code field. One token belongs to gitlab.com: copy a code from the FactorCat button.',
    });
    assert.ok(await noticeShown(noField));
    await noField.close();

    // An http page's address is not the extension's to see (no host
    // permission): the command, like the real shortcut, acts on the active
    // tab, and says why on its button.
    const plain = await b.newPage('http://gitlab.com/users/sign_in');
    assert.deepEqual(await b.runCommand('fill-code', plain.url()), { outcome: 'not-https' });
    const title = await b.inExtension(async () => {
      const api = globalThis.browser ?? globalThis.chrome;
      const [tab] = await api.tabs.query({ active: true, lastFocusedWindow: true });
      return api.action.getTitle({ tabId: tab.id });
    });
    assert.equal(title, 'FactorCat fills codes on https pages only');
    assert.equal(await plain.evaluate(() => document.getElementById('user_otp_attempt').value), '');
    await plain.close();
  },
};
