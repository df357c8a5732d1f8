// AWS's clock, measured on AWS sign-in pages (the background says which,
// from the host's reading of the address): the `Date` header of a HEAD
// request to this page's own address, and this computer's time just before
// it was sent and just after its answer arrived. The host turns that into
// an offset and decides whether codes use it (docs/protocol.md, `clock`).
// A request from the page's own context, so both browsers measure alike.
(() => {
  const FactorCat = (globalThis.FactorCat ??= {});
  if (FactorCat.clock) return;
  const { send } = FactorCat.ext;

  // Resolves to the host's answer, or null when nothing was measured (no
  // `Date` to read: a redirect, an error, a page served without one).
  async function measure() {
    if (location.protocol !== 'https:') return null;
    // The address the page itself was loaded from, without its fragment:
    // the server answers it as it did the page (HEAD: headers only, never
    // from the cache, and no redirect followed to another origin).
    const url = `${location.origin}${location.pathname}${location.search}`;
    const sent = Date.now();
    let res;
    try {
      res = await fetch(url, { method: 'HEAD', cache: 'no-store', credentials: 'same-origin', redirect: 'manual' });
    } catch {
      return null;
    }
    const received = Date.now();
    const date = res.headers.get('date');
    if (!date) return null;
    return send('clock', { date, sent, received });
  }

  FactorCat.clock = Object.freeze({ measure });
})();
