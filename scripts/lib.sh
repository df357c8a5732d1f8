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
