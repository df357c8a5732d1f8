// Import of a chosen file and "Scan QR code on this page" (Chromium: the
// popup page is opened in a tab, as in popup.js; the import view is a tab
// of its own in every browser).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { ROOT } from './support/env.js';

const AEGIS = join(ROOT, 'host', 'tests', 'data', 'import', 'aegis');
const SLOW = 90000;

async function openImport(b) {
  const page = await b.newPage(`chrome-extension://${b.extensionId}/popup/popup.html?view=import`);
  await page.waitFor(() => document.body.dataset.ready ?? null);
  return page;
}

const stateOf = (page, panel, want) => page.waitFor(([sel, w]) => {
  const p = document.querySelector(sel);
  if (!w.includes(p.dataset.state)) return null;
  return { state: p.dataset.state, reason: p.dataset.reason ?? null, code: p.dataset.code ?? null, text: p.textContent.replace(/\s+/g, ' ') };
}, [panel, want], SLOW);

const issuersListed = (page) => page.evaluate(() => Array.from(document.querySelectorAll('li.token')).map((li) => `${li.querySelector('.issuer').textContent}|${li.querySelector('.account').textContent}`));

// A page that shows a QR code of `uri`, served at `url` (a host of the
// manifest's, so that the test can find its tab by address).
async function qrPage(b, url, uri) {
  const png = await QRCode.toDataURL(uri, { width: 280, margin: 4 });
  const raw = await b.context.newPage();
  await raw.route(url, (route) => route.fulfill({
    status: 200, contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><title>Set up two-factor</title><h1>Scan this code with your authenticator</h1><img id="qr" alt="QR code" src="${png}">`,
  }));
  await raw.goto(url, { waitUntil: 'load' });
  await raw.bringToFront();
  return raw;
}

// The stand-in host (FACTORCAT_E2E_HOST=fake) reads no files or images.
const needsRealHost = (world, t) => {
  if (!world.fake) return false;
  t?.skip('the stand-in host has no import or decode_qr');
  return true;
};

export const importScenarios = {
  async 'popup: "Import…" opens the import view in a tab of its own'(b) {
    const popup = await b.newPage(`chrome-extension://${b.extensionId}/popup/popup.html`);
    await popup.waitFor(() => document.body.dataset.ready ?? null);
    const [tab] = await Promise.all([b.context.waitForEvent('page'), popup.raw.evaluate(() => document.getElementById('open-import').click())]);
    await tab.waitForURL(/\/popup\/popup\.html\?view=import$/, { timeout: 15000 });
    await tab.waitForFunction(() => document.body?.dataset.ready, undefined, { timeout: 15000, polling: 50 });
    assert.equal(await tab.evaluate(() => document.getElementById('import-panel').hidden), false);
    await tab.close();
    if (!popup.raw.isClosed()) await popup.close();
  },

  async 'import: an otpauth list → dry run with the bad line → confirm → tokens listed'(b, world, t) {
    if (needsRealHost(world, t)) return;
    const file = join(world.dir, 'links.txt');
    writeFileSync(file, [
      'otpauth://totp/Importly:una@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ&issuer=Importly',
      'otpauth://totp/Importly:vic@example.com?secret=KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU&issuer=Importly',
      'otpauth://totp/Broken:nobody?secret=!!!&issuer=Broken',
      '',
    ].join('\n'));
    const page = await openImport(b);
    await page.raw.setInputFiles('#import-file', file);
    const dry = await stateOf(page, '#import-panel', ['preview', 'error']);
    assert.equal(dry.state, 'preview', dry.text);
    assert.match(dry.text, /List of otpauth links \(text\): 2 new tokens to import; 1 entry cannot be read/);
    assert.match(dry.text, /Importly — una@example\.com/);
    assert.match(dry.text, /Entry 3 \(Broken/);
    assert.equal(await page.evaluate(() => document.getElementById('import-confirm').textContent), 'Import 2 tokens, skip 1 bad entry');
    assert.ok(!world.list().some((t) => t.issuer === 'Importly'), 'a dry run writes nothing');
    await page.click('#import-confirm');
    const done = await stateOf(page, '#import-panel', ['done', 'error']);
    assert.equal(done.state, 'done', done.text);
    assert.match(done.text, /Imported 2 tokens/);
    await page.waitFor(() => (Array.from(document.querySelectorAll('li.token .issuer')).filter((e) => e.textContent === 'Importly').length === 2 || null));
    const stored = world.list().filter((t) => t.issuer === 'Importly').map((t) => t.account).sort();
    assert.deepEqual(stored, ['una@example.com', 'vic@example.com']);
    const row = await page.evaluate(() => document.querySelector('li.token[aria-label^="Importly una"] .code').textContent.replace(/\s/g, ''));
    const now = Math.floor(Date.now() / 1000);
    assert.ok([now - 30, now, now + 30].map((x) => world.codeAt('una@example.com', x)).includes(row), `code ${row}`);
    await page.close();
  },

  async 'import: an encrypted Aegis export asks for its password; a wrong one is said so'(b, world, t) {
    if (needsRealHost(world, t)) return;
    const password = readFileSync(join(AEGIS, 'password.txt'), 'utf8').trim();
    const page = await openImport(b);
    await page.raw.setInputFiles('#import-file', join(AEGIS, 'encrypted_v3.json'));
    const asked = await stateOf(page, '#import-panel', ['password', 'error', 'preview']);
    assert.deepEqual([asked.state, asked.reason], ['password', 'password_required'], asked.text);
    await page.type('#import-password', 'not the password');
    await page.click('#import-password-form button[type="submit"]');
    assert.equal(await page.evaluate(() => document.getElementById('import-password').value), '', 'cleared once sent');
    const wrong = await page.waitFor(() => (document.getElementById('import-panel').dataset.reason === 'wrong_password'
      ? document.getElementById('import-status').textContent : null), undefined, SLOW);
    assert.match(wrong, /does not open this export/);
    await page.type('#import-password', password);
    await page.click('#import-password-form button[type="submit"]');
    const dry = await stateOf(page, '#import-panel', ['preview', 'error']);
    assert.equal(dry.state, 'preview', dry.text);
    assert.match(dry.text, /Aegis export: 8 new tokens to import\./);
    assert.ok(!world.list().some((t) => t.issuer === 'SPDX'), 'a dry run writes nothing');
    await page.click('#import-confirm');
    const done = await stateOf(page, '#import-panel', ['done', 'error']);
    assert.equal(done.state, 'done', done.text);
    await page.waitFor(() => (Array.from(document.querySelectorAll('li.token .issuer')).some((e) => e.textContent === 'SPDX') || null));
    assert.ok(world.list().some((t) => t.issuer === 'SPDX' && t.account === 'James'), 'in the vault');
    assert.ok(!(await page.evaluate(() => document.documentElement.outerHTML)).includes(password), 'the password is nowhere in the page');
    await page.close();
  },

  // The popup's button captures the visible tab, which needs the activeTab
  // grant a click on the toolbar button gives; headless Chromium has no
  // toolbar, so the test checks the refusal is explained, then sends the
  // router the same picture (a screenshot of the tab) as the popup would.
  async 'scan: a QR code on the page → what it holds → add → listed'(b, world, t) {
    if (needsRealHost(world, t)) return;
    const url = 'https://github.com/settings/two_factor_authentication/setup/intro';
    const uri = 'otpauth://totp/Scanly:wes@example.net?secret=MZXW6YTBOI3DEMRVGQ2DMNBRGAYTEMZT&issuer=Scanly';
    const shown = await qrPage(b, url, uri);
    const tabId = await b.tabIdOf(url);
    const popup = await b.newPage(`chrome-extension://${b.extensionId}/popup/popup.html?tab=${tabId}`);
    await popup.waitFor(() => document.body.dataset.ready ?? null);
    await shown.bringToFront();
    await popup.raw.evaluate(() => document.getElementById('scan').click());
    const refused = await stateOf(popup, '#scan-panel', ['found', 'error']);
    assert.deepEqual([refused.state, refused.code], ['error', 'capture_failed'], refused.text);
    assert.match(refused.text, /Open the FactorCat popup from the toolbar on the page that shows the QR code/);

    const image = `data:image/png;base64,${(await shown.screenshot({ type: 'png' })).toString('base64')}`;
    const seen = await popup.evaluate((img) => globalThis.FactorCat.ext.send('decode-qr', { image: img }), image);
    assert.equal(seen.ok, true, JSON.stringify(seen.error));
    assert.deepEqual(seen.tokens.map((t) => [t.issuer, t.account, t.kind, t.duplicate]), [['Scanly', 'wes@example.net', 'totp', false]]);
    assert.equal(seen.added, 0);
    assert.ok(!JSON.stringify(seen).includes('MZXW6YTBOI3DEMRVGQ2DMNBRGAYTEMZT'), 'no secret comes back');
    assert.ok(!world.list().some((t) => t.issuer === 'Scanly'), 'nothing stored before adding');
    const added = await popup.evaluate((img) => globalThis.FactorCat.ext.send('decode-qr', { image: img, add: true }), image);
    assert.equal(added.added, 1);
    assert.ok(world.list().some((t) => t.issuer === 'Scanly' && t.account === 'wes@example.net'), 'in the vault');
    await popup.close();

    const again = await b.newPage(`chrome-extension://${b.extensionId}/popup/popup.html`);
    await again.waitFor(() => (Array.from(document.querySelectorAll('li.token .issuer')).some((e) => e.textContent === 'Scanly') || null));
    // No QR code in view (a picture of this popup page): said so.
    const blank = `data:image/png;base64,${(await again.raw.screenshot({ type: 'png' })).toString('base64')}`;
    const none = await again.evaluate((img) => globalThis.FactorCat.ext.send('decode-qr', { image: img }), blank);
    assert.equal(none.error?.code, 'qr_not_found', JSON.stringify(none));
    assert.match(none.error.message, /scroll it into view and try again/);
    await again.close();
    await shown.close();
  },
};
