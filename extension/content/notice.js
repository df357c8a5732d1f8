// A short in-page message from FactorCat — why the keyboard shortcut could
// not fill anything here — at the top right of the page for a few seconds.
// It lives in a closed shadow root, so the page can neither style nor read
// it, and it is announced to screen readers (role=status).
(() => {
  const FactorCat = (globalThis.FactorCat ??= {});
  if (FactorCat.notice) return;
  const { h } = FactorCat.dom;

  const SHOWN_MS = 6000;
  const CSS = `
    :host { all: initial; position: fixed; top: 12px; right: 12px; z-index: 2147483647; }
    .box { font: 13px/1.4 system-ui, sans-serif; max-width: 360px; padding: 8px 12px;
      background: #fff; color: #16191f; border: 1px solid #8d99a8; border-radius: 6px;
      box-shadow: 0 4px 14px rgba(0,0,0,.18); cursor: default; }
    @media (prefers-color-scheme: dark) { .box { background: #232f3e; color: #f2f3f3; border-color: #5f6b7a; } }
    .title { font-weight: 600; }
  `;

  let current = null;

  function hide() {
    if (!current) return;
    clearTimeout(current.timer);
    current.host.remove();
    current = null;
  }

  // Shows `text` (replacing an earlier notice); a click hides it.
  function show(text) {
    hide();
    const host = h('factorcat-notice', {});
    const root = host.attachShadow({ mode: 'closed' });
    root.append(h('style', {}, CSS), h('div', { class: 'box', role: 'status', 'aria-live': 'polite', onclick: hide },
      h('div', { class: 'title' }, 'FactorCat'), h('div', { class: 'text' }, text)));
    document.documentElement.append(host);
    current = { host, text, timer: setTimeout(hide, SHOWN_MS) };
  }

  FactorCat.notice = Object.freeze({ show, hide, shown: () => current?.text ?? null });
})();
