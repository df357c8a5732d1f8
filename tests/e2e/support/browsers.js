// Chromium (playwright-core) and Firefox ESR (puppeteer-core, WebDriver
// BiDi), both with the unpacked extension, fixture pages served under their
// real https URLs by request interception, and one small page interface so
// the scenarios read the same for both.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXT, fixtureFor } from './env.js';

// The tab a page is in, by its address, as the extension sees it.
const TAB_OF = async (url) => {
  const api = globalThis.browser ?? globalThis.chrome;
  return (await api.tabs.query({})).find((t) => t.url === url)?.id ?? null;
};

// Runs what the keyboard shortcut `name` runs, for the tab showing `url`,
// in the background (its commands table; browsers under automation do not
// deliver extension shortcuts).
const RUN_COMMAND = async ([name, url]) => {
  const api = globalThis.browser ?? globalThis.chrome;
  const tab = (await api.tabs.query({})).find((t) => t.url === url);
  // Chromium: this is the background (service worker); Firefox: an
  // extension page, whose background page is a window of its own.
  const background = globalThis.FactorCat?.commands ? globalThis : await api.runtime.getBackgroundPage();
  const outcome = await background.FactorCat.commands[name](tab);
  return JSON.parse(JSON.stringify(outcome));
};

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

class Page {
  constructor(raw, kind) { this.raw = raw; this.kind = kind; }
  goto(url) { return this.raw.goto(url, { waitUntil: 'load' }); }
  evaluate(fn, arg) { return this.raw.evaluate(fn, arg); }
  async waitFor(fn, arg, timeout = 15000) {
    const h = this.kind === 'chromium'
      ? await this.raw.waitForFunction(fn, arg, { timeout, polling: 50 })
      : await this.raw.waitForFunction(fn, { timeout, polling: 50 }, arg);
    return h.jsonValue();
  }
  click(sel) { return this.raw.click(sel); }
  type(sel, text) { return this.kind === 'chromium' ? this.raw.fill(sel, text) : this.raw.type(sel, text); }
  focus(sel) { return this.raw.focus(sel); }
  press(key) { return this.raw.keyboard.press(key); }
  async clickAt(x, y) { await this.raw.mouse.click(x, y); }
  url() { return this.raw.url(); }
  close() { return this.raw.close(); }
}

export async function launchChromium(world, { register = true } = {}) {
  const { chromium } = await import('playwright-core');
  const userDataDir = join(world.dir, 'chromium-profile');
  mkdirSync(userDataDir, { recursive: true });
  if (register) world.registerChromium(userDataDir);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    headless: true,
    args: [`--disable-extensions-except=${EXT}`, `--load-extension=${EXT}`, ...CHROMIUM_ARGS],
    env: { ...process.env, ...world.env },
  });
  const requests = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('chrome-extension://')) return route.continue();
    requests.push({ method: route.request().method(), url });
    return route.fulfill(fixtureFor(url));
  });
  const worker = context.serviceWorkers()[0] ?? await context.waitForEvent('serviceworker');
  const extensionId = worker.url().split('/')[2];
  const b = {
    kind: 'chromium', context, worker, extensionId, userDataDir,
    // Every request a page made to the (intercepted) web, in order.
    requests,
    async newPage(url) {
      const p = new Page(await context.newPage(), 'chromium');
      if (url) await p.goto(url);
      return p;
    },
    // A page of the extension (popup, options) in a tab of its own.
    extensionPage: (path) => b.newPage(`chrome-extension://${extensionId}/${path}`),
    // Runs `fn(arg)` in the extension (its service worker).
    inExtension: (fn, arg) => worker.evaluate(fn, arg),
    // The browser's tab id for a page (for the popup's ?tab=).
    tabIdOf: (url) => worker.evaluate(TAB_OF, url),
    runCommand: (name, url) => worker.evaluate(RUN_COMMAND, [name, url]),
    close: () => context.close(),
  };
  return b;
}

// The internal address Firefox gives the extension in tests
// (moz-extension://<uuid>/), pinned by a preference.
const FIREFOX_UUID = '6f1b6c2e-3d4a-4b5c-9d8e-7f6a5b4c3d2e';

// WebDriver BiDi refuses to navigate a tab to a moz-extension:// page, so
// the Firefox tests install a copy of the extension whose manifest also
// lets https pages open its popup and options pages; a tab then goes there
// from an https page (location.href), and the page is the real extension
// page with the extension's API. Nothing else differs from extension/.
function firefoxTestCopy(dir) {
  const copy = join(dir, 'extension-under-test');
  cpSync(EXT, copy, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8'));
  manifest.web_accessible_resources = [
    { resources: ['popup/popup.html', 'options/options.html'], matches: ['https://*/*'] },
  ];
  writeFileSync(join(copy, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return copy;
}

export async function launchFirefox(world, { register = true } = {}) {
  const puppeteer = (await import('puppeteer-core')).default;
  const home = join(world.dir, 'firefox-home');
  mkdirSync(home, { recursive: true });
  if (register) world.registerFirefox(home);
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: process.env.FIREFOX_BIN ?? '/usr/bin/firefox-esr',
    headless: true,
    enableExtensions: true,
    env: { ...process.env, ...world.env, HOME: home },
    extraPrefsFirefox: { 'extensions.webextensions.uuids': JSON.stringify({ 'factorcat@factorcat.app': FIREFOX_UUID }) },
  });
  const extensionId = await browser.installExtension(firefoxTestCopy(world.dir));
  let helper = null;
  const requests = [];
  const b = {
    kind: 'firefox', browser, extensionId, home,
    // Every request a page made to the (intercepted) web, in order.
    requests,
    async newPage(url) {
      const raw = await browser.newPage();
      await raw.setRequestInterception(true);
      // A page that sends the browser on at once (a redirect, as the
      // Identity Center portal does) can cancel a request before it is
      // answered; answering it then fails, which is no failure of the test.
      const gone = (err) => { if (!/no such request/i.test(String(err?.message ?? err))) throw err; };
      raw.on('request', (r) => {
        if (r.isInterceptResolutionHandled()) return;
        if (r.url().startsWith('moz-extension://')) return r.continue().catch(gone);
        requests.push({ method: r.method(), url: r.url() });
        return r.respond(fixtureFor(r.url())).catch(gone);
      });
      const p = new Page(raw, 'firefox');
      if (url) await p.goto(url);
      return p;
    },
    // A page of the extension (popup, options) in a tab of its own,
    // reached from an https page (see firefoxTestCopy).
    async extensionPage(path) {
      const p = await b.newPage('https://extension-page.factorcat.test/');
      const target = `moz-extension://${FIREFOX_UUID}/${path}`;
      await p.evaluate((u) => { location.href = u; }, target);
      await p.waitFor((u) => (location.href === u && document.readyState === 'complete' ? true : null), target);
      return p;
    },
    // Runs `fn(arg)` in the extension (an options page kept open for it).
    async inExtension(fn, arg) {
      helper ??= await b.extensionPage('options/options.html');
      return helper.evaluate(fn, arg);
    },
    tabIdOf: (url) => b.inExtension(TAB_OF, url),
    runCommand: (name, url) => b.inExtension(RUN_COMMAND, [name, url]),
    close: () => browser.close(),
  };
  return b;
}
