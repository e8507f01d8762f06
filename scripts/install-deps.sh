#!/usr/bin/env bash
# Installs what Mend needs to build and test, from Debian 12's packages only.
# Runs apt-get only when something is missing, so a second run is quick.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev            # Asio and Beast (not the default 1.74)
  libsodium-dev libprotobuf-dev protobuf-compiler libsqlite3-dev libssl-dev openssl
  libgtest-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libqrencode-dev             # the pairing code as a QR code in the terminal (mend pair)
  clang-14 libclang-rt-14-dev # libFuzzer and the sanitizer runtimes for the fuzz build
  sqlite3 procps
)
if [ "${MEND_WITH_POSTGRES:-0}" = 1 ]; then packages+=(postgresql-15); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]}" >&2
    echo "run this script as root (or install them with sudo apt-get install)." >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
