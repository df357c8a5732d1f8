// The import view (popup.html?view=import, in a tab of its own): choose an
// export, see what it holds (a dry run), give its password when it has
// one, then import. In Firefox the popup closes as soon as a file dialog
// opens, and a closed popup loses the file: the popup's "Import…" opens
// this view in a tab, in every browser. The password lives in this page's
// memory only, from the moment it is typed until the import is done or
// abandoned. The formats to choose from are the host's (hello).
import { problemNodes } from './common.js';
import { CLI_IMPORT, tooLargeToImport, tokenLine, failureLine, importSummary, confirmLabel } from './describe.js';

const { send } = globalThis.FactorCat.ext;
const { h, $ } = globalThis.FactorCat.dom;

const imp = { file: null, name: '', password: '', skipBad: false, dry: null, formats: [], onImported: async () => {} };

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
  importState('preview', h('p', {}, importSummary(r, imp.formats)));
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
  importState('done', [h('p', {}, importSummary(r, imp.formats)), h('p', {}, 'The tokens are listed below. Choose another file to import more, or close this tab.')]);
  await imp.onImported();
}

function cancelImport() {
  forgetImport();
  $('#import-file').value = '';
  importState('idle', 'Nothing was imported.');
}

// The host's formats in the format list, after "Recognise it".
async function loadFormats() {
  const r = await send('status');
  if (!r.ok) return;
  imp.formats = r.importFormats;
  $('#import-format').append(...r.importFormats.map((f) => h('option', { value: f.name }, f.label)));
}

// Shows and wires the view; `onImported` runs after tokens were stored.
export function startImportView(onImported) {
  imp.onImported = onImported;
  document.body.classList.add('page');
  document.title = 'FactorCat: import';
  $('#import-panel').hidden = false;
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
  return loadFormats();
}
