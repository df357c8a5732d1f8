#!/usr/bin/env bash
# Builds the release artefacts (scripts/package.sh), then tries the .deb on
# this machine as a person would: installs it with apt, checks `factorcat
# doctor --system`, lets headless Chromium and Firefox ESR with the unpacked
# extension reach the packaged host through its machine-wide manifests only
# (tests/e2e/packaged.test.js), removes the package and checks the manifests
# are gone, purges it and checks that nothing it installed is left.
#
# Installing needs root or passwordless sudo (CI runs as root); without
# either, only the artefacts are built and the rest is skipped, saying so.
# On a machine where a factorcat package is installed already, the install
# part is skipped too (it would remove that package), except in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh

built=$(scripts/package.sh)
echo "$built"
artefact() { awk -v pat="$1" '$1 ~ pat { print $1 }' <<<"$built"; }
deb=$(artefact '\.deb$')
for f in "$(artefact 'chromium\.zip$')" "$(artefact 'firefox\.xpi$')" "$deb"; do
  [ -s "$f" ] || { echo "error: scripts/package.sh did not build all three artefacts" >&2; exit 1; }
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then
    sudo_cmd=(sudo -n)
  else
    echo "SKIPPED: installing the .deb needs root or passwordless sudo (CI runs as root); the artefacts were built and nothing was installed" >&2
    exit 0
  fi
fi
# One package test at a time on a machine (they install and remove the same
# package).
exec 9>/run/lock/factorcat-package-test.lock
flock 9

apt_quiet() {
  DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes "${sudo_cmd[@]}" apt-get "$@" -y -qq -o=Dpkg::Use-Pty=0 \
    -o DPkg::Lock::Timeout=300 >/dev/null
}
if dpkg -s factorcat >/dev/null 2>&1; then
  if [ "${CI:-}" != true ]; then
    echo "SKIPPED: a factorcat package is installed on this machine already, and this test would remove it; purge it first (apt-get purge factorcat) to run the install test" >&2
    exit 0
  fi
  echo "a factorcat package is installed already (left by an earlier run?); purging it first" >&2
  apt_quiet purge factorcat
fi

apt_install_missing chromium:chromium firefox-esr:firefox-esr dbus-run-session:dbus \
  gnome-keyring-daemon:gnome-keyring

# Whatever happens below, the package does not stay installed.
purge_if_installed() { if dpkg -s factorcat >/dev/null 2>&1; then apt_quiet purge factorcat; fi; }
trap purge_if_installed EXIT

# Everything the package holds that is not on the machine yet must be gone
# again after the purge.
new_paths=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./|/|; s|/$||' | while read -r p; do
  if [ -n "$p" ] && [ ! -e "$p" ]; then echo "$p"; fi
done)

# And the directories near where browsers look, to tell afterwards which
# ones the package made.
dirs_before=$(mktemp)
trap 'rm -f "$dirs_before"; purge_if_installed' EXIT
find /etc /usr/lib /usr/lib64 -maxdepth 4 -type d 2>/dev/null | LC_ALL=C sort >"$dirs_before"

echo "== install $deb" >&2
apt_quiet install --no-install-recommends "$(realpath "$deb")"
# The packaged binary by its path: a factorcat elsewhere on PATH (e.g. from
# cargo install) is not what is tested here.
fc=/usr/bin/factorcat
[ -x "$fc" ] || { echo "error: $fc is missing after installing the package" >&2; exit 1; }
# The manual pages (the exit codes among them) and the completion files.
man_page=/usr/share/man/man1/factorcat.1.gz
zcat "$man_page" | grep -qx '.SH "EXIT STATUS"' ||
  { echo "error: $man_page is missing or has no EXIT STATUS section" >&2; exit 1; }
for f in /usr/share/man/man1/factorcat-code.1.gz /usr/share/bash-completion/completions/factorcat \
  /usr/share/fish/vendor_completions.d/factorcat.fish; do
  [ -s "$f" ] || { echo "error: the package did not install $f" >&2; exit 1; }
done
grep -q 'COMPLETE="bash"' /usr/share/bash-completion/completions/factorcat ||
  { echo "error: the bash completion file does not ask factorcat for candidates" >&2; exit 1; }
