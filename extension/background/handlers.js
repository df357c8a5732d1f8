// What the background does for each allowed message. Content scripts get
// only what their own page needs, for the URL the browser reports for them.
// What an address means (AWS partition, account, region…) and how a typed
// account is read are the host's to say: the background passes what pages
// show as they show it and uses the host's answer. A handler that fails
// throws; the router turns that into the error reply.
import { errorInfo, hostError } from './errors.js';
import { getOptions, setOptions } from './options.js';

const { ruleFor } = globalThis.FactorCat.siteRules;

// The protocol version this extension speaks (docs/protocol.md).
export const PROTOCOL = 2;

const MEMORY_MS = 15 * 60 * 1000;
// How soon after an IAM Identity Center access portal the same tab must be
// on its sign-in page for the host to learn the portal's directory from it
// (the portal redirects at once; the person types nothing in between).
const REDIRECT_MS = 2 * 60 * 1000;
const HINT_KEYS = ['account', 'user', 'email'];

function cleanHint(h) {
  const out = {};
  for (const k of HINT_KEYS) {
    const v = h?.[k];
    if (typeof v === 'string' && v.trim() && v.length <= 256) out[k] = v.trim();
  }
  return out;
}

// Token fields a page or the popup may see (never a secret: the host has none to give).
function publicToken(t) {
  return {
    id: t.id, issuer: t.issuer, account: t.account, label: t.label, kind: t.kind,
    digits: t.digits, period: t.period, sites: t.sites ?? [], aws: t.aws ?? null, pinned: !!t.pinned,
  };
}

// Request frames to the host are at most 1 MiB; what a page sends for the
// host to read (a file, an image) must leave room for the envelope.
export const MAX_UPLOAD_CHARS = 1048576 - 8192;
// Reading an encrypted export derives its key on purpose slowly (scrypt,
// PBKDF2), and decoding a screenshot takes a moment: longer timeouts.
const SLOW_MS = 120000;

function badRequest(message) {
  return { ok: false, error: { code: 'bad_request', title: 'Not possible', message } };
}

// What was read from a file or a QR code: names only, never a secret.
function readToken(t) {
  return { issuer: t.issuer ?? '', account: t.account ?? '', label: t.label ?? '', kind: t.kind ?? 'totp', duplicate: !!t.duplicate };
}

function readFailure(f) {
  return { position: f.position ?? f.code ?? null, label: f.label ?? null, reason: String(f.reason ?? '') };
}

// The import request for the host from a page's message, or an error.
export function importRequest(msg) {
  const file = msg?.file;
  if (typeof file !== 'string' || !file) return { error: 'No file.' };
  if (file.length > MAX_UPLOAD_CHARS) return { tooLarge: true };
  const req = { file, dry_run: msg.dryRun !== false };
  // The host knows the formats (hello's import_formats) and refuses others.
  if (msg.format != null) {
    if (typeof msg.format !== 'string' || msg.format.length > 64) return { error: 'Unknown format.' };
    if (msg.format !== 'auto') req.format = msg.format;
  }
  if (msg.password != null) {
    if (typeof msg.password !== 'string' || msg.password.length > 4096) return { error: 'Unusable password.' };
    if (msg.password) req.password = msg.password;
  }
  if (msg.skipBad === true) req.skip_bad = true;
  return { req };
}

