// The Debian package as people get it. `scripts/test.sh` (as root) installs
// the .deb and then runs this file against the host it installed:
//   FACTORCAT_BIN=/usr/bin/factorcat node --test tests/e2e/packaged.test.js
// Neither browser gets a per-user manifest, so they can reach the host only
// through the package's machine-wide ones.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { World, HOST_NAME, randomSecret } from './support/env.js';
import { launchChromium, launchFirefox } from './support/browsers.js';
import { legacySignin, waitFilled, assertCode } from './scenarios.js';
import { crateVersion } from '../../scripts/build-extension.mjs';

const PACKAGED = '/usr/bin/factorcat';

let world;

before(() => {
  assert.equal(process.env.FACTORCAT_BIN, PACKAGED, 'run with FACTORCAT_BIN=/usr/bin/factorcat');
  world = new World('packaged');
  world.init();
  world.add({ issuer: 'Amazon Web Services', account: 'alice@111111111111', secret: randomSecret(), awsAccount: '111111111111', awsUser: 'alice' });
});

after(() => world?.cleanup());

// A sign-in page gets the code of the one token that fits, from the host.
async function fillsThroughTheHost(b) {
  const page = await legacySignin(b, { account: '111111111111', user: 'alice' });
  assertCode(world, 'alice@111111111111', await waitFilled(page));
  await page.close();
}

test('Chromium reaches the packaged host through the machine-wide manifest', async () => {
  const b = await launchChromium(world, { register: false });
  try {
    assert.equal(existsSync(join(b.userDataDir, 'NativeMessagingHosts', `${HOST_NAME}.json`)), false, 'no per-user manifest');
    const hello = await b.worker.evaluate((name) => chrome.runtime.sendNativeMessage(name, { id: 1, type: 'hello', protocol: 1 }), HOST_NAME);
    assert.equal(hello.ok, true);
    assert.equal(hello.version, crateVersion());
    await fillsThroughTheHost(b);
  } finally {
    await b.close();
  }
});

test('Firefox reaches the packaged host through the machine-wide manifest', async () => {
  const b = await launchFirefox(world, { register: false });
  try {
    assert.equal(existsSync(join(b.home, '.mozilla', 'native-messaging-hosts', `${HOST_NAME}.json`)), false, 'no per-user manifest');
    await fillsThroughTheHost(b);
  } finally {
    await b.close();
  }
});
