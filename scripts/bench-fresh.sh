#!/usr/bin/env bash
# What a fresh code costs next to a plain one, side by side in one run:
# `factorcat code fresh@example.com` and `factorcat code fresh@example.com
# --fresh --no-wait` in interleaved pairs (host/examples/bench_pairs.rs:
# medians, their ratio, peak RSS of the fresh call). A fresh code that does
# not have to wait records its time step in the vault (lock, re-read, write,
# fsync of the file and the directory, previous generation kept) before it
# is printed; before each fresh run the vault is restored and the restored
# file accepted with `factorcat accept-older` (untimed, as the rollback
# guard refuses an older file otherwise), so the step is free again. The token has a one-day period, so no run falls in
# the last 5 s of a step (where a fresh code would wait, and --no-wait
# fail). Release build, a vault of TOKENS AWS tokens (default 1,000) plus
# that one, in the keyring set-up of a private D-Bus session, master key in
# the kernel key cache (warmed before timing).
# Needs: oathtool, gnome-keyring, dbus (Debian packages).
# Usage: scripts/bench-fresh.sh [RUNS [TOKENS]]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
tokens=${2:-1000}
. scripts/lib.sh
apt_install_missing oathtool:oathtool gnome-keyring-daemon:gnome-keyring dbus-run-session:dbus
# Built as the Debian package's binary is (a static PIE on x86-64 Linux
# with glibc; scripts/lib.sh, build_bench_release).
build_bench_release
release=$RELEASE
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
FACTORCAT_HOME="$work/vault" WORK="$work" RELEASE="$release" RUNS="$runs" \
  private_keyring_session "$work" bash -c '
  set -euo pipefail
  "$RELEASE/examples/fill_vault" "$1" aws >/dev/null 2>&1
  # Measured as installed: a copy (see scripts/bench-vault.sh).
  bin=$WORK/factorcat
  install -m 755 "$RELEASE/factorcat" "$bin"
  # RFC 6238'"'"'s SHA-1 key, read from standard input, never an argument.
  printf "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n" |
    "$bin" add --issuer Fresh --account fresh@example.com --secret - --period 86400 >/dev/null
  key=3132333435363738393031323334353637383930
  [ "$($bin code fresh@example.com --time 86459)" = "$(oathtool --totp -s 86400s -d 6 -N @86459 $key)" ] \
    || { echo "codes differ" >&2; exit 1; }
  "$bin" code fresh@example.com >/dev/null  # the key is in the kernel cache from here on
  cp "$FACTORCAT_HOME/factorcat.vault" "$WORK/pristine.vault"
  "$bin" code fresh@example.com --fresh --no-wait >/dev/null \
    || { echo "the first fresh code failed" >&2; exit 1; }
  if "$bin" code fresh@example.com --fresh --no-wait >/dev/null 2>&1; then
    echo "a second fresh code was handed out for the same step" >&2; exit 1
  fi
  echo "vault: $(stat -c %s "$WORK/pristine.vault") bytes, $(($1 + 1)) tokens; $(nproc) CPUs, load $(cut -d" " -f1-3 /proc/loadavg); $(findmnt -no FSTYPE -T "$FACTORCAT_HOME") under the vault"
  reset=$WORK/reset.sh
  printf "#!/bin/sh\nset -e\ncp %s %s\nmv %s %s\nexec %s accept-older >/dev/null\n" \
    "$WORK/pristine.vault" "$FACTORCAT_HOME/bench-restore" "$FACTORCAT_HOME/bench-restore" \
    "$FACTORCAT_HOME/factorcat.vault" "$bin" >"$reset"
  chmod +x "$reset"
  printf "what\tplain_ms\tfresh_ms\tratio\tfresh_peak_rss_kib\tplain_cpu_ms\tfresh_cpu_ms\tcpu_ratio\n"
  BENCH_PAIRS_RESET=$reset "$RELEASE/examples/bench_pairs" fresh "$RUNS" \
    "$bin code fresh@example.com" "$bin code fresh@example.com --fresh --no-wait"
' bash "$tokens"
