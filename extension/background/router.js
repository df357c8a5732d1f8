// The one message router. Each sender kind has its own allow-list of
// message types; anything else is refused and logged. Handlers never see a
// URL the page claims: they get the sender as the browser reports it. A
// handler that throws is answered here, once for all, with the error as a
// person can act on it (errors.js).
import { errorInfo } from './errors.js';

export function senderKind(sender, extensionOrigin) {
  if (!sender) return null;
  const url = sender.url ?? '';
  if (url.startsWith(extensionOrigin)) return 'extension';
  // A content script: top frame of a tab, on https only.
  if (sender.tab && sender.frameId === 0 && url.startsWith('https://')) return 'content';
  return null;
}

// routes: {content: {type: handler}, extension: {type: handler}}
export function makeRouter(routes, { extensionOrigin, ownId, log = console.warn }) {
  const tables = {
    content: new Map(Object.entries(routes.content)),
    extension: new Map(Object.entries(routes.extension)),
  };
  return function route(msg, sender) {
    if (sender?.id !== ownId) return undefined;
    const kind = senderKind(sender, extensionOrigin);
    const handler = kind && typeof msg?.type === 'string' ? tables[kind].get(msg.type) : undefined;
    if (!handler) {
      log(`FactorCat: refused message ${JSON.stringify(msg?.type)} from ${kind ?? 'unknown sender'}`);
      return Promise.resolve({ ok: false, error: { code: 'refused', title: 'Refused', message: 'This message is not allowed here.' } });
    }
    return Promise.resolve()
      .then(() => handler(msg, sender))
      .catch((err) => ({ ok: false, error: errorInfo(err) }));
  };
}
