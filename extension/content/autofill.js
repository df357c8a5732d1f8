// Sign-in pages whose rule allows filling without the person asking (AWS):
// remember what the credentials step shows, watch for the MFA field (it
// appears without a page load), ask the background which token fits, then
// fill, offer a chooser, or do nothing.
(() => {
  const FactorCat = (globalThis.FactorCat ??= {});
  if (FactorCat.autofill) return;
  const { send } = FactorCat.ext;
  const { findCodeField, readWho, setValue, findSubmit } = FactorCat.fields;

  // Automatic fills per page: the first, and one more if the page shows a
  // fresh field again (AWS re-renders after a rejected code). The host
  // never hands out the same code twice for filling, and we never put a
  // code we already filled back in.
  const MAX_AUTO_FILLS = 2;

  function start(rule) {
    const doc = document;
    const handled = new WeakSet();
    const filledCodes = new Set();
    let autoFills = 0;
    let busy = false;
    let chooserFor = null;

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

    async function fillWhenValid(field, answer, byChoice = false) {
      const waitMs = Math.max(0, answer.waitMs ?? 0);
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      fill(field, answer.code, answer.autoSubmit, byChoice);
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
        const answer = await send('mfa-field', { hint });
        if (!answer?.ok) return;
        if (answer.action === 'fill') {
          autoFills += 1;
          await fillWhenValid(field, answer);
        } else if (answer.action === 'choose' && answer.candidates?.length) {
          chooserFor = field;
          FactorCat.chooser.open(field, answer.candidates, async (token) => {
            const picked = await send('fill-choice', { token, hint });
            if (picked?.ok) await fillWhenValid(field, picked, true);
          });
        }
      } finally {
        busy = false;
      }
    }

    function check() {
      if (busy) return;
      const field = findCodeField(doc, rule);
      if (!field) {
        if (chooserFor && !chooserFor.isConnected) { FactorCat.chooser.close(); chooserFor = null; }
        return;
      }
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
    send('page-seen', { hint: readWho(doc, rule) });
    check();
  }

  FactorCat.autofill = Object.freeze({ start });
})();
