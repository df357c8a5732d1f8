// Sign-in pages whose rule allows filling without the person asking (AWS):
// remember what the credentials step shows, watch for the MFA field (it
// appears without a page load), ask the background which token fits, then
// fill, offer a chooser, or do nothing. Where the page first asks which
// kind of MFA to use, choose the authenticator app when the background
// says a token belongs to the page.
(() => {
  const FactorCat = (globalThis.FactorCat ??= {});
  if (FactorCat.autofill) return;
  const { send } = FactorCat.ext;
  const { findCodeField, readWho, setValue, findSubmit, fillable, findMfaTypeChoice } = FactorCat.fields;

  // Resolves with `fn()`'s first truthy value as the page changes, or null
  // after `ms`.
  function until(doc, fn, ms) {
    return new Promise((resolve) => {
      const now = fn();
      if (now) { resolve(now); return; }
      const observer = new MutationObserver(() => {
        const v = fn();
        if (v) { observer.disconnect(); clearTimeout(timer); resolve(v); }
      });
      const timer = setTimeout(() => { observer.disconnect(); resolve(null); }, ms);
      observer.observe(doc.documentElement, { childList: true, subtree: true, attributes: true });
    });
  }

  const usable = (el) => el?.isConnected && !el.disabled && el.getAttribute('aria-disabled') !== 'true';

  // The second code field some legacy sign-in pages show when AWS wants
  // two consecutive codes to resynchronise the device (`next_mfacode`).
  function secondField(doc, rule) {
    for (const sel of rule.second ?? []) {
      const el = doc.querySelector(sel);
      if (fillable(el)) return el;
    }
    return null;
  }

  // Automatic fills per page: the first, and one more if the page shows a
  // fresh field again (AWS re-renders after a rejected code). The host
  // never hands out the same code twice for filling, and we never put a
  // code we already filled back in.
  const MAX_AUTO_FILLS = 2;

  // How long a fill waits at most for the page's measurement of AWS's
  // clock (a HEAD request to the page's own server, then the host), when
  // the host says it must (no recent measurement for the page's partition).
  const CLOCK_WAIT_MS = 3000;

  function start(rule) {
    const doc = document;
    const handled = new WeakSet();
    const filledCodes = new Set();
    let autoFills = 0;
    let busy = false;
    let chooserFor = null;
    // Settles when a fill may ask for its code: once the background has
    // answered page-seen, and, where the host says a fill must wait for
    // AWS's clock, once the page measured it. A measurement the fill does
    // not wait for starts when no fill is under way (`measureWhenIdle`), so
    // it never stands between a fill and the host.
    let clockReady = Promise.resolve();
    let measureAfterFill = false;
    const measureWhenIdle = () => {
      if (busy) { measureAfterFill = true; return; }
      FactorCat.clock.measure().catch(() => null);
    };
    const idle = () => {
      busy = false;
      if (measureAfterFill) { measureAfterFill = false; measureWhenIdle(); }
    };

    // Remember the account/user typed at the credentials step, for the MFA
    // step that may come on a regional host that doesn't show them.
    const remember = () => {
      const who = readWho(doc, rule);
      if (who.account || who.user || who.email) send('signin-seen', { hint: who });
    };
    for (const sel of rule.capture ?? []) {
      doc.addEventListener('click', (e) => { if (e.target instanceof Element && e.target.closest(sel)) remember(); }, true);
    }
    doc.addEventListener('submit', remember, true);
    doc.addEventListener('change', (e) => {
      if (e.target instanceof HTMLInputElement && e.target.type !== 'password') remember();
    }, true);

    // `byChoice`: the person picked the token, so whatever they had typed
    // is replaced; an automatic fill never overwrites their typing.
    function fill(field, code, autoSubmit, byChoice) {
      if (!field.isConnected || filledCodes.has(code)) return false;
      if (!byChoice && field.value) return false;
      filledCodes.add(code);
      setValue(field, code);
      if (autoSubmit) {
        const button = findSubmit(doc, rule);
        if (button) setTimeout(() => button.click(), 50);
      }
      return true;
    }

    // `second`: the next step's field, when the page asks for two codes
    // (the answer then carries both, `codes`).
    async function fillWhenValid(field, answer, byChoice = false, second = null) {
      const waitMs = Math.max(0, answer.waitMs ?? 0);
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      if (second && Array.isArray(answer.codes) && answer.codes.length === 2) {
        if (!second.isConnected || (!byChoice && second.value)) return;
        if (fill(field, answer.codes[0], false, byChoice)) setValue(second, answer.codes[1]);
        if (answer.autoSubmit) findSubmit(doc, rule)?.click();
        return;
      }
      fill(field, answer.code, answer.autoSubmit, byChoice);
    }

    // The page asks which kind of MFA to use: the authenticator app, when
    // the background says so (a token belongs to this page and the option
    // is on), and only while the person has chosen no other kind.
    async function onTypeChoice(choice) {
      handled.add(choice.radio);
      busy = true;
      try {
        const answer = await send('mfa-type', { hint: readWho(doc, rule) });
        if (!answer?.ok || answer.action !== 'choose-app') return;
        const { radio } = choice;
        const group = radio.name ? doc.getElementsByName(radio.name) : [radio];
        if (!radio.isConnected || Array.from(group).some((r) => r !== radio && r.checked)) return;
        radio.click();
        const next = await until(doc, () => {
          const button = findMfaTypeChoice(doc, rule)?.next ?? choice.next;
          return usable(button) ? button : null;
        }, 3000);
        next?.click();
      } finally {
        idle();
      }
    }

    async function onField(field) {
      handled.add(field);
      if (autoFills >= MAX_AUTO_FILLS) {
        observer.disconnect();
        return;
      }
      busy = true;
      try {
        const hint = readWho(doc, rule, field);
        const second = secondField(doc, rule);
        const pair = !!second;
        await Promise.race([clockReady, new Promise((r) => setTimeout(r, CLOCK_WAIT_MS))]);
        const answer = await send('mfa-field', { hint, pair });
        if (!answer?.ok) return;
        if (answer.action === 'fill') {
          autoFills += 1;
          await fillWhenValid(field, answer, false, second);
        } else if (answer.action === 'choose' && answer.candidates?.length) {
          chooserFor = field;
          FactorCat.chooser.open(field, answer.candidates, async (token) => {
            const picked = await send('fill-choice', { token, hint, pair });
            if (picked?.ok) await fillWhenValid(field, picked, true, second);
          });
        }
      } finally {
        idle();
      }
    }

    function check() {
      if (busy) return;
      const field = findCodeField(doc, rule);
      if (!field) {
        if (chooserFor && !chooserFor.isConnected) { FactorCat.chooser.close(); chooserFor = null; }
        const choice = findMfaTypeChoice(doc, rule);
        if (choice && !handled.has(choice.radio)) onTypeChoice(choice).then(check);
        return;
      }
      // A new device's first code (Identity Center's MFA registration) is
      // the enrolment's to fill, never a sign-in token's.
      if (FactorCat.enroll?.ownsField(doc, rule, field)) return;
      if (handled.has(field) || field.value) return;
      onField(field).then(() => { if (!handled.has(findCodeField(doc, rule))) check(); });
    }

    // One observer for the page's lifetime; each callback costs a handful of
    // querySelector calls.
    const observer = new MutationObserver(check);
    observer.observe(doc.documentElement, {
      childList: true, subtree: true, attributes: true,
      attributeFilter: ['style', 'class', 'hidden', 'disabled', 'aria-hidden'],
    });
    // Tell the background the page is here: it sets the toolbar badge and
    // starts the host early, so the fill is quick when the field appears.
    // Its answer says what to do about AWS's clock (the host's `clock`).
    clockReady = send('page-seen', { hint: readWho(doc, rule) })
      .then((seen) => {
        if (!seen?.clock?.measure) return null;
        if (seen.clock.wait) return FactorCat.clock.measure();
        measureWhenIdle();
        return null;
      })
      .catch(() => null);
    check();
  }

  FactorCat.autofill = Object.freeze({ start });
})();
