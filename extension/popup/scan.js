// The scan view: "Scan QR code on this page" reads the visible part of the
// tab, lists what its QR codes hold, and adds them when the person says so.
import { toast, problemNodes } from './common.js';
import { tokenLine, failureLine, scanSummary } from './describe.js';

const { send } = globalThis.FactorCat.ext;
const { h, $ } = globalThis.FactorCat.dom;

const scan = { tabId: null, image: null, onAdded: async () => {} };

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
  if (scan.tabId == null) return;
  scan.image = null;
  delete $('#scan-panel').dataset.code;
  scanButtons('busy');
  scanState('busy', 'Looking for a QR code…');
  const r = await send('scan-tab', { tabId: scan.tabId });
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
  await scan.onAdded();
}

function closeScan() {
  scan.image = null;
  $('#scan-panel').hidden = true;
  $('#scan-panel').dataset.state = 'idle';
}

// Wires the view for the tab `tabId` (null: no tab, no scan button);
// `onAdded` runs after tokens were stored.
export function startScanView(tabId, onAdded) {
  scan.tabId = tabId;
  scan.onAdded = onAdded;
  $('#scan').hidden = tabId == null;
  $('#scan').addEventListener('click', startScan);
  $('#scan-add').addEventListener('click', addScanned);
  $('#scan-cancel').addEventListener('click', closeScan);
}
