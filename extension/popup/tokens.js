// The token list view: tokens for the active tab first, then the rest; type
// to search; click (or Enter) fills the page's code field, or copies the
// code when the page has none; a token that does not belong to the page is
// filled only after a second, explicit confirmation that names both sites
// (the background insists on it too), and Enter in the search box fills
// only a token of the page; add by pasting a link; remove with a
// confirmation.
import { toast, copy, showProblem } from './common.js';
import { clockNotes } from './describe.js';

const { send } = globalThis.FactorCat.ext;
const { h, $ } = globalThis.FactorCat.dom;

const state = { tabId: null, tokens: [], siteIds: [], field: false, query: '', confirming: null, asking: null, fetchedAt: 0 };

function awsWho(t) {
  if (!t.aws) return t.account ?? '';
  const who = [t.aws.user, t.aws.account_id ?? t.aws.account_alias].filter(Boolean).join(' @ ');
  return who || t.account || '';
}

function spaced(code) {
  if (!code) return '••••••';
  return code.length === 6 ? `${code.slice(0, 3)} ${code.slice(3)}` : code;
}

function matchesQuery(t, q) {
  if (!q) return true;
  const hay = `${t.issuer} ${t.account} ${t.label} ${t.aws?.account_id ?? ''} ${t.aws?.account_alias ?? ''} ${t.aws?.user ?? ''} ${(t.sites ?? []).join(' ')}`.toLowerCase();
  return q.toLowerCase().split(/\s+/).every((w) => hay.includes(w));
}

function secondsLeft(t) {
  return Math.max(0, Math.round(t.validUntil - (Date.now() / 1000)));
}

function row(t) {
  const left = h('span', { class: 'left', title: 'seconds left' });
  const li = h('li', {
    class: 'token', tabindex: '0', role: 'option', 'data-id': t.id,
    'aria-label': `${t.issuer} ${awsWho(t)} code ${t.code ?? ''}`,
    onclick: (e) => { if (!e.target.closest('button')) use(t); },
    onkeydown: (e) => onRowKey(e, t),
  },
  h('div', { class: 'who' }, h('div', { class: 'issuer' }, t.issuer || t.label), h('div', { class: 'account' }, awsWho(t))),
  h('span', { class: 'code' }, spaced(t.code)),
  left,
  h('button', { type: 'button', class: 'remove', title: `Remove ${t.issuer}`, 'aria-label': `Remove ${t.issuer} ${awsWho(t)}`, onclick: () => askRemove(t) }, '×'));
  li.updateLeft = () => {
    const s = secondsLeft(t);
    left.textContent = t.code ? `${s}s` : '';
    left.classList.toggle('low', s <= 5);
  };
  li.updateLeft();
  return li;
}

function confirmRow(t) {
  return h('li', { class: 'confirm', role: 'alertdialog', 'aria-label': 'Confirm removal' },
    h('span', {}, `Remove ${t.issuer} ${awsWho(t)}? Its secret is deleted from the vault.`),
    h('button', { type: 'button', class: 'danger', onclick: () => doRemove(t) }, 'Remove'),
    h('button', { type: 'button', onclick: () => { state.confirming = null; render(); } }, 'Cancel'));
}

// The question before filling a token into a page it does not belong to:
// the background's words, "Cancel" focused (a second Enter does not fill).
function askRow(t) {
  const { site, question } = state.asking;
  return h('li', { class: 'confirm ask', role: 'alertdialog', 'aria-label': 'Confirm filling into another site' },
    h('span', { class: 'question' }, question),
    h('button', { type: 'button', class: 'fill-anyway', onclick: () => { state.asking = null; render(); use(t, site); } }, `Fill on ${site}`),
    h('button', { type: 'button', class: 'cancel', onclick: () => { state.asking = null; render(); } }, 'Cancel'));
}

function render() {
  const q = state.query;
  const site = new Set(state.siteIds);
  const shown = state.tokens.filter((t) => matchesQuery(t, q));
  const onSite = state.siteIds.map((id) => shown.find((t) => t.id === id)).filter(Boolean);
  const rest = shown.filter((t) => !site.has(t.id));
  const build = (t) => [
    row(t),
    ...(state.confirming === t.id ? [confirmRow(t)] : []),
    ...(state.asking?.id === t.id ? [askRow(t)] : []),
  ];
  $('#site-list').replaceChildren(...onSite.flatMap(build));
  $('#site-section').hidden = onSite.length === 0;
  $('#all-list').replaceChildren(...rest.flatMap(build));
  $('#all-title').textContent = onSite.length ? 'Other tokens' : 'All tokens';
  const empty = $('#empty');
  empty.hidden = shown.length > 0 || !$('#problem').hidden;
  empty.textContent = state.tokens.length ? `No token matches “${q}”.` : 'No tokens yet. Add one below.';
  const confirmButton = document.querySelector('.confirm button.danger, .confirm.ask button.cancel');
  if (confirmButton) confirmButton.focus();
}

