#!/usr/bin/env bash
# The long versions of FactorCat's load and fault suites, printing the
# figures docs/benchmarks.md and docs/security.md quote.
#
# Usage: scripts/stress.sh [all|load|concurrency|soak|faults]   (default: all)
#
#   concurrency  host/tests/suite/load.rs: native hosts and command-line
#                processes on one keyring vault at once
#   soak         host/tests/suite/load.rs: one host connection, many
#                requests, memory sampled
#   load         both of the above
#   faults       host/tests/suite/faults.rs, the whole suite, with the
#                SIGKILL test's count raised
#
# Sizes, from the environment (defaults in brackets):
#   FACTORCAT_STRESS_SECONDS=N        length of the concurrent run [300]
#   FACTORCAT_STRESS_WRITERS=N        host processes at once, and as many
#                                     command-line loops, so 2N processes
#                                     at any moment [3]
#   FACTORCAT_STRESS_SOAK_REQUESTS=N  requests on the one connection [1000000]
#   FACTORCAT_STRESS_KILLS=N          writers killed with SIGKILL [1000]
#   FACTORCAT_STRESS_SEED=N           seed of the operation mix [the clock]
#
# Everything runs in a private D-Bus session with an unlocked gnome-keyring
# and a throwaway HOME, as scripts/test.sh sets them up, so the person's own
# keyring is never touched. The tests run one at a time
# (--test-threads=1), so their figures do not compete with each other.
#
# Release build: the figures are about the binary people install (the
# release profile), and a million requests take about two minutes there
# instead of over half an hour in the dev profile, where a request costs the
# host ~1 ms against ~0.06 ms and a vault write ~170 ms against ~8 ms (the
# AEAD's generic code is compiled unoptimised into the crate). The default
# `cargo test` runs the short versions in the dev profile.
set -euo pipefail
cd "$(dirname "$0")/.."

suite=${1:-all}
case "$suite" in
  all | load | concurrency | soak | faults) ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac

. scripts/lib.sh
apt_install_missing gnome-keyring-daemon:gnome-keyring dbus-run-session:dbus cc:gcc \
  secret-tool:libsecret-tools keyctl:keyutils

export FACTORCAT_STRESS_SECONDS="${FACTORCAT_STRESS_SECONDS:-300}"
export FACTORCAT_STRESS_WRITERS="${FACTORCAT_STRESS_WRITERS:-3}"
export FACTORCAT_STRESS_SOAK_REQUESTS="${FACTORCAT_STRESS_SOAK_REQUESTS:-1000000}"
export FACTORCAT_STRESS_KILLS="${FACTORCAT_STRESS_KILLS:-1000}"

# Each run is a filter on the test paths of the one integration-test binary
# (host/tests/suite/): a module's path with `::` runs all of its tests.
runs=()
case "$suite" in
  all) runs=("load::" "faults::") ;;
  load) runs=("load::") ;;
  concurrency) runs=("load::hosts_and_command_lines_at_once_lose_nothing") ;;
  soak) runs=("load::one_connection_serves_many_requests_in_flat_memory") ;;
  faults) runs=("faults::") ;;
esac
for run in "${runs[@]}"; do
  file="host/tests/suite/${run%%::*}.rs"
  if [ ! -f "$file" ]; then
    echo "$file is missing in this checkout" >&2
    exit 1
  fi
done

echo "== building (release)" >&2
cargo test --release --locked -p factorcat --no-run --test suite

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
  "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)" >&2
echo "   seconds=$FACTORCAT_STRESS_SECONDS writers=$FACTORCAT_STRESS_WRITERS" \
  "soak_requests=$FACTORCAT_STRESS_SOAK_REQUESTS kills=$FACTORCAT_STRESS_KILLS" >&2

export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
test_home=$(mktemp -d)
trap 'rm -rf "$test_home"' EXIT
export FACTORCAT_TEST_HOME_ROOT="$test_home"
XDG_DATA_HOME="$test_home/.local/share" private_keyring_session "$test_home" bash -c '
    set -euo pipefail
    for filter in "$@"; do
      echo "== $filter" >&2
      started=$SECONDS
      cargo test --release --locked -p factorcat --test suite -- "$filter" \
        --nocapture --test-threads=1
      echo "== $filter took $((SECONDS - started)) s" >&2
    done
  ' bash "${runs[@]}"
