// A tiny DOM helper: build elements without innerHTML, find them, and tell
// whether a person can see them. A classic script (content scripts load it).
(() => {
  const FactorCat = (globalThis.FactorCat ??= {});
  if (FactorCat.dom) return;

  // h('button', {class: 'x', onclick: fn}, 'text', child…)
  function h(tag, props = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props ?? {})) {
      if (v == null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'text') el.textContent = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c == null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // Shown: not hidden by an attribute, display:none or visibility:hidden on
  // itself or an ancestor. Uses the browser's own check where it has one.
  function isShown(el) {
    if (!el || !el.isConnected) return false;
    if (typeof el.checkVisibility === 'function') {
      return el.checkVisibility({ visibilityProperty: true, checkVisibilityCSS: true });
    }
    const win = el.ownerDocument.defaultView;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      if (n.hidden) return false;
      const cs = win.getComputedStyle(n);
      if (cs.display === 'none') return false;
      if (n === el && (cs.visibility === 'hidden' || cs.visibility === 'collapse')) return false;
    }
    return true;
  }

  // The text of an element, its text nodes joined by spaces (so separate
  // paragraphs don't run together), whitespace collapsed.
  function text(el) {
    if (!el) return '';
    const walker = el.ownerDocument.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
    const parts = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const tag = n.parentElement?.tagName;
      if (tag !== 'SCRIPT' && tag !== 'STYLE') parts.push(n.nodeValue);
    }
    return parts.join(' ').replace(/\s+/g, ' ').trim();
  }

  FactorCat.dom = Object.freeze({ h, $, $$, isShown, text });
})();
