// Entry point of the content scripts (top frame, https only): picks this
// page's rule and starts what it allows. Runs once per page even if the
// scripts are injected again.
(() => {
  const FactorCat = (globalThis.FactorCat ??= {});
  if (FactorCat.started) return;
  FactorCat.started = true;
  if (location.protocol !== 'https:' || window.top !== window) return;

  const { api, send } = FactorCat.ext;
  const { findCodeField, readWho, setValue } = FactorCat.fields;
  const rule = FactorCat.siteRules.ruleFor(location.href);
  if (!rule) return;

  const isCode = (code) => typeof code === 'string' && /^[0-9A-Za-z]{4,10}$/.test(code);

  // The page's code field for a sign-in code: not a field of an MFA device
  // being set up or resynchronised (enrol.js fills those).
  const signinField = () => {
    const field = findCodeField(document, rule);
    return field && !FactorCat.enroll.ownsField(document, rule, field) ? field : null;
  };

  // The person picked a token in the chooser the keyboard shortcut opened:
  // the background checks it belongs to this page and gives its code.
  async function fillPicked(field, token, hint) {
    const picked = await send('fill-choice', { token, hint });
    if (!picked?.ok || !isCode(picked.code)) {
      FactorCat.notice.show(picked?.error?.message ?? 'No code could be fetched for that token.');
      return;
    }
    if (picked.waitMs > 0) await new Promise((r) => setTimeout(r, picked.waitMs));
    if (field.isConnected) setValue(field, picked.code);
  }

  // Requests from the toolbar popup and the keyboard shortcut, relayed by
  // the background (the browser delivers only our own extension's messages
  // here).
  api.runtime.onMessage.addListener((msg, _sender, sendResponse) => {
    if (msg?.type === 'probe') {
      const field = signinField();
      sendResponse({ field: !!field, hint: readWho(document, rule, field) });
    } else if (msg?.type === 'fill' && isCode(msg.code)) {
      // Only into the page the background checked (not one the tab moved to).
      const field = msg.host === location.hostname ? signinField() : null;
      if (field) {
        FactorCat.chooser?.close();
        setValue(field, msg.code);
      }
      sendResponse({ filled: !!field });
    } else if (msg?.type === 'choose' && Array.isArray(msg.candidates) && msg.candidates.length) {
      const field = signinField();
      if (field) {
        const hint = readWho(document, rule, field);
        FactorCat.chooser.open(field, msg.candidates, (token) => fillPicked(field, token, hint));
        field.focus();
      }
      sendResponse({ opened: !!field });
    } else if (msg?.type === 'notice' && typeof msg.text === 'string') {
      FactorCat.notice.show(msg.text.slice(0, 300));
      sendResponse({ shown: true });
    }
    return false;
  });

  const go = () => {
    // Enrolment first: the sign-in's autofill asks it which fields are its.
    if (rule.enroll || rule.resync) FactorCat.enroll.start(rule);
    if (rule.auto) FactorCat.autofill.start(rule);
    else if (rule.id !== 'generic' && findCodeField(document, rule)) FactorCat.ext.send('page-seen', {});
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', go, { once: true });
  else go();
})();
