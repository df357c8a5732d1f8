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
    message: 'FactorCat could not reach a system keyring (Secret Service). Start one (gnome-keyring, KeePassXC), or set FACTORCAT_PASSPHRASE for the browser. To check:',
    fix: 'factorcat doctor',
  },
  passphrase_required: {
    title: 'The vault needs its passphrase',
    message: 'This vault opens with a passphrase only, and the browser cannot ask for it. Add a keyring slot in a terminal:',
    fix: 'factorcat passphrase',
  },
  wrong_passphrase: {
    title: 'Wrong passphrase',
    message: 'FACTORCAT_PASSPHRASE, as the browser passes it, does not open the vault.',
  },
  vault_corrupt: {
    title: 'The vault is damaged',
    message: 'FactorCat cannot read its vault file. Restore it from a backup. To check:',
    fix: 'factorcat doctor',
  },
  code_already_used: {
    title: 'Code already used',
    message: 'The current and the next code were both filled already; wait for a fresh one.',
  },
};

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
  const err = new Error(info.message);
  err.info = info;
  return err;
}

export function errorInfo(err) {
  return err?.info ?? { code: 'internal', title: 'Unexpected error', message: String(err?.message ?? err) };
}
