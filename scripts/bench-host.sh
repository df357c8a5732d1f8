#!/usr/bin/env bash
# Whole-process round trip as a browser's first request: start the host the
# way Chromium does, `hello`, `match` on an AWS sign-in URL, end of input,
# exit — on a 1,000-token keyring vault, against `oathtool --totp`.
# Needs: hyperfine, oathtool, gnome-keyring, dbus, python3.
# Usage: scripts/bench-host.sh [TOKENS]
set -euo pipefail
cd "$(dirname "$0")/.."
tokens=${1:-1000}
. scripts/lib.sh
cargo build --release --locked -p factorcat --bin factorcat --example fill_vault
release=$(cargo_target_dir)/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/frames" <<'PY'
import json, struct, sys
with open(sys.argv[1], "wb") as out:
    for msg in ({"id": 1, "type": "hello"},
                {"id": 2, "type": "match", "url": "https://123456789012.signin.aws.amazon.com/oauth",
                 "hint": {"user": "user7@example.com"}}):
        body = json.dumps(msg).encode()
        out.write(struct.pack("=I", len(body)) + body)
PY
# The development build's id, from the host's list of allowed extensions.
id=$(awk '$1 == "chromium" && $3 == "development" { print $2 }' host/src/data/extension-ids.txt)
FACTORCAT_HOME="$work/vault" FRAMES="$work/frames" ORIGIN="chrome-extension://$id/" RELEASE="$release" \
  private_keyring_session "$work" bash -c '
  "$RELEASE/examples/fill_vault" "$1"
  bin=$RELEASE/factorcat
  replies=$($bin "$ORIGIN" <"$FRAMES" | tail -c +5 | tr -d "\0" | grep -c "\"ok\":true" || true)
  [ "$replies" -ge 1 ] || { echo "the host did not answer" >&2; exit 1; }
  hyperfine --warmup 20 --runs 300 \
    "oathtool --totp -d 6 3132333435363738393031323334353637383930" \
    "$bin $ORIGIN <$FRAMES >/dev/null"
' bash "$tokens"
