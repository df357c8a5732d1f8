#!/usr/bin/env bash
# The vault's whole-process benchmarks, side by side with `oathtool --totp`
# in one run: each comparison runs the two commands in interleaved pairs
# (host/examples/bench_pairs.rs) and reports the medians, their ratio and
# the FactorCat process's peak resident memory. Release build, a vault of
# TOKENS AWS tokens (default 1,000) in the keyring set-up of a private D-Bus
# session, master key in the kernel key cache (warmed before timing).
#   version     factorcat --version (process start-up alone)
#   code        factorcat code bench@example.com
#   roundtrip   the host started as Chromium starts it: hello, match on an
#               AWS sign-in page, end of input, exit
#   fill        the host started likewise: code for_fill (writes the vault's
#               fill record; the vault is restored before each run, untimed)
# Needs: oathtool, gnome-keyring, dbus, python3 (Debian packages).
# Usage: scripts/bench-vault.sh [RUNS [TOKENS]]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
tokens=${2:-1000}
. scripts/lib.sh
apt_install_missing oathtool:oathtool gnome-keyring-daemon:gnome-keyring dbus-run-session:dbus python3:python3
cargo build --release --locked -p factorcat --bin factorcat --example fill_vault --example bench_pairs
release=$(cargo_target_dir)/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The development build's id, from the host's list of allowed extensions.
id=$(awk '$1 == "chromium" && $3 == "development" { print $2 }' host/src/data/extension-ids.txt)
FACTORCAT_HOME="$work/vault" WORK="$work" ORIGIN="chrome-extension://$id/" RELEASE="$release" \
  RUNS="$runs" private_keyring_session "$work" bash -c '
  set -euo pipefail
  bench_id=$("$RELEASE/examples/fill_vault" "$1" aws 2>/dev/null)
  bin=$RELEASE/factorcat
  key=3132333435363738393031323334353637383930
  [ "$($bin code bench@example.com --time 59)" = "$(oathtool --totp -d 6 -N @59 $key)" ] \
    || { echo "codes differ" >&2; exit 1; }
  python3 - "$WORK" "$bench_id" <<"PY"
import json, struct, sys
work, bench = sys.argv[1], sys.argv[2]
def frames(name, *messages):
    with open(f"{work}/{name}", "wb") as out:
        for msg in messages:
            body = json.dumps(msg).encode()
            out.write(struct.pack("=I", len(body)) + body)
frames("roundtrip", {"id": 1, "type": "hello"},
       {"id": 2, "type": "match", "url": "https://100000000007.signin.aws.amazon.com/oauth",
        "hint": {"user": "user7"}})
frames("fill", {"id": 1, "type": "code", "token": bench, "for_fill": True})
PY
  for what in roundtrip fill; do
    answers=$($bin "$ORIGIN" <"$WORK/$what" | tail -c +5 | tr -d "\0" | grep -o "\"ok\":true" | wc -l)
    [ "$answers" -ge 1 ] || { echo "the host did not answer the $what requests" >&2; exit 1; }
  done
  "$bin" code bench@example.com >/dev/null  # the key is in the kernel cache from here on
  cp "$FACTORCAT_HOME/factorcat.vault" "$WORK/pristine.vault"
  echo "vault: $(stat -c %s "$FACTORCAT_HOME/factorcat.vault") bytes, $1 tokens; $(nproc) CPUs, load $(cut -d" " -f1-3 /proc/loadavg)"
  printf "what\toathtool_ms\tfactorcat_ms\tratio\tfactorcat_peak_rss_kib\n"
  oath="oathtool --totp -d 6 $key"
  pairs=$RELEASE/examples/bench_pairs
  $pairs version "$RUNS" "$oath" "$bin --version"
  $pairs code "$RUNS" "$oath" "$bin code bench@example.com"
  $pairs roundtrip "$RUNS" "$oath" "$bin $ORIGIN" "$WORK/roundtrip"
  $pairs fill "$RUNS" "$oath" "$bin $ORIGIN" "$WORK/fill" "$WORK/pristine.vault"
' bash "$tokens"
