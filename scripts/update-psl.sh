#!/usr/bin/env bash
# Refreshes the Public Suffix List bundled in host/src/data/, which site
# matching compiles in (nothing is downloaded at build or test time), and
# records its date in host/src/data/public_suffix_list.version (`factorcat
# doctor` says when the bundled list is more than a year old).
#
# Usage:
#   scripts/update-psl.sh                 # the newest list of the PyPI package `publicsuffixlist`,
#                                         # which ships the list and is released again as it changes
#                                         # (needs python3 with pip)
#   scripts/update-psl.sh FILE [DATE]     # a local copy: the list from https://publicsuffix.org/list/,
#                                         # or Debian's package `publicsuffix`
#                                         # (/usr/share/publicsuffix/public_suffix_list.dat)
#
# The date recorded is the one in the list's own `// VERSION:` line; DATE
# (YYYY-MM-DD) is needed only for a copy without one.
#
# Then run the site tests (`cargo test -p factorcat --lib site::`) and commit
# both files under host/src/data/.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=host/src/data/public_suffix_list.dat
stamp=host/src/data/public_suffix_list.version
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
list=$work/public_suffix_list.dat
if [ $# -ge 1 ]; then
  cp "$1" "$list"
  source_name="file $1"
else
  python3 -m pip download --quiet --no-deps --only-binary :all: --dest "$work" publicsuffixlist
  wheel=$(ls "$work"/publicsuffixlist-*.whl)
  python3 - "$wheel" "$list" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    with open(sys.argv[2], "wb") as out:
        out.write(wheel.read("publicsuffixlist/public_suffix_list.dat"))
EOF
  source_name="the PyPI package $(basename "$wheel" | cut -d- -f1-2)"
fi
# Sanity checks: a real list is large and has both sections.
grep -q '===BEGIN ICANN DOMAINS===' "$list"
grep -q '===BEGIN PRIVATE DOMAINS===' "$list"
[ "$(wc -l <"$list")" -gt 5000 ]
date_text=$(sed -n 's|^// VERSION: \([0-9]\{4\}-[0-9]\{2\}-[0-9]\{2\}\)_.*|\1|p' "$list" | head -n 1)
if [ -z "$date_text" ]; then
  date_text=${2:-}
  if [ -z "$date_text" ]; then
    echo "error: the list has no '// VERSION:' line; give its date: $0 FILE YYYY-MM-DD" >&2
    exit 1
  fi
fi
[[ $date_text =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || { echo "error: '$date_text' is not a YYYY-MM-DD date" >&2; exit 1; }
mv "$list" "$dest"
printf '%s\n' "$date_text" >"$stamp"
echo "updated $dest (the list of $date_text, from $source_name)" >&2