function rows() {
  return Array.from(document.querySelectorAll('li.token'));
}

function onRowKey(e, t) {
  const all = rows();
  const i = all.indexOf(e.currentTarget);
  if (e.key === 'ArrowDown') { e.preventDefault(); all[i + 1]?.focus(); }
  else if (e.key === 'ArrowUp') { e.preventDefault(); (all[i - 1] ?? $('#search')).focus(); }
  else if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); use(t); }
  else if (e.key === 'Delete') { e.preventDefault(); askRemove(t); }
}

// Fills the page's code field with `t`'s code, or copies it. `confirmedFor`:
// the site the person confirmed filling into (after the question).
async function use(t, confirmedFor = null) {
  if (state.tabId != null && state.field) {
    const r = await send('fill-tab', { tabId: state.tabId, token: t.id, confirmedFor });
    if (r.ok && r.confirm) { state.asking = { id: t.id, ...r.confirm }; render(); return; }
    if (r.ok && r.filled) { toast(`Filled ${t.issuer}`); setTimeout(() => window.close(), 400); return; }
    if (r.ok && r.moved) { toast('The page changed while the code was fetched: nothing was filled.'); return; }
    if (!r.ok) { showProblem(r.error); return; }
  }
  const code = t.code ?? (await send('code', { token: t.id }));
  if (typeof code !== 'string' && !code.ok) { showProblem(code.error); return; }
  const text = typeof code === 'string' ? code : code.code;
  if (await copy(text, `Copied ${t.issuer} code`)) {
    const later = await send('copied', { code: text });
    if (later.ok && later.clearing) toast(`Copied ${t.issuer} code (cleared from the clipboard in 30 s)`);
  }
}

function askRemove(t) {
  state.confirming = t.id;
  render();
}

async function doRemove(t) {
  const r = await send('remove', { token: t.id });
  state.confirming = null;
  if (!r.ok) { showProblem(r.error); return; }
  state.tokens = state.tokens.filter((x) => x.id !== t.id);
  toast(`Removed ${t.issuer}`);
  render();
}

function showClock(clock) {
  const notes = clockNotes(clock);
  const box = $('#clock');
  box.replaceChildren(...notes.map((text) => h('p', {}, text)));
  box.hidden = notes.length === 0;
}

// Fetches the tokens with their codes again; false when the host said no
// (the problem is shown).
export async function refresh() {
  const r = await send('list');
  state.fetchedAt = Date.now();
  if (!r.ok) {
    showProblem(r.error);
    state.tokens = [];
    render();
    return false;
  }
  $('#problem').hidden = true;
  showClock(r.clock);
  state.tokens = r.tokens;
  render();
  return true;
}

async function addPasted(e) {
  e.preventDefault();
  const uri = $('#add-uri').value.trim();
  const r = await send('add', { uri });
  if (!r.ok) { showProblem(r.error); return; }
  $('#add-uri').value = '';
  $('#add').open = false;
  toast(`Added ${r.token.issuer} ${r.token.account}`);
  await refresh();
}

// Wires the view and loads it for the tab `tabId` (null: no tab, as in the
// import view). Resolves to whether the tokens could be listed.
export async function startTokens(tabId) {
  state.tabId = tabId;
  $('#search').addEventListener('input', (e) => { state.query = e.target.value.trim(); render(); });
  $('#search').addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); rows()[0]?.focus(); }
    else if (e.key === 'Enter') {
      // Fills only a token of this page; copies where there is no field.
      e.preventDefault();
      const first = state.field ? document.querySelector('#site-list li.token') : rows()[0];
      if (first) first.click();
      else if (rows().length) toast('None of these belongs to this page: press ↓ to choose one.');
    }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === '/' && document.activeElement !== $('#search') && !(document.activeElement instanceof HTMLInputElement)) {
      e.preventDefault(); $('#search').focus();
    }
  });
  $('#add-form').addEventListener('submit', addPasted);

  const [ok, info] = await Promise.all([
    refresh(),
    tabId != null ? send('tab-info', { tabId }) : Promise.resolve(null),
  ]);
  if (info?.ok) {
    state.siteIds = info.matches;
    state.field = info.field;
    render();
  }

  // Countdown; fetch fresh codes when any shown code expires.
  setInterval(() => {
    for (const li of rows()) li.updateLeft?.();
    const expired = state.tokens.some((t) => t.code && t.validUntil * 1000 <= Date.now());
    if (expired && Date.now() - state.fetchedAt > 1000) refresh();
  }, 1000);
  return ok;
}
