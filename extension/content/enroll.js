// The IAM console's "Assign MFA device" wizard: once the secret key is shown
// and the "MFA code 1"/"MFA code 2" fields are there, offer an
// "Add to FactorCat" button that stores the token and fills both codes.
(() => {
  const FactorCat = (globalThis.FactorCat ??= {});
  if (FactorCat.enroll) return;
  const { h, text, isShown } = FactorCat.dom;
  const { send } = FactorCat.ext;
  const { findByLabel, setValue } = FactorCat.fields;

  // The secret as shown after "Show secret key": an element whose whole
  // text is a base32 string.
  function findSecret(doc, pattern) {
    const re = new RegExp(pattern);
    const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const t = n.nodeValue.replace(/\s+/g, '');
      if (t.length >= 16 && re.test(t) && n.parentElement && isShown(n.parentElement)) return t;
    }
    return null;
  }

  // What the console shows about who is signed in and which user the
  // device is for: the account menu ("Account ID: 1234-5678-9012", passed
  // as shown: the host reads it, and says which partition's console this
  // is) and the page address (#/users/details/<user>); root's own page has
  // no user.
  function readContext(doc, loc) {
    const out = {};
    const m = /account\s*id\s*:?\s*(\d{4}-?\d{4}-?\d{4})/i.exec(text(doc.body));
    if (m) out.account = m[1];
    const u = /\/users\/details\/([^/?#]+)/.exec(loc.hash || '');
    if (u) out.user = decodeURIComponent(u[1]);
    return out;
  }

  // The page's own "Show secret key" control, pressed for the person when
  // they asked to add the token, then the secret once it shows.
  async function revealSecret(doc, cfg) {
    const found = findSecret(doc, cfg.secretPattern);
    if (found) return found;
    const want = cfg.showSecret.toLowerCase();
    const control = Array.from(doc.querySelectorAll('button, a, [role="button"]'))
      .find((el) => text(el).toLowerCase() === want && isShown(el));
    if (!control) return null;
    control.click();
    return new Promise((resolve) => {
      const done = (v) => { observer.disconnect(); clearTimeout(timer); resolve(v); };
      const observer = new MutationObserver(() => { const s = findSecret(doc, cfg.secretPattern); if (s) done(s); });
      observer.observe(doc.body, { childList: true, subtree: true, attributes: true, characterData: true });
      const timer = setTimeout(() => done(findSecret(doc, cfg.secretPattern)), 3000);
    });
  }

  function start(rule) {
    const cfg = rule.enroll;
    let host = null;
    let done = false;
    let deviceName = '';

    function place(anchor) {
      if (host?.isConnected) return;
      host = h('factorcat-enroll');
      const root = host.attachShadow({ mode: 'closed' });
      const status = h('span', { class: 'status', role: 'status' });
      const button = h('button', { type: 'button' }, 'Add to FactorCat');
      button.addEventListener('click', async (e) => {
        if (!e.isTrusted || done) return;
        const code1 = findByLabel(document, cfg.code1);
        const code2 = findByLabel(document, cfg.code2);
        const secret = await revealSecret(document, cfg);
        if (!code1 || !code2 || !secret) { status.textContent = 'FactorCat could not read the secret key: press "Show secret key", then try again.'; return; }
        const deviceField = findByLabel(document, cfg.deviceName);
        const ctx = readContext(document, location);
        button.disabled = true;
        status.textContent = 'Adding…';
        const r = await send('enroll', {
          secret, device: deviceField?.value?.trim() || deviceName,
          account: ctx.account ?? null, user: ctx.user ?? null,
        });
        if (!r?.ok) {
          button.disabled = false;
          status.textContent = r?.error?.message ?? 'FactorCat could not add the token.';
          return;
        }
        setValue(code1, r.codes[0]);
        setValue(code2, r.codes[1]);
        done = true;
        status.textContent = `Added to FactorCat as ${r.label}. Both codes are filled.`;
      });
      root.append(h('style', {}, `
        :host { all: initial; display: inline-flex; gap: 8px; align-items: center; margin: 6px 0;
          font: 13px system-ui, sans-serif; }
        button { font: inherit; padding: 4px 10px; border-radius: 14px; border: 1px solid #0972d3;
          background: #0972d3; color: #fff; cursor: pointer; }
        button:disabled { opacity: .6; cursor: default; }
        .status { color: inherit; }`), button, status);
      anchor.insertAdjacentElement('beforebegin', host);
    }

    // The device name is typed on the wizard's first step, which is gone
    // from the page at the second: keep it while it is there.
    function check() {
      if (done) return;
      const dev = findByLabel(document, cfg.deviceName);
      if (dev?.value) deviceName = dev.value.trim();
      const code1 = findByLabel(document, cfg.code1);
      if (!code1 || !findByLabel(document, cfg.code2)) return;
      place(code1.closest('form, section, [role="region"], div') ?? code1);
    }
    // Typing changes no markup: follow the device name field's input too.
    document.addEventListener('input', (e) => {
      const dev = findByLabel(document, cfg.deviceName);
      if (dev && e.target === dev) deviceName = dev.value.trim();
    }, true);
    const observer = new MutationObserver(check);
    observer.observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['style', 'class', 'hidden'] });
    check();
  }

  FactorCat.enroll = Object.freeze({ start, findSecret, readContext, revealSecret });
})();
