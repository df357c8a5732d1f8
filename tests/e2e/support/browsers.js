// Chromium (playwright-core) and Firefox ESR (puppeteer-core, WebDriver
// BiDi), both with the unpacked extension, fixture pages served under their
// real https URLs by request interception, and one small page interface so
// the scenarios read the same for both.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXT, fixtureFor } from './env.js';

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
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('chrome-extension://')) return route.continue();
    return route.fulfill(fixtureFor(url));
  });
  const worker = context.serviceWorkers()[0] ?? await context.waitForEvent('serviceworker');
  const extensionId = worker.url().split('/')[2];
  return {
    kind: 'chromium', context, worker, extensionId, userDataDir,
    async newPage(url) {
      const p = new Page(await context.newPage(), 'chromium');
      if (url) await p.goto(url);
      return p;
    },
    // The browser's tab id for a page (for the popup's ?tab=).
    async tabIdOf(url) {
      return worker.evaluate(async (u) => (await chrome.tabs.query({})).find((t) => t.url === u)?.id, url);
    },
    close: () => context.close(),
  };
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
  });
  const extensionId = await browser.installExtension(EXT);
  return {
    kind: 'firefox', browser, extensionId, home,
    async newPage(url) {
      const raw = await browser.newPage();
      await raw.setRequestInterception(true);
      raw.on('request', (r) => {
        if (r.isInterceptResolutionHandled()) return;
        r.respond(fixtureFor(r.url()));
      });
      const p = new Page(raw, 'firefox');
      if (url) await p.goto(url);
      return p;
    },
    close: () => browser.close(),
  };
}
