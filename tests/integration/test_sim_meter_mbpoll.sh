#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ampshare sim meter` against a Modbus client no one here wrote: mbpoll reads the documented
# registers (modbus-maps.md §3.1, §3.4, §3.5) over TCP on loopback and over RTU on the
# simulator's pty, and must get the values that were set, in each map's type and word order.
set -euo pipefail

: "${AMPSHARE_BIN:?}"
command -v mbpoll >/dev/null || { echo "skip: mbpoll missing"; exit 77; }

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" mbpoll

# start_sim NAME ARGS...: runs the simulator, waits for its "listening" line.
start_sim() {
    local name=$1
    shift
    "$AMPSHARE_BIN" sim meter "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    wait_line "$tmp/$name.out" '^listening on'
}

# Every read here must be answered: -o 10 (seconds, mbpoll's longest) instead of its 1 s, so that
# a loaded machine is no failure.
port_of() { sed -n 's/.*clients use tcp:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/$1.out"; }

# poll_values OUTFILE: mbpoll's "[ref]: value" lines as "ref=value", one per line.
values() { sed -n 's/^\[\([0-9]*\)\]:[[:space:]]*\(-\{0,1\}[0-9.]*\).*/\1=\2/p' "$1" | tr '\n' ' '; }

expect() {
    local got
    got=$(values "$1")
    [ "$got" = "$2" ] || fail "$3: mbpoll read '$got', want '$2'"
}

# SDM630: float32, high word first (-B), input registers; addresses 0-based (-0).
start_sim sdm --map sdm630 --listen 127.0.0.1:0 --current-a 10,-15.9,0.5 \
    --voltage-v 230,231.5,229.8 --energy-kwh 12345.67
p=$(port_of sdm)
mbpoll -o 10 -m tcp -p "$p" -a 1 -0 -r 0 -c 9 -t 3:float -B -1 127.0.0.1 >"$tmp/m1" || fail "mbpoll sdm630"
# V L1..L3, |I| L1..L3 (the SDM630 sends magnitudes), P = V x I per phase.
expect "$tmp/m1" "0=230 2=231.5 4=229.8 6=10 8=15.9 10=0.5 12=2300 14=-3681 16=115 " "sdm630"
mbpoll -o 10 -m tcp -p "$p" -a 1 -0 -r 0x48 -c 1 -t 3:float -B -1 127.0.0.1 >"$tmp/m2" || fail "mbpoll sdm630 energy"
expect "$tmp/m2" "72=12345.7 " "sdm630 import kWh"

# ABB B23: holding registers, UINT32/INT32 high word first, 0.01 A and 0.01 W steps.
start_sim abb --map abb-b24 --listen 127.0.0.1:0 --unit 5 --current-a 16,-8,0
p=$(port_of abb)
mbpoll -o 10 -m tcp -p "$p" -a 5 -0 -r 0x5B0C -c 3 -t 4:int -B -1 127.0.0.1 >"$tmp/m3" || fail "mbpoll abb"
expect "$tmp/m3" "23308=1600 23310=800 23312=0 " "abb-b23 currents (0.01 A)"
mbpoll -o 10 -m tcp -p "$p" -a 5 -0 -r 0x5B16 -c 2 -t 4:int -B -1 127.0.0.1 >"$tmp/m4" || fail "mbpoll abb power"
expect "$tmp/m4" "23318=368000 23320=-184000 " "abb-b23 power (0.01 W)"

# Carlo Gavazzi EM24: INT32 low word first (mbpoll's default order), input registers, mA.
start_sim em24 --map carlo-gavazzi-em24 --listen 127.0.0.1:0 --current-a 10,-15.9,0.5
p=$(port_of em24)
mbpoll -o 10 -m tcp -p "$p" -a 1 -0 -r 0x0C -c 3 -t 3:int -1 127.0.0.1 >"$tmp/m5" || fail "mbpoll em24"
expect "$tmp/m5" "12=10000 14=-15900 16=500 " "em24 currents (mA, LSW first)"

# RTU on the simulator's own pty.
start_sim rtu --map sdm630 --listen "pty:$tmp/link" --unit 7 --current-a 6,7,8
mbpoll -o 10 -m rtu -b 9600 -P none -a 7 -0 -r 6 -c 3 -t 3:float -B -1 "$tmp/link" >"$tmp/m6" \
    || fail "mbpoll rtu"
expect "$tmp/m6" "6=6 8=7 10=8 " "sdm630 over rtu"

# A register the map does not cover is refused, as by a real meter.
if mbpoll -o 10 -m tcp -p "$(port_of sdm)" -a 1 -0 -r 0x100 -c 1 -t 3 -1 127.0.0.1 >"$tmp/m7" 2>&1; then
    fail "uncovered register answered: $(cat "$tmp/m7")"
fi
grep -q 'Illegal data address' "$tmp/m7" || fail "uncovered register: $(cat "$tmp/m7")"

echo "sim meter: sdm630, abb-b23, em24 over tcp and sdm630 over rtu read by mbpoll: ok"
