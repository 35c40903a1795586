#!/usr/bin/env bash
# Installs what dothi needs on Debian bookworm (as root): only the packages still missing,
# so a second run is quick. Then the npm packages of the end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libsimdjson-dev libgeos-dev libproj-dev libgdal-dev libprotozero-dev libicu-dev libsqlite3-dev libspdlog-dev libcli11-dev
  zlib1g-dev
  libtomlplusplus-dev libssl-dev libgtest-dev libbenchmark-dev libmosquitto-dev mosquitto
  clang libclang-rt-14-dev
  curl wrk sqlite3 gdal-bin
  libcap2-bin
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere (with its own npm, which Debian's npm conflicts with):
# only install Debian's when the commands are missing.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

for dir in tests/e2e scripts/demo; do
  if [[ -f $dir/package.json && ! -d $dir/node_modules ]]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
