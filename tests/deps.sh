#!/usr/bin/env bash
# Installs the Debian packages ampshare builds and tests with, when any is missing (needs root).
set -euo pipefail
pkgs=(gcc make cmake pkg-config libmodbus-dev libserialport-dev libinih-dev check socat
      python3 python3-pymodbus python3-serial python3-serial-asyncio mbpoll
      dpkg-dev systemd rtl-433 libjansson-dev zlib1g-dev)
[ "${1:-}" = "--with-clang" ] && pkgs+=(clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
