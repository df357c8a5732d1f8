// The toolbar popup: tokens for the active tab first, then the rest; type to
// search; click (or Enter) fills the page's code field, or copies the code
// when the page has none. Also: scan a QR code on the page, and (in a tab
// of its own, ?view=import) import a file.
import {
  CLI_IMPORT, tooLargeToImport, tokenLine, failureLine, importSummary, confirmLabel, scanSummary,
} from './describe.js';

const { api, send } = globalThis.FactorCat.ext;
const { h, $ } = globalThis.FactorCat.dom;
const VIEW = new URLSearchParams(location.search).get('view');

const state = { tabId: null, tokens: [], siteIds: [], field: false, query: '', confirming: null, fetchedAt: 0 };

function toast(text) {
  $('#toast').textContent = text;
}

function problemNodes(error) {
  return [
    h('h3', {}, error.title ?? 'Problem'),
    h('p', {}, error.message ?? ''),
    error.fix ? h('code', {}, error.fix) : null,
    error.fix ? h('button', { type: 'button', class: 'copy', onclick: () => copy(error.fix, 'Command copied') }, 'Copy command') : null,
  ];
}

function showProblem(error) {
  const box = $('#problem');
  box.replaceChildren(...problemNodes(error));
  box.dataset.code = error.code ?? '';
  box.hidden = false;
}

async function copy(text, message) {
  try {
    await navigator.clipboard.writeText(text);
    toast(message);
  } catch {
    toast('Could not copy: select the text and copy it by hand.');
  }
}

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

