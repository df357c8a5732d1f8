// Words for what an import or a QR scan found. Pure functions (no DOM, no
// browser API), so the unit tests load them in node.

// Requests to the host are at most 1 MiB and a file travels in base64 (4
// characters for 3 bytes): larger files go through the command line.
export const MAX_IMPORT_BYTES = 700 * 1024;
export const CLI_IMPORT = 'factorcat import FILE';

export function tooLargeToImport(size) {
  return !(size >= 0 && size <= MAX_IMPORT_BYTES);
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

// What to call a file of `format`: the label the host gave for it
// (`formats`: hello's import formats, [{name, label}]).
export function formatName(format, formats = []) {
  return formats.find((f) => f.name === format)?.label ?? (format ? `${format} file` : 'File');
}

// One line for a token read from a file or a QR code.
export function tokenLine(t) {
  const who = [t.issuer, t.account].filter(Boolean).join(' — ') || t.label || 'Unnamed token';
  const kind = t.kind && t.kind !== 'totp' ? ` (${t.kind.toUpperCase()})` : '';
  return `${who}${kind}${t.duplicate ? ': already in FactorCat' : ''}`;
}

// One line for an entry that could not be read.
export function failureLine(f, what = 'Entry') {
  const at = f.position != null ? `${what} ${f.position}` : what;
  return `${at}${f.label ? ` (${f.label})` : ''}: ${f.reason || 'cannot be read'}`;
}

// The summary of an import reply (dry run or not).
export function importSummary(r, formats = []) {
  const parts = [];
  parts.push(r.dryRun ? `${plural(r.imported, 'new token')} to import` : `Imported ${plural(r.imported, 'token')}`);
  if (r.duplicates) parts.push(`${plural(r.duplicates, 'token')} already in FactorCat ${r.dryRun ? 'will be' : 'were'} skipped`);
  const bad = (r.failed?.length ?? 0) + (r.failedOmitted ?? 0);
  if (bad) parts.push(`${plural(bad, 'entry', 'entries')} cannot be read${r.dryRun ? ' and will be left out' : ' and were left out'}`);
  return `${formatName(r.format, formats)}: ${parts.join('; ')}.`;
}

// The label of the confirm button after a dry run.
export function confirmLabel(r) {
  const bad = (r.failed?.length ?? 0) + (r.failedOmitted ?? 0);
  return `Import ${plural(r.imported, 'token')}${bad ? `, skip ${plural(bad, 'bad entry', 'bad entries')}` : ''}`;
}

// The summary of a QR scan (before or after adding).
export function scanSummary(r) {
  const fresh = r.tokens.filter((t) => !t.duplicate).length;
  if (r.added) return `Added ${plural(r.added, 'token')}.`;
  if (!r.tokens.length) return 'The QR codes on this page hold no token that can be read.';
  if (!fresh) return `Already in FactorCat: ${plural(r.tokens.length, 'token')}.`;
  return `Found ${plural(fresh, 'new token')}${r.duplicates ? ` (${r.duplicates} already in FactorCat)` : ''}.`;
}