export function makeHandlers({ api, host, clipboard = null }) {
  const memoryKey = (tabId) => `signin:${tabId}`;
  // The last page of ours each tab showed (its address as the browser
  // reported it, when, and whether the host said it was an access portal).
  const trailKey = (tabId) => `trail:${tabId}`;
  // Per tab, the `redirected` request under way, which the tab's match
  // waits for.
  const learning = new Map();

  // What this tab showed at the credentials step of a sign-in (its address
  // and what was typed there), for a while: the host completes the MFA
  // page's hint with it when both pages are sign-in pages of one AWS
  // partition and name no different accounts (`earlier` of `match`).
  async function earlierFor(tabId) {
    const key = memoryKey(tabId);
    const mem = (await api.storage.session.get(key))[key];
    if (!mem || Date.now() - mem.at > MEMORY_MS) return null;
    return { url: mem.url, hint: mem.hint };
  }

  async function setBadge(tabId, total) {
    const text = total > 0 ? String(Math.min(total, 99)) : '';
    try {
      await api.action.setBadgeText({ tabId, text });
      await api.action.setTitle({ tabId, title: total > 0 ? `FactorCat: ${total} token${total > 1 ? 's' : ''} for this page` : 'FactorCat' });
      if (total > 0) await api.action.setBadgeBackgroundColor({ tabId, color: '#0972d3' });
    } catch { /* the tab may be gone */ }
  }

  // A problem the person must fix (host not installed, keyring locked…)
  // shows as "!" on the toolbar button; the popup says what to do.
  async function setBadgeProblem(tabId, err) {
    const info = errorInfo(err);
    if (['host_timeout', 'host_exited'].includes(info.code)) return;
    try {
      await api.action.setBadgeText({ tabId, text: '!' });
      await api.action.setBadgeBackgroundColor({ tabId, color: '#d91515' });
      await api.action.setTitle({ tabId, title: `FactorCat: ${info.title}` });
    } catch { /* the tab may be gone */ }
  }

  async function match(url, hint, earlier = null) {
    const req = { url };
    if (Object.keys(hint).length) req.hint = hint;
    if (earlier) req.earlier = earlier;
    return host.request('match', req);
  }

  // The last match per tab, for a short while: the page-load and
  // credentials-step messages ask early, so that when the MFA field appears
  // only the code is left to fetch. Never a code: those are fetched when
  // filling, and spent by it.
  const MATCH_TTL_MS = 30 * 1000;
  const recent = new Map();
  function cachedMatch(tabId, url, hint, earlier) {
    const key = JSON.stringify([url, hint, earlier]);
    const hit = recent.get(tabId);
    if (hit && hit.key === key && Date.now() - hit.at < MATCH_TTL_MS) return hit.promise;
    const promise = match(url, hint, earlier);
    recent.set(tabId, { key, at: Date.now(), promise });
    promise.catch(() => { if (recent.get(tabId)?.promise === promise) recent.delete(tabId); });
    return promise;
  }
  const forgetMatches = () => recent.clear();

  async function codeForFill(token) {
    const c = await host.request('code', { token, for_fill: true });
    const waitMs = c.wait > 0 ? Math.max(0, c.valid_from * 1000 - Date.now()) : 0;
    return { code: c.code, waitMs };
  }

  // Two consecutive codes for filling (the first with its wait), for pages
  // that ask for the next step's code too.
  async function twoCodesForFill(token) {
    const c = await host.request('enroll_codes', { token });
    const first = c.codes?.[0];
    const waitMs = first?.valid_from ? Math.max(0, first.valid_from * 1000 - Date.now()) : 0;
    return { codes: c.codes.map((x) => x.code), waitMs };
  }

  // Where each tab was last: the address the browser reported with a page
  // of ours, when, and whether the host said it is an access portal (once
  // it said). Kept in memory for the next page's message, which may come
  // before storage is written, and in session storage for a restarted
  // background.
  const trails = new Map();
  async function swapTrail(sender) {
    const key = trailKey(sender.tab.id);
    const prev = trails.get(key) ?? (await api.storage.session.get(key))[key] ?? null;
    const next = { url: sender.url, at: Date.now() };
    trails.set(key, next);
    await api.storage.session.set({ [key]: next });
    return prev;
  }
  async function noteTrail(sender, r) {
    const key = trailKey(sender.tab.id);
    const now = trails.get(key);
    if (now?.url !== sender.url) return;
    now.portal = !!r?.page?.aws?.portal;
    await api.storage.session.set({ [key]: now });
  }

  // The browser says this tab was on another page of ours a moment ago
  // and is now on this one: when that was an IAM Identity Center access
  // portal and this is its sign-in page, the host learns the portal's
  // directory (it decides; `redirected`). Never from what a page shows:
  // both addresses are the browser's.
  function learnFromTrail(sender) {
    const run = (async () => {
      const prev = await swapTrail(sender);
      if (!prev || prev.portal === false || prev.url === sender.url || Date.now() - prev.at > REDIRECT_MS) return;
      const r = await host.request('redirected', { from: prev.url, to: sender.url }).catch(() => null);
      if (r?.learned?.length) forgetMatches();
    })();
    learning.set(sender.tab.id, run);
    return run;
  }

  async function listAll() {
    const tokens = [];
    let offset = 0;
    let now = null;
    let clock = [];
    for (let pages = 0; offset != null && pages < 100; pages++) {
      const r = await host.request('list', { offset, limit: 500 });
      now = r.now;
      clock = r.clock ?? [];
      tokens.push(...r.tokens);
      offset = r.next_offset;
    }
    return { now, tokens, clock };
  }
  // The match for a content script's page: its hint and the tab's earlier step.
  async function pageMatch(sender, pageHint, { cached = true } = {}) {
    await learning.get(sender.tab.id);
    const hint = cleanHint(pageHint);
    const earlier = await earlierFor(sender.tab.id);
    return cached ? cachedMatch(sender.tab.id, sender.url, hint, earlier) : match(sender.url, hint, earlier);
  }

  // Failures of these show on the toolbar button, where the person looks.
  const onBadge = (handler) => async (msg, sender) => {
    try {
      return await handler(msg, sender);
    } catch (err) {
      await setBadgeProblem(sender.tab.id, err);
      throw err;
    }
  };

  const content = {
    // A page of a known site loaded: badge, and start the host early.
    // On AWS sign-in pages the host's `clock` says whether the page
    // measures AWS's clock (`clock`) and whether a fill waits for that.
    'page-seen': onBadge(async (msg, sender) => {
      await learnFromTrail(sender);
      const r = await pageMatch(sender, msg.hint);
      await noteTrail(sender, r);
      await setBadge(sender.tab.id, r.total);
      const clock = r.clock ? { measure: r.clock.measure === true, wait: r.clock.wait === true } : null;
      return { ok: true, total: r.total, clock };
    }),

    // What the page's own server said the time was (its `Date` header) and
    // this computer's time around the request: the host records AWS's
    // offset for the partition of the address the browser reports, if
    // that is an AWS sign-in page over https, and says what it makes of it.
    async clock(msg, sender) {
      const ms = (v) => Number.isSafeInteger(v) && v > 0;
      if (typeof msg.date !== 'string' || msg.date.length > 64 || !ms(msg.sent) || !ms(msg.received)) {
        return badRequest('No time to read.');
      }
      const r = await host.request('clock', { url: sender.url, date: msg.date, sent: msg.sent, received: msg.received });
      return { ok: true, partition: r.partition ?? null, standing: r.standing ?? null, offset: r.offset ?? null };
    },

    // The credentials step showed who is signing in.
    async 'signin-seen'(msg, sender) {
      const hint = cleanHint(msg.hint);
      if (!Object.keys(hint).length) return { ok: true };
      const key = memoryKey(sender.tab.id);
      await api.storage.session.set({ [key]: { url: sender.url, hint, at: Date.now() } });
      // The MFA step often follows on this same page: ask the host now.
      const earlier = { url: sender.url, hint };
      if (ruleFor(sender.url)?.auto) cachedMatch(sender.tab.id, sender.url, hint, earlier).catch(() => {});
      return { ok: true };
    },

    // The MFA field appeared: fill, offer a choice, or nothing.
    'mfa-field': onBadge(async (msg, sender) => {
      const rule = ruleFor(sender.url);
      if (!rule?.auto) return { ok: true, action: 'none' };
      const [r, opts] = await Promise.all([pageMatch(sender, msg.hint), getOptions(api)]);
      await setBadge(sender.tab.id, r.total);
      if (!r.total) return { ok: true, action: 'none' };
      if (r.autofill && opts.autofill) {
        const c = msg.pair === true ? await twoCodesForFill(r.autofill_token) : await codeForFill(r.autofill_token);
        return { ok: true, action: 'fill', ...c, autoSubmit: opts.autoSubmit };
      }
      return { ok: true, action: 'choose', candidates: r.candidates.map((c) => publicToken(c.token)) };
    }),

    // The sign-in asks which kind of MFA to use: choose the authenticator
    // app only on the console sign-in (the host's `signin` service: not an
    // Identity Center portal, whose "Register MFA device" asks the same
    // for a new device), only when a token belongs to this page — one the
    // host would fill, or one of the account the sign-in is for — and the
    // person left the option on. Never when no token fits.
    'mfa-type': onBadge(async (msg, sender) => {
      const rule = ruleFor(sender.url);
      if (!rule?.auto || !rule.mfaType) return { ok: true, action: 'none' };
      const [r, opts] = await Promise.all([pageMatch(sender, msg.hint), getOptions(api)]);
      await setBadge(sender.tab.id, r.total);
      const top = r.candidates?.[0]?.strength;
      const belongs = r.page?.aws?.service === 'signin' && r.total > 0
        && (r.autofill || top === 'account' || top === 'account_user');
      return { ok: true, action: opts.chooseMfaType && belongs ? 'choose-app' : 'none' };
    }),

    // The person picked a token in the chooser: only one of this page's.
    async 'fill-choice'(msg, sender) {
      if (typeof msg.token !== 'string') return { ok: false, error: { code: 'bad_request', message: 'No token.' } };
      const r = await pageMatch(sender, msg.hint);
      if (!r.candidates.some((c) => c.token.id === msg.token)) {
        return { ok: false, error: { code: 'not_for_this_page', message: 'That token does not belong to this page.' } };
      }
      const fetch = msg.pair === true ? twoCodesForFill : codeForFill;
      const [c, opts] = await Promise.all([fetch(msg.token), getOptions(api)]);
      return { ok: true, ...c, autoSubmit: opts.autoSubmit };
    },

    // "Add to FactorCat" beside a new MFA device's code fields: the IAM
    // console's assign-MFA wizard, or IAM Identity Center's registration.
    // Only from the person's click, with the secret the page's own "Show
    // secret key" revealed (enroll.js reads nothing else). The host says
    // which page this is: the console of a partition (the token gets that
    // account) or an Identity Center page (the token is bound to its
    // instance); it reads the account as the page shows it.
    async enroll(msg, sender) {
      const refused = (message) => ({ ok: false, error: { code: 'refused', message } });
      if (msg.trusted !== true || msg.source !== 'revealed') {
        return refused('FactorCat adds a token only when you click "Add to FactorCat" on the page.');
      }
      const rule = ruleFor(sender.url);
      if (!rule?.enroll) return refused('Not a page where AWS sets up an MFA device.');
      const secret = String(msg.secret ?? '').replace(/\s+/g, '');
      if (!new RegExp(rule.enroll.secretPattern).test(secret)) return { ok: false, error: { code: 'invalid_token', message: 'The secret key on the page is not readable.' } };
      const shown = typeof msg.account === 'string' ? msg.account.trim().slice(0, 64) : '';
      const user = typeof msg.user === 'string' && msg.user.length <= 64 ? msg.user : null;
      // The device name the page showed (the wizard's "Device name"), if
      // any: the host makes the device's serial of it.
      const shownDevice = (typeof msg.device === 'string' && msg.device.trim().slice(0, 256)) || null;
      const device = shownDevice?.slice(0, 128) || user || 'mfa-device';
      const facts = await match(sender.url, shown ? { account: shown } : {}, await earlierFor(sender.tab.id));
      if (!facts.page) throw hostError({ code: 'host_outdated' });
      const aws = facts.page.aws;
      const req = aws?.service === 'identity_center'
        ? identityCenterToken(aws, facts.who, secret)
        : aws?.service === 'console' ? consoleToken(aws, facts.who, secret, device, user, shownDevice) : null;
      if (!req) return refused('Not a page where AWS sets up an MFA device.');
      // A second click on the same secret (after AWS refused the codes, say)
      // finds it stored already: the stored token makes the same codes, so
      // enrolment goes on with it.
      const added = await host.request('add', req).catch((err) => {
        const twin = err?.info?.code === 'duplicate_token' ? err.info.token : null;
        if (typeof twin?.id === 'string') return { token: twin };
        throw err;
      });
      forgetMatches();
      const codes = await host.request('enroll_codes', { token: added.token.id });
      const wanted = Math.min(Math.max(Number(msg.codes) || 2, 1), 2);
      return { ok: true, label: added.token.label ?? req.account, codes: codes.codes.slice(0, wanted).map((c) => c.code) };
    },

    // "Fill from FactorCat" in the IAM console's "Resync MFA device": two
    // consecutive codes of the device the page shows (its serial, or the
    // account and user of the page), which the host picks.
    async resync(msg, sender) {
      if (msg.trusted !== true) {
        return { ok: false, error: { code: 'refused', message: 'FactorCat fills the codes only when you click "Fill from FactorCat" on the page.' } };
      }
      if (!ruleFor(sender.url)?.resync) return { ok: false, error: { code: 'refused', message: 'Not an AWS console page.' } };
      const req = { url: sender.url, hint: cleanHint({ account: msg.account, user: msg.user }) };
      if (typeof msg.serial === 'string' && msg.serial.length <= 512) req.serial = msg.serial;
      const r = await host.request('resync_codes', req);
      return { ok: true, label: r.label, codes: r.codes.map((c) => c.code) };
    },
  };

  // The toolbar popup and the options page.
  const extension = {
    async status() {
      const r = await host.request('hello', { protocol: PROTOCOL });
      return {
        ok: true, version: r.version, protocol: r.protocol, vault: r.vault, capabilities: r.capabilities,
        importFormats: (r.import_formats ?? []).map((f) => ({ name: String(f.name), label: String(f.label ?? f.name) })),
      };
    },

    // The tokens with their codes, and AWS's clock where the host uses or
    // ignores a measured offset (the popup says so).
    async list() {
      const { now, tokens, clock } = await listAll();
      const shown = clock.filter((c) => ['used', 'absurd'].includes(c.standing));
      return {
        ok: true, now,
        clock: shown.map((c) => ({ partition: String(c.partition), offset: Number(c.offset), standing: c.standing })),
        tokens: tokens.map((t) => ({ ...publicToken(t), code: t.code, validUntil: t.valid_until, secondsLeft: t.seconds_left })),
      };
    },

    // What the popup needs about a tab: which tokens fit it, and whether it
    // shows a code field right now.
    async 'tab-info'(msg) {
      const tab = await api.tabs.get(msg.tabId);
      const url = tab?.url ?? '';
      if (!url.startsWith('https://')) return { ok: true, url, matches: [], field: false };
      const earlier = await earlierFor(tab.id);
      const [r, probe] = await Promise.all([
        match(url, {}, earlier).catch(() => ({ candidates: [], total: 0 })),
        probeTab(tab.id),
      ]);
      await setBadge(tab.id, r.total);
      return { ok: true, url, host: r.host, matches: r.candidates.map((c) => c.token.id), field: probe.field };
    },

    // The person clicked a token in the popup: fill it if the tab shows a
    // code field, otherwise say so (the popup then copies the code). A
    // token the host does not match to the tab's page is filled only once
    // the person confirmed it for that page's site (`confirmedFor`: the
    // site the question named); until then the answer is the question.
    async 'fill-tab'(msg) {
      const token = String(msg.token);
      const tab = await api.tabs.get(msg.tabId);
      const url = tab?.url ?? '';
      const probe = await probeTab(msg.tabId);
      if (!probe.field || !url.startsWith('https://')) return { ok: true, filled: false };
      const onPage = (at) => tokenOnPage(tab.id, at, token, probe.hint, msg.confirmedFor);
      const here = await onPage(url);
      if (!here.allowed) {
        const t = (await listAll()).tokens.find((x) => x.id === token);
        return { ok: true, filled: false, confirm: { site: here.site, question: wrongPageQuestion(here.site, t) } };
      }
      return { ok: true, ...(await fillTab(tab.id, url, token, onPage)) };
    },

    // The popup copied a code: clear it from the clipboard later, if it is
    // still there then (the option, on by default).
    async copied(msg) {
      const code = String(msg.code ?? '');
      if (!/^[0-9A-Za-z]{4,10}$/.test(code) || !clipboard) return { ok: true, clearing: false };
      const { clearClipboard } = await getOptions(api);
      if (clearClipboard) await clipboard.copied(code);
      return { ok: true, clearing: clearClipboard };
    },

    // A code to copy (HOTP tokens show none in the list: asking spends one).
    async code(msg) {
      const r = await host.request('code', { token: String(msg.token) });
      return { ok: true, code: r.code };
    },

    async add(msg) {
      const uri = String(msg.uri ?? '').trim();
      if (!uri.startsWith('otpauth://')) return { ok: false, error: { code: 'invalid_uri', title: 'Not an otpauth link', message: 'Paste a link that starts with otpauth://' } };
      const r = await host.request('add', { uri });
      forgetMatches();
      return { ok: true, token: publicToken(r.token) };
    },

    async remove(msg) {
      const r = await host.request('remove', { token: String(msg.token) });
      forgetMatches();
      return { ok: true, removed: r.removed };
    },

    // Import of a file the person chose (sent as a data: URL): a dry run
    // unless `dryRun` is false. The password goes to the host and nowhere else.
    async import(msg) {
      const { req, error, tooLarge } = importRequest(msg);
      if (tooLarge) throw hostError({ code: 'import_too_large' });
      if (error) return badRequest(error);
      const r = await host.request('import', req, { timeoutMs: SLOW_MS });
      if (!r.dry_run) forgetMatches();
      return {
        ok: true, format: r.format, dryRun: !!r.dry_run, imported: r.imported ?? 0, added: (r.added ?? []).length,
        duplicates: r.duplicates ?? 0, tokens: (r.tokens ?? []).map(readToken), failed: (r.failed ?? []).map(readFailure),
        tokensOmitted: r.tokens_omitted ?? 0, failedOmitted: r.failed_omitted ?? 0,
      };
    },

    // "Scan QR code on this page": a picture of the visible part of the tab
    // (activeTab, granted by opening the popup), read by the host. The
    // picture comes back so that "Add" stores exactly what was shown.
    async 'scan-tab'(msg) {
      const tab = await api.tabs.get(Number(msg.tabId));
      if (!tab?.active) return { ok: false, error: { code: 'tab_not_visible', title: 'That tab is not visible', message: 'Switch to the tab that shows the QR code and open FactorCat there.' } };
      let image;
      try {
        image = await api.tabs.captureVisibleTab(tab.windowId, { format: 'png' });
        // A large screen in PNG can exceed what the host reads: JPEG then.
        for (const quality of [92, 75]) {
          if (image.length <= MAX_UPLOAD_CHARS) break;
          image = await api.tabs.captureVisibleTab(tab.windowId, { format: 'jpeg', quality });
        }
      } catch (err) {
        return { ok: false, error: { code: 'capture_failed', title: 'FactorCat cannot see this page', message: 'Open the FactorCat popup from the toolbar on the page that shows the QR code, then scan. Browser pages (settings, add-on stores) cannot be read.', detail: String(err?.message ?? err) } };
      }
      if (image.length > MAX_UPLOAD_CHARS) throw hostError({ code: 'qr_image_too_large' });
      return { ...(await decodeQr(image, false)), image };
    },

    // The "Add" after a scan: the same picture again, now stored.
    async 'decode-qr'(msg) {
      const image = msg.image;
      if (typeof image !== 'string' || !image.startsWith('data:image/')) return badRequest('No image.');
      if (image.length > MAX_UPLOAD_CHARS) throw hostError({ code: 'qr_image_too_large' });
      return decodeQr(image, msg.add === true);
    },

    async 'options-get'() {
      return { ok: true, options: await getOptions(api) };
    },

    async 'options-set'(msg) {
      return { ok: true, options: await setOptions(api, msg.options) };
    },
  };

  // The keyboard shortcut (manifest `commands`), by command name. Each
  // gets the tab the browser says was active, and says what it did.
  const commands = {
    // Fill the code of the one token that fits this page, offer the
    // chooser when several do, or say why nothing can be filled.
    async 'fill-code'(tab) {
      const t = tab?.id != null ? tab : (await api.tabs.query({ active: true, currentWindow: true }))[0];
      if (t?.id == null) return { outcome: 'no-tab' };
      const url = t.url ?? (await api.tabs.get(t.id))?.url ?? '';
      if (!url.startsWith('https://')) {
        await badgeNotice(t.id, 'FactorCat fills codes on https pages only');
        return { outcome: 'not-https' };
      }
      const probe = await probeTab(t.id);
      const tell = async (outcome, text) => {
        const told = probe.reachable && (await api.tabs.sendMessage(t.id, { type: 'notice', text }, { frameId: 0 }).catch(() => null));
        if (!told) await badgeNotice(t.id, `FactorCat: ${text}`);
        return { outcome, text };
      };
      let r;
      try {
        r = await match(url, cleanHint(probe.hint), await earlierFor(t.id));
      } catch (err) {
        await setBadgeProblem(t.id, err);
        const info = errorInfo(err);
        return tell('host-error', `${info.title}. ${info.message ?? ''}`.trim());
      }
      await setBadge(t.id, r.total);
      const site = r.page?.host ?? r.host ?? new URL(url).hostname;
      if (!r.total) return tell('no-token', `No token belongs to ${site}.`);
      if (!probe.field) {
        return tell('no-field', `This page shows no code field. ${r.total === 1 ? 'One token belongs' : `${r.total} tokens belong`} to ${site}: copy a code from the FactorCat button.`);
      }
      if (r.autofill) {
        const token = r.autofill_token;
        const done = await fillTab(t.id, url, token, (at) => tokenOnPage(t.id, at, token, probe.hint));
        if (done.moved) return tell('moved', 'The page changed while the code was fetched: nothing was filled.');
        return done.filled ? { outcome: 'filled' } : tell('no-field', 'The code field is gone.');
      }
      const candidates = r.candidates.map((c) => publicToken(c.token));
      const shown = await api.tabs.sendMessage(t.id, { type: 'choose', candidates }, { frameId: 0 }).catch(() => null);
      return shown?.opened ? { outcome: 'chooser', candidates: candidates.map((c) => c.id) } : tell('no-field', 'The code field is gone.');
    },
  };

  // The `add` request for a device set up in the IAM console: issuer
  // "Amazon Web Services", account `<device>@<account>`, the AWS context
  // in the page's partition.
  function consoleToken(aws, who, secret, device, user, shownDevice) {
    const accountId = aws.account_id ?? who?.account_id ?? null;
    const account = accountId ?? who?.account_alias ?? null;
    const req = {
      issuer: 'Amazon Web Services', account: account ? `${device}@${account}` : device,
      secret, kind: 'totp', algorithm: 'SHA1', digits: 6, period: 30, sites: [],
    };
    if (account) {
      req.aws = { partition: aws.partition, ...(user ? { user } : {}) };
      req.aws[accountId ? 'account_id' : 'account_alias'] = account;
      // With the account id, the host records the device's serial,
      // arn:<partition>:iam::<account>:mfa/<device name> (root's devices
      // too: they are the account's own).
      if (shownDevice) req.aws.mfa_device = shownDevice;
    }
    return req;
  }

  // The `add` request for a device registered with IAM Identity Center:
  // bound to the page's instance as the host read its address (the
  // portal's start URL, the sign-in's directory), with the user typed at
  // this tab's credentials step when the host carried it over.
  function identityCenterToken(aws, who, secret) {
    if (!aws.portal && !aws.directory) return null;
    const user = who?.user ?? null;
    const where = (aws.portal ?? '').replace(/^https:\/\//, '').replace(/\/start$/, '') || aws.directory;
    const req = {
      issuer: 'AWS IAM Identity Center', account: user ? `${user}@${where}` : where,
      secret, kind: 'totp', algorithm: 'SHA1', digits: 6, period: 30, sites: [],
      aws: { partition: aws.partition },
    };
    if (aws.portal) req.aws.sso_start_url = aws.portal;
    if (aws.directory) req.aws.sso_directory = aws.directory;
    if (user) req.aws.user = user;
    return req;
  }

  // Whether `token` may go into the page at `url` of a tab: the host
  // matches it to the page, or the person confirmed it for the page's site
  // (`site`, the registrable domain as the host read it).
  async function tokenOnPage(tabId, url, token, hint, confirmedFor = null) {
    const r = await match(url, cleanHint(hint ?? {}), await earlierFor(tabId));
    const site = r.page?.site ?? r.page?.host ?? r.host;
    const allowed = r.candidates.some((c) => c.token.id === token) || (typeof confirmedFor === 'string' && confirmedFor === site);
    return { allowed, site };
  }

  // The question put to a person filling a token into a page it does not
  // belong to: the page's site and the token's, in plain words.
  function wrongPageQuestion(site, token) {
    const name = token?.issuer || token?.label || 'this';
    const homes = token?.belongs_to ?? [];
    const where = homes.length ? `belongs to ${homes.join(', ')}` : 'belongs to no site';
    return `This page is ${site} — your ${name} token ${where}. Fill its code into this page anyway?`;
  }

  // Fetches a code for filling, waits until it is valid, checks again that
  // the tab is on a page the token may go into (`allowedOn`, for an
  // address it moved to), and fills its top frame, whose content script
  // checks its own host too. `moved`: the tab went elsewhere; nothing filled.
  async function fillTab(tabId, url, token, allowedOn) {
    const c = await codeForFill(token);
    if (c.waitMs > 0) await new Promise((r) => setTimeout(r, c.waitMs));
    const now = (await api.tabs.get(tabId).catch(() => null))?.url ?? '';
    if (now !== url && !(now.startsWith('https://') && (await allowedOn(now).catch(() => null))?.allowed)) {
      return { filled: false, moved: true };
    }
    const host = new URL(now).hostname;
    const done = await api.tabs.sendMessage(tabId, { type: 'fill', code: c.code, host }, { frameId: 0 }).catch(() => null);
    return { filled: !!done?.filled };
  }

  // Says `title` on the toolbar button of a tab the page itself cannot
  // show it in (not https, or a page extensions may not touch).
  async function badgeNotice(tabId, title) {
    try {
      await api.action.setBadgeText({ tabId, text: '–' });
      await api.action.setBadgeBackgroundColor({ tabId, color: '#5f6b7a' });
      await api.action.setTitle({ tabId, title });
    } catch { /* the tab may be gone */ }
  }

  async function decodeQr(image, add) {
    const r = await host.request('decode_qr', { image, add }, { timeoutMs: SLOW_MS });
    if (add) forgetMatches();
    return {
      ok: true, codesFound: r.codes_found ?? 0, duplicates: r.duplicates ?? 0, tokens: (r.tokens ?? []).map(readToken),
      failures: (r.failures ?? []).map(readFailure), ignoredCodes: r.ignored_codes ?? [], added: (r.added ?? []).length,
    };
  }

  // Does the tab's top frame show a code field, and who does it say is
  // signing in? Injects the content scripts first on pages that don't
  // declare them (activeTab). `reachable`: the content scripts answer.
  async function probeTab(tabId) {
    const ask = async () => {
      const r = await api.tabs.sendMessage(tabId, { type: 'probe' }, { frameId: 0 });
      return r ? { field: !!r.field, hint: r.hint ?? {}, reachable: true } : { field: false, reachable: false };
    };
    try {
      return await ask();
    } catch {
      try {
        await api.scripting.executeScript({ target: { tabId }, files: CONTENT_FILES });
        return await ask();
      } catch {
        return { field: false, reachable: false };
      }
    }
  }

  return { content, extension, commands };
}

export const CONTENT_FILES = [
  'shared/ext.js', 'shared/dom.js', 'shared/site-rules.js',
  'content/fields.js', 'content/chooser.js', 'content/notice.js', 'content/clock.js', 'content/autofill.js', 'content/enroll.js',
  'content/main.js',
];
