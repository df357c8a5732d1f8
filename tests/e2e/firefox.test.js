// End-to-end in Firefox ESR (puppeteer-core over WebDriver BiDi) with the
// real host and a real vault. The same scenarios as in Chromium, the
// popup's and the keyboard shortcut's included (the popup page opened in a
// tab as in Chromium, reached from an https page because WebDriver BiDi
// refuses to navigate to moz-extension://; see launchFirefox). Import of a
// chosen file is tested in Chromium only: it needs playwright's per-page
// routes and file chooser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { World, median } from './support/env.js';
import { launchFirefox } from './support/browsers.js';
import { scenarios, seed, measureLatency } from './scenarios.js';
import { popupScenarios } from './popup.js';
import { shortcutScenarios } from './shortcut.js';

let world;
let b;

before(async () => {
  world = new World('firefox');
  seed(world);
  b = await launchFirefox(world);
});

after(async () => {
  await b?.close();
  world?.cleanup();
});

test('the extension installs with its gecko id', () => {
  assert.equal(b.extensionId, 'factorcat@factorcat.app');
});

for (const [name, run] of Object.entries({ ...scenarios, ...popupScenarios, ...shortcutScenarios })) {
  test(name, (t) => run(b, world, t));
}

test('fill latency (MFA field shown → code in it)', async () => {
  const legacy = await measureLatency(b, world, 'legacy');
  const react = await measureLatency(b, world, 'new');
  const line = `firefox fill latency (${world.fake ? 'stand-in host' : `factorcat host, ${world.vaultKind} vault`}): legacy median ${median(legacy).toFixed(1)} ms (${legacy.map((x) => x.toFixed(1)).join(', ')}); new UI median ${median(react).toFixed(1)} ms (${react.map((x) => x.toFixed(1)).join(', ')})`;
  console.log(line);
  assert.ok(median(legacy) < 2000 && median(react) < 2000, line);
});
