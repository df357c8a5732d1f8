#!/usr/bin/env bash
# Runs every FactorCat test on a Debian machine, installing what the tests
# need first. Usage: scripts/test.sh [extra cargo test arguments]
#
# The keyring tests talk to a real Secret Service: this script starts a
# private D-Bus session and an unlocked gnome-keyring-daemon inside it, with
# a throwaway HOME, so the person's own keyring is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib.sh
# The keyring crate builds its own libdbus (its `vendored` feature): a C
# compiler is all the build needs. capsh lets a test run dbus-daemon the way
# a container's root runs it.
apt_install_missing gnome-keyring-daemon:gnome-keyring dbus-run-session:dbus oathtool:oathtool \
  secret-tool:libsecret-tools keyctl:keyutils cc:gcc capsh:libcap2-bin

# The Rust toolchain is not an apt package here (Debian's is older than the
# crate's rust-version): it must be on PATH already.
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install a Rust toolchain of version 1.89 or newer with rustfmt and clippy (rustup, https://rustup.rs), then run this again" >&2
  exit 1
fi

# oathtool was installed above, so the code cross-check must not skip.
export FACTORCAT_REQUIRE_OATHTOOL=1

echo "== format and lint" >&2
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests (private D-Bus session with an unlocked Secret Service)" >&2
# The tests get a throwaway HOME; keep the toolchain where it is.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
test_home=$(mktemp -d)
trap 'rm -rf "$test_home"' EXIT
export FACTORCAT_TEST_HOME_ROOT="$test_home"
XDG_DATA_HOME="$test_home/.local/share" private_keyring_session "$test_home" \
  cargo test --workspace --locked "$@"

echo "== browser extension: unit tests, then end to end in Chromium and Firefox ESR" >&2
scripts/test-extension.sh

echo "== packages: scripts/package.sh's three artefacts; the .deb installed, reached by real browsers, removed and purged" >&2
scripts/test-package.sh
