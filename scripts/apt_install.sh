#!/usr/bin/env bash
# apt_install.sh FOR PACKAGE...: installs Debian/Ubuntu packages with apt-get, as root or
# through sudo; FOR names who needs them, in the messages. Exits 1 naming the packages
# when apt-get is not there or fails (e.g. no package registry reachable), so that the
# caller's user knows what to install some other way.
set -euo pipefail

purpose=$1
shift
(($# > 0)) || exit 0

packages=("$@")
cannot() {  # cannot WHY
  echo "$purpose: cannot install ${packages[*]}: $1; install them another way" >&2
  exit 1
}
command -v apt-get >/dev/null || cannot "there is no apt-get here"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || cannot "apt-get needs root and there is no sudo"
  sudo=(sudo)
fi
echo "$purpose: installing ${packages[*]} with apt-get"
"${sudo[@]}" apt-get update -qq || cannot "apt-get update failed (is a package registry reachable?)"
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" ||
  cannot "apt-get install failed"
