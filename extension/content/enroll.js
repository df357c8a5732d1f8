// MFA devices being set up or resynchronised on AWS pages:
// * the IAM console's "Assign MFA device" wizard (device name, "Show
//   secret key", "MFA code 1" and "MFA code 2") and IAM Identity Center's
//   "Set up the authenticator app" (one "Authenticator code"): an "Add to
//   FactorCat" button stores the token and fills the code fields;
// * the IAM console's "Resync MFA device" (the two code fields, a "Resync"
//   button, no secret): a "Fill from FactorCat" button fills two
//   consecutive codes of the device.
// The secret is read from one place only: the element the page's own
// "Show secret key" control reveals, after the person asked FactorCat to
// add the token (a real click), and only when it has the shape of an AWS
// virtual MFA secret. Text elsewhere on the page (a user name in the
// breadcrumb, anything a script put there) is never taken.
(() => {
  const FactorCat = (globalThis.FactorCat ??= {});
  if (FactorCat.enroll) return;
  const { h, text, isShown } = FactorCat.dom;
  const { send } = FactorCat.ext;
  const { findByLabel, setValue } = FactorCat.fields;

  const CONTROLS = 'button, a, [role="button"]';
  // An MFA device's serial as the IAM console shows it.
  const SERIAL = /\barn:aws[a-z-]*:iam::\d{12}:mfa\/[\w+=,.@/-]+/;

  // The secret an element shows, when its whole text (spaces aside: it may
  // be grouped) has the shape of an AWS secret.
  function secretOf(el, pattern) {
    if (!el?.isConnected || !isShown(el)) return null;
    const t = (el.textContent ?? '').replace(/\s+/g, '');
    return new RegExp(pattern).test(t) ? t : null;
  }

  // The shown elements whose whole text has the shape of a secret (the
  // innermost such element of each).
  function secretShaped(doc, pattern) {
    const found = new Set();
    const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      for (let el = n.parentElement; el && el !== doc.body; el = el.parentElement) {
        const t = (el.textContent ?? '').replace(/\s+/g, '');
        if (t.length > 256) break;
        if (secretOf(el, pattern)) { found.add(el); break; }
      }
    }
    return found;
  }

  // Resolves with fn()'s first value that is not null (checked after each
  // change of the page), or null after `ms`.
  function until(doc, fn, ms = 3000) {
    const now = fn();
    if (now != null) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = (v) => { observer.disconnect(); clearTimeout(timer); resolve(v); };
      const observer = new MutationObserver(() => { const v = fn(); if (v != null) done(v); });
      observer.observe(doc.body, { childList: true, subtree: true, attributes: true, characterData: true });
      const timer = setTimeout(() => done(fn()), ms);
    });
  }

  function controlNamed(doc, label) {
    const want = label.toLowerCase();
    return Array.from(doc.querySelectorAll(CONTROLS))
      .find((el) => text(el).toLowerCase() === want && isShown(el)) ?? null;
  }

  // The control's name once the secret shows ("Hide secret key").
  const hideLabel = (cfg) => cfg.showSecret.replace(/^show/i, 'Hide');

  // Follows the page's "Show secret key" control: what becomes visible
  // after it is pressed (by the person or for them) and has the shape of a
  // secret is the revealed secret's element. Where the control names the
  // region it opens (aria-controls), only that region counts.
  function revealTracker(doc, cfg) {
    let revealed = null;
    let pending = null;

    function watch(control) {
      const region = control.getAttribute('aria-controls');
      const before = secretShaped(doc, cfg.secretPattern);
      const look = () => {
        for (const el of secretShaped(doc, cfg.secretPattern)) {
          if (before.has(el)) continue;
          if (region && !doc.getElementById(region)?.contains(el)) continue;
          return el;
        }
        return null;
      };
      pending = until(doc, look).then((el) => { if (el) revealed = el; return el; });
      return pending;
    }

    doc.addEventListener('click', (e) => {
      const control = e.target instanceof Element ? e.target.closest(CONTROLS) : null;
      if (control && text(control).toLowerCase() === cfg.showSecret.toLowerCase()) watch(control);
    }, true);

    return {
      // The secret the control revealed, pressing it (or hiding and
      // showing it again) when it has not been.
      async secret() {
        const have = secretOf(revealed, cfg.secretPattern);
        if (have) return have;
        if (pending) await pending;
        if (secretOf(revealed, cfg.secretPattern)) return secretOf(revealed, cfg.secretPattern);
        let show = controlNamed(doc, cfg.showSecret);
        if (!show) {
          const hide = controlNamed(doc, hideLabel(cfg));
          if (!hide) return null;
          hide.click();
          show = await until(doc, () => controlNamed(doc, cfg.showSecret));
          if (!show) return null;
        }
        show.click();
        await pending;
        return secretOf(revealed, cfg.secretPattern);
      },
      // Whether the page shows a secret-key control at all (the setup step).
      present: () => !!(controlNamed(doc, cfg.showSecret) ?? controlNamed(doc, hideLabel(cfg)) ?? secretOf(revealed, cfg.secretPattern)),
    };
  }

  // What the console shows about who is signed in and which user the page
  // is about: the account menu ("Account ID: 1234-5678-9012", passed as
  // shown: the host reads it) and the page address
  // (#/users/details/<user>); root's own page has no user.
  function readContext(doc, loc) {
    const out = {};
    const m = /account\s*id\s*:?\s*(\d{4}-?\d{4}-?\d{4})/i.exec(text(doc.body));
    if (m) out.account = m[1];
    const u = /\/users\/details\/([^/?#]+)/.exec(loc.hash || '');
    if (u) out.user = decodeURIComponent(u[1]);
    return out;
  }

  // The serial of the device a resync is for: in the dialog, else in the
  // row of the device chosen in the table.
  function readSerial(doc, field) {
    const box = field.closest('[role="dialog"], dialog, [aria-modal="true"], form, section');
    const m = SERIAL.exec(text(box));
    if (m) return m[0];
    for (const radio of doc.querySelectorAll('input[type="radio"]:checked, input[type="checkbox"]:checked')) {
      const row = radio.closest('tr, [role="row"], li');
      const r = SERIAL.exec(text(row));
      if (r) return r[0];
    }
    return null;
  }

  // A real click by the person: the browser says so, and the page has the
  // transient activation that only a person's input gives.
  function byPerson(e) {
    if (!e.isTrusted) return false;
    const activation = globalThis.navigator?.userActivation;
    return !activation || activation.isActive;
  }

  // The button FactorCat offers beside the code fields, in a closed shadow
  // root the page cannot reach into.
  function offer(anchor, label, onClick) {
    const host = h('factorcat-enroll');
    const root = host.attachShadow({ mode: 'closed' });
    const status = h('span', { class: 'status', role: 'status' });
    const button = h('button', { type: 'button' }, label);
    button.addEventListener('click', (e) => { if (byPerson(e)) onClick({ button, status }); });
    root.append(h('style', {}, `
      :host { all: initial; display: inline-flex; gap: 8px; align-items: center; margin: 6px 0;
        font: 13px system-ui, sans-serif; }
      button { font: inherit; padding: 4px 10px; border-radius: 14px; border: 1px solid #0972d3;
        background: #0972d3; color: #fff; cursor: pointer; }
      button:disabled { opacity: .6; cursor: default; }
      .status { color: inherit; }`), button, status);
    anchor.insertAdjacentElement('beforebegin', host);
    return host;
  }

  const codeFields = (doc, labels) => labels.map((l) => findByLabel(doc, l));
  const allFound = (fields) => fields.length > 0 && fields.every(Boolean);
  const anchorOf = (field) => field.closest('form, section, [role="region"], [role="dialog"], div') ?? field;

  // A code field of an enrolment or resync step (the sign-in's autofill
  // leaves these alone).
  function ownsField(doc, rule, el) {
    const labels = [...(rule?.enroll?.codes ?? []), ...(rule?.resync?.codes ?? [])];
    if (!labels.some((l) => findByLabel(doc, l) === el)) return false;
    return !!(trackers.get(rule)?.present() || (rule.resync && controlNamed(doc, rule.resync.action)));
  }
  const trackers = new Map();

  function start(rule) {
    const doc = document;
    const cfg = rule.enroll;
    const tracker = cfg ? revealTracker(doc, cfg) : null;
    if (tracker) trackers.set(rule, tracker);
    let placed = null;
    let done = false;
    let deviceName = '';

    async function enrol({ button, status }) {
      if (done) return;
      const fields = codeFields(doc, cfg.codes);
      if (!allFound(fields)) return;
      button.disabled = true;
      status.textContent = 'Reading the secret key…';
      const secret = await tracker.secret();
      if (!secret) {
        button.disabled = false;
        status.textContent = `FactorCat could not read the secret key: press "${cfg.showSecret}", then try again.`;
        return;
      }
      const deviceField = cfg.deviceName ? findByLabel(doc, cfg.deviceName) : null;
      const ctx = readContext(doc, location);
      status.textContent = 'Adding…';
      const r = await send('enroll', {
        secret, device: deviceField?.value?.trim() || deviceName,
        account: ctx.account ?? null, user: ctx.user ?? null,
        codes: fields.length, trusted: true, source: 'revealed',
      });
      if (!r?.ok) {
        button.disabled = false;
        status.textContent = r?.error?.message ?? 'FactorCat could not add the token.';
        return;
      }
      fields.forEach((f, i) => setValue(f, r.codes[i]));
      done = true;
      status.textContent = `Added to FactorCat as ${r.label}. ${fields.length > 1 ? 'Both codes are' : 'The code is'} filled.`;
    }

    async function resync({ button, status }) {
      const fields = codeFields(doc, rule.resync.codes);
      if (!allFound(fields)) return;
      button.disabled = true;
      status.textContent = 'Fetching two codes…';
      const ctx = readContext(doc, location);
      const r = await send('resync', {
        serial: readSerial(doc, fields[0]), account: ctx.account ?? null, user: ctx.user ?? null,
        trusted: true,
      });
      button.disabled = false;
      if (!r?.ok) {
        status.textContent = r?.error?.message ?? 'FactorCat could not fetch the codes.';
        return;
      }
      fields.forEach((f, i) => setValue(f, r.codes[i]));
      status.textContent = `Filled two consecutive codes of ${r.label}.`;
    }

    // Which step the page shows: enrolment (a secret-key control) or
    // resync (the action's button); the code fields either way.
    function check() {
      if (cfg?.deviceName) {
        const dev = findByLabel(doc, cfg.deviceName);
        if (dev?.value) deviceName = dev.value.trim();
      }
      if (placed?.isConnected) return;
      placed = null;
      if (cfg && !done && tracker.present()) {
        const fields = codeFields(doc, cfg.codes);
        if (allFound(fields)) placed = offer(anchorOf(fields[0]), 'Add to FactorCat', enrol);
      } else if (rule.resync && controlNamed(doc, rule.resync.action)) {
        const fields = codeFields(doc, rule.resync.codes);
        if (allFound(fields)) placed = offer(anchorOf(fields[0]), 'Fill from FactorCat', resync);
      }
    }
    // The device name is typed on the wizard's first step, which is gone
    // from the page at the second; typing changes no markup, so follow it.
    if (cfg?.deviceName) {
      doc.addEventListener('input', (e) => {
        const dev = findByLabel(doc, cfg.deviceName);
        if (dev && e.target === dev) deviceName = dev.value.trim();
      }, true);
    }
    const observer = new MutationObserver(check);
    observer.observe(doc.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['style', 'class', 'hidden'] });
    check();
  }

  FactorCat.enroll = Object.freeze({ start, ownsField, readContext, readSerial, revealTracker, secretShaped });
})();
