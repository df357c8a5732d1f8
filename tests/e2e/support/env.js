// The world an end-to-end test runs in: a throw-away directory with a
// vault, the host registered for the browser under test, tokens added
// through the real `factorcat` CLI, and codes computed by it.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { totp } from './fake-host.mjs';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const EXT = join(ROOT, 'extension');
export const FIXTURES = join(ROOT, 'tests', 'fixtures');
export const HOST_NAME = 'com.factorcat.host';
// The add-on id Firefox knows the extension by.
export const FIREFOX_ID = JSON.parse(readFileSync(join(EXT, 'manifest.json'), 'utf8')).browser_specific_settings.gecko.id;

// The extensions the host serves, from its one list
// (host/src/data/extension-ids.txt): [{ family, id, build }].
export function hostAllowedIds() {
  return readFileSync(join(ROOT, 'host', 'src', 'data', 'extension-ids.txt'), 'utf8').split('\n')
    .map((line) => line.split('#')[0].trim().split(/\s+/))
    .filter((fields) => fields.length === 3)
    .map(([family, id, build]) => ({ family, id, build }));
}
const FAKE = join(ROOT, 'tests', 'e2e', 'support', 'fake-host.mjs');

// The extension id Chromium derives from the manifest's public key.
export function chromiumId() {
  const { key } = JSON.parse(readFileSync(join(EXT, 'manifest.json'), 'utf8'));
  return chromiumIdFromKey(key);
}
import { createHash } from 'node:crypto';
function chromiumIdFromKey(key) {
  const hex = createHash('sha256').update(Buffer.from(key, 'base64')).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
}

export function hostBinary() {
  const bin = process.env.FACTORCAT_BIN ?? join(ROOT, 'target', 'debug', 'factorcat');
  if (!existsSync(bin)) {
    throw new Error(`${bin} does not exist: run cargo build -p factorcat, and set FACTORCAT_BIN to the binary when cargo builds elsewhere (CARGO_TARGET_DIR)`);
  }
  return bin;
}

// FACTORCAT_E2E_HOST=fake runs against the stand-in host (for working on
// the extension while the real one is being built); the default is real.
export const useFake = process.env.FACTORCAT_E2E_HOST === 'fake';

export class World {
  // options.fake: use the stand-in host whatever FACTORCAT_E2E_HOST says
  // (for host states the real host cannot easily be put in).
  constructor(name, { fake = useFake, env = {} } = {}) {
    this.fake = fake;
    this.dir = mkdtempSync(join(tmpdir(), `factorcat-e2e-${name}-`));
    this.home = join(this.dir, 'vault');
    mkdirSync(this.home);
    // The vault's key in the Secret Service (keyring), as people use it,
    // when the tests run in a D-Bus session that has one
    // (scripts/test-extension.sh starts one); otherwise passphrase-only.
    // Browsers hand their environment to the host they start.
    this.vaultKind = process.env.FACTORCAT_E2E_VAULT ?? (process.env.DBUS_SESSION_BUS_ADDRESS ? 'keyring' : 'passphrase');
    this.env = { FACTORCAT_HOME: this.home, ...env };
    if (this.vaultKind === 'passphrase') this.env.FACTORCAT_PASSPHRASE = 'e2e-passphrase-not-secret';
    if (fake) this.env.FACTORCAT_FAKE_STORE = join(this.home, 'fake.json');
    this.bin = fake ? FAKE : hostBinary();
    this.ids = new Map();
    // Register the host with `factorcat install` where the binary has it,
    // as a person would; write the manifest ourselves otherwise.
    this.canInstall = !fake && spawnSync(this.bin, ['install', '--help'], { stdio: 'ignore' }).status === 0;
  }

