// The offscreen document's one job: clear the clipboard if it still holds
// the code the background names (only the background's own messages reach
// it: offscreen documents receive the extension's runtime messages).
import { clearIfStillThere } from './clipboard.js';

const api = globalThis.chrome;
api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (sender.id !== api.runtime.id || msg?.type !== 'clipboard-clear' || typeof msg.code !== 'string') return false;
  sendResponse(clearIfStillThere(document, msg.code));
  return false;
});