function render() {
  const q = state.query;
  const site = new Set(state.siteIds);
  const shown = state.tokens.filter((t) => matchesQuery(t, q));
  const onSite = state.siteIds.map((id) => shown.find((t) => t.id === id)).filter(Boolean);
  const rest = shown.filter((t) => !site.has(t.id));
  const build = (t) => (state.confirming === t.id ? [row(t), confirmRow(t)] : [row(t)]);
  $('#site-list').replaceChildren(...onSite.flatMap(build));
  $('#site-section').hidden = onSite.length === 0;
  $('#all-list').replaceChildren(...rest.flatMap(build));
  $('#all-title').textContent = onSite.length ? 'Other tokens' : 'All tokens';
  const empty = $('#empty');
  empty.hidden = shown.length > 0 || !$('#problem').hidden;
  empty.textContent = state.tokens.length ? `No token matches “${q}”.` : 'No tokens yet. Add one below.';
  const confirmButton = document.querySelector('.confirm button.danger');
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

async function use(t) {
  if (state.tabId != null && state.field) {
    const r = await send('fill-tab', { tabId: state.tabId, token: t.id });
    if (r.ok && r.filled) { toast(`Filled ${t.issuer}`); setTimeout(() => window.close(), 400); return; }
    if (!r.ok) { showProblem(r.error); return; }
  }
  if (t.code) {
    await copy(t.code, `Copied ${t.issuer} code`);
    return;
  }
  const r = await send('code', { token: t.id });
  if (r.ok) await copy(r.code, `Copied ${t.issuer} code`);
  else showProblem(r.error);
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

async function refresh() {
  const r = await send('list');
  state.fetchedAt = Date.now();
  if (!r.ok) {
    showProblem(r.error);
    state.tokens = [];
    render();
    return false;
  }
  $('#problem').hidden = true;
  state.tokens = r.tokens;
  render();
  return true;
}

async function activeTabId() {
  const fromUrl = new URLSearchParams(location.search).get('tab');
  if (fromUrl) return Number(fromUrl);
  const [tab] = await api.tabs.query({ active: true, currentWindow: true });
  return tab?.id ?? null;
}

// ---- Scan a QR code on the page -------------------------------------

const scan = { image: null };

function scanState(name, status, found = []) {
  const panel = $('#scan-panel');
  panel.hidden = false;
  panel.dataset.state = name;
  $('#scan-status').replaceChildren(...[].concat(status).filter((x) => x != null));
  $('#scan-found').replaceChildren(...found);
}

function foundList(r) {
  const items = r.tokens.map((t) => h('li', { class: t.duplicate ? 'dup' : null }, tokenLine(t)));
  const bad = r.failures.map((f) => h('li', { class: 'bad' }, failureLine(f, 'QR code')));
  return items.length || bad.length ? [h('ul', {}, ...items, ...bad)] : [];
}

// Add shows only when something new was found; Close whenever not busy.
function scanButtons(name) {
  const canAdd = name === 'found' && !!scan.image;
  $('#scan-actions').hidden = name === 'busy';
  $('#scan-add').hidden = !canAdd;
  $('#scan-cancel').textContent = canAdd ? 'Cancel' : 'Close';
}

async function startScan() {
  if (state.tabId == null) return;
  scan.image = null;
  delete $('#scan-panel').dataset.code;
  scanButtons('busy');
  scanState('busy', 'Looking for a QR code…');
  const r = await send('scan-tab', { tabId: state.tabId });
  if (!r.ok) {
    scanState('error', problemNodes(r.error));
    $('#scan-panel').dataset.code = r.error.code ?? '';
    scanButtons('error');
    return;
  }
  const fresh = r.tokens.filter((t) => !t.duplicate).length;
  if (fresh) scan.image = r.image;
  scanState('found', scanSummary(r), foundList(r));
  scanButtons('found');
  if (fresh) {
    $('#scan-add').textContent = `Add ${fresh === 1 ? 'it' : `all ${fresh}`}`;
    $('#scan-add').focus();
  }
}

async function addScanned() {
  if (!scan.image) return;
  const image = scan.image;
  scan.image = null;
  scanButtons('busy');
  scanState('busy', 'Adding…');
  const r = await send('decode-qr', { image, add: true });
  if (!r.ok) { scanState('error', problemNodes(r.error)); scanButtons('error'); return; }
  scanState('added', scanSummary(r), foundList(r));
  scanButtons('added');
  toast(scanSummary(r));
  await refresh();
}

function closeScan() {
  scan.image = null;
  $('#scan-panel').hidden = true;
  $('#scan-panel').dataset.state = 'idle';
}

// ---- Import a file (in a tab of its own) ----------------------------
// In Firefox the popup closes as soon as a file dialog opens, and a closed
// popup loses the file: the popup's "Import…" opens this view in a tab, in
// every browser. The password lives in this page's memory only, from the
// moment it is typed until the import is done or abandoned.

const imp = { file: null, name: '', password: '', skipBad: false, dry: null };

function importState(name, status = []) {
  const panel = $('#import-panel');
  panel.dataset.state = name;
  $('#import-status').replaceChildren(...[].concat(status).filter((x) => x != null));
  $('#import-password-form').hidden = name !== 'password';
  $('#import-actions').hidden = name !== 'preview';
  if (name !== 'preview') $('#import-preview').replaceChildren();
}

function forgetImport() {
  imp.file = null;
  imp.password = '';
  imp.skipBad = false;
  imp.dry = null;
  $('#import-password').value = '';
}

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

async function chooseFile() {
  const file = $('#import-file').files[0];
  forgetImport();
  if (!file) { importState('idle'); return; }
  imp.name = file.name;
  if (tooLargeToImport(file.size)) {
    importState('error', problemNodes({
      code: 'import_too_large', title: 'This file is too large for the browser',
      message: `${file.name} is over 700 KB, more than can pass between the browser and FactorCat. Import it in a terminal instead:`, fix: CLI_IMPORT,
    }));
    return;
  }
  importState('busy', `Reading ${file.name}…`);
  try {
    imp.file = await readAsDataUrl(file);
  } catch {
    importState('error', problemNodes({ title: 'The file could not be read', message: 'The browser could not read this file. Choose it again.' }));
    return;
  }
  await dryRun();
}

async function dryRun() {
  if (!imp.file) return;
  importState('busy', `Checking ${imp.name}…`);
  const ask = () => send('import', { file: imp.file, format: $('#import-format').value, password: imp.password, skipBad: imp.skipBad, dryRun: true });
  let r = await ask();
  // Entries that cannot be read: show the rest, and offer to skip those.
  if (!r.ok && r.error.code === 'import_bad_entries' && !imp.skipBad) {
    imp.skipBad = true;
    r = await ask();
  }
  if (r.ok) { showPreview(r); return; }
  const code = r.error.code;
  if (code === 'password_required' || code === 'wrong_password') {
    imp.password = '';
    importState('password', code === 'wrong_password'
      ? h('p', { class: 'bad' }, 'That password does not open this export. Check it (capitals, spaces) and try again.')
      : h('p', {}, 'This export is encrypted. Enter the password you chose when you exported it.'));
    $('#import-panel').dataset.reason = code;
    $('#import-password').focus();
    return;
  }
  importState('error', [...problemNodes(r.error), h('p', {}, 'Choose another file, or pick its format in the list.')]);
  $('#import-panel').dataset.code = code ?? '';
}

function showPreview(r) {
  imp.dry = r;
  importState('preview', h('p', {}, importSummary(r)));
  const items = r.tokens.map((t) => h('li', { class: t.duplicate ? 'dup' : null }, tokenLine(t)));
  if (r.tokensOmitted) items.push(h('li', {}, `… and ${r.tokensOmitted} more`));
  const bad = r.failed.map((f) => h('li', { class: 'bad' }, failureLine(f)));
  if (r.failedOmitted) bad.push(h('li', { class: 'bad' }, `… and ${r.failedOmitted} more entries that cannot be read`));
  $('#import-preview').replaceChildren(...[
    items.length ? h('ul', { 'aria-label': 'Tokens in the file' }, ...items) : null,
    bad.length ? h('p', {}, 'These entries cannot be read:') : null,
    bad.length ? h('ul', { 'aria-label': 'Entries that cannot be read' }, ...bad) : null,
  ].filter(Boolean));
  const confirm = $('#import-confirm');
  confirm.textContent = r.imported ? confirmLabel(r) : 'Nothing new to import';
  confirm.disabled = !r.imported;
  (r.imported ? confirm : $('#import-cancel')).focus();
}

async function confirmImport() {
  if (!imp.file || !imp.dry?.imported) return;
  importState('busy', 'Importing…');
  const r = await send('import', { file: imp.file, format: $('#import-format').value, password: imp.password, skipBad: imp.skipBad, dryRun: false });
  forgetImport();
  $('#import-file').value = '';
  if (!r.ok) {
    importState('error', [...problemNodes(r.error), h('p', {}, 'Nothing was imported. Choose the file again to retry.')]);
    return;
  }
  importState('done', [h('p', {}, importSummary(r)), h('p', {}, 'The tokens are listed below. Choose another file to import more, or close this tab.')]);
  await refresh();
}

function cancelImport() {
  forgetImport();
  $('#import-file').value = '';
  importState('idle', 'Nothing was imported.');
}

function startImportView() {
  document.body.classList.add('page');
  document.title = 'FactorCat: import';
  $('#import-panel').hidden = false;
  $('#scan').hidden = true;
  $('#open-import').hidden = true;
  $('#import-file').addEventListener('change', chooseFile);
  $('#import-format').addEventListener('change', () => { imp.skipBad = false; dryRun(); });
  $('#import-password-form').addEventListener('submit', (e) => {
    e.preventDefault();
    imp.password = $('#import-password').value;
    $('#import-password').value = '';
    delete $('#import-panel').dataset.reason;
    dryRun();
  });
  $('#import-confirm').addEventListener('click', confirmImport);
  $('#import-cancel').addEventListener('click', cancelImport);
  window.addEventListener('pagehide', forgetImport);
}

async function start() {
  $('#search').addEventListener('input', (e) => { state.query = e.target.value.trim(); render(); });
  $('#search').addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); rows()[0]?.focus(); }
    else if (e.key === 'Enter') { e.preventDefault(); const first = rows()[0]; if (first) first.click(); }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === '/' && document.activeElement !== $('#search') && !(document.activeElement instanceof HTMLInputElement)) {
      e.preventDefault(); $('#search').focus();
    }
  });
  $('#add-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const uri = $('#add-uri').value.trim();
    const r = await send('add', { uri });
    if (!r.ok) { showProblem(r.error); return; }
    $('#add-uri').value = '';
    $('#add').open = false;
    toast(`Added ${r.token.issuer} ${r.token.account}`);
    await refresh();
  });
  $('#open-options').addEventListener('click', () => api.runtime.openOptionsPage());
  $('#open-import').addEventListener('click', async () => {
    await api.tabs.create({ url: api.runtime.getURL('popup/popup.html?view=import') });
    window.close();
  });
  $('#scan').addEventListener('click', startScan);
  $('#scan-add').addEventListener('click', addScanned);
  $('#scan-cancel').addEventListener('click', closeScan);
  if (VIEW === 'import') startImportView();

  state.tabId = VIEW === 'import' ? null : await activeTabId();
  $('#scan').hidden = state.tabId == null;
  const [ok, info] = await Promise.all([
    refresh(),
    state.tabId != null ? send('tab-info', { tabId: state.tabId }) : Promise.resolve(null),
  ]);
  if (info?.ok) {
    state.siteIds = info.matches;
    state.field = info.field;
    render();
  }
  if (VIEW === 'import') $('#import-file').focus();
  else $('#search').focus();
  document.body.dataset.ready = ok ? 'tokens' : 'problem';

  // Countdown; fetch fresh codes when any shown code expires.
  setInterval(() => {
    for (const li of rows()) li.updateLeft?.();
    const expired = state.tokens.some((t) => t.code && t.validUntil * 1000 <= Date.now());
    if (expired && Date.now() - state.fetchedAt > 1000) refresh();
  }, 1000);
}

start();
