// Entry point of the content scripts (top frame, https only): picks this
// page's rule and starts what it allows. Runs once per page even if the
// scripts are injected again.
(() => {
  const FactorCat = (globalThis.FactorCat ??= {});
  if (FactorCat.started) return;
  FactorCat.started = true;
  if (location.protocol !== 'https:' || window.top !== window) return;

  const { api } = FactorCat.ext;
  const { findCodeField, setValue } = FactorCat.fields;
  const rule = FactorCat.siteRules.ruleFor(location.href);
  if (!rule) return;

  // Requests from the toolbar popup, relayed by the background (the
  // browser delivers only our own extension's messages here).
  api.runtime.onMessage.addListener((msg, _sender, sendResponse) => {
    if (msg?.type === 'probe') {
      sendResponse({ field: !!findCodeField(document, rule) });
    } else if (msg?.type === 'fill' && typeof msg.code === 'string' && /^[0-9A-Za-z]{4,10}$/.test(msg.code)) {
      const field = findCodeField(document, rule);
      if (field) {
        FactorCat.chooser?.close();
        setValue(field, msg.code);
      }
      sendResponse({ filled: !!field });
    }
    return false;
  });

  const go = () => {
    if (rule.auto) FactorCat.autofill.start(rule);
    else if (rule.id !== 'generic' && findCodeField(document, rule)) FactorCat.ext.send('page-seen', {});
    if (rule.enroll) FactorCat.enroll.start(rule);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', go, { once: true });
  else go();
})();
