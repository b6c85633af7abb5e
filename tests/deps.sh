#!/usr/bin/env bash
# Installs the Debian packages ampshare builds and tests with, when any is missing (needs root).
set -euo pipefail
pkgs=(gcc make cmake pkg-config libmodbus-dev libserialport-dev libinih-dev libsqlite3-dev
      check socat libjansson-dev libmicrohttpd-dev libmosquitto-dev libwebsockets-dev
      python3 python3-pymodbus python3-serial python3-serial-asyncio mbpoll
      dpkg-dev systemd rtl-433 curl chromium fonts-dejavu-core mosquitto mosquitto-clients zlib1g-dev)
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

# promtool (a strict Prometheus text-format checker) without the Prometheus server and its
# service: Debian's prometheus package, unpacked into a cache the tests find it in.
cache=/var/cache/ampshare-tests
if [ ! -x "$cache/promtool" ]; then
    echo "deps: unpacking promtool into $cache"
    mkdir -p "$cache"
    (cd "$cache" && rm -f prometheus_*.deb && apt-get download prometheus >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get download prometheus >/dev/null 2>&1; }) &&
        dpkg-deb -x "$cache"/prometheus_*.deb "$cache/pkg" &&
        ln -sf "$cache/pkg/usr/bin/promtool" "$cache/promtool" && rm -f "$cache"/prometheus_*.deb
fi

# ocpp-rpc, the OCPP charge point the OCPP tests run against (strict mode: every message
# ampshare sends is validated against the OCPP 1.6 JSON schemas), from the npm registry.
if [ ! -d "$cache/npm/node_modules/ocpp-rpc" ] && command -v npm >/dev/null; then
    echo "deps: installing ocpp-rpc into $cache/npm"
    mkdir -p "$cache/npm"
    npm install --silent --no-audit --no-fund --prefix "$cache/npm" ocpp-rpc@2.2.1 >/dev/null
fi
