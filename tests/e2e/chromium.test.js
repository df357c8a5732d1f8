// End-to-end in Chromium (playwright-core, Debian's /usr/bin/chromium)
// with the real host and a real vault.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { World, HOST_NAME, median, hostAllowedIds } from './support/env.js';
import { launchChromium } from './support/browsers.js';
import { scenarios, seed, measureLatency } from './scenarios.js';
import { popupScenarios } from './popup.js';
import { shortcutScenarios } from './shortcut.js';
import { importScenarios } from './import.js';

// Polls an async condition (every 50 ms, at most `ms`) until it returns a value.
async function waitUntil(fn, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v != null) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

let world;
let b;

before(async () => {
  world = new World('chromium');
  seed(world);
  b = await launchChromium(world);
});

after(async () => {
  await b?.close();
  world?.cleanup();
});

test('the extension loads with its pinned id, and the one manifest draws no warning', async () => {
  // The id the manifest's key gives is the development id the host serves.
  const dev = hostAllowedIds().find((a) => a.family === 'chromium' && a.build === 'development');
  assert.equal(b.extensionId, dev?.id);
  // background.scripts (for Firefox) beside service_worker is ignored
  // silently by Chromium ≥ 121.
  const page = await b.newPage('chrome://extensions');
  const info = await page.evaluate((id) => new Promise((r) => chrome.developerPrivate.getExtensionInfo(id, r)), b.extensionId);
  assert.deepEqual({ warnings: info.installWarnings, errors: info.manifestErrors }, { warnings: [], errors: [] });
  await page.close();
});

for (const [name, run] of Object.entries({ ...scenarios, ...popupScenarios, ...shortcutScenarios, ...importScenarios })) {
  test(name, (t) => run(b, world, t));
}

// Chromium (Debian's) also reads a machine-wide manifest, e.g. one the .deb
// installed; with it there, "not installed" cannot happen.
const SYSTEM_MANIFEST = `/etc/chromium/native-messaging-hosts/${HOST_NAME}.json`;

test('popup: host not installed → the exact command to run; once installed, no vault → factorcat init', async (t) => {
  if (existsSync(SYSTEM_MANIFEST)) {
    t.skip(`${SYSTEM_MANIFEST} exists (FactorCat is installed machine-wide)`);
    return;
  }
  const bare = new World('chromium-bare');
  const other = await launchChromium(bare, { register: false });
  try {
    const popup = await other.newPage(`chrome-extension://${other.extensionId}/popup/popup.html`);
    const problem = await popup.waitFor(() => (document.body.dataset.ready === 'problem'
      ? { code: document.getElementById('problem').dataset.code, fix: document.querySelector('#problem code')?.textContent } : null));
    assert.deepEqual(problem, { code: 'host_missing', fix: 'factorcat install' });
    // On a sign-in page the toolbar button shows "!" and says why.
    const page = await other.newPage('https://111111111111.signin.aws.amazon.com/console');
    const tabId = await other.tabIdOf(page.url());
    const badge = await waitUntil(async () => {
      const text = await other.worker.evaluate((id) => chrome.action.getBadgeText({ tabId: id }), tabId);
      return text === '!' ? other.worker.evaluate((id) => chrome.action.getTitle({ tabId: id }), tabId) : null;
    });
    assert.equal(badge, 'FactorCat: FactorCat is not set up for this browser');
    // Register the host now: the next request reconnects and finds no vault.
    bare.registerChromium(other.userDataDir);
    const again = await other.newPage(`chrome-extension://${other.extensionId}/popup/popup.html`);
    const next = await again.waitFor(() => (document.body.dataset.ready === 'problem'
      ? { code: document.getElementById('problem').dataset.code, fix: document.querySelector('#problem code')?.textContent } : null));
    assert.deepEqual(next, { code: 'vault_missing', fix: 'factorcat init' });
  } finally {
    await other.close();
    bare.cleanup();
  }
});

test('popup: keyring locked (stand-in host) → what to do', async () => {
  const locked = new World('chromium-locked', { fake: true, env: { FACTORCAT_FAKE_ERROR: 'keyring_locked' } });
  const other = await launchChromium(locked);
  try {
    const popup = await other.newPage(`chrome-extension://${other.extensionId}/popup/popup.html`);
    const problem = await popup.waitFor(() => (document.body.dataset.ready === 'problem'
      ? { code: document.getElementById('problem').dataset.code, text: document.getElementById('problem').textContent } : null));
    assert.equal(problem.code, 'keyring_locked');
    assert.match(problem.text, /Your keyring is locked.*Unlock it/);
  } finally {
    await other.close();
    locked.cleanup();
  }
});

test('fill latency (MFA field shown → code in it)', async () => {
  const legacy = await measureLatency(b, world, 'legacy');
  const react = await measureLatency(b, world, 'new');
  const line = `chromium fill latency (${world.fake ? 'stand-in host' : `factorcat host, ${world.vaultKind} vault`}): legacy median ${median(legacy).toFixed(1)} ms (${legacy.map((x) => x.toFixed(1)).join(', ')}); new UI median ${median(react).toFixed(1)} ms (${react.map((x) => x.toFixed(1)).join(', ')})`;
  console.log(line);
  assert.ok(median(legacy) < 2000 && median(react) < 2000, line);
});
