// Loads the extension's classic scripts into a jsdom window, the way the
// manifest's content_scripts list does, for unit tests of the DOM logic.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';

export const EXT = fileURLToPath(new URL('../../extension/', import.meta.url));
export const manifest = JSON.parse(readFileSync(`${EXT}manifest.json`, 'utf8'));

const CONTENT = ['shared/ext.js', 'shared/dom.js', 'shared/site-rules.js', 'content/fields.js', 'content/chooser.js', 'content/enroll.js'];

export function page(html, url = 'https://signin.aws.amazon.com/signin') {
  const dom = new JSDOM(`<!doctype html><html><body>${html}</body></html>`, { url, runScripts: 'outside-only', pretendToBeVisual: true });
  for (const f of CONTENT) dom.window.eval(readFileSync(`${EXT}${f}`, 'utf8'));
  return dom.window;
}

// The shared scripts in this (node) realm, for code without a DOM.
export async function shared() {
  await import('../../extension/shared/site-rules.js');
  return globalThis.FactorCat;
}