# FactorCat's manifests now on the machine, as `factorcat uninstall` sees
# them, and the directories the package made for them.
manifests=$("$fc" uninstall --system --browser chromium --browser chrome --browser firefox --dry-run |
  sed -n 's|^would remove  *\(/.*\)$|\1|p')
[ -n "$manifests" ] || { echo "error: the package set up no host manifest" >&2; exit 1; }
made_dirs=$(cat /var/lib/factorcat/made-directories 2>/dev/null || true)
echo "$manifests" | sed 's/^/  manifest: /' >&2

echo "== doctor --system, then a real Chromium and Firefox reach the packaged host" >&2
test_home=$(mktemp -d)
trap 'rm -rf "$test_home" "$dirs_before"; purge_if_installed' EXIT
FACTORCAT_HOME="$test_home/vault" FC="$fc" private_keyring_session "$test_home" bash -c '
    set -e
    "$FC" init >/dev/null
    # Every browser found here and every place holding a manifest; then the
    # three the package serves by name (Chrome need not be installed).
    "$FC" doctor --system
    "$FC" doctor --system --browser chromium --browser chrome --browser firefox >/dev/null
    FACTORCAT_BIN="$FC" exec node --test --test-timeout=180000 tests/e2e/packaged.test.js
  '

echo "== a binary another user could replace: doctor --system reports it, install --system refuses it" >&2
# The packaged binary given to the unprivileged user id 65534 for a moment.
"${sudo_cmd[@]}" chown 65534 "$fc"
report=$("$fc" doctor --system --browser chromium 2>&1) && status=0 || status=$?
"${sudo_cmd[@]}" chown 0 "$fc"
if [ "$status" -eq 0 ] || ! grep -q "which someone other than root could replace: $fc is owned by user id 65534" <<<"$report"; then
  echo "error: doctor --system did not report a user-owned $fc:" >&2; echo "$report" >&2; exit 1
fi
# A copy in a directory of that user: refused, and the manifests stay as they are.
user_dir=$(mktemp -d)
trap 'rm -rf "$test_home" "$dirs_before" "$user_dir"; purge_if_installed' EXIT
cp "$fc" "$user_dir/factorcat"
chmod 755 "$user_dir" && "${sudo_cmd[@]}" chown -R 65534 "$user_dir"
before=$(cat $manifests | sha256sum)
refusal=$("${sudo_cmd[@]}" "$user_dir/factorcat" install --system --browser chromium --browser firefox 2>&1) &&
  { echo "error: install --system accepted a binary in $user_dir, which another user owns" >&2; exit 1; }
grep -q "refusing to register $user_dir/factorcat for every user" <<<"$refusal" ||
  { echo "error: unexpected refusal: $refusal" >&2; exit 1; }
[ "$(cat $manifests | sha256sum)" = "$before" ] ||
  { echo "error: the refused install changed the manifests" >&2; exit 1; }

echo "== remove, then purge: nothing the package installed is left" >&2
leftovers() {
  local f
  for f in $new_paths $manifests $made_dirs /var/lib/factorcat; do
    if [ -e "$f" ]; then echo "$f"; fi
  done
  # A directory above a manifest that was not there before the install.
  for f in $manifests; do
    d=$(dirname "$f")
    while [ "$d" != / ] && [ "$d" != /usr ]; do
      if [ -d "$d" ] && ! grep -qxF "$d" "$dirs_before"; then echo "$d"; fi
      d=$(dirname "$d")
    done
  done
  find /etc /usr/lib /usr/lib64 -name com.factorcat.host.json 2>/dev/null || true
}
apt_quiet remove factorcat
left=$(leftovers)
[ -z "$left" ] || { echo "error: left after apt-get remove:" >&2; echo "$left" >&2; exit 1; }
apt_quiet purge factorcat
left=$(leftovers; if dpkg -s factorcat >/dev/null 2>&1; then echo "the package itself"; fi)
[ -z "$left" ] || { echo "error: left after apt-get purge:" >&2; echo "$left" >&2; exit 1; }
echo "package test: installed, doctor clean, Chromium and Firefox served, removed and purged without leftovers" >&2
