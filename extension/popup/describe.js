// Words for what an import or a QR scan found, and for AWS's clock. Pure
// functions (no DOM, no browser API), so the unit tests load them in node.

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

// An offset in seconds in words: "2 min 5 s".
function duration(secs) {
  const s = Math.abs(secs);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h) return `${h} h ${m} min`;
  return [m && `${m} min`, s % 60 && `${s % 60} s`].filter(Boolean).join(' ') || '0 s';
}

// What the host makes of AWS's clock, per partition: the offset its AWS
// codes follow, or one too large to follow. Either way the clock is wrong.
export function clockNotes(clock) {
  return (clock ?? []).map((c) => {
    const way = `${duration(c.offset)} ${c.offset < 0 ? 'behind' : 'ahead of'}`;
    const tail = c.standing === 'absurd'
      ? 'FactorCat does not correct more than 10 minutes, so AWS rejects its codes.'
      : 'FactorCat\'s AWS codes follow AWS\'s time.';
    return `AWS's clock (${c.partition}) is ${way} this computer's. ${tail} Set this computer's clock.`;
  });
}
