// Finding the one-time-code field of a page, reading who is signing in, and
// putting a value into a field the way a person typing would. Pure DOM
// code: no messaging, so the unit tests run it against page snippets.
(() => {
  const FactorCat = (globalThis.FactorCat ??= {});
  if (FactorCat.fields) return;
  const { isShown, text, $$ } = FactorCat.dom;

  const TEXTLIKE = new Set(['', 'text', 'tel', 'number']);
  // Names, ids and labels that say "code field"...
  const CODE_NAME = /(^|[^a-z])(otp|totp|mfa|2fa|tfa|one[-_ ]?time|passcode|verification[-_ ]?code|auth(entication)?[-_ ]?code|security[-_ ]?code|token[-_ ]?code|mfacode)/i;
  const CODE_WORD = /code/i;
  const CODE_LABEL = /\b(mfa|authenticat\w*(\s+app)?|verification|one-time|2fa|two-factor|security|sign-in)\s+code\b|^\s*(enter\s+)?code\s*$/i;
  // ...and those that say "not a code field", whatever else they say.
  const NOT_CODE = /search|query|^q$|e-?mail|user|login|account|promo|coupon|voucher|zip|postal|captcha|phone|feedback|comment|message|recovery|backup/i;

  function inDialog(el) {
    return !!el.closest('dialog, [role="dialog"], [role="alertdialog"], [aria-modal="true"]');
  }

  // Can a code go into this element at all?
  function fillable(el) {
    if (!el || el.tagName !== 'INPUT') return false;
    if (!TEXTLIKE.has((el.getAttribute('type') ?? '').toLowerCase())) return false;
    if (el.disabled || el.readOnly) return false;
    return isShown(el);
  }

  function labelText(el) {
    const parts = [];
    for (const l of el.labels ?? []) parts.push(text(l));
    const aria = el.getAttribute('aria-label');
    if (aria) parts.push(aria);
    const by = el.getAttribute('aria-labelledby');
    if (by) for (const id of by.split(/\s+/)) parts.push(text(el.ownerDocument.getElementById(id)));
    const ph = el.getAttribute('placeholder');
    if (ph) parts.push(ph);
    return parts.join(' ').trim();
  }

  // How much a field looks like a one-time-code field (generic pages).
  function codeScore(el) {
    const idName = `${el.id} ${el.getAttribute('name') ?? ''}`;
    const label = labelText(el);
    if (NOT_CODE.test(idName) || NOT_CODE.test(label)) return 0;
    if ((el.getAttribute('role') ?? '') === 'searchbox') return 0;
    let score = 0;
    if ((el.getAttribute('autocomplete') ?? '').toLowerCase().split(/\s+/).includes('one-time-code')) score += 10;
    const numeric = (el.getAttribute('inputmode') ?? '') === 'numeric' || el.type === 'tel' || el.type === 'number';
    const max = Number(el.getAttribute('maxlength') ?? 0);
    const pattern = el.getAttribute('pattern') ?? '';
    // A numeric box with a code's length says "code"; a numeric box alone
    // says little, a label must add to it.
    if (numeric && ((max >= 6 && max <= 8) || /\{6/.test(pattern) || /\\d\{6|\[0-9\]\{6/.test(pattern))) score += 4;
    else if (numeric) score += 2;
    if (CODE_NAME.test(idName)) score += 4;
    else if (CODE_WORD.test(idName)) score += 2;
    if (CODE_LABEL.test(label)) score += 4;
    return score;
  }

  const GENERIC_THRESHOLD = 6;

  // The code field of `doc` under `rule`, or null. Explicit selectors first
  // (the site's own ids), then — where the rule allows — the generic
  // heuristics, which never pick a field inside a dialog.
  function findCodeField(doc, rule) {
    if (!rule) return null;
    for (const sel of rule.fields ?? []) {
      for (const el of $$(sel, doc)) {
        if (!fillable(el)) continue;
        // Only a site's own id may sit in a dialog; attribute-only
        // selectors must not pick, say, a feedback form's field.
        if (!sel.startsWith('input#') && inDialog(el)) continue;
        if (NOT_CODE.test(`${el.id} ${el.getAttribute('name') ?? ''}`) && !sel.startsWith('input#')) continue;
        return el;
      }
    }
    if (!rule.generic) return null;
    let best = null;
    let bestScore = 0;
    for (const el of $$('input', doc)) {
      if (!fillable(el) || inDialog(el)) continue;
      const s = codeScore(el);
      if (s > bestScore) { best = el; bestScore = s; }
    }
    return bestScore >= GENERIC_THRESHOLD ? best : null;
  }

  // An input found by the text of its label ("MFA code 1"), exact match
  // after collapsing whitespace, case-insensitive.
  function findByLabel(doc, wanted) {
    const want = wanted.toLowerCase();
    for (const l of $$('label', doc)) {
      if (text(l).toLowerCase() !== want) continue;
      const el = l.control ?? l.querySelector('input');
      if (el && fillable(el)) return el;
    }
    for (const el of $$('input[aria-label], input[aria-labelledby]', doc)) {
      if (labelText(el).toLowerCase() === want && fillable(el)) return el;
    }
    return null;
  }

  function firstValue(doc, selectors) {
    for (const sel of selectors ?? []) {
      for (const el of $$(sel, doc)) {
        const v = (el.value ?? '').trim();
        if (v) return v;
      }
    }
    return '';
  }

  const SHOWN_ACCOUNT = /\b(?:account(?:\s+id)?|konto)\s*[:#]?\s*(\d{4}-?\d{4}-?\d{4})\b/i;
  const SHOWN_USER = /\b(?:iam\s+user(?:\s*name)?|user\s*name)\s*[:]\s*([A-Za-z0-9+=,.@_-]{1,64})/i;
  const SHOWN_EMAIL = /\bpassword for\s+([^\s@]+@[^\s@]+\.[A-Za-z]{2,})/i;

  // Who is signing in, as far as the page shows it: {account, user, email},
  // each only when found, as the page shows it — the host reads them (an
  // account id with hyphens, an alias in capitals, the root e-mail in the
  // account-or-e-mail box) and adds what the page's address says. Inputs
  // (even hidden ones: the legacy page keeps the credentials step in the
  // DOM) win over text.
  function readWho(doc, rule, field = null) {
    const who = rule?.who;
    if (!who) return {};
    const out = {};
    const account = firstValue(doc, who.account) || firstValue(doc, who.accountOrEmail);
    if (account) out.account = account;
    const user = firstValue(doc, who.user);
    if (user) out.user = user;
    // Text near the field.
    let box = null;
    for (const sel of who.text ?? []) {
      box = field ? field.closest(sel) : doc.querySelector(sel);
      if (box) break;
    }
    const shown = text(box ?? doc.body);
    if (!out.account) {
      const m = SHOWN_ACCOUNT.exec(shown);
      if (m) out.account = m[1];
    }
    if (!out.user) {
      const m = SHOWN_USER.exec(shown);
      if (m) out.user = m[1];
    }
    if (!out.email) {
      const m = SHOWN_EMAIL.exec(shown);
      if (m) out.email = m[1];
    }
    return out;
  }

  // Puts `value` into `el` as typing would: the prototype's value setter
  // (so frameworks that track the value, like React, see a change) and
  // bubbling input/change events.
  function setValue(el, value) {
    const win = el.ownerDocument.defaultView;
    const proto = el.tagName === 'TEXTAREA' ? win.HTMLTextAreaElement.prototype : win.HTMLInputElement.prototype;
    const setter = Object.getOwnPropertyDescriptor(proto, 'value').set;
    el.focus();
    setter.call(el, value);
    el.dispatchEvent(new win.Event('input', { bubbles: true }));
    el.dispatchEvent(new win.Event('change', { bubbles: true }));
  }

  // The choice of MFA kind some sign-ins show first (rule.mfaType): the
  // radio button of an authenticator app, found by its value or by the
  // words its label starts with, and the button that goes on — by the
  // rule's selectors, else a button of the radio's form whose words are
  // "Continue" or "Next" (enabled or not: pages enable it once a kind is
  // chosen). Null when the page shows no such radio button.
  function findMfaTypeChoice(doc, rule) {
    const want = rule?.mfaType;
    if (!want) return null;
    const values = new Set(want.values.map((v) => v.toLowerCase()));
    const labels = want.labels.map((l) => l.toLowerCase());
    const shown = (el) => isShown(el) || Array.from(el.labels ?? []).some(isShown);
    const radio = $$('input[type="radio"]', doc).find((el) => {
      if (el.disabled || !shown(el)) return false;
      const label = (labelText(el) || text(el.closest('label'))).toLowerCase();
      return values.has(el.value.toLowerCase()) || labels.some((l) => label === l || label.startsWith(`${l} `));
    });
    if (!radio) return null;
    const words = want.nextWords.map((w) => w.toLowerCase());
    const next = want.next.flatMap((sel) => $$(sel, doc)).find(isShown)
      ?? $$('button, [role="button"], input[type="submit"]', radio.form ?? doc)
        .find((el) => isShown(el) && words.includes((text(el) || el.value || '').toLowerCase()))
      ?? null;
    return { radio, next };
  }

  function findSubmit(doc, rule) {
    for (const sel of rule?.submit ?? []) {
      const el = doc.querySelector(sel);
      if (el && isShown(el) && !el.disabled) return el;
    }
    return null;
  }

  FactorCat.fields = Object.freeze({
    findCodeField, findByLabel, readWho, setValue, findSubmit, codeScore, fillable, labelText, findMfaTypeChoice,
  });
})();
