#!/usr/bin/env bash
# Whole-process comparison: `factorcat code` on a 1,000-token keyring vault
# against `oathtool --totp` for the same secret. Prints hyperfine's table.
# Needs: hyperfine, oathtool, gnome-keyring, dbus (Debian packages).
# Usage: scripts/bench-code.sh [TOKENS]
set -euo pipefail
cd "$(dirname "$0")/.."
tokens=${1:-1000}
. scripts/lib.sh
cargo build --release --locked -p factorcat --bin factorcat --example fill_vault
release=$(cargo_target_dir)/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
FACTORCAT_HOME="$work/vault" RELEASE="$release" private_keyring_session "$work" bash -c '
  "$RELEASE/examples/fill_vault" "$1"
  bin=$RELEASE/factorcat
  [ "$($bin code bench@example.com --time 59)" = "$(oathtool --totp -d 6 -N @59 3132333435363738393031323334353637383930)" ] \
    || { echo "codes differ" >&2; exit 1; }
  hyperfine -N --warmup 20 --runs 300 \
    "oathtool --totp -d 6 3132333435363738393031323334353637383930" \
    "$bin code bench@example.com" \
    "env FACTORCAT_NO_KEY_CACHE=1 $bin code bench@example.com"
' bash "$tokens"
