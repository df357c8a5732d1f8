#!/usr/bin/env bash
# Runs the host's coverage-guided fuzz targets (host/fuzz, cargo-fuzz with
# libFuzzer), one after the other with one worker each, and prints a table of
# executions, corpus size and crashes per target. See docs/fuzzing.md.
#
#   scripts/fuzz.sh                  # every target, 60 s each
#   scripts/fuzz.sh 600              # every target, 10 minutes each
#   scripts/fuzz.sh 300 otpauth request
#
# New inputs that reach new code are added to host/fuzz/corpus/<target>/;
# crashing inputs are saved in host/fuzz/artifacts/<target>/ and make the
# script exit with status 1 after the table. Logs go to
# host/fuzz/target/runs/<time>/<target>.log.
#
# Environment: FUZZ_MAX_LEN (largest input tried, default 65536),
# FUZZ_TIMEOUT (seconds before one input counts as a hang, default 30),
# FUZZ_ARGS (more libFuzzer flags), FUZZ_CMIN=1 (minimise each corpus after
# its run, by edge coverage, as the committed corpora are).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz="$root/host/fuzz"

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [seconds-per-target] [target...]" >&2
  exit 2
fi
shift || true

if ! cargo +nightly --version >/dev/null 2>&1; then
  cat >&2 <<'EOF'
fuzz.sh: no nightly Rust toolchain. libFuzzer needs nightly-only compiler
flags (sanitizer coverage). Install one with:

    rustup toolchain install nightly

then run this script again. The stable test run replays the committed
corpora without it: cargo test -p factorcat --test suite fuzz_corpus::
EOF
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz (cargo install --locked cargo-fuzz)" >&2
  cargo install --locked cargo-fuzz
fi

cd "$fuzz"
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
logs="$fuzz/target/runs/$stamp"
mkdir -p "$logs"

echo "fuzz.sh: building the fuzz targets" >&2
cargo +nightly fuzz build

count_files() { find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l; }

rows=()
failed=0
for target in "${targets[@]}"; do
  corpus="$fuzz/corpus/$target"
  artifacts="$fuzz/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  before_corpus="$(count_files "$corpus")"
  before_crashes="$(count_files "$artifacts")"
  log="$logs/$target.log"
  echo "fuzz.sh: $target for ${seconds} s (log: $log)" >&2
  start="$(date +%s)"
  status=0
  # -close_fd_mask=2 silences the code's own stderr (the native host logs
  # every refused request); libFuzzer keeps its own output.
  # shellcheck disable=SC2086
  cargo +nightly fuzz run "$target" "$corpus" -- \
    -max_total_time="$seconds" -print_final_stats=1 -close_fd_mask=2 \
    -max_len="${FUZZ_MAX_LEN:-65536}" -timeout="${FUZZ_TIMEOUT:-30}" \
    -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} >"$log" 2>&1 || status=$?
  took=$(($(date +%s) - start))
  if [ "${FUZZ_CMIN:-0}" = 1 ] && [ "$status" -eq 0 ]; then
    cargo +nightly fuzz cmin "$target" "$corpus" -- -close_fd_mask=2 \
      -max_len="${FUZZ_MAX_LEN:-65536}" -timeout="${FUZZ_TIMEOUT:-30}" \
      -use_counters=0 >>"$log" 2>&1
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  crashes=$(($(count_files "$artifacts") - before_crashes))
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    crashes="?"
  fi
  if [ "$status" -ne 0 ]; then
    failed=1
  fi
  rows+=("$(printf '%-22s %12s %8s %8s %8s %6ss' "$target" "${execs:-?}" \
    "$before_corpus" "$(count_files "$corpus")" "$crashes" "$took")")
done

echo
echo "fuzz run $stamp, ${seconds} s per target, 1 worker, $(nproc) CPU(s)"
printf '%-22s %12s %8s %8s %8s %7s\n' target executions seeds corpus crashes time
for row in "${rows[@]}"; do
  echo "$row"
done
if [ "$failed" -ne 0 ]; then
  echo
  echo "Some target stopped early. Crashing inputs are in host/fuzz/artifacts/<target>/;"
  echo "see each log in $logs, and docs/fuzzing.md for turning a crash into a regression."
  exit 1
fi
