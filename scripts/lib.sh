# Shared by the test scripts (sourced, not run).

# Installs with apt what is missing. Each argument is COMMAND:PACKAGE (the
# package is needed when the command is not on PATH) or a bare PACKAGE (a
# library, checked with dpkg). Uses sudo unless already root.
apt_install_missing() {
  local need=() item
  for item in "$@"; do
    if [[ $item == *:* ]]; then
      command -v "${item%%:*}" >/dev/null 2>&1 || need+=("${item#*:}")
    else
      dpkg -s "$item" >/dev/null 2>&1 || need+=("$item")
    fi
  done
  ((${#need[@]})) || return 0
  echo "installing: ${need[*]}" >&2
  local sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# Prints the directory cargo builds into: CARGO_TARGET_DIR, a cargo
# config's build.target-dir, or ./target — as cargo itself reports it.
cargo_target_dir() {
  local json dir
  json=$(cargo metadata --format-version 1 --no-deps --locked) || return 1
  dir=$(printf '%s' "$json" | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
  if [ -z "$dir" ]; then
    echo "error: cargo metadata did not name a target directory" >&2
    return 1
  fi
  printf '%s\n' "$dir"
}

# The release build of the packaged binary and of the benchmarks. On x86-64
# Linux with glibc (the one target where it is checked) it is a static PIE:
# glibc linked in (`-C target-feature=+crt-static`), built for the
# machine's own target triple (with --target, cargo gives the flag to the
# target's crates only; build scripts and proc macros stay dynamic), so the
# program starts without the dynamic loader's work (docs/benchmarks.md,
# "Start-up"). Elsewhere, and for `cargo install`, the binary is linked as
# usual. Call it directly (not in a subshell): it sets RELEASE_TARGET_ARGS
# (cargo's `--target TRIPLE`, or nothing) and RELEASE_SUBDIR (where the
# build lands under cargo's target directory: `TRIPLE/release` or
# `release`), and exports RUSTFLAGS with the flag added.
static_release() {
  local host
  host=$(rustc -vV | sed -n 's/^host: //p')
  RELEASE_TARGET_ARGS=()
  RELEASE_SUBDIR=release
  case "$host" in
  x86_64-unknown-linux-gnu)
    RELEASE_TARGET_ARGS=(--target "$host")
    RELEASE_SUBDIR=$host/release
    export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C target-feature=+crt-static"
    ;;
  esac
}

# Builds the release binary and the benchmarks' examples (fill_vault,
# bench_pairs) as the Debian package's binary is built (static_release),
# and sets RELEASE to the directory that holds them.
build_bench_release() {
  static_release
  cargo build --release --locked -p factorcat --bin factorcat --example fill_vault --example bench_pairs \
    "${RELEASE_TARGET_ARGS[@]}"
  RELEASE=$(cargo_target_dir)/$RELEASE_SUBDIR
}

# Checks that $1 is a host binary that can be started; says what is wrong
# with it otherwise (missing, or not executable).
require_binary() {
  if [ ! -e "$1" ]; then
    echo "error: $1 does not exist (cargo build did not put the host there)" >&2
    return 1
  fi
  if [ ! -x "$1" ] || [ -d "$1" ]; then
    echo "error: $1 is not an executable file" >&2
    return 1
  fi
}

# Runs "$@" with HOME=$1 (made private, with $1/run as XDG_RUNTIME_DIR) in a
# private D-Bus session with an unlocked gnome-keyring as its Secret
# Service, so the person's own session and keyring are never touched.
# Variables set in front of the call reach "$@". Usage:
#   private_keyring_session DIR COMMAND [ARGS…]
private_keyring_session() {
  local home=$1
  shift
  mkdir -p "$home/run" && chmod 700 "$home/run"
  HOME="$home" XDG_RUNTIME_DIR="$home/run" \
    dbus-run-session --dbus-daemon="$FACTORCAT_SCRIPTS/quiet-dbus-daemon" -- bash -c '
      # A non-empty password makes the daemon create and unlock a login
      # keyring without a prompt.
      printf "factorcat-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      # The daemon may claim its bus name after it returns (on a loaded
      # machine): wait for it (up to 10 s), so that the first client finds
      # it instead of having D-Bus start another one, which the bus reports
      # on standard error.
      for _ in $(seq 1000); do
        dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
          org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
          | grep -q "boolean true" && break
        sleep 0.01
      done
      exec "$@"
    ' bash "$@"
}

FACTORCAT_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
