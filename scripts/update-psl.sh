#!/usr/bin/env bash
# Refreshes the Public Suffix List bundled in host/src/data/, which site
# matching compiles in (nothing is downloaded at build or test time).
#
# Usage:
#   scripts/update-psl.sh                 # fetch https://publicsuffix.org/list/public_suffix_list.dat
#   scripts/update-psl.sh FILE [DATE]     # copy a local copy, e.g. Debian's package
#                                         # `publicsuffix` (/usr/share/publicsuffix/public_suffix_list.dat),
#                                         # DATE = the list's date (defaults to today, UTC)
#
# Then run the site tests (`cargo test -p factorcat site::`) and commit both
# files under host/src/data/.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=host/src/data/public_suffix_list.dat
stamp=host/src/data/public_suffix_list.version
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
if [ $# -ge 1 ]; then
  cp "$1" "$tmp"
  source_name="file $(basename "$1")"
  date_text=${2:-$(date -u +%Y-%m-%d)}
else
  curl -fsSL https://publicsuffix.org/list/public_suffix_list.dat -o "$tmp"
  source_name="https://publicsuffix.org/list/public_suffix_list.dat"
  date_text=$(date -u +%Y-%m-%d)
fi
# Sanity checks: a real list is large and has both sections.
grep -q '===BEGIN ICANN DOMAINS===' "$tmp"
grep -q '===BEGIN PRIVATE DOMAINS===' "$tmp"
[ "$(wc -l <"$tmp")" -gt 5000 ]
mv "$tmp" "$dest"
trap - EXIT
printf '%s\n' "$date_text" >"$stamp"
echo "updated $dest ($date_text, from $source_name)" >&2
