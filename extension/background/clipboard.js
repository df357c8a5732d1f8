// A code copied from the popup is cleared from the clipboard 30 seconds
// later if the clipboard still holds it (the option `clearClipboard`, on by
// default); anything the person copied since is left alone.
//
// The wait is an alarm (`alarms`), which wakes a background that the
// browser stopped meanwhile; the pending code waits in `storage.session`.
// Reading and clearing the clipboard needs a document: Chromium's service
// worker has none, so an offscreen document (`offscreen`, reason
// CLIPBOARD) does it there; Firefox's background page is one. Both read
// with the `clipboardRead` permission (a paste into a text box) and clear
// with `clipboardWrite` (a copy of nothing), neither needing the person's
// gesture or the document's focus.

export const CLEAR_AFTER_MS = 30 * 1000;
const ALARM = 'clear-clipboard';
const KEY = 'clipboard';
const PAGE = 'background/clipboard.html';

// In a document: clears the clipboard if it holds exactly `code`. Says
// what it found: `cleared`, `other` (something else is there now, or
// nothing) or `unreadable` (the browser did not let it read).
export function clearIfStillThere(doc, code) {
  const box = doc.createElement('textarea');
  doc.body.append(box);
  box.focus();
  const read = doc.execCommand('paste');
  const now = box.value;
  box.remove();
  if (!read) return 'unreadable';
  if (now.trim() !== code) return 'other';
  const empty = (e) => {
    e.clipboardData.setData('text/plain', '');
    e.preventDefault();
  };
  doc.addEventListener('copy', empty);
  const wrote = doc.execCommand('copy');
  doc.removeEventListener('copy', empty);
  return wrote ? 'cleared' : 'unreadable';
}

export function makeClipboard({ api, doc = globalThis.document }) {
  // The popup copied `code`: clear it later.
  async function copied(code) {
    await api.storage.session.set({ [KEY]: { code, at: Date.now() } });
    await api.alarms.create(ALARM, { when: Date.now() + CLEAR_AFTER_MS });
  }

  // In Chromium, the offscreen document does it (created for this and
  // closed after); in Firefox, the background page itself.
  async function clearInDocument(code) {
    if (!api.offscreen) return clearIfStillThere(doc, code);
    await api.offscreen.createDocument({
      url: PAGE, reasons: ['CLIPBOARD'],
      justification: 'Clear a code copied from FactorCat from the clipboard if it is still there',
    }).catch(() => { /* one is open already */ });
    try {
      return await api.runtime.sendMessage({ type: 'clipboard-clear', code });
    } finally {
      await api.offscreen.closeDocument().catch(() => {});
    }
  }

  // The alarm: the code copied last, if the clipboard still holds it.
  async function onAlarm(alarm) {
    if (alarm?.name !== ALARM) return null;
    const pending = (await api.storage.session.get(KEY))[KEY];
    await api.storage.session.remove(KEY);
    if (typeof pending?.code !== 'string') return null;
    return clearInDocument(pending.code);
  }

  return { copied, onAlarm };
}
