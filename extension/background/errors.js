// Host and connection errors, turned into something a person can act on.
// Every error the background hands to a page or the popup has the shape
// {code, title, message, fix?} where `fix` is a command to run.

const INSTALL = 'factorcat install';

const PEOPLE = {
  host_missing: {
    title: 'FactorCat is not set up for this browser',
    message: 'The FactorCat program is not installed, or not registered with this browser. Install it, then run this command in a terminal and reload the page:',
    fix: INSTALL,
  },
  host_exited_early: {
    title: 'FactorCat stopped before answering',
    message: 'The FactorCat program started but exited at once. Check that it is up to date, then run:',
    fix: 'factorcat doctor',
  },
  host_exited: {
    title: 'FactorCat stopped',
    message: 'The FactorCat program exited. Try again; it is restarted when needed.',
  },
  host_timeout: {
    title: 'FactorCat did not answer',
    message: 'The FactorCat program took too long to answer. If your keyring asks for a password, unlock it and try again.',
  },
  host_unreachable: {
    title: 'FactorCat cannot be reached',
    message: 'The connection to the FactorCat program failed. Try again.',
  },
  forbidden_caller: {
    title: 'FactorCat refused this extension',
    message: 'The installed FactorCat program does not know this copy of the extension. Reinstall the host registration:',
    fix: INSTALL,
  },
  host_outdated: {
    title: 'FactorCat needs an update',
    message: 'The installed FactorCat program is older than this extension and cannot tell it what it needs here. Install the same version of both, then check with:',
    fix: 'factorcat doctor',
  },
  vault_missing: {
    title: 'No FactorCat vault yet',
    message: 'FactorCat has no vault yet. Create it in a terminal (adding a first token with factorcat add does too):',
    fix: 'factorcat init',
  },
  keyring_locked: {
    title: 'Your keyring is locked',
    message: 'FactorCat keeps its key in the system keyring, which is locked. Unlock it (log in to your desktop session or open your keyring manager), then try again.',
  },
  keyring_unavailable: {
    title: 'No system keyring',
    message: 'FactorCat could not reach a system keyring (Secret Service). Start one (gnome-keyring, KeePassXC); or, if the vault has a passphrase, unlock it for a while in a terminal:',
    fix: 'factorcat unlock',
  },
  passphrase_required: {
    title: 'The vault is locked',
    message: 'This vault opens with its passphrase only, and the browser cannot ask for it. Unlock it in a terminal; it stays unlocked for 8 hours, or until factorcat lock:',
    fix: 'factorcat unlock',
  },
  wrong_passphrase: {
    title: 'Wrong passphrase',
    message: 'FACTORCAT_PASSPHRASE, as the browser passes it, does not open the vault. Remove it from the browser\'s environment, and unlock the vault in a terminal instead:',
    fix: 'factorcat unlock',
  },
  vault_corrupt: {
    title: 'The vault is damaged',
    message: 'FactorCat cannot read its vault file. Restore it from a backup. To check:',
    fix: 'factorcat doctor',
  },
  vault_rollback: {
    title: 'An older vault file was put back',
    message: 'FactorCat will not use its vault file: it is older than one this computer has already used (a restored backup, a sync tool, or someone with access to the folder put it back), so removed tokens and used codes could come back. Put the newer file back; if you restored a backup on purpose, accept it in a terminal:',
    fix: 'factorcat accept-older',
  },
  ledger_unusable: {
    title: 'The record of used codes is unreadable',
    message: 'FactorCat keeps a small file beside its vault (factorcat.ledger) recording the codes it handed out, and it cannot read it. Your tokens are safe. Move that file out of the vault folder and try again; only the record of recent codes is lost. The exact path:',
    fix: 'factorcat doctor',
  },
  duplicate_token: {
    title: 'Already in FactorCat',
    message: 'FactorCat already has a token with this secret, so nothing was added. Edit that token if its name or sites should change.',
  },
  code_already_used: {
    title: 'Code already used',
    message: 'The current and the next code were both filled already; wait for a fresh one.',
  },
  // Import of a chosen file (the popup asks for the password itself).
  import_too_large: {
    title: 'This file is too large for the browser',
    message: 'Exports over about 700 KB cannot pass through the browser. Import it in a terminal instead:',
    fix: 'factorcat import FILE',
  },
  unknown_format: {
    title: 'Unknown file format',
    message: 'FactorCat did not recognise this file. Choose its format in the list and try again, or check that it is an export of an authenticator.',
  },
  import_damaged: {
    title: 'The file is damaged',
    message: 'The file is cut short, damaged, or not an export of the chosen format. Export it again and retry.',
  },
  // Scanning a QR code on the page.
  qr_not_found: {
    title: 'No QR code visible',
    message: 'No QR code visible — scroll it into view and try again.',
  },
  qr_unreadable: {
    title: 'The QR code could not be read',
    message: 'A QR code is visible but could not be read. Zoom the page in so the code is larger, then try again.',
  },
  qr_no_tokens: {
    title: 'No token in this QR code',
    message: 'The QR codes on this page hold no otpauth:// link. Look for the code the site shows for an authenticator app.',
  },
};

// Fields some errors carry for programs (import's failures, the stored
// token a duplicate repeats), passed on as is.
const EXTRA = { failures: 'failures', failures_omitted: 'failuresOmitted', format: 'format', token: 'token' };

// Error with `.info` = {code, title, message, fix?, hostMessage?, retryAfter?}
export function hostError(e) {
  const code = e.code ?? 'internal';
  const known = PEOPLE[code];
  const info = {
    code,
    title: known?.title ?? 'FactorCat reported a problem',
    message: known?.message ?? (e.message || 'Something went wrong.'),
  };
  if (known?.fix) info.fix = known.fix;
  if (e.message && known) info.hostMessage = e.message;
  if (e.retry_after != null) info.retryAfter = e.retry_after;
  if (e.detail) info.detail = e.detail;
  for (const [from, to] of Object.entries(EXTRA)) if (e[from] != null) info[to] = e[from];
  const err = new Error(info.message);
  err.info = info;
  return err;
}

export function errorInfo(err) {
  return err?.info ?? { code: 'internal', title: 'Unexpected error', message: String(err?.message ?? err) };
}
