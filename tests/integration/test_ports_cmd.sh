#!/usr/bin/env bash
# `ampshare ports`: help, listing (none or some: both are fine here), and a bad argument.
set -euo pipefail
bin=${AMPSHARE_BIN:?AMPSHARE_BIN not set}

out=$("$bin" ports --help)
grep -q '^usage: ampshare ports' <<<"$out"
"$bin" --help | grep -q '^  ports '

out=$("$bin" ports)
if ! grep -q '^no serial ports found' <<<"$out"; then
    # A machine with serial ports: a header, then one row per port naming a /dev path.
    head -1 <<<"$out" | grep -q '^PATH  *BUS  *VID:PID'
    tail -n +2 <<<"$out" | grep -v '^  stable name: ' | grep -qv '^/dev/' && exit 1
fi

rc=0
"$bin" ports --bogus 2>/dev/null || rc=$?
[ "$rc" -eq 2 ]
echo "ports: ok"
