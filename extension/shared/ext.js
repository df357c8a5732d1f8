// The one wrapper around the browser's extension APIs: `browser` (Firefox,
// Chromium ≥ 148) or `chrome` (older Chromium), both promise-based in MV3.
// A classic script, so content scripts can load it; modules import it for
// its side effect.
(() => {
  const FactorCat = (globalThis.FactorCat ??= {});
  if (FactorCat.ext) return;
  const api = globalThis.browser ?? globalThis.chrome;

  // Sends one message to the background router and returns its answer.
  // The router answers {ok: true, ...} or {ok: false, error: {...}}.
  async function send(type, fields = {}) {
    try {
      return await api.runtime.sendMessage({ ...fields, type });
    } catch (err) {
      return { ok: false, error: { code: 'extension_error', message: String(err?.message ?? err) } };
    }
  }

  const isFirefox = typeof api?.runtime?.getBrowserInfo === 'function';

  FactorCat.ext = Object.freeze({ api, send, isFirefox });
})();
