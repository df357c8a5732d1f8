// Lays out the extension for one store: a copy of extension/ whose
// manifest.json keeps only what that store's browsers read.
//
// Usage: node scripts/build-extension.mjs chromium|firefox OUT_DIR
//
// The version is the host crate's (host/Cargo.toml), the one version number
// of FactorCat; extension/manifest.json must carry the same one (the unpacked
// extension is loaded from there), or this stops and says so.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(ROOT, 'extension');

// What each store build leaves out of the development manifest, and why.
const LEAVE_OUT = {
  // Chrome Web Store, Edge Add-ons, Opera add-ons.
  chromium: [
    // The store refuses an upload whose manifest has a "key"; it gives the
    // extension its own id (to be added to host/src/data/extension-ids.txt).
    ['key'],
    // Firefox's settings, unknown to Chromium.
    ['browser_specific_settings'],
    // Chromium runs background.service_worker; scripts is Firefox's.
    ['background', 'scripts'],
  ],
  // addons.mozilla.org (and self-distributed .xpi files).
  firefox: [
    // Chromium-only keys, which Firefox ignores and its linter flags.
    ['key'],
    ['minimum_chrome_version'],
    ['background', 'service_worker'],
  ],
};

// Permissions only the other browser family knows, left out of a store
// build's list (Firefox has no offscreen documents: its background page
// is a document).
const LEAVE_OUT_PERMISSIONS = {
  chromium: [],
  firefox: ['offscreen'],
};

/** The `version` of the [package] section of host/Cargo.toml. */
export function crateVersion() {
  const toml = readFileSync(join(ROOT, 'host', 'Cargo.toml'), 'utf8');
  const section = toml.split(/^\[/m).find((s) => s.startsWith('package]'));
  const m = section && /^version\s*=\s*"([^"]+)"/m.exec(section);
  if (!m) throw new Error('host/Cargo.toml has no [package] version');
  return m[1];
}

/** The manifest of `target`'s store build, from the development manifest. */
export function storeManifest(manifest, target, version) {
  const drop = LEAVE_OUT[target];
  if (!drop) throw new Error(`unknown target "${target}" (chromium or firefox)`);
  if (manifest.version !== version) {
    throw new Error(`extension/manifest.json has version ${manifest.version} but host/Cargo.toml has ${version}; `
      + 'set the manifest\'s "version" to the crate version');
  }
  const out = structuredClone(manifest);
  for (const path of drop) {
    const parent = path.slice(0, -1).reduce((o, k) => o?.[k], out);
    if (parent) delete parent[path.at(-1)];
  }
  out.permissions = (out.permissions ?? []).filter((p) => !LEAVE_OUT_PERMISSIONS[target].includes(p));
  return out;
}

function main([target, outDir]) {
  if (!LEAVE_OUT[target] || !outDir) {
    console.error('usage: node scripts/build-extension.mjs chromium|firefox OUT_DIR');
    process.exit(2);
  }
  const manifest = JSON.parse(readFileSync(join(SOURCE, 'manifest.json'), 'utf8'));
  let built;
  try {
    built = storeManifest(manifest, target, crateVersion());
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exit(1);
  }
  if (existsSync(outDir)) rmSync(outDir, { recursive: true });
  mkdirSync(dirname(outDir), { recursive: true });
  cpSync(SOURCE, outDir, { recursive: true, filter: (src) => !/(^|\/)\.[^/]*$/.test(src.slice(SOURCE.length)) });
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(built, null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
