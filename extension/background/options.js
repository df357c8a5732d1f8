// The person's settings, in storage.local.
export const DEFAULTS = Object.freeze({
  autofill: true,      // fill the AWS MFA field when exactly one token fits
  autoSubmit: false,   // then press the page's submit button
  chooseMfaType: true, // choose "Authenticator app" when the sign-in asks which kind of MFA, and a token fits
  clearClipboard: true, // clear a code copied from the popup after 30 s, if it is still there
});

export async function getOptions(api) {
  const stored = await api.storage.local.get(Object.keys(DEFAULTS));
  const out = { ...DEFAULTS };
  for (const k of Object.keys(DEFAULTS)) if (typeof stored[k] === typeof DEFAULTS[k]) out[k] = stored[k];
  return out;
}

export async function setOptions(api, changes) {
  const clean = {};
  for (const k of Object.keys(DEFAULTS)) if (typeof changes?.[k] === typeof DEFAULTS[k]) clean[k] = changes[k];
  await api.storage.local.set(clean);
  return getOptions(api);
}
