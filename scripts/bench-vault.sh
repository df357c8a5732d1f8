#!/usr/bin/env bash
# The vault's whole-process benchmarks, side by side with `oathtool --totp`
# in one run: each comparison runs the two commands in interleaved pairs
# (host/examples/bench_pairs.rs) and reports the medians of wall and CPU
# time, their ratios and the FactorCat process's peak resident memory. Release build, a vault of
# TOKENS AWS tokens (default 1,000) in the keyring set-up of a private D-Bus
# session, master key in the kernel key cache (warmed before timing); the
# binary measured is a copy of the build, as installed.
#   version     factorcat --version (process start-up alone)
#   code        factorcat code bench@example.com
#   roundtrip   the host started as Chromium starts it: hello, match on an
#               AWS sign-in page, end of input, exit
#   fill        the host started likewise: code for_fill (records the time
#               step handed out in the ledger beside the vault; a build
#               before the ledger writes the vault file), each run for
#               another token of the vault (a step once filled is not handed
#               out again, and an older copy of the files put back would be
#               refused by the rollback guard), so TOKENS must exceed
#               RUNS + 10 warm-up runs
# With FACTORCAT_BENCH_BASELINE="FACTORCAT FILL_VAULT" (another build's
# factorcat and fill_vault example, e.g. of the previous format version),
# the same rows are measured for it too, in the same session, each set right
# after the other, on a vault of its own making.
# Needs: oathtool, gnome-keyring, dbus, python3 (Debian packages).
# Usage: scripts/bench-vault.sh [RUNS [TOKENS]]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
tokens=${2:-1000}
. scripts/lib.sh
apt_install_missing oathtool:oathtool gnome-keyring-daemon:gnome-keyring dbus-run-session:dbus python3:python3
# Built as the Debian package's binary is (a static PIE on x86-64 Linux
# with glibc; scripts/lib.sh, build_bench_release).
build_bench_release
release=$RELEASE
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The development build's id, from the host's list of allowed extensions.
id=$(awk '$1 == "chromium" && $3 == "development" { print $2 }' host/src/data/extension-ids.txt)
WORK="$work" ORIGIN="chrome-extension://$id/" RELEASE="$release" RUNS="$runs" \
  BASELINE="${FACTORCAT_BENCH_BASELINE:-}" private_keyring_session "$work" bash -c '
  set -euo pipefail
  key=3132333435363738393031323334353637383930
  oath="oathtool --totp -d 6 $key"
  pairs=$RELEASE/examples/bench_pairs
  # measure LABEL FACTORCAT FILL_VAULT TOKENS
  measure() {
    local label=$1 fill=$3 dir=$WORK/$1
    local bin=$dir/factorcat
    mkdir -p "$dir"
    # The binary is measured as installed: a copy, as the package manager
    # writes it. The file the linker wrote, byte for byte the same, starts
    # markedly slower on Linux (docs/benchmarks.md, "The binary measured").
    install -m 755 "$2" "$bin"
    export FACTORCAT_HOME=$dir/vault
    local bench_id
    bench_id=$("$fill" "$4" aws 2>/dev/null)
    [ "$($bin code bench@example.com --time 59)" = "$(oathtool --totp -d 6 -N @59 $key)" ] \
      || { echo "$label: codes differ" >&2; exit 1; }
    "$bin" list --json >"$dir/tokens.json"
    python3 - "$dir" "$bench_id" "$RUNS" <<"PY"
import json, os, struct, sys
work, bench, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def frames(name, *messages):
    with open(f"{work}/{name}", "wb") as out:
        for msg in messages:
            body = json.dumps(msg).encode()
            out.write(struct.pack("=I", len(body)) + body)
frames("roundtrip", {"id": 1, "type": "hello"},
       {"id": 2, "type": "match", "url": "https://100000000007.signin.aws.amazon.com/oauth",
        "hint": {"user": "user7"}})
frames("fill-check", {"id": 1, "type": "code", "token": bench, "for_fill": True})
# One fill per timed or warm-up run, each of another token (never the bench
# token, filled by the check above).
others = [t["id"] for t in json.load(open(f"{work}/tokens.json")) if t["id"] != bench]
need = runs + 10
if len(others) < need:
    sys.exit(f"{len(others) + 1} tokens are too few for {runs} fill runs: give at least {need + 1}")
os.mkdir(f"{work}/fill")
for i, token in enumerate(others[:need]):
    frames(f"fill/{i}", {"id": 1, "type": "code", "token": token, "for_fill": True})
PY
    local what answers
    for what in roundtrip fill-check; do
      answers=$($bin "$ORIGIN" <"$dir/$what" | tail -c +5 | tr -d "\0" | grep -o "\"ok\":true" | wc -l)
      [ "$answers" -ge 1 ] || { echo "$label: the host did not answer the $what requests" >&2; exit 1; }
    done
    "$bin" code bench@example.com >/dev/null  # the key is in the kernel cache from here on
    echo "# $label: vault $(stat -c %s "$FACTORCAT_HOME/factorcat.vault") bytes, $4 tokens; $(nproc) CPUs, load $(cut -d" " -f1-3 /proc/loadavg)"
    printf "what\toathtool_ms\tfactorcat_ms\tratio\tfactorcat_peak_rss_kib\toathtool_cpu_ms\tfactorcat_cpu_ms\tcpu_ratio\n"
    $pairs version "$RUNS" "$oath" "$bin --version"
    $pairs code "$RUNS" "$oath" "$bin code bench@example.com"
    $pairs roundtrip "$RUNS" "$oath" "$bin $ORIGIN" "$dir/roundtrip"
    local before
    before=$(writes)
    $pairs fill "$RUNS" "$oath" "$bin $ORIGIN" "$dir/fill"
    # Every fill run, warm-up included, recorded its step with one write (of
    # the ledger, or of the vault file): none was refused (a vault without a
    # generation, of a build before it, is not checked).
    [ "$before" -lt 0 ] || [ "$(writes)" -eq $((before + RUNS + 10)) ] \
      || { echo "$label fill: $(($(writes) - before)) of $((RUNS + 10)) runs recorded a step" >&2; exit 1; }
  }
  # How many writes made the vault file and its ledger: the vault header'"'"'s
  # generation plus the ledger'"'"'s sequence number (each header is its file'"'"'s
  # second line; a version-2 ledger keeps the number in its slots; no ledger
  # counts 0); -1 without a generation.
  writes() {
    python3 - "$FACTORCAT_HOME" <<"PY"
import json, os, sys
def read(name):
    try:
        with open(os.path.join(sys.argv[1], name), "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""
def header(data):
    lines = data.split(b"\n", 2)
    return json.loads(lines[1]) if len(lines) > 2 else {}
generation = header(read("factorcat.vault")).get("generation")
ledger = read("factorcat.ledger")
head = header(ledger)
sequence = head.get("sequence", 0)
if "slot" in head:
    # Ledger version 2: each slot starts with its write'"'"'s sequence number.
    sequence = max(int.from_bytes(ledger[at:at + 8], "little") for at in (4096, 4096 + head["slot"]))
print(-1 if generation is None else generation + sequence)
PY
  }
  measure this "$RELEASE/factorcat" "$RELEASE/examples/fill_vault" "$1"
  if [ -n "$BASELINE" ]; then
    read -r base_bin base_fill <<<"$BASELINE"
    measure baseline "$base_bin" "$base_fill" "$1"
  fi
' bash "$tokens"