  cli(args, input) {
    return execFileSync(this.bin, args, {
      env: { ...process.env, ...this.env }, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  init() {
    if (this.fake) return;
    this.cli(this.vaultKind === 'passphrase' ? ['init', '--no-keyring', '--passphrase'] : ['init']);
  }

  // token: {issuer, account, secret, awsAccount?, awsUser?, awsPartition?, ssoStartUrl?, site?, pin?}
  add(t) {
    if (this.fake) {
      const store = existsSync(this.env.FACTORCAT_FAKE_STORE) ? JSON.parse(readFileSync(this.env.FACTORCAT_FAKE_STORE, 'utf8')) : { tokens: [], fills: {} };
      const id = `fake-${store.tokens.length + 1}`;
      store.tokens.push({ id, issuer: t.issuer, account: t.account, secret: t.secret, label: `${t.issuer} (${t.account})`, kind: 'totp', digits: 6, period: 30,
        sites: t.site ? [t.site] : [], aws: t.awsAccount ? { [/^\d{12}$/.test(t.awsAccount) ? 'account_id' : 'account_alias']: t.awsAccount, user: t.awsUser ?? null, partition: t.awsPartition ?? 'aws' } : null, tags: [], pinned: !!t.pin });
      writeFileSync(this.env.FACTORCAT_FAKE_STORE, JSON.stringify(store));
      this.ids.set(t.account, id);
      this.secrets = { ...(this.secrets ?? {}), [id]: t.secret };
      return id;
    }
    const args = ['add', '--issuer', t.issuer, '--account', t.account, '--secret', '-'];
    if (t.awsAccount) args.push('--aws-account', t.awsAccount);
    if (t.awsUser) args.push('--aws-user', t.awsUser);
    if (t.awsPartition) args.push('--aws-partition', t.awsPartition);
    if (t.ssoStartUrl) args.push('--aws-sso-start-url', t.ssoStartUrl);
    if (t.site) args.push('--site', t.site);
    if (t.pin) args.push('--pin');
    this.cli(args, `${t.secret}\n`);
  }

  // The id of the token added with `account` (looked up once per new name).
  idOf(account) {
    if (!this.ids.has(account)) {
      for (const x of this.list()) this.ids.set(x.account, x.id);
    }
    const id = this.ids.get(account);
    if (!id) throw new Error(`no token with account ${account}`);
    return id;
  }

  // The code of the token added with `account`, at Unix time `t` (seconds).
  codeAt(account, t) {
    const id = this.idOf(account);
    if (this.fake) return totp(this.secrets[id], Math.floor(t / 30));
    return this.cli(['code', id, '--time', String(Math.floor(t))]).trim();
  }

  list() {
    if (this.fake) return JSON.parse(readFileSync(this.env.FACTORCAT_FAKE_STORE, 'utf8')).tokens;
    const list = JSON.parse(this.cli(['list', '--json']));
    return Array.isArray(list) ? list : list.tokens;
  }

  hostManifest(browser) {
    const base = { name: HOST_NAME, description: 'FactorCat native host (test)', path: this.bin, type: 'stdio' };
    return browser === 'chromium'
      ? { ...base, allowed_origins: [`chrome-extension://${chromiumId()}/`] }
      : { ...base, allowed_extensions: [FIREFOX_ID] };
  }

  // Registers the host where Chromium looks with --user-data-dir.
  registerChromium(userDataDir) {
    if (this.canInstall) {
      this.cli(['install', '--browser', 'chromium', '--user-data-dir', userDataDir]);
      return;
    }
    const dir = join(userDataDir, 'NativeMessagingHosts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${HOST_NAME}.json`), JSON.stringify(this.hostManifest('chromium')));
  }

  // Registers the host where Firefox looks ($HOME/.mozilla/…).
  registerFirefox(home) {
    if (this.canInstall) {
      execFileSync(this.bin, ['install', '--browser', 'firefox'], { env: { ...process.env, ...this.env, HOME: home }, stdio: 'pipe' });
      return;
    }
    const dir = join(home, '.mozilla', 'native-messaging-hosts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${HOST_NAME}.json`), JSON.stringify(this.hostManifest('firefox')));
  }

  cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Random base32 secrets, so no two tokens share codes.
export function randomSecret() {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let s = '';
  for (let i = 0; i < 32; i++) s += A[Math.floor(Math.random() * 32)];
  return s;
}

// Which fixture answers a URL, by path (whatever the host, so lookalike
// and http hosts get the same page as the real one); a route may look at
// the whole URL.
const ROUTES = [
  [/^\/__fixtures\/([a-z0-9-]+\.(?:js|html))$/, (m) => m[1]],
  [/^\/console\/?$/, () => 'aws-legacy-signin.html'],
  [/^\/signin\/?$/, () => 'aws-new-credentials.html'],
  [/^\/v1\/authorize$/, () => 'aws-new-credentials.html'],
  [/^\/oauth\/?$/, () => 'aws-new-mfa.html'],
  [/^\/iam\/home$/, (m, u) => (u.searchParams.get('view') === 'resync' ? 'aws-iam-resync-mfa.html' : 'aws-iam-assign-mfa.html')],
  [/^\/sessions\/two-factor\/app$/, () => 'github-2fa.html'],
  [/^\/users\/sign_in$/, () => 'gitlab-2fa.html'],
  [/^\/signin\/challenge\/totp$/, () => 'google-2fa.html'],
  [/^\/start\/?$/, () => 'aws-sso-portal.html'],
  [/^\/login$/, () => 'aws-sso-login-redirect.html'],
  [/^\/platform\/(?:d-[0-9a-f]{10}\/)?login$/, () => 'aws-sso-signin.html'],
  [/^\/embed$/, () => 'embeds-aws-signin.html'],
  [/^\/signin\/root$/, () => 'aws-root-signin.html'],
  [/^\/verify$/, () => 'lookalike-verify.html'],
];

// Hosts whose server clock is off, in seconds ahead of this machine's
// (the `Date` header they send); every other answer carries this
// machine's time, as a server whose clock is right would.
export const SERVER_CLOCK_AHEAD = { '161616161616.signin.amazonaws.cn': 120 };

// The answer for `url`: its fixture (or a 404), with a `Date` header.
export function fixtureFor(url) {
  const u = new URL(url);
  const headers = { date: new Date(Date.now() + (SERVER_CLOCK_AHEAD[u.hostname] ?? 0) * 1000).toUTCString() };
  for (const [re, pick] of ROUTES) {
    const m = re.exec(u.pathname);
    if (m) {
      const file = pick(m, u);
      const body = readFileSync(join(FIXTURES, file), 'utf8');
      return { status: 200, contentType: file.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8', headers, body };
    }
  }
  return { status: 404, contentType: 'text/plain', headers, body: 'not found' };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
