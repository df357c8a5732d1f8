#!/usr/bin/env bash
# Runs the WebExtension's tests: unit tests (node --test, jsdom), then the
# end-to-end tests in Chromium and Firefox ESR against the real `factorcat`
# host and a throw-away vault; in between, Mozilla's linter on the Firefox
# build. Installs what it needs when missing (apt: chromium, firefox-esr,
# zip, unzip; npm ci). Usage:
#   scripts/test-extension.sh            # unit + e2e in both browsers
#   scripts/test-extension.sh unit       # unit tests only
#   FACTORCAT_E2E_BROWSERS=chromium scripts/test-extension.sh
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
browsers=${FACTORCAT_E2E_BROWSERS:-chromium firefox}

. scripts/lib.sh
if [ "$what" != unit ]; then
  apt_install_missing chromium:chromium firefox-esr:firefox-esr dbus-run-session:dbus \
    gnome-keyring-daemon:gnome-keyring
fi

# Node.js and npm come with the build machines; install Debian's where they
# do not.
apt_install_missing node:nodejs npm:npm zip:zip unzip:unzip

# node_modules is (re)installed whenever package-lock.json changed.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.factorcat-lock 2>/dev/null)" != "$lock_sum" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.factorcat-lock
fi

echo "== extension unit tests" >&2
node --test tests/unit/*.test.js

# Mozilla's linter (what addons.mozilla.org runs on an upload) on the .xpi
# that scripts/package.sh builds: no errors and no warnings.
echo "== web-ext lint of the Firefox build" >&2
lint_dir=$(mktemp -d)
trap 'rm -rf "$lint_dir"' EXIT
DIST_DIR="$lint_dir" scripts/package.sh extension >/dev/null
mkdir "$lint_dir/xpi"
(cd "$lint_dir/xpi" && unzip -q ../factorcat-*-firefox.xpi)
NO_UPDATE_NOTIFIER=1 npx --no-install web-ext lint --source-dir "$lint_dir/xpi" --warnings-as-errors --boring
rm -rf "$lint_dir"
trap - EXIT

[ "$what" = unit ] && exit 0

echo "== build the host" >&2
cargo build -p factorcat --locked --quiet
# Wherever cargo puts its output (CARGO_TARGET_DIR, build.target-dir in a
# cargo config), not only ./target.
target_dir=$(cargo_target_dir)
export FACTORCAT_BIN="$target_dir/debug/factorcat"
require_binary "$FACTORCAT_BIN"
# The end-to-end tests drive the real host; if the built binary does not
# answer a native-messaging `hello`, that is a failure, not a reason to test
# against something else.
if ! node tests/e2e/support/probe-host.mjs "$FACTORCAT_BIN"; then
  echo "error: $FACTORCAT_BIN does not answer as a native-messaging host" >&2
  exit 1
fi

files=()
for b in $browsers; do files+=("tests/e2e/$b.test.js"); done

echo "== extension end-to-end tests: $browsers" >&2
# Inside this private D-Bus session with an unlocked Secret Service the test
# vault keeps its key in that keyring (tests/e2e/support/env.js; passphrase-only
# outside one), and never touches the person's own.
test_home=$(mktemp -d)
trap 'rm -rf "$test_home"' EXIT
# The timeout also bounds each file as a whole (node runs a file as one
# test): the clipboard scenarios alone wait 30 s per browser.
private_keyring_session "$test_home" \
  node --test --test-concurrency=1 --test-timeout=600000 "${files[@]}"
