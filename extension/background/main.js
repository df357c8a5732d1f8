// The background (service worker in Chromium, event page in Firefox).
import '../shared/ext.js';
import '../shared/site-rules.js';
import { NativeHost } from './native.js';
import { makeRouter } from './router.js';
import { makeHandlers } from './handlers.js';
import { makeClipboard } from './clipboard.js';

const { api } = globalThis.FactorCat.ext;

const host = new NativeHost((name) => api.runtime.connectNative(name));
const clipboard = makeClipboard({ api });
const handlers = makeHandlers({ api, host, clipboard });
const route = makeRouter(handlers, {
  extensionOrigin: api.runtime.getURL(''),
  ownId: api.runtime.id,
});

// sendResponse + `return true` works in every supported browser; a
// returned promise does not in older Chromium. The router's promise never
// rejects: it answers errors itself.
api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  const answer = route(msg, sender);
  if (!answer) return false;
  answer.then(sendResponse);
  return true;
});

// The keyboard shortcut: only the commands the manifest declares, from
// the handlers' own table. The table is also on the background's global,
// where only the extension's own pages can reach it: browsers under test
// automation do not deliver extension shortcuts, so the end-to-end tests
// run the command from there.
globalThis.FactorCat.commands = handlers.commands;
api.commands?.onCommand.addListener((name, tab) => {
  const run = Object.hasOwn(handlers.commands, name) ? handlers.commands[name] : null;
  run?.(tab).catch((err) => console.warn(`FactorCat: the ${name} shortcut failed`, err));
});

// A copied code's time is up (an alarm wakes a stopped background too).
api.alarms.onAlarm.addListener((alarm) => {
  clipboard.onAlarm(alarm).catch((err) => console.warn('FactorCat: could not clear the clipboard', err));
});

api.tabs.onRemoved.addListener((tabId) => {
  api.storage.session.remove(`signin:${tabId}`).catch(() => {});
});
