// A small list anchored under a code field, offered when several tokens fit
// the page. Keyboard: ArrowDown from the field enters the list, arrows move,
// Enter picks, Escape closes and returns to the field. It lives in a closed
// shadow root so the page can neither style nor read it.
(() => {
  const FactorCat = (globalThis.FactorCat ??= {});
  if (FactorCat.chooser) return;
  const { h } = FactorCat.dom;

  const CSS = `
    :host { all: initial; position: absolute; z-index: 2147483647; }
    .box { font: 13px/1.3 system-ui, sans-serif; min-width: 240px; max-width: 360px;
      background: #fff; color: #16191f; border: 1px solid #8d99a8; border-radius: 6px;
      box-shadow: 0 4px 14px rgba(0,0,0,.18); padding: 4px; }
    @media (prefers-color-scheme: dark) { .box { background: #232f3e; color: #f2f3f3; border-color: #5f6b7a; } }
    .title { font-size: 11px; opacity: .75; padding: 4px 8px; }
    button { all: unset; display: block; box-sizing: border-box; width: 100%; padding: 6px 8px;
      border-radius: 4px; cursor: pointer; }
    button:hover, button:focus { background: #0972d3; color: #fff; outline: none; }
    .issuer { font-weight: 600; }
    .acct { opacity: .85; }
    .close { text-align: right; font-size: 11px; opacity: .7; }
  `;

  let current = null;

  function close({ refocus = false } = {}) {
    if (!current) return;
    const { host, field, onKey } = current;
    current = null;
    field.removeEventListener('keydown', onKey, true);
    host.remove();
    if (refocus) field.focus();
  }

  function describe(t) {
    const aws = t.aws ? [t.aws.user, t.aws.account_id ?? t.aws.account_alias].filter(Boolean).join(' @ ') : '';
    return { issuer: t.issuer || t.label || 'Token', account: aws || t.account || '' };
  }

  // candidates: [{id, issuer, account, aws}]; onPick(id) is called once.
  function open(field, candidates, onPick) {
    close();
    const host = h('factorcat-chooser', { 'data-count': candidates.length });
    const root = host.attachShadow({ mode: 'closed' });
    const buttons = candidates.map((t) => {
      const d = describe(t);
      return h('button', {
        type: 'button', role: 'option', 'aria-label': `${d.issuer} ${d.account}`,
        onclick: (e) => { e.preventDefault(); close(); onPick(t.id); },
      }, h('div', { class: 'issuer' }, d.issuer), d.account ? h('div', { class: 'acct' }, d.account) : null);
    });
    const list = h('div', { class: 'box', role: 'listbox', 'aria-label': 'FactorCat: choose a token' },
      h('div', { class: 'title' }, 'FactorCat: which token? (↓ to choose, Esc to close)'),
      buttons);
    root.append(h('style', {}, CSS), list);

    list.addEventListener('keydown', (e) => {
      const i = buttons.indexOf(root.activeElement);
      if (e.key === 'ArrowDown') { e.preventDefault(); buttons[Math.min(i + 1, buttons.length - 1)]?.focus(); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); if (i <= 0) field.focus(); else buttons[i - 1].focus(); }
      else if (e.key === 'Escape') { e.preventDefault(); close({ refocus: true }); }
    });
    const onKey = (e) => {
      if (e.key === 'ArrowDown' && buttons.length) { e.preventDefault(); buttons[0].focus(); }
      else if (e.key === 'Escape') close();
    };
    field.addEventListener('keydown', onKey, true);

    const r = field.getBoundingClientRect();
    const win = field.ownerDocument.defaultView;
    host.style.left = `${Math.round(r.left + win.scrollX)}px`;
    host.style.top = `${Math.round(r.bottom + win.scrollY + 2)}px`;
    field.ownerDocument.documentElement.append(host);
    current = { host, field, onKey };
    return close;
  }

  FactorCat.chooser = Object.freeze({ open, close, isOpen: () => !!current });
})();
