#!/usr/bin/env bash
# Builds FactorCat's release artefacts into dist/ (git ignores it):
#
#   factorcat-VERSION-chromium.zip   the extension for the Chrome Web Store
#                                    (and Edge Add-ons, Opera add-ons)
#   factorcat-VERSION-firefox.xpi    the extension for addons.mozilla.org
#   factorcat_VERSION-1_ARCH.deb     the host for Debian and Ubuntu: /usr/bin/factorcat,
#                                    registered machine-wide with Chromium, Chrome
#                                    and Firefox when installed; its manual pages
#                                    and bash and fish completions
#
# VERSION is the host crate's (host/Cargo.toml), FactorCat's one version
# number; the extension's manifest must carry the same (checked here and by
# `cargo test`). Installs what it needs when missing: zip (apt) and
# cargo-deb (crates.io).
#
# Usage: scripts/package.sh [all|extension|deb]     (default: all)
#        DIST_DIR=DIR scripts/package.sh …           (write into DIR instead of dist/)
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
case "$what" in
all | extension | deb) ;;
*)
  echo "usage: scripts/package.sh [all|extension|deb]" >&2
  exit 2
  ;;
esac
dist=${DIST_DIR:-dist}
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)

. scripts/lib.sh
apt_install_missing node:nodejs zip:zip

version=$(node --input-type=module -e \
  'import { crateVersion } from "./scripts/build-extension.mjs"; console.log(crateVersion())')
built=()

if [ "$what" != deb ]; then
  echo "== extension $version: Chromium-family stores and Firefox" >&2
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  # Same sources, same archive: fixed file times (the last commit's, or
  # SOURCE_DATE_EPOCH) and a sorted file list.
  epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
  for target in chromium firefox; do
    node scripts/build-extension.mjs "$target" "$stage/$target"
    find "$stage/$target" -exec touch -h -d "@$epoch" {} +
    case "$target" in
    chromium) out="$dist/factorcat-$version-chromium.zip" ;;
    firefox) out="$dist/factorcat-$version-firefox.xpi" ;;
    esac
    rm -f "$out"
    (cd "$stage/$target" && find . -type f -printf '%P\n' | LC_ALL=C sort | TZ=UTC zip -X -q -D "$out" -@)
    built+=("$out")
  done
fi

if [ "$what" != extension ]; then
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install a Rust toolchain of version 1.89 or newer (rustup, https://rustup.rs), then run this again" >&2
    exit 1
  fi
  # cargo-deb: the standard way to make a .deb of a Rust crate (its settings
  # are [package.metadata.deb] in host/Cargo.toml). Built from crates.io
  # once, then kept in cargo's bin directory.
  if ! cargo deb --version >/dev/null 2>&1; then
    echo "installing cargo-deb from crates.io (once)" >&2
    cargo install cargo-deb --version 3.8.0 --locked --quiet
  fi
  echo "== Debian package $version" >&2
  # A static PIE on x86-64 Linux with glibc (scripts/lib.sh, static_release;
  # docs/install.md says why): built for the machine's target triple, which
  # cargo-deb is told too, so that it takes the binary and the files below
  # from that triple's directory.
  static_release
  cargo build --release --locked --quiet -p factorcat "${RELEASE_TARGET_ARGS[@]}"
  # The manual pages and the bash and fish completion files, made by the
  # binary being packaged, beside it: cargo-deb takes files under
  # target/release/ from wherever cargo builds (CARGO_TARGET_DIR, a cargo
  # config; TRIPLE/release with --target). Run by name from PATH, the binary
  # writes completion code that calls `factorcat` by name, i.e. the
  # installed /usr/bin/factorcat.
  release=$(cargo_target_dir)/$RELEASE_SUBDIR
  rm -rf "$release/deb-share"
  mkdir -p "$release/deb-share/man" "$release/deb-share/completions"
  PATH="$release:$PATH" factorcat man --dir "$release/deb-share/man"
  # Compressed as Debian policy asks (cargo-deb leaves built files alone);
  # -n keeps the archive the same from run to run.
  gzip -9 -n "$release"/deb-share/man/*.1
  PATH="$release:$PATH" factorcat completions bash -o "$release/deb-share/completions/factorcat"
  PATH="$release:$PATH" factorcat completions fish -o "$release/deb-share/completions/factorcat.fish"
  # cargo-deb finds the release binary wherever cargo put it
  # (CARGO_TARGET_DIR, a cargo config), and names the .deb after the crate
  # version and the machine's architecture.
  deb=$(cargo deb --no-build --quiet -p factorcat "${RELEASE_TARGET_ARGS[@]}" --output "$dist")
  built+=("$deb")
fi

echo "== built" >&2
for f in "${built[@]}"; do
  printf '%s  %s bytes  sha256 %s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
done
