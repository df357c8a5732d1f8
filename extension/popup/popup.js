// The toolbar popup's entry: the token list (tokens.js) with the scan of a
// QR code on the page (scan.js); the same page opened in a tab with
// ?view=import is the import view (import.js) above the token list.
import { startTokens, refresh } from './tokens.js';
import { startScanView } from './scan.js';
import { startImportView } from './import.js';

const { api } = globalThis.FactorCat.ext;
const { $ } = globalThis.FactorCat.dom;
const IMPORT = new URLSearchParams(location.search).get('view') === 'import';

// The tab the popup is about: ?tab= when opened in a tab (tests), else the
// active tab of this window.
async function activeTabId() {
  const fromUrl = new URLSearchParams(location.search).get('tab');
  if (fromUrl) return Number(fromUrl);
  const [tab] = await api.tabs.query({ active: true, currentWindow: true });
  return tab?.id ?? null;
}

async function start() {
  $('#open-options').addEventListener('click', () => api.runtime.openOptionsPage());
  $('#open-import').addEventListener('click', async () => {
    await api.tabs.create({ url: api.runtime.getURL('popup/popup.html?view=import') });
    window.close();
  });
  const formats = IMPORT ? startImportView(refresh) : null;
  const tabId = IMPORT ? null : await activeTabId();
  startScanView(tabId, refresh);
  const [ok] = await Promise.all([startTokens(tabId), formats]);
  if (IMPORT) $('#import-file').focus();
  else $('#search').focus();
  document.body.dataset.ready = ok ? 'tokens' : 'problem';
}

start();
